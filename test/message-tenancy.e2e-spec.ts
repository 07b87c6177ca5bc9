import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startHerald, type TestHerald } from './support/herald.js';
import { expectError, MessageApi, smsTo } from './message-api.helper.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; the waits below need more than 5 s.
jest.setTimeout(60_000);

const PHONE = '+447700900123';

// API §2: another workspace's id answers 404, never its data.
describe('messages across workspaces', () => {
  let herald: TestHerald;
  let a: MessageApi;
  let b: MessageApi;

  beforeAll(async () => {
    herald = await startHerald();
    a = new MessageApi(herald, (await herald.createWorkspace('tenant-a')).apiKey);
    b = new MessageApi(herald, (await herald.createWorkspace('tenant-b')).apiKey);
  });
  afterAll(() => herald.close());

  it("should answer 404 NOT_FOUND for another workspace's message", async () => {
    const id = await a.accept(smsTo(PHONE, { reference: 'tenant-get' }));

    const answer = await herald.request('GET', `/v1/messages/${id}`, { key: b.key });
    const error = expectError(answer, 404, 'NOT_FOUND');
    expect(JSON.stringify(answer.body)).not.toContain(PHONE);
    expect(error.message).not.toContain(id);
    expect((await a.get(id)).id).toBe(id);
  });

  it('should not let another workspace cancel a message', async () => {
    const id = await a.accept(smsTo(PHONE, { sendAt: new Date(Date.now() + 3_600_000).toISOString() }));

    expectError(await b.cancel(id), 404, 'NOT_FOUND');
    expect((await a.get(id)).status).toBe('scheduled');
    expect((await a.cancel(id)).status).toBe(200);
  });

  it("should leave another workspace's messages out of the list", async () => {
    const id = await a.accept(smsTo(PHONE, { reference: 'tenant-list' }));
    const own = await b.accept(smsTo(PHONE, { reference: 'tenant-list' }));

    const listed = await b.list('reference=tenant-list');
    expect(listed.body.data.map((m: { id: string }) => m.id)).toEqual([own]);
    const everything = await b.list('limit=100');
    expect(everything.body.data.map((m: { id: string }) => m.id)).not.toContain(id);
  });

  it("should not resolve another workspace's contact", async () => {
    expect((await a.putContact('tenant-contact', { phone: PHONE })).status).toBe(200);

    const answer = await b.send({ to: { contactId: 'tenant-contact' }, channels: ['sms'], content: { text: 'Hi' } });
    expectError(answer, 422, 'NO_REACHABLE_CHANNEL');
  });
});
