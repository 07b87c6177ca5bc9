import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WebhookEvent, WebhookRequest } from '../channel.port.js';
import { ViberWebhookHandler } from './viber-webhook.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../../test/fixtures/providers/${name}`, import.meta.url), 'utf8');

interface SignatureVectors {
  header: string;
  cases: { authToken: string; rawBody: string; signature: string }[];
}
const vectors = JSON.parse(fixture('viber-signature-vectors.json')) as SignatureVectors;

const TOKEN = '44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3';
const handler = new ViberWebhookHandler({ authToken: TOKEN });

function webhook(rawBody: string, signature?: string): WebhookRequest {
  return {
    rawBody: Buffer.from(rawBody, 'utf8'),
    headers: signature === undefined ? {} : { 'x-viber-content-signature': signature },
    url: 'https://herald.example/webhooks/viber',
  };
}

const sign = (rawBody: string, token = TOKEN) => createHmac('sha256', token).update(rawBody).digest('hex');
const parse = (rawBody: string): WebhookEvent[] => handler.parse(webhook(rawBody, sign(rawBody)));

function onlyEvent<K extends WebhookEvent['kind']>(
  events: WebhookEvent[],
  kind: K,
): Extract<WebhookEvent, { kind: K }> {
  expect(events).toHaveLength(1);
  expect(events[0].kind).toBe(kind);
  return events[0] as Extract<WebhookEvent, { kind: K }>;
}

