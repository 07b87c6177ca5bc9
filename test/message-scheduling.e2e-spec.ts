import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startHerald, type TestHerald } from './support/herald.js';
import { attemptSummary, eventTypes, expectError, MessageApi, smsTo } from './message-api.helper.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; the waits below need more than 5 s.
jest.setTimeout(60_000);

const PHONE = '+447700900123';
const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString();

describe('scheduled sends, cancel and validity', () => {
  let herald: TestHerald;
  let api: MessageApi;

  beforeAll(async () => {
    herald = await startHerald();
    api = new MessageApi(herald, (await herald.createWorkspace('scheduling')).apiKey);
  });
  afterAll(() => herald.close());

  describe('sendAt', () => {
    it('should hold a scheduled message until sendAt, then deliver it', async () => {
      const sendAt = inMs(2_000);
      const sent = await api.send(smsTo(PHONE, { sendAt }));
      expect(sent.status).toBe(202);
      expect(sent.body.status).toBe('scheduled');

      const held = await api.get(sent.body.id);
      expect(held).toMatchObject({ status: 'scheduled', sendAt, attempts: [] });
      expect(eventTypes(held)).toEqual(['message.scheduled']);

      const message = await api.untilStatus(sent.body.id, 'delivered');
      expect(attemptSummary(message)).toEqual([['sms', 'delivered']]);
      expect(Date.parse(message.attempts[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(sendAt));
    });

    it('should send at once when sendAt is in the past', async () => {
      const sent = await api.send(smsTo(PHONE, { sendAt: inMs(-60_000) }));
      expect(sent.status).toBe(202);
      expect(sent.body.status).toBe('accepted');
      expect((await api.untilStatus(sent.body.id, 'delivered')).status).toBe('delivered');
    });

    it('should count validity from sendAt, not from acceptance', async () => {
      const id = await api.accept(smsTo(PHONE, { sendAt: inMs(2_000), validity: '1s' }));

      const message = await api.untilStatus(id, 'delivered');
      expect(message.status).toBe('delivered');
    });
  });

  describe('POST /v1/messages/{id}/cancel', () => {
    it('should cancel a scheduled message so that it never gets an attempt', async () => {
      const sendAt = inMs(1_500);
      const canceled = await api.accept(smsTo(PHONE, { sendAt }));
      // A twin scheduled for the same moment shows when the dispatcher has been past sendAt.
      const twin = await api.accept(smsTo(PHONE, { sendAt }));

      const answer = await api.cancel(canceled);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: canceled, status: 'canceled', attempts: [] });

      await api.untilStatus(twin, 'delivered');
      const message = await api.get(canceled);
      expect(message.status).toBe('canceled');
      expect(message.attempts).toEqual([]);
      expect(eventTypes(message)).toEqual(['message.scheduled', 'message.canceled']);
    });

    it('should answer 409 for a message that was already delivered', async () => {
      const id = await api.accept(smsTo(PHONE));
      await api.untilStatus(id, 'delivered');

      expectError(await api.cancel(id), 409, 'CONFLICT');
      expect((await api.get(id)).status).toBe('delivered');
    });

    it('should answer 409 for a message that was already canceled', async () => {
      const id = await api.accept(smsTo(PHONE, { sendAt: inMs(3_600_000) }));
      expect((await api.cancel(id)).status).toBe(200);

      expectError(await api.cancel(id), 409, 'CONFLICT');
    });

    it('should answer 409 for a message whose attempt already reached the provider', async () => {
      const id = await api.accept(smsTo('+447700900003'));
      await api.until(id, (m) => m.attempts[0]?.status === 'submitted');

      expectError(await api.cancel(id), 409, 'CONFLICT');
      expect((await api.get(id)).status).toBe('sending');
    });

    it('should answer 404 for an unknown message', async () => {
      expectError(await api.cancel('msg_0000000000000000000000000000dead'), 404, 'NOT_FOUND');
      expectError(await api.cancel('not-even-an-id'), 404, 'NOT_FOUND');
    });
  });

  describe('validity', () => {
    it('should make no further attempt once validity has ended, even with channels left', async () => {
      const id = await api.accept({
        to: { viberId: 'viber-user-0003', phone: PHONE },
        channels: ['viber', 'sms'],
        content: { text: 'Hi' },
        fallback: { after: '60s' },
        validity: '1s',
      });

      const message = await api.untilStatus(id, 'expired');
      expect(message.status).toBe('expired');
      expect(attemptSummary(message)).toEqual([['viber', 'submitted']]);
    });

    it('should keep a delivered message delivered when validity ends before a stricter successOn', async () => {
      const id = await api.accept(smsTo(PHONE, { validity: '2s', fallback: { successOn: 'read' } }));

      const message = await api.until(id, (m) => eventTypes(m).includes('cascade.ended') || m.status === 'expired');
      expect(message.status).toBe('delivered');
      expect(attemptSummary(message)).toEqual([['sms', 'delivered']]);
      expect(eventTypes(message)).not.toContain('message.expired');
    });

    it('should end a cascade that delivered short of "read" on every channel without expiring it', async () => {
      const id = await api.accept({
        to: { phone: PHONE },
        channels: ['whatsapp', 'sms'],
        content: { text: 'Hi' },
        fallback: { after: '1s', successOn: 'read' },
        validity: '3s',
      });

      const message = await api.until(id, (m) => eventTypes(m).includes('cascade.ended') || m.status === 'expired');
      expect(message.status).toBe('delivered');
      expect(attemptSummary(message)).toEqual([
        ['whatsapp', 'delivered'],
        ['sms', 'delivered'],
      ]);
    });

    it('should accept validity as a number of seconds and as ISO 8601', async () => {
      const seconds = await api.get(await api.accept(smsTo(PHONE, { validity: 90 })));
      const iso = await api.get(await api.accept(smsTo(PHONE, { validity: 'PT2H' })));

      expect(Date.parse(seconds.validUntil!) - Date.parse(seconds.createdAt)).toBeGreaterThanOrEqual(89_000);
      expect(Date.parse(seconds.validUntil!) - Date.parse(seconds.createdAt)).toBeLessThanOrEqual(91_000);
      expect(Date.parse(iso.validUntil!) - Date.parse(iso.createdAt)).toBeGreaterThanOrEqual(7_199_000);
      expect(Date.parse(iso.validUntil!) - Date.parse(iso.createdAt)).toBeLessThanOrEqual(7_201_000);
    });
  });
});
