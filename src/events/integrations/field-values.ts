import { IANAZone } from 'luxon';
import { isEmail, normalizePhone } from '#libs/core/src/index.js';

/** Readers for loosely typed vendor JSON: each returns a valid value or undefined, and never throws. */

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A non-blank string, trimmed. */
export function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A finite number, from a number or a decimal string (Shopify sends money as `"421.88"`). */
export function decimal(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

// The same rule as checkExternalId (src/contacts): an id outside it would be refused when the contact is created.
const EXTERNAL_ID = /^[\w.:@+-]{1,128}$/;
export const isExternalId = (value: string): boolean => EXTERNAL_ID.test(value);

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 date-time, as UTC `toISOString()`. A value without an offset is read as UTC (Segment's servers do the
 * same), never as the host's local time. `Date` alone would also accept `2015-2-02…` or `Tuesday`, hence the pattern.
 */
export function isoTimestamp(value: unknown): string | undefined {
  const raw = text(value);
  if (!raw || !ISO_DATE_TIME.test(raw)) return undefined;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(raw) ? raw : `${raw}Z`;
  const time = Date.parse(withZone);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Lower-cased, as the contacts API stores it. */
export function validEmail(value: unknown): string | undefined {
  const raw = text(value)?.toLowerCase();
  return raw && isEmail(raw) ? raw : undefined;
}

/**
 * Only numbers written with their country code (`+…`). Shopify address phones and Segment traits are typed by
 * customers, mostly in national form, and normalizePhone reads bare digits as international: the Ottawa number
 * 613-555-0101 would become +61 3555 0101 in Australia. Herald has no region to guess with, so such values are dropped.
 */
export function validPhone(value: unknown): string | undefined {
  const raw = text(value);
  return raw?.startsWith('+') ? (normalizePhone(raw) ?? undefined) : undefined;
}

export function validTimeZone(value: unknown): string | undefined {
  const raw = text(value);
  return raw && IANAZone.isValidZone(raw) ? raw : undefined;
}

/** A BCP 47 tag in its canonical spelling (`en-us` → `en-US`); Shopify's `customer_locale` and Segment's `locale`. */
export function validLocale(value: unknown): string | undefined {
  const raw = text(value);
  if (!raw || raw.length > 35) return undefined;
  try {
    return Intl.getCanonicalLocales(raw)[0];
  } catch {
    return undefined;
  }
}
