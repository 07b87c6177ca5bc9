import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { StatusReport, WebhookEvent, WebhookHandler, WebhookRequest } from '../channel.port.js';
import { WHATSAPP_CLOUD_PROVIDER } from './whatsapp-cloud.adapter.js';
import { classifyMetaError, type MetaErrorObject } from './whatsapp-errors.js';

const SIGNATURE_HEADER = 'x-hub-signature-256';
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** Meta's statuses in Herald's words. `played` (voice messages) comes after `read`, so it counts as read. */
const STATUS_MAP: Record<string, StatusReport['status']> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  played: 'read',
  failed: 'failed',
};

interface MetaStatus {
  id?: unknown;
  status?: unknown;
  timestamp?: unknown;
  errors?: MetaErrorObject[];
  pricing?: { category?: unknown; billable?: unknown; type?: unknown; pricing_model?: unknown };
}

interface MetaInboundMessage {
  id?: unknown;
  from?: unknown;
  timestamp?: unknown;
  type?: unknown;
  text?: { body?: unknown };
  button?: { text?: unknown };
  interactive?: { button_reply?: { title?: unknown }; list_reply?: { title?: unknown } };
}

interface MetaChangeValue {
  metadata?: { display_phone_number?: unknown };
  contacts?: { wa_id?: unknown }[];
  statuses?: MetaStatus[];
  messages?: MetaInboundMessage[];
}

/** `message_template_status_update` and `template_category_update` values; only what we read is typed. */
interface MetaTemplateChangeValue {
  event?: unknown;
  message_template_id?: unknown;
  message_template_name?: unknown;
  message_template_language?: unknown;
  message_template_category?: unknown;
  reason?: unknown;
  rejection_info?: { reason?: unknown; recommendation?: unknown };
  other_info?: { title?: unknown; description?: unknown };
  disable_info?: { disable_date?: unknown };
  new_category?: unknown;
  previous_category?: unknown;
  correct_category?: unknown;
}

interface MetaEntry {
  id?: unknown;
  time?: unknown;
  changes?: { field?: unknown; value?: unknown }[];
}

interface MetaEnvelope {
  object?: unknown;
  entry?: MetaEntry[];
}

type TemplateStatusEvent = Extract<WebhookEvent, { kind: 'template-status' }>;

/** Meta's timestamps are unix seconds as strings (sometimes numbers). */
function unixSeconds(value: unknown): Date | null {
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : null;
}

/** `16505551234` → `+16505551234`; anything that is not a bare number is kept as it came. */
function phone(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return /^\d+$/.test(value) ? `+${value}` : value;
}

/** A non-empty string, or undefined. */
const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * Meta's template id, a JSON number. One beyond 2^53 has lost digits in JSON.parse: it is then read back from
 * the raw body, when exactly one digit run there parses to the same number.
 */
function templateId(value: unknown, rawBody: string): string | null {
  if (typeof value === 'string') return /^\d+$/.test(value) ? value : null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return null;
  if (Number.isSafeInteger(value)) return String(value);
  const exact = new Set(
    [...rawBody.matchAll(/"message_template_id"\s*:\s*(\d+)/g)].map((m) => m[1]).filter((d) => Number(d) === value),
  );
  return exact.size === 1 ? [...exact][0] : String(value);
}

/** What both template webhooks say about the template and when; null without a usable template id. */
function templateBase(value: MetaTemplateChangeValue, entry: MetaEntry, rawBody: string) {
  const providerTemplateId = templateId(value.message_template_id, rawBody);
  if (!providerTemplateId) return null;
  return {
    provider: WHATSAPP_CLOUD_PROVIDER,
    accountId: accountId(entry),
    providerTemplateId,
    name: nonEmpty(value.message_template_name) ?? '',
    language: nonEmpty(value.message_template_language) ?? '',
    at: unixSeconds(entry.time) ?? new Date(),
    raw: value,
  };
}

