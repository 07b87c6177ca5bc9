import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startHerald, type TestHerald } from './support/herald.js';

describe('cascade smoke', () => {
  let herald: TestHerald;
  let key: string;

  beforeAll(async () => {
    herald = await startHerald();
    key = (await herald.createWorkspace()).apiKey;
  });
  afterAll(() => herald.close());

  it('should fall back from WhatsApp to SMS for a number that is not on WhatsApp', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { phone: '+447700900002' }, channels: ['whatsapp', 'sms'], content: { text: 'Hi' } },
    });
    expect(sent.status).toBe(202);
    const message = await eventually(
      async () => (await herald.request('GET', `/v1/messages/${sent.body.id}`, { key })).body,
      (m) => m.status === 'delivered',
    );
    expect(message.status).toBe('delivered');
    expect(message.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([
      ['whatsapp', 'skipped'],
      ['sms', 'delivered'],
    ]);
  });
});
