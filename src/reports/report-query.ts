import { DateTime, IANAZone } from 'luxon';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { queryReader } from '../common/validation.js';

export const GROUP_BYS = ['channel', 'provider', 'template', 'trigger', 'broadcast', 'country', 'day'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export const DEFAULT_RANGE_DAYS = 7;
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/** Messages created in [from, to), days counted in `timeZone`. */
export interface ReportRange {
  from: Date;
  to: Date;
  timeZone: string;
}

export interface SummaryQuery extends ReportRange {
  groupBy: GroupBy;
}

/** The triggers report keeps its open-ended range: a missing bound is no bound. */
export interface OpenRange {
  from: Date | null;
  to: Date | null;
}

type Query = Record<string, unknown>;

/** A parameter the endpoint does not know is a 400 naming it, so a typo (`gropBy`) is not silently ignored. */
function refuseUnknown(query: Query, known: readonly string[], details: ErrorDetail[]): void {
  for (const name of Object.keys(query)) {
    if (!known.includes(name)) details.push({ field: name, issue: `unknown parameter; expected ${known.join(', ')}` });
  }
}

/** IANA zone name (default UTC): days are cut and date-only bounds are read in it. */
function readTimeZone(text: (name: string) => string | undefined, details: ErrorDetail[]): string {
  const zone = text('tz') ?? 'UTC';
  if (IANAZone.isValidZone(zone)) return zone;
  details.push({ field: 'tz', issue: 'an IANA time zone such as Europe/Madrid' });
  return 'UTC';
}

/**
 * An ISO 8601 date (`2026-05-01`: midnight in `zone`) or date-time (without an offset: in `zone`). Null when
 * absent or invalid (the problem is recorded).
 */
function readTime(
  text: (name: string) => string | undefined,
  name: 'from' | 'to',
  zone: string,
  details: ErrorDetail[],
): Date | null {
  const value = text(name);
  if (value === undefined) return null;
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(value) ? DateTime.fromISO(value, { zone }) : null;
  if (parsed?.isValid) return parsed.toJSDate();
  details.push({ field: name, issue: 'an ISO 8601 date or date-time, e.g. 2026-05-01 or 2026-05-01T00:00:00Z' });
  return null;
}

/** `from`, `to` and `tz` with the defaults of the message reports: the last 7 days, at most 366 days. */
function readRange(text: (name: string) => string | undefined, details: ErrorDetail[], now: Date) {
  const timeZone = readTimeZone(text, details);
  const fromGiven = readTime(text, 'from', timeZone, details);
  const toGiven = readTime(text, 'to', timeZone, details);
  if (details.length) return null;
  const to = toGiven ?? now;
  const from = fromGiven ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (to.getTime() <= from.getTime()) {
    details.push(
      toGiven
        ? { field: 'to', issue: 'must be after from' }
        : { field: 'from', issue: 'must be before to (default: now)' },
    );
  } else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    details.push({
      field: fromGiven && toGiven ? 'to' : 'from',
      issue: `the range may span at most ${MAX_RANGE_DAYS} days`,
    });
  }
  return { from, to, timeZone };
}

/** `GET /v1/reports/summary` and `/export.csv`: `from`, `to`, `tz`, `groupBy` (default channel). */
export function parseSummaryQuery(query: Query, now: Date): SummaryQuery {
  const details: ErrorDetail[] = [];
  refuseUnknown(query, ['from', 'to', 'tz', 'groupBy'], details);
  const text = queryReader(query, details);
  const groupBy = text('groupBy') ?? 'channel';
  if (!(GROUP_BYS as readonly string[]).includes(groupBy))
    details.push({ field: 'groupBy', issue: `one of ${GROUP_BYS.join(', ')}` });
  const range = readRange(text, details, now);
  if (details.length || !range) throw HeraldError.validation(details);
  return { ...range, groupBy: groupBy as GroupBy };
}

/** `GET /v1/reports/cascades`: `from`, `to`, `tz`. */
export function parseRangeQuery(query: Query, now: Date): ReportRange {
  const details: ErrorDetail[] = [];
  refuseUnknown(query, ['from', 'to', 'tz'], details);
  const range = readRange(queryReader(query, details), details, now);
  if (details.length || !range) throw HeraldError.validation(details);
  return range;
}

/** `GET /v1/reports/triggers`: optional `from`, `to` (and `tz` for date-only bounds); no bound when absent. */
export function parseOpenRangeQuery(query: Query): OpenRange {
  const details: ErrorDetail[] = [];
  refuseUnknown(query, ['from', 'to', 'tz'], details);
  const text = queryReader(query, details);
  const zone = readTimeZone(text, details);
  const from = readTime(text, 'from', zone, details);
  const to = readTime(text, 'to', zone, details);
  if (from && to && to.getTime() <= from.getTime()) details.push({ field: 'to', issue: 'must be after from' });
  if (details.length) throw HeraldError.validation(details);
  return { from, to };
}
