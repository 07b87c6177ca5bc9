import { describe, expect, it } from '@jest/globals';
import { ChannelSendError } from '../channel.port.js';
import { classifyTwilioError, classifyTwilioErrorCode, mapTwilioStatus, parseRetryAfter } from './twilio-errors.js';

/** The shape of the SDK's RestException. */
const rest = (status: number, code?: number, message = 'Twilio says no') => ({
  status,
  code,
  message,
  moreInfo: code ? `https://www.twilio.com/docs/errors/${code}` : undefined,
});

describe(classifyTwilioError.name, () => {
  it.each([
    [21211, 'INVALID_ADDRESS'],
    [21614, 'NOT_REACHABLE'],
    [21635, 'NOT_REACHABLE'],
    [30003, 'NOT_REACHABLE'],
    [30005, 'NOT_REACHABLE'],
    [30006, 'NOT_REACHABLE'],
    [21610, 'NO_CONSENT'],
    [21408, 'CONTENT_REJECTED'],
    [21612, 'CONTENT_REJECTED'],
    [30007, 'CONTENT_REJECTED'],
  ])('should classify Twilio code %i as permanent %s', (code, kind) => {
    expect(classifyTwilioError(rest(400, code, 'nope'))).toEqual({
      kind,
      code: String(code),
      message: 'nope',
      permanent: true,
    });
  });

  it('should classify 20429 and HTTP 429 as a temporary RATE_LIMITED with the Retry-After seconds', () => {
    expect(classifyTwilioError({ ...rest(429, 20429), retryAfterSeconds: 12 })).toEqual({
      kind: 'RATE_LIMITED',
      code: '20429',
      message: 'Twilio says no',
      permanent: false,
      retryAfterSeconds: 12,
    });
    expect(classifyTwilioError(rest(429))).toMatchObject({ kind: 'RATE_LIMITED', code: 'HTTP_429', permanent: false });
    expect(classifyTwilioError(rest(429)).retryAfterSeconds).toBeUndefined();
  });

  it('should classify 20003 and HTTP 401 as AUTH, temporary so that a fixed token lets the attempt go on', () => {
    expect(classifyTwilioError(rest(401, 20003))).toMatchObject({ kind: 'AUTH', code: '20003', permanent: false });
    expect(classifyTwilioError(rest(401))).toMatchObject({ kind: 'AUTH', code: 'HTTP_401', permanent: false });
  });

  it('should classify 5xx as TEMPORARY', () => {
    expect(classifyTwilioError(rest(503))).toMatchObject({ kind: 'TEMPORARY', code: 'HTTP_503', permanent: false });
    expect(classifyTwilioError(rest(500, 20500))).toMatchObject({ kind: 'TEMPORARY', code: '20500' });
  });

  it('should classify other 4xx as a permanent UNKNOWN, keeping the code', () => {
    expect(classifyTwilioError(rest(400, 21603))).toMatchObject({ kind: 'UNKNOWN', code: '21603', permanent: true });
    expect(classifyTwilioError(rest(404, 20404))).toMatchObject({ kind: 'UNKNOWN', code: '20404', permanent: true });
  });

  it('should read an RFC 9457 problem (title, detail) when there is no message', () => {
    const problem = { status: 400, code: 21211, title: 'Invalid To', detail: "'To' is not a valid number" };
    expect(classifyTwilioError(problem)).toMatchObject({ kind: 'INVALID_ADDRESS', message: problem.detail });
  });

  it('should classify network failures and timeouts as TEMPORARY', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyTwilioError(refused)).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNREFUSED', permanent: false });
    const timeout = Object.assign(new Error('timeout of 10ms exceeded'), { code: 'ECONNABORTED' });
    expect(classifyTwilioError(timeout)).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNABORTED' });
    expect(classifyTwilioError(new Error('socket hang up'))).toMatchObject({
      kind: 'TEMPORARY',
      code: 'NETWORK_ERROR',
    });
  });

  it('should pass an already classified error through', () => {
    const error = { kind: 'NO_CONSENT' as const, code: 'X', message: 'm', permanent: true };
    expect(classifyTwilioError(new ChannelSendError(error))).toBe(error);
  });
});

describe(classifyTwilioErrorCode.name, () => {
  it('should classify a callback ErrorCode with the same table', () => {
    expect(classifyTwilioErrorCode('30003')).toEqual({
      kind: 'NOT_REACHABLE',
      code: '30003',
      message: 'Twilio error 30003',
      permanent: true,
    });
    expect(classifyTwilioErrorCode('21610', 'Unsubscribed recipient')).toMatchObject({
      kind: 'NO_CONSENT',
      message: 'Unsubscribed recipient',
    });
    expect(classifyTwilioErrorCode(30008)).toMatchObject({ kind: 'UNKNOWN', code: '30008', permanent: true });
  });
});

describe(parseRetryAfter.name, () => {
  it('should read delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe(mapTwilioStatus.name, () => {
  it.each([
    ['queued', null],
    ['accepted', null],
    ['scheduled', null],
    ['sending', null],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
    ['received', null],
    ['some_future_status', null],
    ['constructor', null],
  ])('should map %s to %s', (twilioStatus, herald) => {
    expect(mapTwilioStatus(twilioStatus)).toBe(herald);
  });
});