function templateStatusEvent(value: MetaTemplateChangeValue, entry: MetaEntry, rawBody: string): WebhookEvent | null {
  const base = templateBase(value, entry, rawBody);
  const event = nonEmpty(value.event);
  if (!base || !event) return null;
  const detail: NonNullable<TemplateStatusEvent['detail']> = {};
  const rejection = value.rejection_info;
  if (rejection && typeof rejection === 'object') {
    const reason = nonEmpty(rejection.reason);
    const recommendation = nonEmpty(rejection.recommendation);
    detail.rejectionInfo = { ...(reason ? { reason } : {}), ...(recommendation ? { recommendation } : {}) };
  }
  const other = value.other_info;
  if (other && typeof other === 'object') {
    const title = nonEmpty(other.title);
    const description = nonEmpty(other.description);
    detail.otherInfo = { ...(title ? { title } : {}), ...(description ? { description } : {}) };
  }
  const disableDate = value.disable_info?.disable_date;
  if (typeof disableDate === 'string' || typeof disableDate === 'number') detail.disableDate = String(disableDate);
  const category = nonEmpty(value.message_template_category);
  return {
    kind: 'template-status',
    ...base,
    event,
    reason: nonEmpty(value.reason) ?? null,
    ...(category ? { category } : {}),
    ...(Object.keys(detail).length ? { detail } : {}),
  };
}

function templateCategoryEvent(value: MetaTemplateChangeValue, entry: MetaEntry, rawBody: string): WebhookEvent | null {
  const base = templateBase(value, entry, rawBody);
  const newCategory = nonEmpty(value.new_category);
  if (!base || !newCategory) return null;
  const previousCategory = nonEmpty(value.previous_category);
  const correctCategory = nonEmpty(value.correct_category);
  return {
    kind: 'template-category',
    ...base,
    newCategory,
    ...(previousCategory ? { previousCategory } : {}),
    ...(correctCategory ? { correctCategory } : {}),
  };
}

/** The WhatsApp Business Account of an entry (`entry.id`, a string; a number is tolerated). */
function accountId(entry: MetaEntry): string {
  if (typeof entry.id === 'number' && Number.isFinite(entry.id)) return String(entry.id);
  return nonEmpty(entry.id) ?? '';
}

function inboundText(message: MetaInboundMessage): string | undefined {
  const text =
    message.text?.body ??
    message.button?.text ??
    message.interactive?.button_reply?.title ??
    message.interactive?.list_reply?.title;
  return typeof text === 'string' ? text : undefined;
}

function statusEvent(status: MetaStatus): WebhookEvent | null {
  const mapped = typeof status.status === 'string' ? STATUS_MAP[status.status] : undefined;
  const at = unixSeconds(status.timestamp);
  // A status Meta adds later is acknowledged but not applied.
  if (!mapped || typeof status.id !== 'string' || !at) return null;
  const report: StatusReport = {
    provider: WHATSAPP_CLOUD_PROVIDER,
    providerMessageId: status.id,
    status: mapped,
    at,
    // The whole status: pricing, conversation and errors stay for audit.
    raw: status,
  };
  const pricing = status.pricing;
  if (pricing && typeof pricing === 'object') {
    report.pricing = {
      category: typeof pricing.category === 'string' ? pricing.category.toLowerCase() : undefined,
      billable: typeof pricing.billable === 'boolean' ? pricing.billable : undefined,
      type: typeof pricing.type === 'string' ? pricing.type : undefined,
    };
  }
  if (mapped === 'failed') {
    const first = status.errors?.[0];
    report.error = first
      ? classifyMetaError(first)
      : { kind: 'UNKNOWN', code: 'UNKNOWN', message: 'WhatsApp reported a failure without detail', permanent: true };
  }
  return { kind: 'status', report };
}