describe(ViberWebhookHandler.name, () => {
  describe('verify', () => {
    it('should name the header the vectors use', () => {
      expect(vectors.header.toLowerCase()).toBe('x-viber-content-signature');
      expect(vectors.cases.length).toBeGreaterThan(0);
    });

    it.each(vectors.cases)('should accept the signature vector $signature', ({ authToken, rawBody, signature }) => {
      expect(new ViberWebhookHandler({ authToken }).verify(webhook(rawBody, signature))).toBe(true);
    });

    it.each(vectors.cases)('should refuse the vector $signature with one byte of the body changed', (vector) => {
      const tampered = vector.rawBody.replace('1478683725125', '1478683725126');
      expect(tampered).not.toBe(vector.rawBody);
      const verifier = new ViberWebhookHandler({ authToken: vector.authToken });
      expect(verifier.verify(webhook(tampered, vector.signature))).toBe(false);
    });

    it.each(vectors.cases)('should refuse the vector $signature under another token', ({ rawBody, signature }) => {
      expect(new ViberWebhookHandler({ authToken: 'another-token' }).verify(webhook(rawBody, signature))).toBe(false);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['not hex', 'z'.repeat(64)],
      ['truncated', vectors.cases[0].signature.slice(0, 62)],
      ['prefixed', `sha256=${vectors.cases[0].signature}`],
    ])('should refuse a %s signature header', (_label, signature) => {
      expect(handler.verify(webhook(vectors.cases[0].rawBody, signature))).toBe(false);
    });

    it('should refuse to be built without a token', () => {
      expect(() => new ViberWebhookHandler({ authToken: '' })).toThrow('authToken');
    });
  });

  describe('parse', () => {
    it('should read the seen fixture as read, keeping every digit of message_token', () => {
      const { report } = onlyEvent(parse(fixture('viber-callback-seen.json')), 'status');
      expect(report).toMatchObject({ provider: 'viber', providerMessageId: '4912661846655238145', status: 'read' });
      expect(report.at).toEqual(new Date(1457764197627));
      expect(report.error).toBeUndefined();
    });

    it('should read the failed fixture as a permanent failure with its description', () => {
      const { report } = onlyEvent(parse(fixture('viber-callback-failed.json')), 'status');
      expect(report).toMatchObject({ provider: 'viber', providerMessageId: '4912661846655238145', status: 'failed' });
      expect(report.at).toEqual(new Date(1457764197627));
      expect(report.error).toEqual({
        kind: 'CONTENT_REJECTED',
        code: 'failed',
        message: 'message validation failed',
        permanent: true,
      });
    });

    it('should keep a message_token above 2^53 exactly in a delivered report', () => {
      const raw =
        '{"event":"delivered","timestamp":1457764197627,"message_token":9223372036854775807,"user_id":"u1=="}';
      const { report } = onlyEvent(parse(raw), 'status');
      expect(report.status).toBe('delivered');
      expect(report.providerMessageId).toBe('9223372036854775807');
      // JSON.parse would have said 9223372036854775808: this is why the body is parsed losslessly.
      expect(String((JSON.parse(raw) as { message_token: number }).message_token)).not.toBe('9223372036854775807');
    });

    it('should keep the raw payload serialisable, with the exact token', () => {
      const { report } = onlyEvent(parse(fixture('viber-callback-seen.json')), 'status');
      expect(JSON.parse(JSON.stringify(report.raw))).toMatchObject({ message_token: '4912661846655238145' });
    });

    it('should read subscribed as consent granted for user.id', () => {
      const raw = JSON.stringify({
        event: 'subscribed',
        timestamp: 1457764197627,
        user: { id: '01234567890A=', name: 'Ana', avatar: 'http://avatar.example', country: 'UK', language: 'en' },
      });
      const consent = onlyEvent(parse(raw), 'consent');
      expect(consent).toMatchObject({ channel: 'viber', provider: 'viber', address: '01234567890A=', granted: true });
      expect(consent.at).toEqual(new Date(1457764197627));
    });

    it('should read unsubscribed as consent withdrawn for user_id', () => {
      const raw =
        '{"event":"unsubscribed","timestamp":1457764197627,"user_id":"01234567890A=","message_token":4912661846655238145}';
      const consent = onlyEvent(parse(raw), 'consent');
      expect(consent).toMatchObject({ channel: 'viber', address: '01234567890A=', granted: false });
    });

    it('should read message as inbound text from sender.id', () => {
      const raw =
        '{"event":"message","timestamp":1457764197627,"message_token":4912661846655238145,' +
        '"sender":{"id":"01234567890A=","name":"Ana"},"message":{"type":"text","text":"STOP","tracking_data":"att-1"}}';
      const inbound = onlyEvent(parse(raw), 'inbound');
      expect(inbound).toMatchObject({
        channel: 'viber',
        provider: 'viber',
        providerMessageId: '4912661846655238145',
        from: '01234567890A=',
        text: 'STOP',
      });
      expect(inbound.at).toEqual(new Date(1457764197627));
    });

    it('should read a picture message as inbound without text', () => {
      const raw =
        '{"event":"message","timestamp":1457764197627,"message_token":1,' +
        '"sender":{"id":"01234567890A="},"message":{"type":"picture","media":"https://x.example/p.jpg"}}';
      const inbound = onlyEvent(parse(raw), 'inbound');
      expect(inbound.providerMessageId).toBe('1');
      expect(inbound.text).toBeUndefined();
    });

    it('should produce no event for webhook, conversation_started or an event it does not know', () => {
      expect(parse(vectors.cases[0].rawBody)).toEqual([]);
      const started =
        '{"event":"conversation_started","timestamp":1457764197627,"message_token":4912661846655238145,' +
        '"type":"open","user":{"id":"01234567890A="},"subscribed":false}';
      expect(parse(started)).toEqual([]);
      expect(parse('{"event":"client_status","timestamp":1457764197627}')).toEqual([]);
    });

    it.each([
      ['text that is not JSON', 'event=seen'],
      ['JSON without an event', '{"timestamp":1457764197627}'],
      ['a report without message_token', '{"event":"seen","timestamp":1457764197627,"user_id":"u"}'],
      ['a report without timestamp', '{"event":"delivered","message_token":1,"user_id":"u"}'],
      ['subscribed without user', '{"event":"subscribed","timestamp":1457764197627}'],
    ])('should throw on %s', (_label, raw) => {
      expect(() => parse(raw)).toThrow();
    });
  });
});
