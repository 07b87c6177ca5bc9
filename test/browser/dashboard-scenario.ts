import { eventually, type TestHerald } from '../support/herald.js';
import { triggersApi } from '../support/triggers-api.js';

/**
 * A small workspace history, made through the public API only, with sandbox outcomes chosen by the recipient
 * (API §4 "Sandbox channels": 0001 fails, 0002 is not on WhatsApp, 0004 retries twice, 0005 is read):
 * SMS and email sends, WhatsApp → SMS cascades, a trigger that fires (and is once capped) with a conversion,
 * and a broadcast with conversions. Resolves once every message has reached the status its recipient decides.
 */
export async function seedScenario(herald: TestHerald, key: string): Promise<{ trigger: string; broadcast: string }> {
  const t = triggersApi(herald, key);
  const sends: { body: Record<string, unknown>; until: string }[] = [
    { body: sms('+447700900101'), until: 'delivered' },
    { body: sms('+447700900005'), until: 'read' },
    { body: sms('+447700900001'), until: 'failed' },
    { body: sms('+447700900004'), until: 'delivered' },
    { body: email('ana.1001@example.com'), until: 'delivered' },
    { body: email('fail-0001@example.com'), until: 'failed' },
    { body: cascade('+447700900102'), until: 'delivered' },
    { body: cascade('+447700900005'), until: 'read' },
    { body: cascade('+447700900002'), until: 'delivered' },
    { body: cascade('+447700900001'), until: 'failed' },
  ];
  const sent = await Promise.all(
    sends.map(async ({ body, until }) => {
      const answer = await t.api('POST', '/v1/messages', body);
      if (answer.status !== 202) throw new Error(`send refused: ${answer.status} ${JSON.stringify(answer.body)}`);
      return { id: answer.body.id as string, until };
    }),
  );

  for (const [id, phone] of [
    ['dash-ana', '+447700900111'],
    ['dash-ben', '+447700900112'],
    ['dash-cy', '+447700900113'],
    ['dash-dee', '+447700900002'],
  ]) {
    await t.contact(id, { phone });
  }
  const trigger = await t.createTrigger({
    name: 'Welcome series',
    when: { event: 'signed_up' },
    send: { channels: ['sms'], content: { text: 'Welcome to the shop' } },
    limits: { cap: { max: 1, per: '24h' } },
    conversion: { event: 'first_order', within: '1h' },
  });
  for (const contactId of ['dash-ana', 'dash-ben', 'dash-cy']) await t.track(contactId, 'signed_up');
  await t.settled(trigger, 'dash-cy');
  await t.track('dash-cy', 'signed_up'); // capped: one welcome per day
  const created = await t.api('POST', '/v1/broadcasts', {
    name: 'Spring sale',
    audience: { contactIds: ['dash-ana', 'dash-ben', 'dash-dee'] },
    message: { channels: ['whatsapp', 'sms'], content: { text: 'Spring sale: 20% off today' } },
    conversion: { event: 'purchased', within: '1h' },
  });
  if (created.status !== 201) throw new Error(`broadcast refused: ${created.status} ${JSON.stringify(created.body)}`);
  const broadcast = created.body.id as string;

  const triggerStats = () => t.api('GET', `/v1/triggers/${trigger}/stats`).then((r) => r.body);
  const broadcastStats = () => t.api('GET', `/v1/broadcasts/${broadcast}/stats`).then((r) => r.body);
  // Conversions count only after the send, so each comes once its message is delivered.
  await waitFor(triggerStats, (s) => s.delivered === 3 && s.suppressed?.cap === 1, 'trigger sends');
  await t.track('dash-ana', 'first_order');
  await waitFor(broadcastStats, (s) => s.delivered === 3 && s.pending === 0, 'broadcast sends');
  await t.track('dash-ben', 'purchased');
  await t.track('dash-dee', 'purchased');
  await waitFor(triggerStats, (s) => s.converted === 1, 'trigger conversion');
  await waitFor(broadcastStats, (s) => s.converted === 2, 'broadcast conversions');

  for (const { id, until } of sent) {
    await waitFor(
      () => t.api('GET', `/v1/messages/${id}`).then((r) => r.body),
      (m) => m.status === until,
      id,
    );
  }
  return { trigger, broadcast };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const value = await eventually(read, done, 15_000);
  if (!done(value)) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
  return value;
}

const sms = (phone: string) => ({ to: { phone }, channels: ['sms'], content: { text: 'Your order has shipped' } });

const email = (address: string) => ({
  to: { email: address },
  channels: ['email'],
  content: { text: 'Your receipt is attached', email: { subject: 'Your receipt' } },
});

const cascade = (phone: string) => ({
  to: { phone },
  channels: ['whatsapp', 'sms'],
  content: { text: 'Your table is ready' },
  fallback: { after: '30s' },
});
