import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { WebhookRequest } from '../channel.port.js';
import { TEMPLATE_EVENTS } from './whatsapp-templates.js';
import { verifyChallenge, WhatsAppWebhookHandler } from './whatsapp-webhook.js';

const FIXTURES = new URL('../../../../test/fixtures/providers/', import.meta.url);
const bytes = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));
const fixture = (name: string): any => JSON.parse(bytes(name).toString('utf8'));

const URL_CALLED = 'https://herald.example/webhooks/whatsapp';
const SECRET = 'test_app_secret';

const webhook = (rawBody: Buffer, signature?: string): WebhookRequest => ({
  rawBody,
  headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  url: URL_CALLED,
});
const sign = (body: Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
/** The parse of one fixture file, or of one keyed payload in it. */
const parse = (name: string, key?: string) => {
  const body = key ? Buffer.from(JSON.stringify(fixture(name)[key])) : bytes(name);
  return new WhatsAppWebhookHandler({ appSecret: SECRET }).parse(webhook(body));
};

interface Vector {
  appSecret: string;
  rawBody?: string;
  rawBodyFile?: string;
  signature: string;
}
const vectors = (fixture('whatsapp-signature-vectors.json').cases as Vector[]).map(
  (v) => [v.rawBodyFile ?? v.rawBody!.slice(0, 30), v] as const,
);

describe(WhatsAppWebhookHandler.name, () => {
  describe('verify', () => {
    it.each(vectors)('should accept the published signature over %s', (_, vector) => {
      const body = vector.rawBodyFile ? bytes(vector.rawBodyFile) : Buffer.from(vector.rawBody!, 'utf8');
      const handler = new WhatsAppWebhookHandler({ appSecret: vector.appSecret });
      expect(handler.verify(webhook(body, vector.signature))).toBe(true);
    });

    it.each(vectors)('should refuse a changed body or another secret for %s', (_, vector) => {
      const body = vector.rawBodyFile ? bytes(vector.rawBodyFile) : Buffer.from(vector.rawBody!, 'utf8');
      const handler = new WhatsAppWebhookHandler({ appSecret: vector.appSecret });
      expect(handler.verify(webhook(Buffer.concat([body, Buffer.from(' ')]), vector.signature))).toBe(false);
      expect(new WhatsAppWebhookHandler({ appSecret: 'other' }).verify(webhook(body, vector.signature))).toBe(false);
    });

    it('should sign the raw bytes, not a re-serialisation of the JSON', () => {
      const raw = bytes('whatsapp-webhook-status-sent-pmp.json');
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
      const handler = new WhatsAppWebhookHandler({ appSecret: SECRET });
      expect(handler.verify(webhook(reserialised, sign(raw)))).toBe(false);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['without its sha256= prefix', sign(Buffer.from('test'), 'secret').slice('sha256='.length)],
      ['with another algorithm', sign(Buffer.from('test'), 'secret').replace('sha256=', 'sha1=')],
      ['truncated', sign(Buffer.from('test'), 'secret').slice(0, -2)],
      ['not hex', `sha256=${'z'.repeat(64)}`],
    ])('should refuse a signature header that is %s', (_, signature) => {
      const handler = new WhatsAppWebhookHandler({ appSecret: 'secret' });
      expect(handler.verify(webhook(Buffer.from('test'), signature))).toBe(false);
    });

    it('should refuse to run without an app secret', () => {
      expect(() => new WhatsAppWebhookHandler({ appSecret: '' })).toThrow(/app secret/);
    });
  });

  describe('parse', () => {
    it('should turn an inbound text into an inbound event', () => {
      expect(parse('whatsapp-webhook-inbound-text.json')).toEqual([
        {
          kind: 'inbound',
          channel: 'whatsapp',
          provider: 'whatsapp-cloud',
          providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
          from: '+16505551234',
          to: '+15550783881',
          text: 'Does it come in another color?',
          at: new Date(1749416383 * 1000),
          raw: fixture('whatsapp-webhook-inbound-text.json').entry[0].changes[0].value.messages[0],
        },
      ]);
    });

    it('should keep an unsupported inbound message, without text, with its errors in raw', () => {
      const [event] = parse('whatsapp-webhook-inbound-unsupported-error.json');
      expect(event).toMatchObject({
        kind: 'inbound',
        providerMessageId: 'wamid.HBgLMTQyMDU1NTA3NDkVAgASGBI5N0MwRjg0RTVBNUI1RDA2OTkA',
        from: '+16505551234',
        at: new Date(1750090702 * 1000),
        raw: { type: 'unsupported', errors: [{ code: 131051 }] },
      });
      expect(event).not.toHaveProperty('text');
    });

    it.each([
      ['whatsapp-webhook-status-sent-pmp.json', 'sent'],
      ['whatsapp-webhook-status-delivered.json', 'delivered'],
      ['whatsapp-webhook-status-read.json', 'read'],
    ])('should turn %s into a %s status report', (name, status) => {
      const raw = fixture(name).entry[0].changes[0].value.statuses[0];
      expect(parse(name)).toEqual([
        {
          kind: 'status',
          report: {
            provider: 'whatsapp-cloud',
            providerMessageId: 'ABGGFlA5Fpa',
            status,
            at: new Date('2017-09-08T20:36:28Z'),
            // Meta's billing, when the fixture has it (only the PMP one does).
            ...(raw.pricing ? { pricing: { category: 'marketing', billable: true, type: 'regular' } } : {}),
            raw,
          },
        },
      ]);
    });

    it("should report Meta's billing (category, billable, type) so it can win over the estimate", () => {
      const [event] = parse('whatsapp-webhook-status-sent-pmp.json');
      expect(event).toMatchObject({ report: { pricing: { category: 'marketing', billable: true, type: 'regular' } } });
    });

    it('should keep pricing and conversation in raw', () => {
      const [event] = parse('whatsapp-webhook-status-sent-pmp.json');
      expect(event).toMatchObject({
        report: {
          raw: {
            pricing: { pricing_model: 'PMP', type: 'regular', category: 'marketing' },
            conversation: { id: 'CONVERSATION_ID', origin: { type: 'marketing' } },
          },
        },
      });
    });

    it.each([
      ['sent', 'wamid.xyzxyz', 'sent', 1698266945],
      ['delivered', 'wamid.xyzxyz', 'delivered', 1698266945],
      ['read', 'wamid.xyzxyz', 'read', 1689380458],
      ['played', 'wamid.xyzxyz', 'read', 1689380458],
      ['failed', 'wamid.xyzxyz', 'failed', 1689380458],
      ['with_tracker', 'wamid.xyzxyz', 'sent', 1698266945],
      ['group', '<WHATSAPP_MESSAGE_ID>', 'read', 1698266945],
    ])('should parse the pywa %s payload', (key, providerMessageId, status, seconds) => {
      const events = parse('whatsapp-webhook-statuses-pywa.json', key);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        kind: 'status',
        report: { provider: 'whatsapp-cloud', providerMessageId, status, at: new Date(seconds * 1000) },
      });
    });

    it('should carry the classified error of a failed status', () => {
      const [event] = parse('whatsapp-webhook-statuses-pywa.json', 'failed');
      expect(event).toMatchObject({
        report: {
          status: 'failed',
          error: {
            kind: 'NOT_REACHABLE',
            code: '130472',
            message: "User's number is part of an experiment",
            permanent: true,
          },
        },
      });
    });

    it('should only report errors on failed statuses', () => {
      for (const key of ['sent', 'delivered', 'read', 'played', 'with_tracker', 'group']) {
        expect(parse('whatsapp-webhook-statuses-pywa.json', key)[0]).not.toHaveProperty('report.error');
      }
    });

    it('should keep the tracker data in raw', () => {
      expect(parse('whatsapp-webhook-statuses-pywa.json', 'with_tracker')[0]).toMatchObject({
        report: { raw: { biz_opaque_callback_data: 'some data' } },
      });
    });

    it('should report a failure without error detail as a permanent unknown error', () => {
      const body = {
        object: 'whatsapp_business_account',
        entry: [
          {
            changes: [
              { field: 'messages', value: { statuses: [{ id: 'wamid.1', status: 'failed', timestamp: '1' }] } },
            ],
          },
        ],
      };
      const handler = new WhatsAppWebhookHandler({ appSecret: SECRET });
      expect(handler.parse(webhook(Buffer.from(JSON.stringify(body))))).toMatchObject([
        { report: { status: 'failed', error: { kind: 'UNKNOWN', permanent: true } } },
      ]);
    });

    describe('template events', () => {
      const TEMPLATE_STATUS = 'whatsapp-webhook-template-status-update-pywa.json';
      const TEMPLATE_CATEGORY = 'whatsapp-webhook-template-category-update-pywa.json';
      const handler = () => new WhatsAppWebhookHandler({ appSecret: SECRET });
      /** One template change in Meta's envelope, with `message_template_id` written as a bare JSON number. */
      const envelope = (field: string, value: Record<string, unknown>, entry: Record<string, unknown> = {}) =>
        Buffer.from(
          JSON.stringify({
            object: 'whatsapp_business_account',
            entry: [{ id: '102290129340398', time: 1751247548, ...entry, changes: [{ value, field }] }],
          }),
        );
      const statusValue = (event: string, extra: Record<string, unknown> = {}) => ({
        event,
        message_template_id: 1689556908129832,
        message_template_name: 'order_confirmation',
        message_template_language: 'en_US',
        reason: 'NONE',
        message_template_category: 'UTILITY',
        ...extra,
      });

      it('should turn the pywa APPROVED update into a template-status event, keeping reason NONE', () => {
        expect(parse(TEMPLATE_STATUS, 'approved')).toEqual([
          {
            kind: 'template-status',
            provider: 'whatsapp-cloud',
            accountId: '102290129340398',
            providerTemplateId: '1689556908129832',
            name: 'order_confirmation',
            language: 'en_US',
            event: 'APPROVED',
            reason: 'NONE',
            category: 'UTILITY',
            at: new Date(1751247548 * 1000),
            raw: fixture(TEMPLATE_STATUS).approved.entry[0].changes[0].value,
          },
        ]);
      });

      it('should carry the rejection info of the pywa REJECTED update', () => {
        expect(parse(TEMPLATE_STATUS, 'rejected')).toEqual([
          {
            kind: 'template-status',
            provider: 'whatsapp-cloud',
            accountId: '102290129340398',
            providerTemplateId: '1689556908129835',
            name: 'abandoned_cart',
            language: 'en',
            event: 'REJECTED',
            reason: 'INVALID_FORMAT',
            category: 'MARKETING',
            detail: {
              rejectionInfo: {
                reason:
                  'Your template has parameters placed next to each other (like {{1}}{{2}}) without text or punctuation between them.',
                recommendation:
                  'Separate parameters with descriptive text and ensure each parameter is clearly contextualized.',
              },
            },
            at: new Date(1751247548 * 1000),
            raw: fixture(TEMPLATE_STATUS).rejected.entry[0].changes[0].value,
          },
        ]);
      });

      it('should turn the pywa category update into a template-category event', () => {
        expect(parse(TEMPLATE_CATEGORY, 'marketing')).toEqual([
          {
            kind: 'template-category',
            provider: 'whatsapp-cloud',
            accountId: '57438975935',
            providerTemplateId: '12345678',
            name: 'my_message_template',
            language: 'he',
            newCategory: 'MARKETING',
            at: new Date(1750344882 * 1000),
            raw: fixture(TEMPLATE_CATEGORY).marketing.entry[0].changes[0].value,
          },
        ]);
      });

      it('should keep the previous and the correct category of a category update', () => {
        const body = envelope('template_category_update', {
          message_template_id: 12345678,
          message_template_name: 'my_message_template',
          message_template_language: 'he',
          previous_category: 'UTILITY',
          new_category: 'MARKETING',
          correct_category: 'MARKETING',
        });
        expect(handler().parse(webhook(body))).toMatchObject([
          {
            kind: 'template-category',
            newCategory: 'MARKETING',
            previousCategory: 'UTILITY',
            correctCategory: 'MARKETING',
          },
        ]);
      });

      it.each(TEMPLATE_EVENTS)('should parse a %s status update', (event) => {
        const events = handler().parse(webhook(envelope('message_template_status_update', statusValue(event))));
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'template-status',
            providerTemplateId: '1689556908129832',
            event,
            reason: 'NONE',
            at: new Date(1751247548 * 1000),
          }),
        ]);
      });

      it('should carry the other info of a PAUSED update', () => {
        const value = statusValue('PAUSED', {
          reason: null,
          other_info: { title: 'FIRST_PAUSE', description: 'Paused for 3 hours because of low quality' },
        });
        const [event] = handler().parse(webhook(envelope('message_template_status_update', value)));
        expect(event).toMatchObject({
          event: 'PAUSED',
          reason: null,
          detail: { otherInfo: { title: 'FIRST_PAUSE', description: 'Paused for 3 hours because of low quality' } },
        });
        expect(event).not.toHaveProperty('detail.rejectionInfo');
      });

      it('should carry the disable date of a DISABLED update', () => {
        const value = statusValue('DISABLED', { disable_info: { disable_date: 'DISABLE_DATE' } });
        expect(handler().parse(webhook(envelope('message_template_status_update', value)))).toMatchObject([
          { event: 'DISABLED', detail: { disableDate: 'DISABLE_DATE' } },
        ]);
        const numeric = statusValue('DISABLED', { disable_info: { disable_date: 1751247600 } });
        expect(handler().parse(webhook(envelope('message_template_status_update', numeric)))).toMatchObject([
          { detail: { disableDate: '1751247600' } },
        ]);
      });

      it('should make a missing reason null and use the current time without entry.time', () => {
        const { reason: _reason, ...value } = statusValue('APPROVED');
        const before = Date.now();
        const [event] = handler().parse(
          webhook(envelope('message_template_status_update', value, { time: undefined })),
        );
        expect(event).toMatchObject({ reason: null });
        expect((event as { at: Date }).at.getTime()).toBeGreaterThanOrEqual(before);
        expect((event as { at: Date }).at.getTime()).toBeLessThanOrEqual(Date.now());
      });

      it('should keep a template id beyond 2^53 exactly as Meta wrote it', () => {
        const body = Buffer.from(
          '{"object":"whatsapp_business_account","entry":[{"id":"1","time":1751247548,"changes":[{"field":' +
            '"message_template_status_update","value":{"event":"APPROVED","message_template_id":123456789012345678901,' +
            '"message_template_name":"x","message_template_language":"en","reason":"NONE"}}]}]}',
        );
        expect(handler().parse(webhook(body))).toMatchObject([{ providerTemplateId: '123456789012345678901' }]);
        const asString = envelope(
          'message_template_status_update',
          statusValue('APPROVED', { message_template_id: '42' }),
        );
        expect(handler().parse(webhook(asString))).toMatchObject([{ providerTemplateId: '42' }]);
      });

      it('should skip a template change without its id or event, or without a new category', () => {
        const { message_template_id: _id, ...noId } = statusValue('APPROVED');
        const { event: _event, ...noEvent } = statusValue('APPROVED');
        for (const body of [
          envelope('message_template_status_update', noId),
          envelope('message_template_status_update', noEvent),
          envelope('message_template_status_update', statusValue('APPROVED', { message_template_id: null })),
          envelope('template_category_update', { message_template_id: 1, message_template_name: 'x' }),
        ]) {
          expect(handler().parse(webhook(body))).toEqual([]);
        }
      });

      it('should still give the statuses of a messages change next to a template change', () => {
        const status = fixture('whatsapp-webhook-status-delivered.json');
        const body = {
          ...status,
          entry: [
            ...status.entry,
            ...fixture(TEMPLATE_STATUS).approved.entry,
            { id: 'x', changes: [null, { field: 'message_template_quality_update', value: { x: 1 } }] },
          ],
        };
        const events = handler().parse(webhook(Buffer.from(JSON.stringify(body))));
        expect(events.map((event) => event.kind)).toEqual(['status', 'template-status']);
        expect(events[0]).toMatchObject({ report: { providerMessageId: 'ABGGFlA5Fpa', status: 'delivered' } });
      });
    });

    it('should skip a status it does not know', () => {
      const body = {
        object: 'whatsapp_business_account',
        entry: [
          { changes: [{ field: 'messages', value: { statuses: [{ id: 'w', status: 'deleted', timestamp: '1' }] } }] },
        ],
      };
      const handler = new WhatsAppWebhookHandler({ appSecret: SECRET });
      expect(handler.parse(webhook(Buffer.from(JSON.stringify(body))))).toEqual([]);
    });

    it('should throw on a body that is not a WhatsApp notification', () => {
      const handler = new WhatsAppWebhookHandler({ appSecret: SECRET });
      expect(() => handler.parse(webhook(Buffer.from('not json')))).toThrow(/not JSON/);
      expect(() => handler.parse(webhook(Buffer.from('null')))).toThrow(/whatsapp_business_account/);
      expect(() => handler.parse(webhook(Buffer.from('{"object":"page","entry":[]}')))).toThrow(
        /whatsapp_business_account/,
      );
    });
  });
});

describe(verifyChallenge.name, () => {
  const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'my-token', 'hub.challenge': '1158201444' };

  it('should return the challenge for a subscribe with the right token', () => {
    expect(verifyChallenge(query, 'my-token')).toBe('1158201444');
    expect(verifyChallenge(new URLSearchParams(query), 'my-token')).toBe('1158201444');
    expect(
      verifyChallenge({ hub: { mode: 'subscribe', verify_token: 'my-token', challenge: '1158201444' } }, 'my-token'),
    ).toBe('1158201444');
  });

  it('should return null for a wrong token, another mode, a missing challenge or no configured token', () => {
    expect(verifyChallenge(query, 'other-token')).toBeNull();
    expect(verifyChallenge({ ...query, 'hub.mode': 'unsubscribe' }, 'my-token')).toBeNull();
    expect(verifyChallenge({ ...query, 'hub.challenge': undefined }, 'my-token')).toBeNull();
    expect(verifyChallenge({ ...query, 'hub.verify_token': undefined }, 'my-token')).toBeNull();
    expect(verifyChallenge({ ...query, 'hub.verify_token': '' }, '')).toBeNull();
    expect(verifyChallenge({}, 'my-token')).toBeNull();
  });
});
