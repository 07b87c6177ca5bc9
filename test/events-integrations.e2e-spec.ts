import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { eventually, startHerald, type HttpAnswer, type TestHerald } from './support/herald.js';
import { ownDatabase, sql, useDatabase } from './support/processes.js';

/**
 * Events in (API §7) from every source, over HTTP: POST /v1/events, Segment's HTTP source (the published spec
 * examples) and Shopify webhooks (the published samples, signed over the exact bytes sent), each proven to reach the
 * trigger engine by a firing; then trigger and frequency-cap validation. Stored events are read from the database
 * (read-only): no API lists them.
 */
const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/integrations/${name}`, import.meta.url), 'utf8');
const json = (name: string): Record<string, unknown> => JSON.parse(fixture(name));
const VECTOR = (json('shopify-hmac-vectors.json').vectors as Record<string, string>[]).find(
  (v) => v.body_file === 'shopify-checkouts-create.json',
)!;
const hmac = (body: string, secret = VECTOR.secret): string =>
  createHmac('sha256', secret).update(Buffer.from(body, 'utf8')).digest('base64');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fields = (answer: HttpAnswer): string[] =>
  (answer.body?.error?.details ?? []).map((d: { field: string }) => d.field);
/** A 400 naming exactly `field`; the field labels the failure. */
const expectRefused = (answer: HttpAnswer, field: string) =>
  expect({ field, status: answer.status, fields: fields(answer) }).toEqual({ field, status: 400, fields: [field] });
/** Anything but a 5xx; the label says which input failed. */
const expectHandled = (label: unknown, answer: HttpAnswer) =>
  expect({ label, status: answer.status }).toEqual({ label, status: answer.status < 500 ? answer.status : '< 500' });

describe('events and integrations', () => {
  let herald: TestHerald;
  let shop: TestHerald;
  let db: pg.Pool;
  let key: string;
  let workspaceId: string;

  beforeAll(async () => {
    useDatabase(await ownDatabase('events-integrations'));
    herald = await startHerald();
    shop = await startHerald({ SHOPIFY_WEBHOOK_SECRET: VECTOR.secret });
    db = sql(herald.databaseUrl);
    ({ id: workspaceId, apiKey: key } = await herald.createWorkspace('events'));
  });

  afterAll(async () => {
    await db?.end();
    await shop?.close();
    await herald?.close();
  });

  const api = (method: string, path: string, body?: unknown, as = key) =>
    herald.request(method, path, { key: as, ...(body === undefined ? {} : { body }) });
  const putContact = async (id: string, body: Record<string, unknown>, as = key) =>
    expect((await api('PUT', `/v1/contacts/${id}`, body, as)).status).toBe(200);
  const createTrigger = async (body: Record<string, unknown>, as = key) => {
    const answer = await api('POST', '/v1/triggers', body, as);
    expect(answer.status).toBe(201);
    return answer.body.id as string;
  };
  /** The rule's firings for a contact as `status[:reason]`, once none is waiting any more. */
  const firingsOf = async (trigger: string, contactId: string, as = key) =>
    (await api('GET', `/v1/triggers/${trigger}/firings?contactId=${contactId}`, undefined, as)).body.data as {
      status: string;
      reason: string | null;
    }[];
  const outcomes = async (trigger: string, contactId: string, as = key) => {
    const read = () => firingsOf(trigger, contactId, as);
    const list = await eventually(read, (l) => l.length > 0 && l.every((f) => f.status !== 'waiting'), 15_000);
    return list.map((f) => (f.reason ? `${f.status}:${f.reason}` : f.status));
  };
  const storedEvents = async (contactId: string, workspace = workspaceId) => {
    const { rows } = await db.query(
      `SELECT id, name, properties, source FROM events WHERE workspace_id = $1 AND contact_id = $2 ORDER BY occurred_at, id`,
      [workspace, contactId],
    );
    return rows as { id: string; name: string; properties: Record<string, unknown>; source: string }[];
  };
  const sms = { channels: ['sms'], content: { text: 'hi' } };

  describe('POST /v1/events', () => {
    const post = (body: unknown) => api('POST', '/v1/events', body);

    it('should accept an event, create its unknown contact, and answer a replayed id as a duplicate', async () => {
      const event = { contactId: 'ev-new', event: 'signed_up', properties: { plan: 'pro' }, id: 'ev-1' };
      const first = await post(event);
      expect(first.status).toBe(202);
      expect(first.body).toEqual({ id: expect.stringMatching(/^evt_/), duplicate: false });
      const again = await post(event);
      expect(again.status).toBe(202);
      expect(again.body).toEqual({ id: first.body.id, duplicate: true });
      expect((await api('GET', '/v1/contacts/ev-new')).body).toMatchObject({ id: 'ev-new' });
      expect(await storedEvents('ev-new')).toMatchObject([{ name: 'signed_up', properties: { plan: 'pro' } }]);
    });

    it('should accept a batch and count its duplicates', async () => {
      const answer = await post({
        events: [
          { contactId: 'ev-batch', event: 'page_view', properties: { path: '/a' }, id: 'ev-b1' },
          { contactId: 'ev-batch', event: 'page_view', timestamp: '2026-01-02T10:00:00Z' },
          { contactId: 'ev-new', event: 'signed_up', id: 'ev-1' },
        ],
      });
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ accepted: 2, duplicates: 1 });
      expect(answer.body.results.map((r: { duplicate: boolean }) => r.duplicate)).toEqual([false, false, true]);
      expect(await storedEvents('ev-batch')).toHaveLength(2);
    });

    it('should refuse a batch with invalid events, name each field, and store none of it', async () => {
      const answer = await post({
        events: [
          { contactId: 'ev-bad-0', event: 'ok' },
          { contactId: 'ev-bad-1', event: 'e', timestamp: 'yesterday' },
          { contactId: 'ev-bad-2' },
          { contactId: 'ev-bad-3', event: 'e', colour: 'red' },
          { contactId: 'has space', event: 'e' },
        ],
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
      expect(fields(answer).sort()).toEqual(
        ['events[1].timestamp', 'events[2].event', 'events[3].colour', 'events[4].contactId'].sort(),
      );
      for (const id of ['ev-bad-0', 'ev-bad-1', 'ev-bad-3']) {
        expect(await storedEvents(id)).toEqual([]);
        expect((await api('GET', `/v1/contacts/${id}`)).status).toBe(404);
      }
    });

    it('should refuse more than 1000 events and bodies that are not an object', async () => {
      const many = Array.from({ length: 1001 }, (_, i) => ({ contactId: 'ev-many', event: `e${i}` }));
      expectRefused(await post({ events: many }), 'events');
      expect(await storedEvents('ev-many')).toEqual([]);
      for (const body of [[{ contactId: 'x', event: 'y' }], 42, 'text', null, true]) {
        expectRefused(await post(body), 'body');
      }
    });

    it('should answer odd input with 400 naming the field, never 500', async () => {
      const huge = 'x'.repeat(200_000);
      const odd = (extra: Record<string, unknown>) => ({ contactId: 'odd', event: 'e', ...extra });
      const cases: [unknown, string][] = [
        [odd({ properties: null }), 'properties'],
        [odd({ properties: [1, 2] }), 'properties'],
        [odd({ properties: { note: huge } }), 'properties'],
        [odd({ event: huge }), 'event'],
        [odd({ contactId: ['odd'] }), 'contactId'],
        [odd({ contactId: 42 }), 'contactId'],
        [odd({ timestamp: 1733220000 }), 'timestamp'],
        [odd({ timestamp: '2999-01-01T00:00:00Z' }), 'timestamp'],
        [odd({ id: 12 }), 'id'],
        [{ events: [null] }, 'events[0]'],
      ];
      for (const [body, field] of cases) expectRefused(await post(body), field);
      // PostgreSQL cannot store \u0000 or a lone surrogate in text or jsonb: refused, naming the field.
      for (const text of ['a\u0000b', '\ud800']) {
        const extras: [Record<string, unknown>, string][] = [
          [{ properties: { note: text } }, 'properties.note'],
          [{ properties: { [text]: 1 } }, `properties.${text}`],
          [{ id: `id-${text}` }, 'id'],
        ];
        for (const [extra, field] of extras) expectRefused(await post(odd({ contactId: 'odd-text', ...extra })), field);
      }
      expect(await storedEvents('odd-text')).toEqual([]);
      expect((await post(odd({ properties: { list: [1, [2]], none: null } }))).status).toBe(202);
      expect(await storedEvents('odd')).toMatchObject([{ properties: { list: [1, [2]], none: null } }]);
    });
  });

  describe('POST /v1/integrations/segment', () => {
    const segment = (body: unknown, authorization = `Bearer ${key}`) =>
      herald.request('POST', '/v1/integrations/segment', { body, headers: { authorization } });
    const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

    it('should turn the track example into an event a trigger fires on, and de-duplicate its messageId', async () => {
      // The published example happened in 2015: as sent today by a live source, it carries today's time.
      const track: Record<string, unknown> = { ...json('segment-track.json'), timestamp: new Date().toISOString() };
      const userId = track.userId as string;
      await putContact(userId, { phone: '+447700900701' });
      const trigger = await createTrigger({ name: 'Course', when: { event: track.event }, send: sms });
      const first = await segment(track);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ success: true, results: [{ id: expect.any(String), duplicate: false }] });
      expect(await storedEvents(userId)).toMatchObject([
        { name: 'Course Clicked', properties: { title: 'Intro to Analytics' }, source: 'segment' },
      ]);
      expect(await outcomes(trigger, userId)).toEqual(['sent']);
      const replay = await segment(track, basic(key));
      expect(replay.status).toBe(200);
      expect(replay.body.results).toEqual([{ id: first.body.results[0].id, duplicate: true }]);
      expect(await storedEvents(userId)).toHaveLength(1);
      expect(await outcomes(trigger, userId)).toEqual(['sent']);

      // The example verbatim (2015) is history: stored, but no message about a click eleven years ago.
      await putContact('historian', { phone: '+447700900705' });
      const old = { ...json('segment-track.json'), userId: 'historian', messageId: 'history-1' };
      expect((await segment(old)).status).toBe(200);
      expect(await storedEvents('historian')).toMatchObject([{ name: 'Course Clicked' }]);
      await sleep(800);
      expect(await firingsOf(trigger, 'historian')).toEqual([]);
    });

    it('should record the identify example on the contact, with the key as Basic-auth user name', async () => {
      const identify = json('segment-identify.json');
      expect((await segment(identify, basic(key))).status).toBe(200);
      const contact = async () => (await api('GET', `/v1/contacts/${identify.userId}`)).body;
      const { email, ...traits } = identify.traits as Record<string, unknown>;
      expect(await contact()).toMatchObject({ email, attributes: traits });
      const withPhone = { ...identify, messageId: 'identify-phone-1', traits: { phone: '+447700900702' } };
      expect((await segment(withPhone)).status).toBe(200);
      expect(await contact()).toMatchObject({ email, phone: '+447700900702', attributes: traits });
    });

    it('should turn the page example into page_view and take the batch example whole', async () => {
      // The page and identify examples share one messageId: a workspace of its own keeps them apart.
      const other = await herald.createWorkspace('segment-page');
      expect((await segment(json('segment-page.json'), `Bearer ${other.apiKey}`)).status).toBe(200);
      expect(await storedEvents('97980cfea0067', other.id)).toMatchObject([
        { name: 'page_view', properties: { name: 'Home', title: 'Welcome | Initech', url: 'http://www.example.com' } },
      ]);
      const batch = await segment(json('segment-batch.json'), basic(other.apiKey));
      expect(batch.status).toBe(200);
      expect(batch.body.results).toHaveLength(4);
      // The example's own "2015-2-02T…" timestamps are not ISO 8601: reported, and the time received applies.
      expect(batch.body.warnings.map((w: { field: string }) => w.field)).toEqual([
        'batch[2].timestamp',
        'batch[3].timestamp',
      ]);
      for (const [userId, email, artist] of [
        ['019mr8mf4r', 'jake@yahoo.com', 'Dierks Bentley'],
        ['971mj8mk7p', 'cindy@example.com', 'Jennifer Lopez'],
      ]) {
        const contact = (await herald.request('GET', `/v1/contacts/${userId}`, { key: other.apiKey })).body;
        expect(contact).toMatchObject({ email, attributes: { age: expect.any(Number) } });
        const events = await storedEvents(userId, other.id);
        expect(events.filter((e) => e.name === 'Song Played')).toMatchObject([{ properties: { artist } }]);
      }
    });

    it('should refuse a wrong key with 401 and a group call with 400 naming it, storing nothing', async () => {
      const track = { ...json('segment-track.json'), userId: 'seg-refused', messageId: 'seg-refused-1' };
      for (const authorization of ['Bearer hk_wrong', basic('hk_wrong'), basic('')]) {
        expect((await segment(track, authorization)).status).toBe(401);
      }
      const group = { type: 'group', userId: 'seg-refused', groupId: 'g-1', traits: { name: 'Initech' } };
      expectRefused(await segment(group), 'type');
      expectRefused(await segment({ batch: [track, group] }), 'batch[1].type');
      expect(await storedEvents('seg-refused')).toEqual([]);
    });

    it('should answer odd Segment input without a 500', async () => {
      const track = (extra: Record<string, unknown>) => ({ type: 'track', userId: 'seg-odd', event: 'e', ...extra });
      const bodies: unknown[] = [[], null, { batch: [] }, { batch: 'x' }, { type: 'track' }, track({ properties: [] })];
      // PostgreSQL cannot store \u0000 in text or jsonb: refused or cleaned, but not a 500.
      bodies.push(track({ properties: { note: 'a\u0000b' } }), track({ messageId: 'a\u0000b' }));
      bodies.push({ type: 'identify', userId: 'seg-odd', traits: { nick: 'a\u0000b' } });
      for (const body of bodies) expectHandled(body, await segment(body));
    });
  });

  describe('POST /webhooks/shopify', () => {
    const checkout = fixture('shopify-checkouts-create.json');
    const order = fixture('shopify-orders-create-matched.json');
    /** The samples date from 2021/2022; a live shop sends today's times (a webhook about the past starts no send). */
    const fresh = (body: string, at = new Date()) =>
      body.replace(/"(created_at|updated_at)": "[^"]+"/g, (_, field: string) => `"${field}": "${at.toISOString()}"`);
    const CUSTOMER = '603851970716743426';
    let shopKey: string;
    let shopWorkspace: string;
    let cartTrigger: string;

    type Options = { to?: TestHerald; query?: string; hmac?: string };
    const webhook = (body: string, topic: string, id: string, o: Options = {}) =>
      (o.to ?? shop).request('POST', `/webhooks/shopify${o.query ?? `?workspace=${shopWorkspace}`}`, {
        rawBody: body,
        headers: {
          'x-shopify-hmac-sha256': o.hmac ?? hmac(body),
          'x-shopify-topic': topic,
          'x-shopify-webhook-id': id,
        },
      });
    /** The checkout sample for another customer and cart (Shopify publishes one sample only). */
    const otherCheckout = (customer: string, token: string) =>
      checkout.replaceAll(CUSTOMER, customer).replace('"token": "123123123"', `"token": "${token}"`);
    const shopApi = (method: string, path: string, body?: unknown) => api(method, path, body, shopKey);

    beforeAll(async () => {
      ({ id: shopWorkspace, apiKey: shopKey } = await herald.createWorkspace('shop'));
      const unless = { event: 'order_completed', within: '2s', matchOn: 'properties.cartId' };
      cartTrigger = await createTrigger(
        { name: 'Cart', when: { event: 'checkout_started' }, unless, send: sms },
        shopKey,
      );
    });

    const eventsOf = (customer: string) => storedEvents(customer, shopWorkspace);

    it('should map a checkout and its order onto one cartId, and cancel the reminder for that cart', async () => {
      // Signed over the exact bytes sent: the published vector for this file.
      expect(hmac(checkout)).toBe(VECTOR.header_value);
      await putContact(CUSTOMER, { phone: '+447700900703' }, shopKey);
      expect((await webhook(fresh(checkout), 'checkouts/create', 'wh-checkout-1')).status).toBe(200);
      // The order comes a moment later, well inside the 2 s window.
      await sleep(500);
      expect((await webhook(fresh(order), 'orders/create', 'wh-order-1')).status).toBe(200);
      expect(await eventsOf(CUSTOMER)).toMatchObject([
        { name: 'checkout_started', source: 'shopify', properties: { cartId: '123123123' } },
        { name: 'order_completed', source: 'shopify', properties: { cartId: '123123123' } },
      ]);
      expect((await shopApi('GET', `/v1/contacts/${CUSTOMER}`)).body).toMatchObject({
        email: 'john@example.com',
        attributes: { firstName: 'John', lastName: 'Smith' },
      });
      expect(await outcomes(cartTrigger, CUSTOMER, shopKey)).toEqual(['canceled:exited']);
    });

    it('should send the reminder once the window has passed without an order', async () => {
      const customer = '603851970716749999';
      await putContact(customer, { phone: '+447700900704' }, shopKey);
      const at = Date.now();
      const body = fresh(otherCheckout(customer, 'abandoned-1'));
      expect((await webhook(body, 'checkouts/create', 'wh-checkout-2')).status).toBe(200);
      expect(await eventsOf(customer)).toMatchObject([
        { name: 'checkout_started', properties: { cartId: 'abandoned-1' } },
      ]);
      expect(await outcomes(cartTrigger, customer, shopKey)).toEqual(['sent']);
      expect(Date.now() - at).toBeGreaterThanOrEqual(2000);
    });

    it('should record a checkout from years ago without reminding anyone about it', async () => {
      const customer = '603851970716745555';
      await putContact(customer, { phone: '+447700900706' }, shopKey);
      expect((await webhook(otherCheckout(customer, 'old-1'), 'checkouts/create', 'wh-old-1')).status).toBe(200);
      expect(await eventsOf(customer)).toMatchObject([{ name: 'checkout_started' }]);
      await sleep(2500);
      expect(await firingsOf(cartTrigger, customer, shopKey)).toEqual([]);
    });

    it('should refuse a bad signature with 401 and store nothing', async () => {
      const customer = '603851970716748888';
      const body = otherCheckout(customer, 'forged-1');
      for (const signature of [hmac(body, 'not-the-secret'), hmac(checkout), 'not base64!']) {
        expect((await webhook(body, 'checkouts/create', 'wh-forged', { hmac: signature })).status).toBe(401);
      }
      expect(await eventsOf(customer)).toEqual([]);
      expect((await shopApi('GET', `/v1/contacts/${customer}`)).status).toBe(404);
    });

    it('should answer 400 without a workspace, ignore unknown topics, and de-duplicate a webhook id', async () => {
      const customer = '603851970716747777';
      const body = otherCheckout(customer, 'dup-1');
      expectRefused(await webhook(body, 'checkouts/create', 'wh-dup', { query: '' }), 'workspace');
      const ignored = await webhook(body, 'customers/create', 'wh-ignored');
      expect(ignored.status).toBe(200);
      expect(ignored.body).toMatchObject({ ignored: true });
      const first = await webhook(body, 'checkouts/create', 'wh-dup');
      const second = await webhook(body, 'checkouts/create', 'wh-dup');
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(first.body.results).toEqual([{ id: expect.any(String), duplicate: false }]);
      expect(second.body.results).toEqual([{ id: first.body.results[0].id, duplicate: true }]);
      expect(await eventsOf(customer)).toHaveLength(1);
    });

    it('should answer a webhook with text PostgreSQL cannot store without a 500', async () => {
      const body = otherCheckout('603851970716746666', 'nul-1').replaceAll('"IPod Nano - 8GB"', '"IPod\\u0000Nano"');
      expectHandled('NUL in a line item title', await webhook(body, 'checkouts/create', 'wh-nul'));
    });

    it('should answer 404 where no Shopify secret is configured', async () => {
      expect((await webhook(checkout, 'checkouts/create', 'wh-disabled', { to: herald })).status).toBe(404);
    });
  });

  describe('trigger validation', () => {
    const post = (body: Record<string, unknown>) => api('POST', '/v1/triggers', body);
    const base = { name: 'Cart', when: { event: 'checkout_started' }, send: sms };
    const rule = (extra: Record<string, unknown> = {}) => ({ ...base, ...extra });
    const badOp = { event: 'x', where: [{ path: 'properties.total', op: 'about', value: 1 }] };

    it('should refuse each invalid part with 400 naming its field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ when: badOp }, 'when.where[0].op'],
        [{ unless: { event: 'order_completed', within: 'soon' } }, 'unless.within'],
        [{ send: { ...sms, to: { contactId: 'c' } } }, 'send.to'],
        [{ send: { ...sms, channels: ['fax'] } }, 'send.channels[0]'],
      ];
      for (const [extra, field] of cases) expectRefused(await post(rule(extra)), field);
    });

    it('should list every problem at once', async () => {
      const answer = await post({
        name: '',
        when: badOp,
        unless: { event: 'y', within: 'soon' },
        delay: 'later',
        send: { channels: ['pigeon'], content: { text: 'hi' }, to: { contactId: 'c' } },
      });
      expect(answer.status).toBe(400);
      expect(fields(answer).sort()).toEqual(
        ['delay', 'name', 'send.channels[0]', 'send.to', 'unless.within', 'when.where[0].op'].sort(),
      );
    });

    it('should refuse a template that is not registered, and accept one that is', async () => {
      const send = (template: string) => ({ send: { channels: ['sms'], content: { sms: { template } } } });
      const missing = await post(rule(send('nope')));
      expect(missing.status).toBe(422);
      expect(missing.body.error.code).toBe('TEMPLATE_NOT_FOUND');
      expect(fields(missing)).toEqual(['send.content.sms.template']);
      const template = { channel: 'sms', name: 'cart_sms', content: { text: 'Hi' } };
      expect((await api('POST', '/v1/templates', template)).status).toBe(201);
      const accepted = await post(rule(send('cart_sms')));
      expect(accepted.status).toBe(201);
      expect(accepted.body).toMatchObject({ send: { content: { sms: { template: 'cart_sms' } } } });
    });

    it('should refuse an invalid PATCH and keep the stored rule', async () => {
      const id = await createTrigger(rule());
      const before = (await api('GET', `/v1/triggers/${id}`)).body;
      expectRefused(await api('PATCH', `/v1/triggers/${id}`, { name: 'Renamed', delay: 'later' }), 'delay');
      expect((await api('GET', `/v1/triggers/${id}`)).body).toEqual(before);
    });

    it("should not show or change another workspace's trigger", async () => {
      const id = await createTrigger(rule());
      const other = (await herald.createWorkspace('other')).apiKey;
      expect((await api('GET', `/v1/triggers/${id}`, undefined, other)).status).toBe(404);
      expect((await api('PATCH', `/v1/triggers/${id}`, { name: 'x' }, other)).status).toBe(404);
      expect((await api('GET', `/v1/triggers/${id}`)).body.name).toBe('Cart');
    });

    it('should validate and store the workspace frequency cap', async () => {
      expectRefused(await api('PUT', '/v1/settings/frequency-cap', { max: 0, per: '1d' }), 'max');
      const put = await api('PUT', '/v1/settings/frequency-cap', { max: 2, per: '1d' });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({ max: 2, per: '1d' });
      expect((await api('GET', '/v1/settings/frequency-cap')).body).toEqual({ max: 2, per: '1d' });
    });
  });
});
