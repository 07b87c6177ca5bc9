import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startHerald, type TestHerald } from './support/herald.js';
import { expectError, fields, MessageApi, smsTo } from './message-api.helper.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; the waits below need more than 5 s.
jest.setTimeout(60_000);

const PHONE = '+447700900123';

describe('POST /v1/messages with an Idempotency-Key', () => {
  let herald: TestHerald;
  let api: MessageApi;

  beforeAll(async () => {
    herald = await startHerald();
    api = new MessageApi(herald, (await herald.createWorkspace('idempotency')).apiKey);
  });
  afterAll(() => herald.close());

  const referenced = async (reference: string): Promise<string[]> => {
    const answer = await api.list(`reference=${reference}`);
    expect(answer.status).toBe(200);
    return answer.body.data.map((m: { id: string }) => m.id);
  };

  it('should replay the first answer for the same key and body, and send once', async () => {
    const body = smsTo(PHONE, { reference: 'idem-replay' });
    const first = await api.send(body, { 'idempotency-key': 'key-replay' });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotency-replay')).toBeNull();

    const again = await api.send(body, { 'idempotency-key': 'key-replay' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotency-replay')).toBe('true');
    expect(again.body).toEqual(first.body);

    expect(await referenced('idem-replay')).toEqual([first.body.id]);
    const message = await api.untilStatus(first.body.id, 'delivered');
    expect(message.attempts).toHaveLength(1);
  });

  it('should treat the same body with its keys in another order as the same body', async () => {
    const first = await api.send(
      { to: { phone: PHONE }, channels: ['sms'], content: { text: 'Hi' }, reference: 'idem-order' },
      { 'idempotency-key': 'key-order' },
    );
    const again = await api.send(
      { reference: 'idem-order', content: { text: 'Hi' }, channels: ['sms'], to: { phone: PHONE } },
      { 'idempotency-key': 'key-order' },
    );
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotency-replay')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
  });

  it('should replay a scheduled message as scheduled', async () => {
    const body = smsTo(PHONE, { sendAt: new Date(Date.now() + 3_600_000).toISOString(), reference: 'idem-scheduled' });
    const first = await api.send(body, { 'idempotency-key': 'key-scheduled' });
    const again = await api.send(body, { 'idempotency-key': 'key-scheduled' });
    expect(first.body.status).toBe('scheduled');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotency-replay')).toBe('true');
    expect((await api.cancel(first.body.id)).status).toBe(200);
  });

  it('should answer 422 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
    const first = await api.send(smsTo(PHONE, { reference: 'idem-reused' }), { 'idempotency-key': 'key-reused' });
    expect(first.status).toBe(202);

    const other = await api.send(smsTo(PHONE, { reference: 'idem-reused', content: { text: 'Something else' } }), {
      'idempotency-key': 'key-reused',
    });
    const error = expectError(other, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(fields(error)).toEqual(['Idempotency-Key']);
    expect(await referenced('idem-reused')).toEqual([first.body.id]);
  });

  it('should accept one message for concurrent identical requests with one key', async () => {
    const body = smsTo(PHONE, { reference: 'idem-race' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => api.send(body, { 'idempotency-key': 'key-race' })),
    );

    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotency-replay') === 'true')).toHaveLength(9);
    expect(await referenced('idem-race')).toEqual([...ids]);

    const message = await api.untilStatus([...ids][0], 'delivered');
    expect(message.attempts).toHaveLength(1);
  });

  it('should keep keys apart between workspaces', async () => {
    const other = new MessageApi(herald, (await herald.createWorkspace('idempotency-other')).apiKey);
    const body = smsTo(PHONE, { reference: 'idem-tenants' });
    const mine = await api.send(body, { 'idempotency-key': 'key-tenants' });
    const theirs = await other.send(body, { 'idempotency-key': 'key-tenants' });

    expect([mine.status, theirs.status]).toEqual([202, 202]);
    expect(theirs.headers.get('idempotency-replay')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('should not take a key for a request that failed validation', async () => {
    const bad = await api.send(
      { to: { phone: '12' }, channels: ['sms'], content: { text: 'Hi' } },
      { 'idempotency-key': 'key-after-error' },
    );
    expectError(bad, 400, 'VALIDATION_FAILED');

    const good = await api.send(smsTo(PHONE, { reference: 'idem-after-error' }), {
      'idempotency-key': 'key-after-error',
    });
    expect(good.status).toBe(202);
    expect(good.headers.get('idempotency-replay')).toBeNull();
  });

  it('should answer 400 for an Idempotency-Key that is not printable ASCII or too long', async () => {
    const error = expectError(
      await api.send(smsTo(PHONE), { 'idempotency-key': 'k'.repeat(256) }),
      400,
      'VALIDATION_FAILED',
    );
    expect(fields(error)).toEqual(['Idempotency-Key']);
  });
});
