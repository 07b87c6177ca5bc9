import { describe, expect, it } from '@jest/globals';
import { callbackBody } from './callback-payload.js';
import { signCallback, verifyCallback } from './callback-signature.js';

const SECRET = 'whsec_0123456789abcdef';
const BODY = '{"id":"evt_1","type":"message.status"}';

describe(signCallback.name, () => {
  it('should match a vector computed outside Node (openssl dgst -sha256 -hmac)', () => {
    // printf '%s' '1700000000.{"id":"evt_1","type":"message.status"}' | openssl dgst -sha256 -hmac 'whsec_0123456789abcdef'
    expect(signCallback(SECRET, BODY, 1_700_000_000)).toBe(
      't=1700000000,v1=4297f75b77481c1a4f9876e5dac12e0c680f85527b37f8e1bf7c70c0f584eea7',
    );
  });

  it('should sign whole seconds', () => {
    expect(signCallback(SECRET, BODY, 1_700_000_000.9)).toBe(signCallback(SECRET, BODY, 1_700_000_000));
  });
});

describe(verifyCallback.name, () => {
  const now = 1_700_000_100;
  const header = signCallback(SECRET, BODY, 1_700_000_000);

  it('should accept the body it signed, within the tolerance', () => {
    expect(verifyCallback(SECRET, BODY, header, now)).toBe(true);
  });

  it('should refuse a tampered body, another secret, a stale timestamp or a malformed header', () => {
    expect(verifyCallback(SECRET, BODY.replace('evt_1', 'evt_2'), header, now)).toBe(false);
    expect(verifyCallback('whsec_another_secret_1', BODY, header, now)).toBe(false);
    expect(verifyCallback(SECRET, BODY, header, 1_700_000_000 + 301)).toBe(false);
    expect(verifyCallback(SECRET, BODY, 'v1=00', now)).toBe(false);
    expect(verifyCallback(SECRET, BODY, header.replace('t=1700000000', 't=1700000001'), now)).toBe(false);
  });

  it('should accept any of several v1 signatures (a receiver rotating secrets)', () => {
    const other = signCallback('whsec_another_secret_1', BODY, 1_700_000_000).split(',')[1];
    expect(verifyCallback(SECRET, BODY, `${header},${other}`, now)).toBe(true);
  });
});

describe(callbackBody.name, () => {
  it('should write API §9 fields in a fixed order, whatever order the stored data has', () => {
    const body = callbackBody(
      'evt_9',
      {
        reference: 'order-1',
        attempt: {
          status: 'failed',
          provider: 'sandbox',
          error: { permanent: true, message: 'no', code: 'X' },
          channel: 'sms',
          id: 'att_1',
        },
        channel: 'sms',
        status: 'failed',
        id: 'msg_1',
      },
      new Date('2026-01-02T03:04:05.678Z'),
    );
    expect(body).toBe(
      '{"id":"evt_9","type":"message.status","data":{"id":"msg_1","status":"failed","channel":"sms",' +
        '"attempt":{"id":"att_1","channel":"sms","provider":"sandbox","status":"failed",' +
        '"error":{"code":"X","message":"no","permanent":true}},"reference":"order-1","at":"2026-01-02T03:04:05.678Z"}}',
    );
  });

  it('should give null for no attempt and no reference', () => {
    const body = JSON.parse(
      callbackBody(
        'evt_1',
        { id: 'msg_1', status: 'accepted', channel: null, attempt: null, reference: null },
        new Date(0),
      ),
    );
    expect(body.data).toEqual({
      id: 'msg_1',
      status: 'accepted',
      channel: null,
      attempt: null,
      reference: null,
      at: '1970-01-01T00:00:00.000Z',
    });
  });
});
