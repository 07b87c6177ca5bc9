import { createHmac, timingSafeEqual } from 'node:crypto';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body bytes, keyed with the app's client secret. The bytes
 * must be those received: re-serialised JSON differs (key order, spacing, escaped unicode). Compared in constant time;
 * a missing, malformed or wrong-length header is simply false.
 */
export function verifyShopifyHmac(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !secret) return false;
  const value = header.trim();
  if (!BASE64.test(value)) return false;
  const received = Buffer.from(value, 'base64');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return received.length === expected.length && timingSafeEqual(received, expected);
}
