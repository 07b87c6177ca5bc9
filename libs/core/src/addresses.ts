import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * E.164 or null. Numbers must carry their country code (`+44…`): Herald has no default region to guess.
 * The check is "a possible number for its country" (length and country code), not carrier-range validity:
 * reserved fictional ranges such as +44 7700 900xxx must pass, so they can be used with the sandbox.
 */
export function normalizePhone(value: string): string | null {
  const text = value.trim();
  if (!/^\+?[\d\s().-]{6,24}$/.test(text)) return null;
  // extract: false — the whole value must be the number (also ~25% faster than searching the text for one).
  const parsed = parsePhoneNumberFromString(text.startsWith('+') ? text : `+${text}`, { extract: false });
  if (!parsed || !parsed.isPossible()) return null;
  // The parse already knows the country of a number in a carrier's range: remember it for phoneCountry().
  if (parsed.country && !countries.has(parsed.number)) remember(parsed.number, parsed.country);
  return parsed.number;
}

/**
 * Country (ISO 3166 alpha-2) of an E.164 number, for reports and pricing. A number outside the carriers'
 * ranges (a reserved test range) gets the main country of its calling code (+44 → GB).
 */
export function phoneCountry(e164: string): string | null {
  const known = countries.get(e164);
  if (known !== undefined) return known;
  const parsed = parsePhoneNumberFromString(e164);
  const country = parsed?.country ?? parsed?.getPossibleCountries()[0] ?? null;
  // Every accepted message asks (reports group by country) and the same contacts are messaged again and again:
  // a bounded memo keeps the parse (~20 µs) off the hot path for them.
  remember(e164, country);
  return country;
}

function remember(e164: string, country: string | null): void {
  if (countries.size >= MAX_REMEMBERED_COUNTRIES) countries.clear();
  countries.set(e164, country);
}

const MAX_REMEMBERED_COUNTRIES = 100_000;
const countries = new Map<string, string | null>();

const EMAIL = /^[^\s@"<>()[\],;:]+@[^\s@"<>()[\],;:]+\.[^\s@"<>()[\],;:]{2,}$/;
export const isEmail = (value: string): boolean => value.length <= 254 && EMAIL.test(value);
