import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, useDatabase } from './support/processes.js';
import { outcomes, sms, triggersApi } from './support/triggers-api.js';

/**
 * The triggers module against a real PostgreSQL (API §7), with windows of a few seconds: cart abandonment
 * (absence matched on the cart, oncePer), count in a window, first occurrence, inactivity, conversion, and a
 * broadcast reported beside them. Sends go through the sandbox, so their delivery is real too.
 */
describe('triggers', () => {
  let herald: TestHerald;
  let key: string;

  beforeAll(async () => {
    useDatabase(await ownDatabase('triggers'));
    herald = await startHerald();
    key = (await herald.createWorkspace('triggers')).apiKey;
    t = triggersApi(herald, key);
  });

  afterAll(async () => {
    await herald?.close();
  });

  let t: ReturnType<typeof triggersApi>;
  const api = (method: string, path: string, body?: unknown) => t.api(method, path, body);
  const contact = (id: string, body: Record<string, unknown>) => t.contact(id, body);
  const track = (contactId: string, event: string, properties: Record<string, unknown> = {}, id?: string) =>
    t.track(contactId, event, properties, id);
  const createTrigger = (body: Record<string, unknown>) => t.createTrigger(body);
  const firings = (trigger: string, contactId: string) => t.firings(trigger, contactId);
  const settled = (trigger: string, contactId: string, n = 1) => t.settled(trigger, contactId, n);
  const statuses = outcomes;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  describe('cart abandonment', () => {
    let trigger: string;

    beforeAll(async () => {
      trigger = await createTrigger({
        name: 'Cart abandonment',
        when: { event: 'checkout_started', where: [{ path: 'properties.total', op: 'gte', value: 20 }] },
        unless: { event: 'order_completed', within: '2s', matchOn: 'properties.cartId' },
        send: sms('Your cart {{cartId}} is waiting: {{event.cartUrl}}'),
        limits: { oncePer: 'properties.cartId' },
        conversion: { event: 'order_completed', within: '1h' },
      });
    });

    it('should send exactly once after the window when no order for that cart came', async () => {
      await contact('cart-ana', { phone: '+447700900601' });
      const started = Date.now();
      await track('cart-ana', 'checkout_started', { cartId: 'c-1', total: 59.9, cartUrl: 'https://shop.example/c-1' });
      await sleep(1000);
      expect(await firings(trigger, 'cart-ana')).toMatchObject([{ status: 'waiting', kind: 'absence' }]);
      const [fired] = await settled(trigger, 'cart-ana');
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      expect(fired).toMatchObject({ status: 'sent', messageId: expect.stringMatching(/^msg_/) });
      const message = await eventually(
        () => api('GET', `/v1/messages/${fired.messageId}`).then((r) => r.body),
        (m) => m.status === 'delivered',
      );
      expect(message).toMatchObject({ status: 'delivered', channel: 'sms', trigger: { id: trigger } });
      const exported = (await api('GET', '/v1/contacts/cart-ana/export')).body;
      expect(exported.messages.map((m: { content: { sms: { text: string } } }) => m.content.sms.text)).toEqual([
        'Your cart c-1 is waiting: https://shop.example/c-1',
      ]);
    });

    it('should not send when the order for that cart comes inside the window', async () => {
      await contact('cart-ben', { phone: '+447700900602' });
      await track('cart-ben', 'checkout_started', { cartId: 'c-2', total: 30, cartUrl: 'https://shop.example/c-2' });
      await track('cart-ben', 'order_completed', { cartId: 'c-2' });
      const list = await settled(trigger, 'cart-ben');
      await sleep(2500);
      expect(statuses(await firings(trigger, 'cart-ben'))).toEqual(['canceled:exited']);
      expect(list[0].messageId).toBeNull();
    });

    it('should still send when the order is for another cart', async () => {
      await contact('cart-cy', { phone: '+447700900603' });
      await track('cart-cy', 'checkout_started', { cartId: 'c-3', total: 30, cartUrl: 'https://shop.example/c-3' });
      await track('cart-cy', 'order_completed', { cartId: 'c-other' });
      expect(statuses(await settled(trigger, 'cart-cy'))).toEqual(['sent']);
    });

    it('should send once for a cart checked out twice (oncePer)', async () => {
      await contact('cart-dee', { phone: '+447700900604' });
      await track('cart-dee', 'checkout_started', { cartId: 'c-4', total: 30, cartUrl: 'https://shop.example/c-4' });
      await track('cart-dee', 'checkout_started', { cartId: 'c-4', total: 35, cartUrl: 'https://shop.example/c-4' });
      expect(statuses(await settled(trigger, 'cart-dee', 2))).toEqual(['sent', 'suppressed:once_per']);
    });

    it('should ignore a checkout the where filter excludes, and a replayed event id', async () => {
      await contact('cart-eve', { phone: '+447700900605' });
      await track('cart-eve', 'checkout_started', { cartId: 'c-5', total: 5, cartUrl: 'https://shop.example/c-5' });
      const first = await track(
        'cart-eve',
        'checkout_started',
        { cartId: 'c-6', total: 25, cartUrl: 'https://shop.example/c-6' },
        'evt-fixed-1',
      );
      const again = await track(
        'cart-eve',
        'checkout_started',
        { cartId: 'c-6', total: 25, cartUrl: 'https://shop.example/c-6' },
        'evt-fixed-1',
      );
      expect(again).toEqual({ id: first.id, duplicate: true });
      expect(statuses(await settled(trigger, 'cart-eve'))).toEqual(['sent']);
    });

    it('should mark the firing converted when the order comes after the reminder', async () => {
      const [sent] = await firings(trigger, 'cart-ana');
      expect(sent.convertedAt).toBeNull();
      await track('cart-ana', 'order_completed', { cartId: 'c-1' });
      const [converted] = await eventually(
        () => firings(trigger, 'cart-ana'),
        (list) => list[0]?.convertedAt !== null,
      );
      expect(converted.convertedAt).not.toBeNull();
      const stats = (await api('GET', `/v1/triggers/${trigger}/stats`)).body;
      // ana, cy, dee (once) and eve were sent; dee's second was suppressed; ana converted.
      expect(stats).toMatchObject({
        fired: 5,
        sent: 4,
        suppressed: { once_per: 1 },
        converted: 1,
        conversionRate: 0.25,
        canceled: 1,
      });
    });
  });

  it('should send once for three page views of /pricing within the window, never for two', async () => {
    const trigger = await createTrigger({
      name: 'Pricing interest',
      when: { event: 'page_view', where: [{ path: 'properties.path', op: 'eq', value: '/pricing' }] },
      count: { atLeast: 3, within: '10s' },
      send: sms('Questions about pricing?'),
    });
    await contact('views-three', { phone: '+447700900611' });
    await contact('views-two', { phone: '+447700900612' });
    for (const path of ['/pricing', '/about', '/pricing', '/pricing'])
      await track('views-three', 'page_view', { path });
    for (const path of ['/pricing', '/pricing', '/docs']) await track('views-two', 'page_view', { path });
    expect(statuses(await settled(trigger, 'views-three'))).toEqual(['sent']);
    await sleep(800);
    expect(await firings(trigger, 'views-two')).toEqual([]);
    expect(statuses(await firings(trigger, 'views-three'))).toEqual(['sent']);
  });

  it('should send on the first purchase only', async () => {
    const trigger = await createTrigger({
      name: 'First purchase',
      when: { event: 'order_completed' },
      first: true,
      send: sms('Thanks for your first order'),
    });
    await contact('buyer', { phone: '+447700900621' });
    await track('buyer', 'order_completed', { orderId: 1 });
    expect(statuses(await settled(trigger, 'buyer'))).toEqual(['sent']);
    await track('buyer', 'order_completed', { orderId: 2 });
    await sleep(800);
    expect(statuses(await firings(trigger, 'buyer'))).toEqual(['sent']);
  });

  it('should send after a period without any event, and push the period back on each event', async () => {
    const trigger = await createTrigger({
      name: 'Inactive',
      inactivity: { for: '3s' },
      send: sms('We miss you'),
    });
    await contact('idle-quiet', { phone: '+447700900631' });
    await contact('idle-busy', { phone: '+447700900632' });
    const started = Date.now();
    await track('idle-quiet', 'login');
    await track('idle-busy', 'login');
    await sleep(2000);
    await track('idle-busy', 'page_view', { path: '/home' });
    const quiet = await settled(trigger, 'idle-quiet');
    expect(statuses(quiet)).toEqual(['sent']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    // idle-busy's clock restarted at the page view (2 s in), so nothing went at 3 s.
    expect(statuses(await firings(trigger, 'idle-busy'))).toEqual(['waiting']);
    expect(statuses(await settled(trigger, 'idle-busy'))).toEqual(['sent']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
    await sleep(500);
    expect(statuses(await firings(trigger, 'idle-quiet'))).toEqual(['sent']);
  });

  it('should pause, resume, edit and delete a rule', async () => {
    const trigger = await createTrigger({ name: 'Welcome', when: { event: 'signed_up' }, send: sms('Welcome') });
    await contact('life-1', { phone: '+447700900641' });
    expect((await api('POST', `/v1/triggers/${trigger}/pause`)).body.status).toBe('paused');
    await track('life-1', 'signed_up');
    await sleep(800);
    expect(await firings(trigger, 'life-1')).toEqual([]);
    expect((await api('POST', `/v1/triggers/${trigger}/resume`)).body.status).toBe('active');
    const edited = await api('PATCH', `/v1/triggers/${trigger}`, { name: 'Welcome v2', delay: '1h' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'Welcome v2', delay: '1h', when: { event: 'signed_up' } });
    await track('life-1', 'signed_up');
    expect(
      statuses(
        await eventually(
          () => firings(trigger, 'life-1'),
          (l) => l.length === 1,
        ),
      ),
    ).toEqual(['waiting']);
    expect((await api('DELETE', `/v1/triggers/${trigger}`)).status).toBe(204);
    expect((await api('GET', `/v1/triggers/${trigger}`)).status).toBe(404);
    const stats = await herald.request('GET', `/v1/reports/triggers`, { key });
    const row = stats.body.rows.find((r: { id: string }) => r.id === trigger);
    expect(row).toMatchObject({ type: 'trigger', name: 'Welcome v2', canceled: 1, fired: 0 });
  });

  it('should report a broadcast beside the triggers, with its conversions', async () => {
    await contact('bc-1', { phone: '+447700900651', attributes: { plan: 'pro' } });
    await contact('bc-2', { phone: '+447700900652', attributes: { plan: 'pro' } });
    await contact('bc-3', { phone: '+447700900653', attributes: { plan: 'free' } });
    const created = await api('POST', '/v1/broadcasts', {
      name: 'Pro launch',
      audience: { where: [{ path: 'attributes.plan', op: 'eq', value: 'pro' }] },
      message: sms('New for pro users'),
      conversion: { event: 'upgrade', within: '1h' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const done = await eventually(
      () => api('GET', `/v1/broadcasts/${id}`).then((r) => r.body),
      (b) => b.status === 'sent' && b.stats.sent === 2,
    );
    expect(done).toMatchObject({ audienceSize: 2, stats: { fired: 2, sent: 2 } });
    await track('bc-2', 'upgrade');
    const stats = await eventually(
      () => api('GET', `/v1/broadcasts/${id}/stats`).then((r) => r.body),
      (s) => s.converted === 1,
    );
    expect(stats).toMatchObject({ sent: 2, converted: 1, conversionRate: 0.5 });
    const report = (await api('GET', '/v1/reports/triggers')).body.rows;
    expect(report.find((r: { id: string }) => r.id === id)).toMatchObject({
      type: 'broadcast',
      name: 'Pro launch',
      sent: 2,
      converted: 1,
      conversionRate: 0.5,
    });
    expect(report.some((r: { type: string }) => r.type === 'trigger')).toBe(true);
  });
  it("should export a contact's events and erase them with the contact (GDPR Art. 15, 17)", async () => {
    const trigger = await createTrigger({ name: 'Erasable', when: { event: 'browsed' }, delay: '1h', send: sms('Hi') });
    await contact('gdpr-1', { phone: '+447700900661' });
    await track('gdpr-1', 'browsed', { path: '/shoes', email: 'private@example.com' });
    await eventually(
      () => firings(trigger, 'gdpr-1'),
      (list) => list.length === 1,
    );
    const exported = (await api('GET', '/v1/contacts/gdpr-1/export')).body;
    expect(exported.events).toMatchObject([
      { event: 'browsed', source: 'api', properties: { path: '/shoes', email: 'private@example.com' } },
    ]);
    expect((await api('DELETE', '/v1/contacts/gdpr-1')).status).toBe(204);
    await contact('gdpr-1', { phone: '+447700900661' });
    expect((await api('GET', '/v1/contacts/gdpr-1/export')).body.events).toEqual([]);
    // The waiting firing ended with the contact; the rule's counts keep it, without the person.
    expect(await firings(trigger, 'gdpr-1')).toEqual([]);
    expect((await api('GET', `/v1/triggers/${trigger}/stats`)).body).toMatchObject({ canceled: 1, pending: 0 });
  });
  it('should schedule a broadcast to a list, cancel it before it goes, and refuse to cancel a sent one', async () => {
    await contact('list-1', { phone: '+447700900671' });
    const sendAt = new Date(Date.now() + 3000).toISOString();
    const later = await api('POST', '/v1/broadcasts', {
      name: 'Later',
      sendAt,
      audience: { contactIds: ['list-1'] },
      message: sms('Later'),
    });
    expect(later.body).toMatchObject({ status: 'scheduled', sendAt });
    const canceled = await api('POST', `/v1/broadcasts/${later.body.id}/cancel`);
    expect(canceled.body).toMatchObject({ status: 'canceled' });
    await sleep(3500);
    expect((await api('GET', `/v1/broadcasts/${later.body.id}`)).body).toMatchObject({
      status: 'canceled',
      audienceSize: 0,
      stats: { fired: 0, sent: 0 },
    });

    const now = await api('POST', '/v1/broadcasts', {
      name: 'Now',
      audience: { contactIds: ['list-1', 'nobody-here'] },
      message: sms('Now'),
    });
    const done = await eventually(
      () => api('GET', `/v1/broadcasts/${now.body.id}`).then((r) => r.body),
      (b) => b.status === 'sent' && b.stats.pending === 0,
    );
    expect(done.stats).toMatchObject({ fired: 2, sent: 1, suppressed: { no_address: 1 } });
    const refused = await api('POST', `/v1/broadcasts/${now.body.id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
  });

  it('should refuse a broadcast that is not valid, naming the fields', async () => {
    const answer = await api('POST', '/v1/broadcasts', {
      name: '',
      sendAt: 'tomorrow',
      audience: { contactIds: ['a'], where: [] },
      message: { to: { phone: '+447700900671' }, channels: ['fax'], content: { text: 'x' } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['name', 'sendAt', 'audience', 'message.to', 'message.channels[0]']),
    );
  });
  it('should combine kinds: a sign-up followed by silence, and a first checkout left without an order', async () => {
    const silent = await createTrigger({
      name: 'Signed up, then nothing',
      when: { event: 'signed_up' },
      inactivity: { for: '2s' },
      send: sms('Need a hand getting started?'),
    });
    const firstCart = await createTrigger({
      name: 'First cart abandoned',
      when: { event: 'cart_created' },
      first: true,
      unless: { event: 'ordered', within: '1s' },
      send: sms('Your first cart is waiting'),
    });
    await contact('combo-quiet', { phone: '+447700900681' });
    await contact('combo-busy', { phone: '+447700900682' });
    await track('combo-busy', 'page_view');
    await track('combo-quiet', 'signed_up');
    await track('combo-busy', 'signed_up');
    await sleep(1200);
    await track('combo-busy', 'page_view');
    expect(outcomes(await settled(silent, 'combo-quiet'))).toEqual(['sent']);
    // combo-busy's clock restarted at its second page view: nothing yet, then one send.
    expect(outcomes(await firings(silent, 'combo-busy'))).toEqual(['waiting']);
    expect(outcomes(await settled(silent, 'combo-busy'))).toEqual(['sent']);
    // A page view before signing up started nothing: `when` starts the clock.
    expect(await firings(silent, 'combo-busy')).toHaveLength(1);

    await track('combo-quiet', 'cart_created');
    expect(outcomes(await settled(firstCart, 'combo-quiet'))).toEqual(['sent']);
    await track('combo-quiet', 'cart_created');
    await sleep(1500);
    expect(outcomes(await firings(firstCart, 'combo-quiet'))).toEqual(['sent']);
  });

  it('should list the events received with when the engine evaluated them, and count them in /metrics', async () => {
    // cart-eve sent two events (the replay of evt-fixed-1 stored nothing): one per page, newest first.
    const first = await eventually(
      () => api('GET', '/v1/events?contactId=cart-eve&limit=1').then((r) => r.body),
      (page) => page.data[0]?.processedAt !== null,
    );
    expect(first.data).toMatchObject([
      { contactId: 'cart-eve', event: 'checkout_started', source: 'api', sourceId: 'evt-fixed-1' },
    ]);
    const second = (await api('GET', `/v1/events?contactId=cart-eve&limit=1&cursor=${first.nextCursor}`)).body;
    expect(second.data).toMatchObject([{ sourceId: null, properties: { total: 5 } }]);
    expect(second.data[0].processedAt).not.toBeNull();
    expect(second.nextCursor).toBeNull();
    expect((await api('GET', '/v1/events?limit=0')).status).toBe(400);
    const metrics = (await herald.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/herald_events_ingested_total\{source="api",duplicate="true"\} [1-9]/);
    expect(metrics).toMatch(/herald_firings_decided_total\{outcome="suppressed",reason="once_per"\} [1-9]/);
    expect(metrics).toMatch(/herald_firings_due \d/);
  });

  it('should refuse a trigger whose send is scheduled: delay is the way', async () => {
    const answer = await api('POST', '/v1/triggers', {
      name: 'Scheduled',
      when: { event: 'x' },
      send: { ...sms('Hi'), sendAt: '2026-12-24T09:00:00Z' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: 'send.sendAt', issue: expect.stringContaining('delay') }]);
  });
});
