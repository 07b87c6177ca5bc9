import { ChannelSendError, type ChannelError, type ChannelErrorKind, type StatusReport } from '../channel.port.js';

/**
 * What the classifier reads from a Twilio failure: the SDK's RestException (`status`, `code`, `message`,
 * `moreInfo`), its RFC 9457 TwilioServiceException (`status`, `code`, `detail`, `title`), or our own
 * TwilioHttpError, which adds the Retry-After header the SDK drops.
 */
export interface TwilioErrorLike {
  status?: number;
  code?: number | string;
  message?: string;
  moreInfo?: string;
  detail?: string;
  title?: string;
  retryAfterSeconds?: number;
}

type Classification = Pick<ChannelError, 'kind' | 'permanent'>;

const permanent = (kind: ChannelErrorKind): Classification => ({ kind, permanent: true });
const temporary = (kind: ChannelErrorKind): Classification => ({ kind, permanent: false });

/**
 * Twilio's numeric codes (twilio.com/docs/api/errors/<code>), from the create-message answer or a callback's
 * ErrorCode. AUTH is temporary on purpose: a wrong or rotated token is an operator's configuration problem, so
 * the attempt waits with backoff for the fix instead of failing every message in the meantime.
 */
const BY_CODE = new Map<string, Classification>([
  ['21211', permanent('INVALID_ADDRESS')], // invalid 'To' number
  ['21614', permanent('NOT_REACHABLE')], // 'To' is not a mobile number
  ['21635', permanent('NOT_REACHABLE')], // 'To' is a landline
  ['30003', permanent('NOT_REACHABLE')], // unreachable destination handset
  ['30004', permanent('NOT_REACHABLE')], // message blocked (by the recipient or their carrier)
  ['30005', permanent('NOT_REACHABLE')], // unknown destination handset
  ['30006', permanent('NOT_REACHABLE')], // landline or unreachable carrier
  ['21610', permanent('NO_CONSENT')], // recipient replied STOP
  ['21408', permanent('CONTENT_REJECTED')], // sending to that region is not enabled
  ['21612', permanent('CONTENT_REJECTED')], // this To/From combination cannot carry the message
  ['30007', permanent('CONTENT_REJECTED')], // filtered by the carrier
  ['20429', temporary('RATE_LIMITED')], // too many requests
  ['30001', temporary('RATE_LIMITED')], // Twilio's queue for the sender overflowed
  ['20003', temporary('AUTH')], // authentication failed
  ['30002', temporary('AUTH')], // account suspended
]);

const NETWORK_CODES = new Set([
  'ECONNABORTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

const asRecord = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;

const codeText = (code: unknown): string | undefined =>
  typeof code === 'number' || (typeof code === 'string' && code !== '') ? String(code) : undefined;

/** Classifies a code Twilio reported without an HTTP answer (a callback's ErrorCode): the message has failed. */
export function classifyTwilioErrorCode(code: string | number, message?: string): ChannelError {
  const text = String(code);
  const known = BY_CODE.get(text) ?? permanent('UNKNOWN');
  return { ...known, code: text, message: message || `Twilio error ${text}` };
}

/** Turns whatever the SDK threw into Herald's error vocabulary; the dispatcher never sees Twilio's codes. */
export function classifyTwilioError(error: unknown): ChannelError {
  if (error instanceof ChannelSendError) return error.error;
  const fields = asRecord(error) ?? {};
  const status = typeof fields.status === 'number' ? fields.status : undefined;
  const code = codeText(fields.code);
  if (status === undefined) {
    // No HTTP answer: a timeout, a refused or reset connection, DNS. Twilio may or may not have the message.
    const detail = error instanceof Error ? error.message : String(error);
    const networkCode = code && NETWORK_CODES.has(code) ? code : 'NETWORK_ERROR';
    return { kind: 'TEMPORARY', code: networkCode, message: `Twilio request failed: ${detail}`, permanent: false };
  }
  const twilio = fields as TwilioErrorLike;
  const message = twilio.message || twilio.detail || twilio.title || `Twilio answered HTTP ${status}`;
  const retryAfterSeconds = typeof twilio.retryAfterSeconds === 'number' ? twilio.retryAfterSeconds : undefined;
  const classification = (code && BY_CODE.get(code)) || byStatus(status);
  const result: ChannelError = { ...classification, code: code ?? `HTTP_${status}`, message };
  if (classification.kind === 'RATE_LIMITED' && retryAfterSeconds !== undefined)
    result.retryAfterSeconds = retryAfterSeconds;
  return result;
}

function byStatus(status: number): Classification {
  if (status === 429) return temporary('RATE_LIMITED');
  if (status === 401) return temporary('AUTH');
  if (status >= 500) return temporary('TEMPORARY');
  return permanent('UNKNOWN');
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export type TwilioReportedStatus = StatusReport['status'];

/**
 * Twilio's message status → Herald's attempt status. queued/accepted/scheduled/sending say no more than the
 * `submitted` Herald recorded from the create answer, so they map to null (nothing to record); so do the inbound
 * statuses and any status Twilio adds later. A canceled (scheduled) message will not be sent: failed.
 */
const STATUS = new Map<string, TwilioReportedStatus | null>([
  ['queued', null],
  ['accepted', null],
  ['scheduled', null],
  ['sending', null],
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['undelivered', 'undelivered'],
  ['failed', 'failed'],
  ['canceled', 'failed'],
]);

export function mapTwilioStatus(status: string): TwilioReportedStatus | null {
  return STATUS.get(status.trim().toLowerCase()) ?? null;
}
