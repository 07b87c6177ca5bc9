import type { ChannelError, StatusReport } from '../channel.port.js';
import { parseHeaderFields, parseMime, type MimeEntity } from './mime.js';
import { SMTP_PROVIDER, heraldMessageId } from './smtp.adapter.js';
import { classifySmtpStatus } from './smtp-status.js';

/** RFC 3464 §2.3.3. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
const ACTIONS: readonly string[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];

export interface DsnRecipient {
  /** The address, without its `rfc822;` type. */
  finalRecipient: string;
  originalRecipient?: string;
  action: DsnAction;
  /** RFC 3463 `class.subject.detail`, e.g. `5.1.1`. */
  status: string;
  /** Without its `smtp;` type, e.g. `550 5.1.1 No such user`. */
  diagnosticCode?: string;
  remoteMta?: string;
  lastAttemptDate?: Date;
}

/** A delivery status notification (bounce, delay warning or delivery receipt). */
export interface Dsn {
  reportingMta?: string;
  /** The ENVID given at sending; Herald sends its attempt id. */
  originalEnvelopeId?: string;
  /** The Message-ID of the returned original message or headers, with its angle brackets. */
  originalMessageId?: string;
  arrivalDate?: Date;
  /** The DSN's own Date header. */
  date?: Date;
  recipients: DsnRecipient[];
}

export class DsnParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DsnParseError';
  }
}

const DELIVERY_STATUS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ORIGINAL = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);

const untyped = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : value.replace(/^[^;<>@\s]*;\s*/, '').trim() || undefined;
const address = (value: string | undefined): string | undefined => untyped(value)?.replace(/^<(.*)>$/, '$1');
const date = (value: string | undefined): Date | undefined => {
  const parsed = value ? new Date(value.replace(/\s*\([^)]*\)\s*$/, '')) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
};

/** Finds the report (delivery-status part and returned original), also inside a forwarded message. */
function findReport(entity: MimeEntity, depth = 0): { status: MimeEntity; original?: MimeEntity } | undefined {
  if (DELIVERY_STATUS.has(entity.type)) return { status: entity };
  const status = entity.parts.find((part) => DELIVERY_STATUS.has(part.type));
  if (status) return { status, original: entity.parts.find((part) => ORIGINAL.has(part.type)) };
  for (const part of entity.parts) {
    const found = findReport(part, depth);
    if (found) return found;
  }
  // A bounce forwarded as an attachment: look inside once the outer message had no report of its own.
  if (entity.type === 'message/rfc822' && depth < 3) return findReport(parseMime(entity.body), depth + 1);
  return undefined;
}

function parseRecipient(fields: Map<string, string>): DsnRecipient | undefined {
  const finalRecipient = address(fields.get('final-recipient'));
  const action = fields.get('action')?.split(/[\s(]/)[0]?.toLowerCase();
  const status = fields.get('status')?.match(/^\d\.\d{1,3}\.\d{1,3}/)?.[0];
  if (!finalRecipient || !action || !ACTIONS.includes(action) || !status) return undefined;
  const recipient: DsnRecipient = { finalRecipient, action: action as DsnAction, status };
  const originalRecipient = address(fields.get('original-recipient'));
  const diagnosticCode = untyped(fields.get('diagnostic-code'));
  const remoteMta = untyped(fields.get('remote-mta'));
  const lastAttemptDate = date(fields.get('last-attempt-date'));
  if (originalRecipient) recipient.originalRecipient = originalRecipient;
  if (diagnosticCode) recipient.diagnosticCode = diagnosticCode;
  if (remoteMta) recipient.remoteMta = remoteMta;
  if (lastAttemptDate) recipient.lastAttemptDate = lastAttemptDate;
  return recipient;
}

/**
 * Parses an RFC 3464 delivery status notification: a `multipart/report; report-type=delivery-status` message
 * (possibly forwarded inside another message). Throws DsnParseError when there is no delivery-status part.
 */
export function parseDsn(raw: string | Buffer): Dsn {
  const message = parseMime(typeof raw === 'string' ? raw : raw.toString('utf8'));
  const report = findReport(message);
  if (!report) throw new DsnParseError('Not a delivery status notification: no message/delivery-status part');

  const dsn: Dsn = { recipients: [] };
  // One per-message block, then one block per recipient, separated by empty lines.
  for (const block of report.status.body.split(/\r?\n[ \t]*\r?\n/)) {
    const fields = parseHeaderFields(block);
    if (fields.size === 0) continue;
    if (fields.has('final-recipient') || fields.has('action')) {
      const recipient = parseRecipient(fields);
      if (recipient) dsn.recipients.push(recipient);
      continue;
    }
    dsn.reportingMta ??= untyped(fields.get('reporting-mta'));
    dsn.originalEnvelopeId ??= fields.get('original-envelope-id')?.trim() || undefined;
    dsn.arrivalDate ??= date(fields.get('arrival-date'));
  }
  const originalMessageId = report.original
    ? parseHeaderFields(report.original.body.split(/\r?\n\r?\n/)[0] ?? '').get('message-id')
    : undefined;
  if (originalMessageId) dsn.originalMessageId = originalMessageId;
  const sent = date(message.headers.get('date'));
  if (sent) dsn.date = sent;
  return stripUndefined(dsn);
}

const stripUndefined = (dsn: Dsn): Dsn =>
  Object.fromEntries(Object.entries(dsn).filter(([, value]) => value !== undefined)) as unknown as Dsn;

function failure(recipient: DsnRecipient): ChannelError {
  const permanent = recipient.status.startsWith('5');
  return {
    // A 4.x.x with Action: failed means the MTA gave up retrying: the attempt failed, the address may still work.
    kind: permanent ? classifySmtpStatus(recipient.status) : 'NOT_REACHABLE',
    code: recipient.status,
    message: recipient.diagnosticCode ?? `Delivery to ${recipient.finalRecipient} failed (${recipient.status})`,
    permanent,
  };
}

/**
 * Herald's reports for a DSN, for the message it returns. `failed` → failed, `delivered` → delivered; a delay
 * warning says nothing final, and `relayed`/`expanded` promise no later report either, so they give none.
 * The message is found by its Message-ID, or else by the ENVID Herald sent (its attempt id).
 * A DSN that names neither gives no report.
 */
export function dsnToReports(dsn: Dsn, now: () => Date = () => new Date()): StatusReport[] {
  const providerMessageId =
    dsn.originalMessageId ?? (dsn.originalEnvelopeId ? heraldMessageId(dsn.originalEnvelopeId) : undefined);
  if (!providerMessageId) return [];
  const reports: StatusReport[] = [];
  for (const recipient of dsn.recipients) {
    if (recipient.action !== 'failed' && recipient.action !== 'delivered') continue;
    const report: StatusReport = {
      provider: SMTP_PROVIDER,
      providerMessageId,
      status: recipient.action,
      at: recipient.lastAttemptDate ?? dsn.date ?? now(),
      raw: { reportingMta: dsn.reportingMta, originalEnvelopeId: dsn.originalEnvelopeId, recipient },
    };
    if (recipient.action === 'failed') report.error = failure(recipient);
    reports.push(report);
  }
  return reports;
}
