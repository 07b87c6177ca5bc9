import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { verifyShopifyHmac } from './shopify-signature.js';

const FIXTURES = new URL('../../../test/fixtures/integrations/', import.meta.url);

interface Vector {
  name: string;
  secret: string;
  body_file?: string;
  body?: string;
  header_value: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('shopify-hmac-vectors.json', FIXTURES), 'utf8')) as {
  vectors: Vector[];
};
const bodyOf = (vector: Vector): Buffer =>
  vector.body_file ? readFileSync(new URL(vector.body_file, FIXTURES)) : Buffer.from(vector.body ?? '', 'utf8');

describe('verifyShopifyHmac', () => {
  it.each(vectors.map((v) => [v.name, v] as const))('should accept vector: %s', (_name, vector) => {
    expect(verifyShopifyHmac(bodyOf(vector), vector.header_value, vector.secret)).toBe(true);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('should refuse a changed byte: %s', (_name, vector) => {
    const body = Buffer.from(bodyOf(vector));
    body[Math.floor(body.length / 2)] ^= 0x01;
    expect(verifyShopifyHmac(body, vector.header_value, vector.secret)).toBe(false);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('should refuse a wrong secret: %s', (_name, vector) => {
    expect(verifyShopifyHmac(bodyOf(vector), vector.header_value, `${vector.secret}x`)).toBe(false);
  });

  it('should refuse the body once re-serialised, which is why the raw bytes are kept', () => {
    const [vector] = vectors;
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(bodyOf(vector).toString('utf8'))));
    expect(verifyShopifyHmac(reserialised, vector.header_value, vector.secret)).toBe(false);
  });

  it('should refuse an empty secret', () => {
    const [vector] = vectors;
    expect(verifyShopifyHmac(bodyOf(vector), vector.header_value, '')).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not base64', 'not base64!'],
    ['hex instead of base64', 'a'.repeat(64)],
    ['truncated', vectors[0].header_value.slice(0, 20)],
    ['too long', `${vectors[0].header_value}AAAA`],
    ['padding only', '===='],
    ['huge', 'A'.repeat(100_000)],
  ])('should return false, not throw, for a header that is %s', (_label, header) => {
    expect(verifyShopifyHmac(bodyOf(vectors[0]), header, vectors[0].secret)).toBe(false);
  });
});
