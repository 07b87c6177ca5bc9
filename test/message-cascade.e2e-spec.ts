import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { StatusIngestService } from '../src/dispatch/status-ingest.service.js';
import { startHerald, type TestHerald } from './support/herald.js';
import { attemptSummary, eventTypes, MessageApi, sleep, smsTo, type MessageView } from './message-api.helper.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; the waits below need more than 5 s.
jest.setTimeout(60_000);

const PHONE = '+447700900123';

describe('message cascade', () => {
  let herald: TestHerald;
  let api: MessageApi;

  beforeAll(async () => {
    herald = await startHerald();
    api = new MessageApi(herald, (await herald.createWorkspace('cascade')).apiKey);
  });
  afterAll(() => herald.close());

  const lateReport = (providerMessageId: string, status: 'sent' | 'delivered' | 'read') =>
    herald.app.get(StatusIngestService).ingest({ provider: 'sandbox', providerMessageId, status, at: new Date() });

  it('should fall back to the next channel when the first fails permanently', async () => {
    const id = await api.accept({
      to: { email: 'fail-0001@example.com', phone: PHONE },
      channels: ['email', 'sms'],
      content: { text: 'Your code is 1234', email: { subject: 'Your code' } },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(attemptSummary(message)).toEqual([
      ['email', 'failed'],
      ['sms', 'delivered'],
    ]);
    expect(message.attempts[0].error).toMatchObject({ permanent: true });
    expect(message.channel).toBe('sms');
    const next = message.events.filter((e) => e.type === 'cascade.next');
    expect(next.map((e) => e.channel)).toEqual(['email', 'sms']);
    expect(next[1].detail).toContain('email failed');
  });

  it('should fall back when the first channel cannot reach the recipient (whatsapp 0002)', async () => {
    const id = await api.accept({
      to: { phone: '+447700900002' },
      channels: ['whatsapp', 'viber', 'sms'],
      content: { text: 'Hi' },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(attemptSummary(message)).toEqual([
      ['whatsapp', 'skipped'],
      ['viber', 'skipped'],
      ['sms', 'delivered'],
    ]);
    expect(eventTypes(message).filter((t) => t === 'attempt.skipped')).toHaveLength(2);
  });

  it('should fall back after fallback.after when the first channel stays silent', async () => {
    const id = await api.accept({
      to: { viberId: 'viber-user-0003', phone: PHONE },
      channels: ['viber', 'sms'],
      content: { text: 'Hi' },
      fallback: { after: '1s' },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(attemptSummary(message)).toEqual([
      ['viber', 'submitted'],
      ['sms', 'delivered'],
    ]);
    const timeout = message.events.find((e) => e.type === 'attempt.timeout');
    expect(timeout).toMatchObject({ channel: 'viber', attemptId: message.attempts[0].id });
    expect(message.channel).toBe('sms');
  });

  it('should address a contact by contactId, with its attributes as variables', async () => {
    const put = await api.putContact('cust-42', {
      phone: PHONE,
      email: 'ana@example.com',
      attributes: { name: 'Ana' },
    });
    expect(put.status).toBe(200);

    const id = await api.accept({
      to: { contactId: 'cust-42' },
      channels: ['email'],
      content: { text: 'Hi {{name}}', email: { subject: 'Hello {{name}}' } },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(attemptSummary(message)).toEqual([['email', 'delivered']]);
    expect(message.to).toMatchObject({ email: 'ana@example.com', phone: PHONE });
  });

  it('should let an explicit address override the contact', async () => {
    await api.putContact('cust-override', { phone: '+447700900001' });
    const id = await api.accept({
      to: { contactId: 'cust-override', phone: PHONE },
      channels: ['sms'],
      content: { text: 'Hi' },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(message.to).toMatchObject({ phone: PHONE });
    expect(attemptSummary(message)).toEqual([['sms', 'delivered']]);
  });

  it('should skip a channel with no address for the recipient (NO_ADDRESS)', async () => {
    const id = await api.accept({
      to: { phone: PHONE },
      channels: ['email', 'sms'],
      content: { text: 'Hi', email: { subject: 'Hi' } },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(attemptSummary(message)).toEqual([
      ['email', 'skipped'],
      ['sms', 'delivered'],
    ]);
    expect(message.attempts[0].error).toMatchObject({ code: 'NO_ADDRESS', permanent: true });
  });

  it('should skip a channel the contact has not consented to (NO_CONSENT)', async () => {
    await api.putContact('cust-no-whatsapp', { phone: PHONE, consent: { whatsapp: false } });
    const id = await api.accept({
      to: { contactId: 'cust-no-whatsapp' },
      channels: ['whatsapp', 'sms'],
      content: { text: 'Hi' },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(attemptSummary(message)).toEqual([
      ['whatsapp', 'skipped'],
      ['sms', 'delivered'],
    ]);
    expect(message.attempts[0].error).toMatchObject({ code: 'NO_CONSENT' });
  });

  it('should fail a message when every channel fails', async () => {
    const id = await api.accept({
      to: { email: 'fail-0001@example.com', phone: '+447700900001' },
      channels: ['sms', 'email'],
      content: { text: 'Hi', email: { subject: 'Hi' } },
    });

    const message = await api.untilStatus(id, 'failed');
    expect(attemptSummary(message)).toEqual([
      ['sms', 'failed'],
      ['email', 'failed'],
    ]);
  });

  describe('late delivery of an earlier attempt', () => {
    /** WhatsApp and SMS both stay silent (0003), so the cascade moves on to SMS and waits there. */
    const sendSilentCascade = async (): Promise<MessageView> => {
      const id = await api.accept({
        to: { phone: '+447700900003' },
        channels: ['whatsapp', 'sms'],
        content: { text: 'Hi' },
        fallback: { after: '1s' },
      });
      return api.until(id, (m) => m.attempts.length === 2 && m.attempts[1].status === 'submitted');
    };

    it('should record the late success on the earlier attempt and never send again', async () => {
      const waiting = await sendSilentCascade();
      expect(attemptSummary(waiting)).toEqual([
        ['whatsapp', 'submitted'],
        ['sms', 'submitted'],
      ]);

      expect(await lateReport(waiting.attempts[0].providerMessageId!, 'delivered')).toBe('applied');

      const message = await api.untilStatus(waiting.id, 'delivered');
      expect(message.status).toBe('delivered');
      expect(message.channel).toBe('whatsapp');
      expect(attemptSummary(message)).toEqual([
        ['whatsapp', 'delivered'],
        ['sms', 'submitted'],
      ]);
      const late = message.events.find((e) => e.type === 'cascade.late_success');
      expect(late).toMatchObject({ channel: 'whatsapp', attemptId: waiting.attempts[0].id });

      // Give the dispatcher time to (wrongly) act on it; the fallback timer would have fired by now.
      await sleep(1_500);
      const later = await api.get(waiting.id);
      expect(later.attempts).toHaveLength(2);
      expect(later.status).toBe('delivered');
    });

    it('should record a report for another attempt after the message finished without adding attempts', async () => {
      const waiting = await sendSilentCascade();
      await lateReport(waiting.attempts[0].providerMessageId!, 'delivered');
      await api.untilStatus(waiting.id, 'delivered');

      expect(await lateReport(waiting.attempts[1].providerMessageId!, 'delivered')).toBe('applied');
      await sleep(1_000);
      const message = await api.get(waiting.id);
      expect(attemptSummary(message)).toEqual([
        ['whatsapp', 'delivered'],
        ['sms', 'delivered'],
      ]);
      expect(message).toMatchObject({ status: 'delivered', channel: 'whatsapp' });
      expect(eventTypes(message).filter((t) => t === 'cascade.completed')).toHaveLength(1);
    });

    it('should ignore a success reported for an attempt that already failed', async () => {
      const id = await api.accept(smsTo('+447700900001'));
      const failed = await api.untilStatus(id, 'failed');

      expect(await lateReport(failed.attempts[0].providerMessageId!, 'delivered')).toBe('ignored');
      const message = await api.get(id);
      expect(message.status).toBe('failed');
      expect(attemptSummary(message)).toEqual([['sms', 'failed']]);
      expect(eventTypes(message)).toContain('report.ignored');
    });

    it('should never move a delivered attempt back to sent', async () => {
      const id = await api.accept(smsTo(PHONE));
      const delivered = await api.untilStatus(id, 'delivered');

      expect(await lateReport(delivered.attempts[0].providerMessageId!, 'sent')).toBe('ignored');
      const message = await api.get(id);
      expect(message.status).toBe('delivered');
      expect(attemptSummary(message)).toEqual([['sms', 'delivered']]);
    });
  });
});
