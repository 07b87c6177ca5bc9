import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { ChannelErrorKind } from '../channel.port.js';
import {
  classifyMetaError,
  classifyWhatsAppTransportError,
  classifyWhatsAppResponse,
  parseWhatsAppRetryAfter,
  type MetaErrorObject,
} from './whatsapp-errors.js';

const FIXTURES = new URL('../../../../test/fixtures/providers/', import.meta.url);
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

describe(classifyWhatsAppResponse.name, () => {
  it('should classify 131030 (recipient not in allowed list) as not reachable, keeping Meta code and message', () => {
    expect(classifyWhatsAppResponse(400, fixture('whatsapp-error-131030-not-in-allowed-list.json'))).toEqual({
      kind: 'NOT_REACHABLE',
      code: '131030',
      message: '(#131030) Recipient phone number not in allowed list',
      permanent: true,
    });
  });

  it('should classify 132001 (template does not exist) as a template that cannot be used', () => {
    expect(classifyWhatsAppResponse(404, fixture('whatsapp-error-132001-template-not-found.json'))).toEqual({
      kind: 'TEMPLATE_NOT_APPROVED',
      code: '132001',
      message: '(#132001) Template name does not exist in the translation',
      permanent: true,
    });
  });

  it('should classify an expired access token (190) as a retryable auth problem', () => {
    const { 190: expired } = fixture('whatsapp-error-objects-pywa.json');
    expect(classifyWhatsAppResponse(401, { error: expired })).toMatchObject({
      kind: 'AUTH',
      code: '190',
      permanent: false,
    });
  });

  it('should take the wait from Retry-After on a rate limit', () => {
    const body = { error: { code: 130429, message: '(#130429) Rate limit hit' } };
    expect(classifyWhatsAppResponse(429, body, '12')).toEqual({
      kind: 'RATE_LIMITED',
      code: '130429',
      message: '(#130429) Rate limit hit',
      permanent: false,
      retryAfterSeconds: 12,
    });
  });

  it('should classify by HTTP status when the body is not a Meta error', () => {
    expect(classifyWhatsAppResponse(502, '<html>Bad gateway</html>')).toMatchObject({
      kind: 'TEMPORARY',
      code: 'HTTP_502',
      permanent: false,
    });
    expect(classifyWhatsAppResponse(429, null, '3')).toMatchObject({
      kind: 'RATE_LIMITED',
      code: 'HTTP_429',
      retryAfterSeconds: 3,
    });
    expect(classifyWhatsAppResponse(401, {})).toMatchObject({ kind: 'AUTH', permanent: false });
    expect(classifyWhatsAppResponse(400, {})).toMatchObject({ kind: 'UNKNOWN', code: 'HTTP_400', permanent: true });
  });

  it('should treat an unknown code on a 5xx as temporary and on a 4xx as permanent', () => {
    expect(classifyWhatsAppResponse(503, { error: { code: 999999, message: 'x' } })).toMatchObject({
      kind: 'TEMPORARY',
      code: '999999',
    });
    expect(classifyWhatsAppResponse(400, { error: { code: 999999, message: 'x' } })).toMatchObject({
      kind: 'UNKNOWN',
      code: '999999',
      permanent: true,
    });
  });

  it('should honour is_transient for a code it does not know', () => {
    expect(classifyWhatsAppResponse(400, { error: { code: 999998, message: 'x', is_transient: true } })).toMatchObject({
      kind: 'TEMPORARY',
      permanent: false,
    });
  });
});

describe(classifyMetaError.name, () => {
  it('should classify the asynchronous error objects from pywa', () => {
    const errors = fixture('whatsapp-error-objects-pywa.json') as Record<string, MetaErrorObject>;
    expect(classifyMetaError(errors['131053'])).toEqual({
      kind: 'CONTENT_REJECTED',
      code: '131053',
      message: 'Media upload error',
      permanent: true,
    });
    // Outside the 24 h window only a template may go: permanent for this content, so the cascade moves on.
    expect(classifyMetaError(errors['131047'])).toEqual({
      kind: 'CONTENT_REJECTED',
      code: '131047',
      message: 'Re-engagement message',
      permanent: true,
    });
    expect(classifyMetaError(errors['190'])).toMatchObject({ kind: 'AUTH', code: '190', permanent: false });
  });

  it.each<[number, ChannelErrorKind, boolean]>([
    [131026, 'NOT_REACHABLE', true],
    [131047, 'CONTENT_REJECTED', true],
    [132000, 'TEMPLATE_NOT_APPROVED', true],
    [132001, 'TEMPLATE_NOT_APPROVED', true],
    [132015, 'TEMPLATE_NOT_APPROVED', true],
    [132016, 'TEMPLATE_NOT_APPROVED', true],
    [4, 'RATE_LIMITED', false],
    [80007, 'RATE_LIMITED', false],
    [130429, 'RATE_LIMITED', false],
    [131056, 'RATE_LIMITED', false],
    [0, 'AUTH', false],
    [190, 'AUTH', false],
    [200, 'AUTH', false],
    [131000, 'TEMPORARY', false],
    [131050, 'NO_CONSENT', true],
    [131021, 'INVALID_ADDRESS', true],
    [130472, 'NOT_REACHABLE', true],
    [100, 'CONTENT_REJECTED', true],
    [131051, 'CONTENT_REJECTED', true],
    [135000, 'UNKNOWN', true],
  ])('should classify code %d as %s (permanent: %s)', (code, kind, permanent) => {
    const error = classifyMetaError({ code, title: 'Meta title' });
    expect(error).toEqual({ kind, code: String(code), message: 'Meta title', permanent });
  });

  it('should read a code sent as a string', () => {
    expect(classifyMetaError({ code: '131026', message: 'Message undeliverable' })).toEqual({
      kind: 'NOT_REACHABLE',
      code: '131026',
      message: 'Message undeliverable',
      permanent: true,
    });
  });

  it('should ignore Retry-After on errors that are not rate limits', () => {
    expect(classifyMetaError({ code: 131000 }, { httpStatus: 500, retryAfter: '5' })).not.toHaveProperty(
      'retryAfterSeconds',
    );
  });
});

describe(parseWhatsAppRetryAfter.name, () => {
  it('should read seconds and HTTP dates, and nothing else', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseWhatsAppRetryAfter('30', now)).toBe(30);
    expect(parseWhatsAppRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60);
    expect(parseWhatsAppRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseWhatsAppRetryAfter('soon', now)).toBeUndefined();
    expect(parseWhatsAppRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe(classifyWhatsAppTransportError.name, () => {
  it('should make timeouts and network failures temporary', () => {
    expect(classifyWhatsAppTransportError('ECONNABORTED')).toMatchObject({
      kind: 'TEMPORARY',
      code: 'TIMEOUT',
      permanent: false,
    });
    expect(classifyWhatsAppTransportError('ETIMEDOUT')).toMatchObject({ kind: 'TEMPORARY', code: 'TIMEOUT' });
    expect(classifyWhatsAppTransportError('ECONNREFUSED')).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNREFUSED' });
    expect(classifyWhatsAppTransportError(undefined)).toMatchObject({ kind: 'TEMPORARY', code: 'NETWORK_ERROR' });
  });
});
