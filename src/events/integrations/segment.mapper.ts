import {
  isExternalId,
  isoTimestamp,
  isRecord,
  text,
  validEmail,
  validLocale,
  validPhone,
  validTimeZone,
} from './field-values.js';
import type { IngestContact, IngestEvent, MapIssue, MapResult } from './ingest-event.js';

/** Segment's HTTP Tracking API takes at most 500 KB per batch; Herald takes what `POST /v1/events` takes. */
export const MAX_SEGMENT_BATCH = 1000;
const MAX_EVENT_NAME = 200;
const MAX_ID = 255;

type Call = Record<string, unknown>;

/**
 * Segment Spec calls (https://segment.com/docs/connections/spec/) → Herald events: one call, or the HTTP API's
 * `{"batch": [...], "context": {...}}`. `track`, `page` and `screen` become behavioural events, `identify` updates
 * the contact; `group` and `alias` have no Herald meaning and are reported. A bad call costs only itself: its
 * problems are issues named by field (`batch[3].userId`), the other calls still map. Never throws.
 */
export function mapSegment(body: unknown): MapResult {
  const issues: MapIssue[] = [];
  if (!isRecord(body)) {
    return { events: [], issues: [{ field: 'body', issue: 'a JSON object: a Segment call or {"batch": [...]}' }] };
  }
  if (!('batch' in body)) {
    const event = mapCall(body, '', {}, issues);
    return { events: event ? [event] : [], issues };
  }
  const { batch } = body;
  if (!Array.isArray(batch) || batch.length > MAX_SEGMENT_BATCH) {
    return { events: [], issues: [{ field: 'batch', issue: `an array of at most ${MAX_SEGMENT_BATCH} calls` }] };
  }
  // "merged with any context inside each of the items in the batch" (HTTP Tracking API, Batch).
  const shared = isRecord(body.context) ? body.context : {};
  const events: IngestEvent[] = [];
  batch.forEach((call, index) => {
    const event = mapCall(call, `batch[${index}].`, shared, issues);
    if (event) events.push(event);
  });
  return { events, issues };
}

function mapCall(call: unknown, prefix: string, shared: Call, issues: MapIssue[]): IngestEvent | undefined {
  if (!isRecord(call)) {
    issues.push({ field: prefix ? prefix.slice(0, -1) : 'body', issue: 'a Segment call object' });
    return undefined;
  }
  const type = text(call.type);
  if (type !== 'track' && type !== 'identify' && type !== 'page' && type !== 'screen') {
    issues.push({
      field: `${prefix}type`,
      issue: type === undefined ? 'missing: one of track, identify, page, screen' : `unsupported type "${type}"`,
    });
    return undefined;
  }
  const contactId = contactIdOf(call, prefix, issues);
  const event = eventNameOf(call, type, prefix, issues);
  if (contactId === undefined || event === undefined) return undefined;

  const context = isRecord(call.context) ? { ...shared, ...call.context } : shared;
  const id = messageIdOf(call, prefix, issues);
  const timestamp = timestampOf(call, prefix, issues);
  const contact = contactOf(
    type === 'identify' ? { ...traitsOf(context), ...traitsOf(call) } : traitsOf(context),
    context,
  );
  return {
    ...(id !== undefined ? { id } : {}),
    contactId,
    event,
    properties: propertiesOf(call, type),
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(contact ? { contact } : {}),
    kind: type === 'identify' ? 'identify' : 'track',
  };
}

/** `userId` (ours), else `anonymousId` (Segment's device id): every call carries one of them. */
function contactIdOf(call: Call, prefix: string, issues: MapIssue[]): string | undefined {
  for (const key of ['userId', 'anonymousId'] as const) {
    const value = call[key];
    const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : text(value);
    if (id === undefined) continue;
    if (isExternalId(id)) return id;
    issues.push({ field: `${prefix}${key}`, issue: 'not a contact id: 1-128 letters, digits and . _ : @ + -' });
    return undefined;
  }
  issues.push({ field: `${prefix}userId`, issue: 'missing: a call needs userId or anonymousId' });
  return undefined;
}

function eventNameOf(call: Call, type: string, prefix: string, issues: MapIssue[]): string | undefined {
  if (type === 'identify') return 'identify';
  if (type === 'page') return 'page_view';
  if (type === 'screen') return 'screen_view';
  const event = text(call.event);
  if (event === undefined) issues.push({ field: `${prefix}event`, issue: 'missing: a track call names its event' });
  else if (event.length > MAX_EVENT_NAME) issues.push({ field: `${prefix}event`, issue: 'longer than 200 characters' });
  else return event;
  return undefined;
}

function messageIdOf(call: Call, prefix: string, issues: MapIssue[]): string | undefined {
  const id = text(call.messageId);
  if (id !== undefined && id.length > MAX_ID) {
    issues.push({ field: `${prefix}messageId`, issue: 'longer than 255 characters: not used to de-duplicate' });
    return undefined;
  }
  return id;
}

/**
 * `timestamp` is Segment's skew-corrected time of the action; `originalTimestamp` (device clock) and `sentAt` are the
 * fallbacks. An unreadable value is reported and skipped; with none left, the time received applies.
 */
function timestampOf(call: Call, prefix: string, issues: MapIssue[]): string | undefined {
  for (const key of ['timestamp', 'originalTimestamp', 'sentAt'] as const) {
    if (call[key] === undefined || call[key] === null) continue;
    const at = isoTimestamp(call[key]);
    if (at !== undefined) return at;
    issues.push({ field: `${prefix}${key}`, issue: 'not an ISO 8601 date-time: ignored' });
  }
  return undefined;
}

function propertiesOf(call: Call, type: string): Record<string, unknown> {
  const properties = isRecord(call.properties) ? { ...call.properties } : {};
  // The page or screen name is a top-level field in the Spec; rules read it as properties.name.
  if (type === 'page' || type === 'screen') {
    const name = text(call.name);
    if (name !== undefined) properties.name = name;
  }
  return properties;
}

const traitsOf = (holder: Call): Call => (isRecord(holder.traits) ? holder.traits : {});

/** Reserved traits may be camelCase or snake_case (Spec: Identify, Traits); Herald keeps camelCase. */
const SNAKE_TRAITS: Record<string, string> = { first_name: 'firstName', last_name: 'lastName' };

function contactOf(traits: Call, context: Call): IngestContact | undefined {
  const contact: IngestContact = {};
  const email = validEmail(traits.email);
  const phone = validPhone(traits.phone);
  const timezone = validTimeZone(context.timezone);
  const locale = validLocale(context.locale);
  if (email) contact.email = email;
  if (phone) contact.phone = phone;
  if (timezone) contact.timezone = timezone;
  if (locale) contact.locale = locale;
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(traits)) {
    if (key === 'email' || key === 'phone' || value === undefined) continue;
    attributes[SNAKE_TRAITS[key] ?? key] = value;
  }
  if (Object.keys(attributes).length) contact.attributes = attributes;
  return Object.keys(contact).length ? contact : undefined;
}
