import { DateTime } from 'luxon';
import type { ErrorDetail } from '../../common/herald-error.js';
import type { IngestEvent } from '../integrations/ingest-event.js';

export const MAX_EVENTS_PER_REQUEST = 1000;
const CONTACT_ID = /^[\w.:@+-]{1,128}$/;
const EVENT_NAME = /^[\x20-\x7e\u00a0-\uffff]{1,200}$/u;
const FIELDS = new Set(['id', 'contactId', 'event', 'properties', 'timestamp']);
const MAX_PROPERTIES_BYTES = 32 * 1024;
/** Events may be sent late (backfills, offline clients) but not from the future beyond clock skew. */
const MAX_FUTURE_MS = 24 * 3_600_000;

/**
 * POST /v1/events: one event or `{"events": [...]}`. Every problem is reported with its field
 * (`events[3].timestamp`); a batch with any invalid event stores nothing, so a client can fix and resend it whole.
 */
export function parseEventsRequest(
  body: unknown,
  now: Date,
): { events: IngestEvent[]; batch: boolean } | ErrorDetail[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return [{ field: 'body', issue: 'a JSON object: one event, or {"events": [...]}' }];
  }
  const record = body as Record<string, unknown>;
  if ('events' in record) {
    const extra = Object.keys(record).filter((key) => key !== 'events');
    const details: ErrorDetail[] = extra.map((key) => ({ field: key, issue: 'unknown field beside events' }));
    const list = record.events;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_EVENTS_PER_REQUEST) {
      return [...details, { field: 'events', issue: `an array of 1 to ${MAX_EVENTS_PER_REQUEST} events` }];
    }
    const events: IngestEvent[] = [];
    list.forEach((item, index) => {
      const parsed = parseEvent(item, `events[${index}].`, now);
      if (Array.isArray(parsed)) details.push(...parsed);
      else events.push(parsed);
    });
    return details.length ? details : { events, batch: true };
  }
  const parsed = parseEvent(body, '', now);
  return Array.isArray(parsed) ? parsed : { events: [parsed], batch: false };
}

function parseEvent(value: unknown, prefix: string, now: Date): IngestEvent | ErrorDetail[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ field: prefix ? prefix.slice(0, -1) : 'body', issue: 'an event object' }];
  }
  const input = value as Record<string, unknown>;
  const details: ErrorDetail[] = [];
  for (const key of Object.keys(input)) {
    if (!FIELDS.has(key)) details.push({ field: `${prefix}${key}`, issue: 'unknown field' });
  }
  const { id, contactId, event, properties, timestamp } = input;
  if (typeof contactId !== 'string' || !CONTACT_ID.test(contactId)) {
    details.push({ field: `${prefix}contactId`, issue: '1-128 characters of letters, digits and . _ : @ + -' });
  }
  if (typeof event !== 'string' || !EVENT_NAME.test(event)) {
    details.push({ field: `${prefix}event`, issue: 'the event name: 1-200 printable characters' });
  }
  if (id !== undefined && (typeof id !== 'string' || id.length < 1 || id.length > 255)) {
    details.push({ field: `${prefix}id`, issue: 'a string of 1-255 characters' });
  }
  if (properties !== undefined) {
    if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
      details.push({ field: `${prefix}properties`, issue: 'an object' });
    } else if (Buffer.byteLength(JSON.stringify(properties)) > MAX_PROPERTIES_BYTES) {
      details.push({ field: `${prefix}properties`, issue: 'at most 32 KiB of JSON' });
    }
  }
  let at: string | undefined;
  if (timestamp !== undefined) {
    const parsed = typeof timestamp === 'string' ? DateTime.fromISO(timestamp, { zone: 'utc' }) : null;
    if (!parsed || !parsed.isValid || !/^\d{4}-\d{2}-\d{2}T/.test(timestamp as string)) {
      details.push({ field: `${prefix}timestamp`, issue: 'an ISO 8601 date-time, e.g. 2026-12-03T10:00:00Z' });
    } else if (parsed.toMillis() - now.getTime() > MAX_FUTURE_MS) {
      details.push({ field: `${prefix}timestamp`, issue: 'more than 24 hours in the future' });
    } else at = parsed.toUTC().toISO()!;
  }
  if (details.length) return details;
  return {
    ...(id !== undefined ? { id: id as string } : {}),
    contactId: contactId as string,
    event: event as string,
    properties: (properties as Record<string, unknown> | undefined) ?? {},
    ...(at ? { timestamp: at } : {}),
    kind: 'track',
  };
}
