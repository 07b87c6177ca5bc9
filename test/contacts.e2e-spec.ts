import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { eventually, startHerald, type HttpAnswer, type TestHerald } from './support/herald.js';

const CHANNELS = ['sms', 'whatsapp', 'viber', 'rcs', 'email'];

/** API §2's error body, with the fields its details name. */
function expectValidationError(answer: HttpAnswer, field: string): void {
  expect(answer.status).toBe(400);
  expect(answer.body.error).toMatchObject({
    code: 'VALIDATION_FAILED',
    message: expect.any(String),
    requestId: expect.any(String),
  });
  expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
}

/** API §3: contacts, consent, and GDPR erasure and export. */
describe('contacts', () => {
  let herald: TestHerald;
  let key: string;
  let workspaceId: string;
  let otherKey: string;

  beforeAll(async () => {
    herald = await startHerald();
    ({ id: workspaceId, apiKey: key } = await herald.createWorkspace('contacts'));
    otherKey = (await herald.createWorkspace('contacts-other')).apiKey;
  });
  afterAll(() => herald.close());

  const put = (id: string, body: unknown, as = key) => herald.request('PUT', `/v1/contacts/${id}`, { key: as, body });
  const get = (id: string, as = key) => herald.request('GET', `/v1/contacts/${id}`, { key: as });
  const message = (id: string) => herald.request('GET', `/v1/messages/${id}`, { key });
  const sendTo = async (contactId: string, channels: string[]): Promise<string> => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { contactId }, channels, content: { text: 'Hi {{firstName}}', email: { subject: 'Hello' } } },
    });
    expect(sent.status).toBe(202);
    return sent.body.id;
  };
  const untilEnded = (id: string) =>
    eventually(
      async () => (await message(id)).body,
      (m) => ['delivered', 'read', 'failed', 'rejected', 'expired', 'canceled'].includes(m.status),
      20_000,
    );

  it('should upsert a contact and normalise its phone number to E.164', async () => {
    const created = await put('ana-1', {
      phone: '+44 7700 900123',
      email: 'Ana@Example.com',
      timezone: 'Europe/London',
      locale: 'en-GB',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      externalId: 'ana-1',
      phone: '+447700900123',
      email: 'ana@example.com',
      timezone: 'Europe/London',
      locale: 'en-GB',
    });

    const updated = await put('ana-1', { locale: 'pt-PT' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ phone: '+447700900123', email: 'ana@example.com', locale: 'pt-PT' });
  });

  it('should refuse an invalid phone number with a 400 naming the field', async () => {
    expectValidationError(await put('bad-phone', { phone: '12345abc' }), 'phone');
    expect((await get('bad-phone')).status).toBe(404);
  });

  it('should refuse an invalid email address with a 400 naming the field', async () => {
    expectValidationError(await put('bad-email', { email: 'not-an-address' }), 'email');
  });

  it('should refuse an unknown time zone with a 400 naming the field', async () => {
    expectValidationError(await put('bad-tz', { timezone: 'Mars/Olympus_Mons' }), 'timezone');
  });

  it('should return consent for all five channels and the WhatsApp window', async () => {
    await put('bo-1', { phone: '+447700900124' });
    const contact = await get('bo-1');
    expect(contact.status).toBe(200);
    expect(contact.body.consent).toEqual(Object.fromEntries(CHANNELS.map((c) => [c, true])));
    expect(contact.body).toHaveProperty('whatsappWindowOpenUntil', null);

    // Inbound WhatsApp messages open the window; here it is stored directly to check the view.
    const until = new Date(Date.now() + 3_600_000);
    const db = new pg.Client({ connectionString: herald.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `UPDATE contacts SET whatsapp_window_open_until = $3 WHERE workspace_id = $1 AND external_id = $2`,
        [workspaceId, 'bo-1', until],
      );
    } finally {
      await db.end();
    }
    expect((await get('bo-1')).body.whatsappWindowOpenUntil).toBe(until.toISOString());
  });

  it('should merge attributes and keep the consent of channels not mentioned', async () => {
    await put('cy-1', {
      phone: '+447700900125',
      attributes: { firstName: 'Cy', tier: 'gold' },
      consent: { sms: false },
    });
    await put('cy-1', { attributes: { tier: 'platinum', city: 'Porto' }, consent: { viber: false } });
    const contact = await get('cy-1');
    expect(contact.body.attributes).toEqual({ firstName: 'Cy', tier: 'platinum', city: 'Porto' });
    expect(contact.body.consent).toEqual({ sms: false, whatsapp: true, viber: false, rcs: true, email: true });
    expect(contact.body.phone).toBe('+447700900125');
  });

  it('should skip a channel without consent and use the next one', async () => {
    await put('di-1', {
      phone: '+447700900126',
      email: 'di@example.com',
      attributes: { firstName: 'Di' },
      consent: { sms: false },
    });
    const id = await sendTo('di-1', ['sms', 'email']);
    const done = await untilEnded(id);
    expect(done.status).toBe('delivered');
    expect(done.channel).toBe('email');
    expect(done.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([
      ['sms', 'skipped'],
      ['email', 'delivered'],
    ]);
    expect(done.attempts[0].error).toMatchObject({ code: 'NO_CONSENT' });
  });

  it('should erase the contact and the addresses of its messages but keep the messages', async () => {
    await put('ed-1', { phone: '+447700900127', email: 'ed@example.com', attributes: { firstName: 'Ed' } });
    const id = await sendTo('ed-1', ['sms']);
    expect((await untilEnded(id)).status).toBe('delivered');
    expect((await message(id)).body.to).toMatchObject({ phone: '+447700900127' });

    const erased = await herald.request('DELETE', '/v1/contacts/ed-1', { key });
    expect(erased.status).toBe(204);
    expect((await get('ed-1')).status).toBe(404);
    expect((await herald.request('GET', '/v1/contacts/ed-1/export', { key })).status).toBe(404);

    const after = await message(id);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ id, status: 'delivered', to: null });
    expect(after.body.content ?? null).toBeNull();
    expect(JSON.stringify(after.body)).not.toContain('7700900127');
    const listed = await herald.request('GET', '/v1/messages?status=delivered&limit=100', { key });
    expect(listed.body.data.map((m: { id: string }) => m.id)).toContain(id);

    expect((await herald.request('DELETE', '/v1/contacts/ed-1', { key })).status).toBe(404);
  });

  it('should export the contact with its messages', async () => {
    await put('fay-1', { phone: '+447700900128', attributes: { firstName: 'Fay' }, consent: { email: false } });
    const id = await sendTo('fay-1', ['sms']);
    await untilEnded(id);
    const exported = await herald.request('GET', '/v1/contacts/fay-1/export', { key });
    expect(exported.status).toBe(200);
    expect(exported.body.contact).toMatchObject({
      externalId: 'fay-1',
      phone: '+447700900128',
      attributes: { firstName: 'Fay' },
    });
    expect(exported.body.contact.consent.email).toBe(false);
    expect(exported.body.messages.map((m: { id: string }) => m.id)).toEqual([id]);
    expect(exported.body.messages[0]).toMatchObject({ id, status: 'delivered', recipient: { phone: '+447700900128' } });
  });

  it("should export and erase the same messages: those sent to any of the contact's addresses", async () => {
    await put('hal-1', { phone: '+447700900130', viberId: 'vb-hal-1234' });
    const byViber = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { viberId: 'vb-hal-1234' }, channels: ['viber'], content: { text: 'Hi' } },
    });
    expect(byViber.status).toBe(202);
    await untilEnded(byViber.body.id);
    const exported = await herald.request('GET', '/v1/contacts/hal-1/export', { key });
    expect(exported.body.messages.map((m: { id: string }) => m.id)).toEqual([byViber.body.id]);

    expect((await herald.request('DELETE', '/v1/contacts/hal-1', { key })).status).toBe(204);
    expect((await message(byViber.body.id)).body.to).toBeNull();
  });

  it("should answer 404 for another workspace's contact and leave it untouched", async () => {
    await put('gil-1', { phone: '+447700900129', attributes: { secret: 'kept' } });
    expect((await get('gil-1', otherKey)).status).toBe(404);
    expect((await herald.request('GET', '/v1/contacts/gil-1/export', { key: otherKey })).status).toBe(404);
    const deleted = await herald.request('DELETE', '/v1/contacts/gil-1', { key: otherKey });
    expect(deleted.status).toBe(404);
    expect(deleted.body.error.code).toBe('NOT_FOUND');

    // An upsert by the other workspace creates its own contact; it never reads or changes this one.
    const theirs = await put('gil-1', { attributes: { mine: true } }, otherKey);
    expect(theirs.body).toMatchObject({ phone: null, attributes: { mine: true } });
    expect((await get('gil-1')).body).toMatchObject({ phone: '+447700900129', attributes: { secret: 'kept' } });
  });

  it('should take external ids of up to 128 characters and refuse longer ones naming externalId', async () => {
    const longest = `c-${'x'.repeat(126)}`;
    expect((await put(longest, { phone: '+447700900131' })).status).toBe(200);
    expect((await get(longest)).body).toMatchObject({ externalId: longest, phone: '+447700900131' });
    expectValidationError(await put(`${longest}y`, { phone: '+447700900131' }), 'externalId');
    expectValidationError(await put('ana 1', { phone: '+447700900131' }), 'externalId');
  });

  it('should require an API key', async () => {
    const answer = await herald.request('GET', '/v1/contacts/ana-1');
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('UNAUTHORIZED');
  });
});
