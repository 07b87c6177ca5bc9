import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startHerald, type TestHerald } from './support/herald.js';
import { attemptSummary, eventTypes, MessageApi, smsTo } from './message-api.helper.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; the waits below need more than 5 s.
jest.setTimeout(60_000);

// Each path is driven by the sandbox's recipient-decided outcomes (API §4 "Sandbox channels").
describe('message status paths', () => {
  let herald: TestHerald;
  let api: MessageApi;

  beforeAll(async () => {
    herald = await startHerald();
    api = new MessageApi(herald, (await herald.createWorkspace('status-paths')).apiKey);
  });
  afterAll(() => herald.close());

  it('should deliver a plain SMS through the sandbox provider', async () => {
    const sent = await api.send(smsTo('+447700900123', { reference: 'plain-delivered' }));
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({
      id: expect.stringMatching(/^msg_/),
      status: 'accepted',
      channels: ['sms'],
      createdAt: expect.any(String),
    });

    const message = await api.untilStatus(sent.body.id, 'delivered');
    expect(message).toMatchObject({ status: 'delivered', channel: 'sms', reference: 'plain-delivered' });
    expect(message.attempts).toHaveLength(1);
    expect(message.attempts[0]).toMatchObject({ channel: 'sms', provider: 'sandbox', status: 'delivered', tries: 1 });
    expect(message.attempts[0].providerMessageId).toEqual(expect.any(String));
    expect(message.attempts[0].submittedAt).toEqual(expect.any(String));
    expect(message.attempts[0].deliveredAt).toEqual(expect.any(String));
    expect(eventTypes(message)).toEqual(
      expect.arrayContaining([
        'message.accepted',
        'cascade.next',
        'attempt.submitted',
        'attempt.delivered',
        'message.delivered',
      ]),
    );
  });

  it('should move a message on to read when the recipient reads it (0005)', async () => {
    const id = await api.accept(smsTo('+447700900005'));

    const message = await api.untilStatus(id, 'read');
    expect(message.status).toBe('read');
    expect(message.attempts).toHaveLength(1);
    expect(message.attempts[0]).toMatchObject({ channel: 'sms', status: 'read' });
    expect(message.attempts[0].deliveredAt).toEqual(expect.any(String));
    expect(message.attempts[0].readAt).toEqual(expect.any(String));
    const types = eventTypes(message);
    expect(types.indexOf('message.delivered')).toBeLessThan(types.indexOf('message.read'));
    // The cascade completes once, when the goal (delivered) is reached; reading it later is not a second completion.
    expect(types.filter((t) => t === 'cascade.completed')).toHaveLength(1);
  });

  it('should fail a single-channel message on a permanent failure (0001)', async () => {
    const id = await api.accept(smsTo('+447700900001'));

    const message = await api.untilStatus(id, 'failed');
    expect(message.status).toBe('failed');
    expect(message.attempts).toHaveLength(1);
    expect(message.attempts[0]).toMatchObject({ channel: 'sms', status: 'failed', error: { permanent: true } });
    expect(message.attempts[0].error!.code).toEqual(expect.any(String));
    expect(message.attempts[0].failedAt).toEqual(expect.any(String));
    expect(eventTypes(message)).toEqual(expect.arrayContaining(['attempt.failed', 'message.failed']));
  });

  it('should reject a message whose only channel cannot reach the recipient (whatsapp 0002)', async () => {
    const id = await api.accept({ to: { phone: '+447700900002' }, channels: ['whatsapp'], content: { text: 'Hi' } });

    const message = await api.untilStatus(id, 'rejected');
    expect(message.status).toBe('rejected');
    expect(attemptSummary(message)).toEqual([['whatsapp', 'skipped']]);
    expect(message.attempts[0].error).toMatchObject({ permanent: true });
    expect(eventTypes(message)).toEqual(expect.arrayContaining(['attempt.skipped', 'message.rejected']));
  });

  it('should retry a temporary error twice and then deliver on the same attempt (0004)', async () => {
    const id = await api.accept(smsTo('+447700900004'));

    const message = await api.untilStatus(id, 'delivered');
    expect(message.status).toBe('delivered');
    expect(message.attempts).toHaveLength(1);
    expect(message.attempts[0]).toMatchObject({ channel: 'sms', status: 'delivered', tries: 3 });
    const types = eventTypes(message);
    expect(types.filter((t) => t === 'attempt.retry_scheduled')).toHaveLength(2);
    expect(types.filter((t) => t === 'attempt.retrying')).toHaveLength(2);
    expect(types.filter((t) => t === 'attempt.submitted')).toHaveLength(1);
  });

  it('should expire a silent message (0003) when its validity ends, without another attempt', async () => {
    const id = await api.accept(smsTo('+447700900003', { validity: '1s' }));

    const message = await api.untilStatus(id, 'expired');
    expect(message.status).toBe('expired');
    expect(message.attempts).toHaveLength(1);
    expect(message.attempts[0]).toMatchObject({ channel: 'sms', status: 'submitted' });
    expect(eventTypes(message)).toContain('message.expired');
  });

  it('should stop the cascade at the first success with successOn "sent"', async () => {
    const id = await api.accept({
      to: { phone: '+447700900123' },
      channels: ['whatsapp', 'sms'],
      content: { text: 'Hi' },
      fallback: { successOn: 'sent', after: '1s' },
    });

    const message = await api.untilStatus(id, 'delivered');
    expect(attemptSummary(message)).toEqual([['whatsapp', 'delivered']]);
    expect(message.channel).toBe('whatsapp');
    expect(eventTypes(message).filter((t) => t === 'cascade.completed')).toHaveLength(1);
  });
});