function inboundEvent(message: MetaInboundMessage, value: MetaChangeValue, index: number): WebhookEvent | null {
  const from = phone(message.from) ?? phone(value.contacts?.[index]?.wa_id ?? value.contacts?.[0]?.wa_id);
  const at = unixSeconds(message.timestamp);
  if (typeof message.id !== 'string' || !from || !at) return null;
  const to = typeof value.metadata?.display_phone_number === 'string' ? value.metadata.display_phone_number : '';
  const digits = to.replace(/\D/g, '');
  const text = inboundText(message);
  return {
    kind: 'inbound',
    channel: 'whatsapp',
    provider: WHATSAPP_CLOUD_PROVIDER,
    providerMessageId: message.id,
    from,
    ...(digits ? { to: `+${digits}` } : {}),
    ...(text !== undefined ? { text } : {}),
    at,
    raw: message,
  };
}

/** Verifies and parses Meta's WhatsApp webhooks (`POST /webhooks/whatsapp`). */
export class WhatsAppWebhookHandler implements WebhookHandler {
  constructor(private readonly config: { appSecret: string }) {
    // An empty key would let anyone compute a valid signature.
    if (!config.appSecret) throw new Error('WhatsApp webhooks need the app secret');
  }

  /** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`, over the bytes as they arrived. */
  verify(request: WebhookRequest): boolean {
    const match = SIGNATURE.exec(request.headers[SIGNATURE_HEADER]?.trim() ?? '');
    if (!match) return false;
    const expected = createHmac('sha256', this.config.appSecret).update(request.rawBody).digest();
    return timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
  }

  /**
   * Status (`value.statuses[]`) and inbound (`value.messages[]`) events from `messages` changes, template-status
   * events from `message_template_status_update` and template-category events from `template_category_update`.
   * Other fields (quality updates…) and `value.errors[]` give no event here; a change missing its ids is skipped.
   */
  parse(request: WebhookRequest): WebhookEvent[] {
    let envelope: MetaEnvelope;
    const rawBody = request.rawBody.toString('utf8');
    try {
      envelope = JSON.parse(rawBody) as MetaEnvelope;
    } catch {
      throw new Error('WhatsApp webhook body is not JSON');
    }
    if (envelope?.object !== 'whatsapp_business_account' || !Array.isArray(envelope.entry)) {
      throw new Error('WhatsApp webhook body is not a whatsapp_business_account notification');
    }
    const events: WebhookEvent[] = [];
    for (const entry of envelope.entry) {
      if (!entry || typeof entry !== 'object') continue;
      for (const change of Array.isArray(entry.changes) ? entry.changes : []) {
        if (!change?.value || typeof change.value !== 'object') continue;
        if (change.field === 'message_template_status_update' || change.field === 'template_category_update') {
          const value = change.value as MetaTemplateChangeValue;
          const event =
            change.field === 'message_template_status_update'
              ? templateStatusEvent(value, entry, rawBody)
              : templateCategoryEvent(value, entry, rawBody);
          if (event) events.push(event);
          continue;
        }
        if (change.field !== 'messages') continue;
        const value = change.value as MetaChangeValue;
        for (const status of value.statuses ?? []) {
          const event = statusEvent(status);
          if (event) events.push(event);
        }
        (value.messages ?? []).forEach((message, index) => {
          const event = inboundEvent(message, value, index);
          if (event) events.push(event);
        });
      }
    }
    return events;
  }
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Meta's subscription handshake (`GET /webhooks/whatsapp`): the `hub.challenge` to echo when the mode is
 * `subscribe` and the token matches, else null (answer 401/403).
 */
export function verifyChallenge(query: URLSearchParams | Record<string, unknown>, verifyToken: string): string | null {
  // Flat keys (`hub.mode`) as most parsers give them, or nested (`{hub: {mode}}`) as `qs` with dots does.
  const nested = query instanceof URLSearchParams ? undefined : (query.hub as Record<string, unknown> | undefined);
  const get = (key: string): unknown =>
    query instanceof URLSearchParams ? query.get(`hub.${key}`) : (query[`hub.${key}`] ?? nested?.[key]);
  const mode = get('mode');
  const token = get('verify_token');
  const challenge = get('challenge');
  if (!verifyToken || mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return null;
  if (challenge === '') return null;
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  return timingSafeEqual(sha256(token), sha256(verifyToken)) ? challenge : null;
}
