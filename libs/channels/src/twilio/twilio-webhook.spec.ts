import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WebhookRequest } from '../channel.port.js';
import { TwilioWebhookHandler, parseTwilioForm } from './twilio-webhook.js';

type Params = Record<string, string | string[]>;

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../../../test/fixtures/providers/${name}`, import.meta.url), 'utf8')) as T;

interface VectorFile {
  authToken: string;
  params: Params;
  cases: { url: string; signature: string; params?: Params; rawBody?: string; note?: string }[];
}
const vectors = fixture<VectorFile>('twilio-signature-vectors.json');
const statusSent = fixture<Record<string, string>>('twilio-status-callback-sent.params.json');

const AT = new Date('2026-03-01T12:00:00Z');
const URL_PUBLIC = 'https://herald.example.com/webhooks/twilio';
const TOKEN = 'test-auth-token';

function form(params: Params): Buffer {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
  return Buffer.from(body.toString());
}

/** Twilio's algorithm, written out independently of the SDK: HMAC over the URL and the sorted key+value pairs. */
function sign(secret: string, url: string, params: Params, hash: 'sha1' | 'sha256' = 'sha1'): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => {
      const value = params[key];
      const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
      return acc + values.map((item) => key + item).join('');
    }, url);
  return createHmac(hash, secret).update(data, 'utf8').digest('base64');
}

function request(params: Params, url = URL_PUBLIC, signature = sign(TOKEN, url, params)): WebhookRequest {
  return { rawBody: form(params), headers: { 'x-twilio-signature': signature }, url };
}

const handler = new TwilioWebhookHandler({ authToken: TOKEN, now: () => AT });

describe(TwilioWebhookHandler.name, () => {
  describe('verify', () => {
    const vectorHandler = new TwilioWebhookHandler({ authToken: vectors.authToken });

    it.each(vectors.cases.map((vector) => [vector.note ?? vector.url, vector] as const))(
      'should accept the vector: %s',
      (_name, vector) => {
        const rawBody =
          vector.rawBody !== undefined ? Buffer.from(vector.rawBody) : form(vector.params ?? vectors.params);
        const headers = { 'x-twilio-signature': vector.signature };
        expect(vectorHandler.verify({ rawBody, headers, url: vector.url })).toBe(true);
      },
    );

    it('should accept a signature made with the default port when the URL has none, and the reverse', () => {
      const [withoutPort, withPort, , httpWithPort] = vectors.cases;
      const rawBody = form(vectors.params);
      const check = (url: string, signature: string) =>
        vectorHandler.verify({ rawBody, headers: { 'x-twilio-signature': signature }, url });
      expect(check(withoutPort.url, withPort.signature)).toBe(true);
      expect(check(withPort.url, withoutPort.signature)).toBe(true);
      expect(check('http://mycompany.com/myapp.php?foo=1&bar=2', httpWithPort.signature)).toBe(true);
    });

    it('should refuse a signature made for another non-default port', () => {
      const custom = vectors.cases[2];
      const rawBody = form(vectors.params);
      const headers = { 'x-twilio-signature': custom.signature };
      expect(vectorHandler.verify({ rawBody, headers, url: 'http://mycompany.com/myapp.php?foo=1&bar=2' })).toBe(false);
    });

    it('should refuse a changed parameter, another URL, another token, or no signature', () => {
      const valid = request(statusSent);
      expect(handler.verify(valid)).toBe(true);
      expect(handler.verify({ ...valid, rawBody: form({ ...statusSent, MessageStatus: 'delivered' }) })).toBe(false);
      expect(handler.verify({ ...valid, url: `${URL_PUBLIC}?x=1` })).toBe(false);
      expect(new TwilioWebhookHandler({ authToken: 'other' }).verify(valid)).toBe(false);
      expect(handler.verify({ ...valid, headers: {} })).toBe(false);
      expect(handler.verify({ ...valid, headers: { 'x-twilio-signature': 'short' } })).toBe(false);
      expect(handler.verify({ ...valid, url: 'not a url' })).toBe(false);
    });

    it('should refuse a JSON body that does not match its bodySHA256', () => {
      const vector = vectors.cases.find((item) => item.rawBody !== undefined)!;
      const headers = { 'x-twilio-signature': vector.signature };
      const tampered = Buffer.from(vector.rawBody!.replace('true', 'false'));
      expect(vectorHandler.verify({ rawBody: tampered, headers, url: vector.url })).toBe(false);
    });

    it('should check SharedKey webhooks with the shared secret and the algorithm their header names', () => {
      const settings = 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256';
      const signature = sign('shared-secret', URL_PUBLIC, statusSent, 'sha256');
      const shared: WebhookRequest = {
        rawBody: form(statusSent),
        headers: { 'x-twilio-signature': signature, 'x-twilio-webhooks-signature-settings': settings },
        url: URL_PUBLIC,
      };
      expect(new TwilioWebhookHandler({ authToken: TOKEN, sharedKeySecret: 'shared-secret' }).verify(shared)).toBe(
        true,
      );
      expect(handler.verify(shared)).toBe(false);
      const unknownAlgorithm = {
        ...shared,
        headers: { ...shared.headers, 'x-twilio-webhooks-signature-settings': 'algorithm=HMAC_MD5' },
      };
      expect(
        new TwilioWebhookHandler({ authToken: TOKEN, sharedKeySecret: 'shared-secret' }).verify(unknownAlgorithm),
      ).toBe(false);
    });
  });

  describe('parse', () => {
    it('should turn the documented sent callback into a status report', () => {
      const webhook = request(statusSent);
      expect(handler.verify(webhook)).toBe(true);
      expect(handler.parse(webhook)).toEqual([
        {
          kind: 'status',
          report: {
            provider: 'twilio',
            providerMessageId: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
            status: 'sent',
            at: AT,
            raw: statusSent,
          },
        },
      ]);
    });

    it('should classify the ErrorCode of an undelivered or failed message', () => {
      const undelivered = {
        ...statusSent,
        MessageStatus: 'undelivered',
        ErrorCode: '30003',
        RawDlrDoneDate: '2603011200',
      };
      const [event] = handler.parse(request(undelivered));
      expect(event).toMatchObject({
        kind: 'status',
        report: {
          status: 'undelivered',
          error: { kind: 'NOT_REACHABLE', code: '30003', permanent: true },
        },
      });
      const [failed] = handler.parse(request({ ...statusSent, MessageStatus: 'failed', ErrorCode: '21610' }));
      expect(failed).toMatchObject({ report: { status: 'failed', error: { kind: 'NO_CONSENT', code: '21610' } } });
    });

    it('should give a failure without ErrorCode, or a canceled message, a permanent UNKNOWN error', () => {
      const [failed] = handler.parse(request({ ...statusSent, MessageStatus: 'failed' }));
      expect(failed).toMatchObject({ report: { status: 'failed', error: { kind: 'UNKNOWN', permanent: true } } });
      const [canceled] = handler.parse(request({ ...statusSent, MessageStatus: 'canceled' }));
      expect(canceled).toMatchObject({ report: { status: 'failed', error: { code: 'canceled' } } });
    });

    it('should map delivered and read, and report nothing for statuses Herald already knows', () => {
      expect(handler.parse(request({ ...statusSent, MessageStatus: 'delivered' }))).toMatchObject([
        { report: { status: 'delivered' } },
      ]);
      expect(handler.parse(request({ ...statusSent, MessageStatus: 'read' }))).toMatchObject([
        { report: { status: 'read' } },
      ]);
      for (const status of ['queued', 'accepted', 'scheduled', 'sending'])
        expect(handler.parse(request({ ...statusSent, MessageStatus: status }))).toEqual([]);
    });

    const inbound = (text: string, extra: Params = {}): Params => ({
      AccountSid: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      MessageSid: 'SMinbound000000000000000000000001',
      SmsMessageSid: 'SMinbound000000000000000000000001',
      SmsSid: 'SMinbound000000000000000000000001',
      SmsStatus: 'received',
      From: '+447700900123',
      To: '+15017250604',
      Body: text,
      NumSegments: '1',
      ...extra,
    });

    it('should turn an inbound SMS into an inbound event', () => {
      const params = inbound('Is my order on its way?');
      expect(handler.parse(request(params))).toEqual([
        {
          kind: 'inbound',
          channel: 'sms',
          provider: 'twilio',
          providerMessageId: 'SMinbound000000000000000000000001',
          from: '+447700900123',
          to: '+15017250604',
          text: 'Is my order on its way?',
          at: AT,
          raw: params,
        },
      ]);
    });

    it.each([
      ['STOP', false],
      [' stop ', false],
      ['StopAll', false],
      ['unsubscribe', false],
      ['CANCEL', false],
      ['end', false],
      ['Quit\n', false],
      ['START', true],
      ['yes', true],
      ['Unstop', true],
    ])('should add a consent event for the keyword %j', (text, granted) => {
      const events = handler.parse(request(inbound(text)));
      expect(events).toHaveLength(2);
      expect(events[1]).toMatchObject({ kind: 'consent', channel: 'sms', address: '+447700900123', granted, at: AT });
    });

    it('should not read a keyword inside a longer message, nor HELP, as consent', () => {
      expect(handler.parse(request(inbound('please stop texting me')))).toHaveLength(1);
      expect(handler.parse(request(inbound('yes please')))).toHaveLength(1);
      expect(handler.parse(request(inbound('HELP')))).toHaveLength(1);
    });

    it("should follow Advanced Opt-Out's OptOutType for custom keywords", () => {
      const events = handler.parse(request(inbound('arret', { OptOutType: 'STOP' })));
      expect(events[1]).toMatchObject({ kind: 'consent', granted: false });
    });

    it('should recognise an inbound SMS without SmsStatus by its Body and From', () => {
      const { SmsStatus: _status, ...params } = inbound('Hi');
      expect(handler.parse(request(params))).toMatchObject([{ kind: 'inbound', text: 'Hi' }]);
    });

    it('should reject a body that is not a Twilio messaging webhook', () => {
      expect(() => handler.parse(request({ hello: 'world' }))).toThrow(/MessageSid/);
      expect(() => handler.parse(request({ MessageSid: 'SM1' }))).toThrow();
    });
  });

  describe(parseTwilioForm.name, () => {
    it('should decode + and percent escapes and gather repeated keys', () => {
      expect(parseTwilioForm(Buffer.from('From=%2B447700900123&Body=Hi+there&MediaUrl=a&MediaUrl=b'))).toEqual({
        From: '+447700900123',
        Body: 'Hi there',
        MediaUrl: ['a', 'b'],
      });
    });
  });
});
