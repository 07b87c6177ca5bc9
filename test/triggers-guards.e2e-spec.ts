import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { Clock } from '../src/common/clock.js';
import { RetentionService } from '../src/triggers/retention.service.js';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, sql, useDatabase } from './support/processes.js';
import { outcomes, sms, triggersApi } from './support/triggers-api.js';

/**
 * The guards a firing passes before it sends (API §7): quiet hours in the contact's time zone delay it to the
 * window's end (the engine's injected clock is moved forward to get there), the exit condition cancels a delayed
 * send, and a rule cap, the workspace frequency cap, missing consent and a missing address suppress it with
 * their reasons.
 */
describe('trigger guards', () => {
  let herald: TestHerald;

  beforeAll(async () => {
    useDatabase(await ownDatabase('triggers-guards'));
    herald = await startHerald();
    t = triggersApi(herald, (await herald.createWorkspace('guards')).apiKey);
  });

  afterAll(async () => {
    await herald?.close();
  });

  let t: ReturnType<typeof triggersApi>;
  const api = (method: string, path: string, body?: unknown) => t.api(method, path, body);
  const contact = (id: string, body: Record<string, unknown>) => t.contact(id, body);
  const track = (contactId: string, event: string, properties: Record<string, unknown> = {}) =>
    t.track(contactId, event, properties);
  const createTrigger = (body: Record<string, unknown>) => t.createTrigger(body);
  const firings = (trigger: string, contactId: string) => t.firings(trigger, contactId);
  const settled = (trigger: string, contactId: string, n = 1) => t.settled(trigger, contactId, n);

  describe('quiet hours', () => {
    const zone = 'Asia/Tokyo';
    let clock: Clock;
    let windowEnd: DateTime;
    let trigger: string;
    const realNow = Clock.prototype.now;

    beforeAll(async () => {
      clock = herald.app.get(Clock);
      // A window that holds "now" in Tokyo: from an hour ago to two hours ahead (local wall-clock minutes).
      const local = DateTime.now().setZone(zone);
      const from = local.minus({ hours: 1 }).toFormat('HH:mm');
      const to = local.plus({ hours: 2 }).startOf('minute');
      windowEnd = to;
      trigger = await createTrigger({
        name: 'Cart reminder, not at night',
        when: { event: 'checkout_started' },
        unless: { event: 'order_completed', within: '1s', matchOn: 'properties.cartId' },
        send: sms('Your cart {{cartId}}'),
        limits: { quietHours: { from, to: to.toFormat('HH:mm') } },
      });
    });

    afterAll(() => {
      clock.now = realNow;
    });

    it('should delay the send to the end of the window in the contact time zone, then send', async () => {
      await contact('night-owl', { phone: '+447700900801', timezone: zone });
      await contact('night-buyer', { phone: '+447700900802', timezone: zone });
      await track('night-owl', 'checkout_started', { cartId: 'n-1' });
      await track('night-buyer', 'checkout_started', { cartId: 'n-2' });
      const delayed = await eventually(
        () => firings(trigger, 'night-owl'),
        (list) => list[0]?.delayed !== null && list[0]?.delayed !== undefined,
      );
      expect(delayed).toMatchObject([{ status: 'waiting', delayed: { reason: 'quiet_hours' } }]);
      expect(new Date(delayed[0].delayed!.until).getTime()).toBe(windowEnd.toMillis());
      await eventually(
        () => firings(trigger, 'night-buyer'),
        (list) => list[0]?.delayed !== null && list[0]?.delayed !== undefined,
      );

      // The window closed during quiet hours; the order then arrives before the delayed send: it is canceled.
      await track('night-buyer', 'order_completed', { cartId: 'n-2' });
      expect(outcomes(await settled(trigger, 'night-buyer'))).toEqual(['canceled:exited']);

      // Move the engine's clock to just after the window's end: the delayed send goes.
      const offset = windowEnd.toMillis() - Date.now() + 1000;
      clock.now = () => new Date(Date.now() + offset);
      const [sent] = await settled(trigger, 'night-owl');
      expect(sent).toMatchObject({ status: 'sent', delayed: { reason: 'quiet_hours' } });
      const message = await eventually(
        () => api('GET', `/v1/messages/${sent.messageId}`).then((r) => r.body),
        (m) => m.status === 'delivered',
      );
      expect(message).toMatchObject({ status: 'delivered', trigger: { id: trigger } });
      clock.now = realNow;
    });
  });

  it('should suppress a second send within the rule cap, with the reason', async () => {
    const trigger = await createTrigger({
      name: 'Clicked',
      when: { event: 'clicked' },
      send: sms('Thanks for clicking'),
      limits: { cap: { max: 1, per: '1h' } },
    });
    await contact('capped', { phone: '+447700900811' });
    await track('capped', 'clicked');
    await track('capped', 'clicked');
    await track('capped', 'clicked');
    expect(outcomes(await settled(trigger, 'capped', 3))).toEqual(['sent', 'suppressed:cap', 'suppressed:cap']);
    const stats = (await api('GET', `/v1/triggers/${trigger}/stats`)).body;
    expect(stats).toMatchObject({ fired: 3, sent: 1, suppressed: { cap: 2 } });
  });

  it('should hold all triggered sends to a contact under the workspace frequency cap', async () => {
    const own = triggersApi(herald, (await herald.createWorkspace('frequency')).apiKey);
    expect((await own.api('PUT', '/v1/settings/frequency-cap', { max: 1, per: '1h' })).status).toBe(200);
    const first = await own.createTrigger({ name: 'Visit A', when: { event: 'visited' }, send: sms('A') });
    const second = await own.createTrigger({ name: 'Visit B', when: { event: 'visited' }, send: sms('B') });
    for (const id of ['busy', 'calm']) {
      await own.contact(id, { phone: id === 'busy' ? '+447700900821' : '+447700900822' });
      await own.track(id, 'visited');
      // Each contact has its own allowance: one of the two rules sends, the other is capped.
      const both = [...(await own.settled(first, id)), ...(await own.settled(second, id))];
      expect(outcomes(both)).toEqual(['sent', 'suppressed:frequency_cap']);
    }
    const report = (await own.api('GET', '/v1/reports/triggers')).body.rows;
    const capped = report.reduce((n: number, r: { suppressedByReason: Record<string, number> }) => {
      return n + (r.suppressedByReason.frequency_cap ?? 0);
    }, 0);
    expect(capped).toBe(2);
  });

  it('should drop channels without consent and suppress when none is left', async () => {
    const smsOnly = await createTrigger({ name: 'SMS only', when: { event: 'opted' }, send: sms('Hi') });
    const cascade = await createTrigger({
      name: 'WhatsApp then SMS',
      when: { event: 'opted' },
      send: { channels: ['whatsapp', 'sms'], content: { text: 'Hi' } },
    });
    await contact('no-sms', { phone: '+447700900831', consent: { sms: false } });
    await track('no-sms', 'opted');
    const [refused] = await settled(smsOnly, 'no-sms');
    expect(refused).toMatchObject({ status: 'suppressed', reason: 'no_consent' });
    expect(refused.detail).toContain('sms');
    const [sent] = await settled(cascade, 'no-sms');
    expect(sent.status).toBe('sent');
    const message = (await api('GET', `/v1/messages/${sent.messageId}`)).body;
    expect(message.channels).toEqual(['whatsapp']);
  });

  it('should suppress a send to a contact with no address for the channels', async () => {
    const trigger = await createTrigger({ name: 'Email only', when: { event: 'joined' }, send: sms('Hi') });
    await track('no-phone', 'joined');
    expect(outcomes(await settled(trigger, 'no-phone'))).toEqual(['suppressed:no_address']);
  });
  it('should not let a firing that cannot be decided hold the others: it is tried again later', async () => {
    const broken = await createTrigger({ name: 'Broken later', when: { event: 'poke' }, delay: '1s', send: sms('x') });
    const fine = await createTrigger({ name: 'Fine', when: { event: 'poke' }, delay: '1s', send: sms('y') });
    await contact('poked', { phone: '+447700900841' });
    await track('poked', 'poke');
    await eventually(
      () => firings(broken, 'poked'),
      (list) => list.length === 1,
    );
    // A stored rule that no longer parses (only a hand edit of the table can do this).
    const db = sql(herald.databaseUrl);
    await db.query(`UPDATE triggers SET definition = '{"name": 1}' WHERE id = $1`, [broken]);
    await db.end();
    expect(outcomes(await settled(fine, 'poked'))).toEqual(['sent']);
    const [stuck] = await eventually(
      () => firings(broken, 'poked'),
      (list) => list[0]?.detail?.includes('could not be decided') ?? false,
    );
    expect(stuck).toMatchObject({ status: 'waiting', messageId: null });
    // And the rule's events no longer start firings, while other rules go on.
    await track('poked', 'poke');
    expect(outcomes(await settled(fine, 'poked', 2))).toEqual(['sent', 'sent']);
    expect(await firings(broken, 'poked')).toHaveLength(1);
  });
  it('should mark an event whose evaluation fails and evaluate the rest of its batch', async () => {
    // A fault that exists only in this test's database: creating a firing for a "boom" event fails.
    const db = sql(herald.databaseUrl);
    await db.query(`CREATE OR REPLACE FUNCTION test_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.variables->>'boom' = 'yes' THEN RAISE EXCEPTION 'test fault'; END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER test_boom BEFORE INSERT ON firings FOR EACH ROW EXECUTE FUNCTION test_boom()`);
    try {
      const trigger = await createTrigger({ name: 'Boom', when: { event: 'tapped' }, send: sms('Tapped') });
      await contact('tap-ok', { phone: '+447700900851' });
      await contact('tap-boom', { phone: '+447700900852' });
      const batch = await api('POST', '/v1/events', {
        events: [
          { contactId: 'tap-boom', event: 'tapped', properties: { boom: 'yes' } },
          { contactId: 'tap-ok', event: 'tapped', properties: { boom: 'no' } },
        ],
      });
      expect(batch.status).toBe(202);
      expect(outcomes(await settled(trigger, 'tap-ok'))).toEqual(['sent']);
      const [failed] = await eventually(
        () => api('GET', '/v1/events?contactId=tap-boom').then((r) => r.body.data),
        (list) => list[0]?.processedAt !== null,
      );
      expect(failed.error).toContain('test fault');
      expect(await firings(trigger, 'tap-boom')).toEqual([]);
    } finally {
      await db.query(`DROP TRIGGER test_boom ON firings`);
      await db.end();
    }
  });
  it('should prune evaluated events and finished callbacks past their retention, and keep the rest', async () => {
    await contact('keeper', { phone: '+447700900861' });
    await track('keeper', 'recent');
    const recent = await eventually(
      () => api('GET', '/v1/events?contactId=keeper').then((r) => r.body.data),
      (list) => list[0]?.processedAt !== null,
    );
    const db = sql(herald.databaseUrl);
    try {
      const [{ workspace_id: workspaceId }] = (
        await db.query(`SELECT workspace_id FROM events WHERE id = $1`, [recent[0].id])
      ).rows;
      const [{ id: messageId }] = (
        await db.query(`SELECT id FROM messages WHERE workspace_id = $1 LIMIT 1`, [workspaceId])
      ).rows;
      // Two years old: the oldest ids of their tables, as they would be.
      await db.query(
        `INSERT INTO events (id, workspace_id, contact_id, name, occurred_at, received_at, source, processed_at)
         VALUES ('evt_00000000000000000000000000000001', $1, 'keeper', 'ancient', now() - interval '2 years',
                 now() - interval '2 years', 'api', now() - interval '2 years')`,
        [workspaceId],
      );
      await db.query(
        `INSERT INTO callback_outbox (id, workspace_id, message_id, event_id, destination, url, message_status, data,
                                      changed_at, state, delivered_at)
         OVERRIDING SYSTEM VALUE
         VALUES (-1, $1, $2, 'evt_old', 'endpoint', 'https://client.example/hook', 'sent', '{}', now() - interval '60 days',
                 'delivered', now() - interval '60 days')`,
        [workspaceId, messageId],
      );
      const pruned = await herald.app.get(RetentionService).prune(new Date());
      expect(pruned).toEqual({ events: 1, callbacks: 1 });
      const left = await db.query(`SELECT name FROM events WHERE workspace_id = $1 AND contact_id = 'keeper'`, [
        workspaceId,
      ]);
      expect(left.rows).toEqual([{ name: 'recent' }]);
      expect((await herald.app.get(RetentionService).prune(new Date())).events).toBe(0);
    } finally {
      await db.end();
    }
  });
});
