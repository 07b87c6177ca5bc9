import { parse } from 'lossless-json';

/**
 * Shopify ids are 64-bit integers sent as bare JSON numbers (the documented samples use 18 digits, e.g. order
 * 820982911946154508): `JSON.parse` rounds them, and two customers could then share a contact. Integers beyond 2^53
 * are kept as their exact digits (a string, not a bigint, so the body still serialises); other numbers as numbers.
 * Throws SyntaxError on text that is not JSON. Parse the same raw bytes the HMAC was checked over.
 */
export function parseShopifyJson(raw: Buffer | string): unknown {
  const textBody = typeof raw === 'string' ? raw : raw.toString('utf8');
  return parse(textBody, null, (digits) => {
    const value = Number(digits);
    return /^-?\d+$/.test(digits) && !Number.isSafeInteger(value) ? digits : value;
  });
}
