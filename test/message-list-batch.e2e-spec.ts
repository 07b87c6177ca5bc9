import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startHerald, type TestHerald } from './support/herald.js';
import { expectError, fields, MessageApi, smsTo } from './message-api.helper.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; the waits below need more than 5 s.
jest.setTimeout(60_000);

const PHONE = '+447700900123';
const FAR_AHEAD = () => new Date(Date.now() + 300 * 86_400_000).toISOString();

describe('GET /v1/messages and POST /v1/messages/batch', () => {
  let herald: TestHerald;
  let api: MessageApi;

  beforeAll(async () => {
    herald = await startHerald();
    api = new MessageApi(herald, (await herald.createWorkspace('list-batch')).apiKey);
  });
  afterAll(() => herald.close());

  const ids = (answer: { body: { data: { id: string }[] } }): string[] => answer.body.data.map((m) => m.id);

  describe('listing', () => {
    it('should page through every message exactly once, newest first', async () => {
      const own = new MessageApi(herald, (await herald.createWorkspace('list-pages')).apiKey);
      const sent: string[] = [];
      for (let i = 0; i < 7; i++) sent.push(await own.accept(smsTo(PHONE, { reference: `page-${i}` })));

      const seen: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | null = null;
      do {
        const answer = await own.list(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(answer.status).toBe(200);
        pageSizes.push(answer.body.data.length);
        seen.push(...ids(answer));
        cursor = answer.body.nextCursor;
      } while (cursor && pageSizes.length < 10);

      expect(pageSizes).toEqual([3, 3, 1]);
      expect(seen).toEqual([...sent].reverse());
    });

    it('should answer a page summary without attempts or events', async () => {
      const id = await api.accept(smsTo(PHONE, { reference: 'summary', metadata: { campaign: 'xmas' } }));
      const answer = await api.list('reference=summary');
      expect(answer.body.data).toEqual([
        expect.objectContaining({ id, reference: 'summary', metadata: { campaign: 'xmas' }, channels: ['sms'] }),
      ]);
      expect(answer.body.data[0]).not.toHaveProperty('attempts');
      expect(answer.body.nextCursor).toBeNull();
    });

    it('should filter by status, reference, channel and creation time', async () => {
      const failed = await api.accept(smsTo('+447700900001', { reference: 'filters' }));
      const delivered = await api.accept(smsTo(PHONE, { reference: 'filters' }));
      const byWhatsapp = await api.accept({
        to: { phone: PHONE },
        channels: ['whatsapp'],
        content: { text: 'Hi' },
        reference: 'filters',
      });
      await api.untilStatus(failed, 'failed');
      await api.untilStatus(delivered, 'delivered');
      await api.untilStatus(byWhatsapp, 'delivered');

      expect(ids(await api.list('reference=filters'))).toEqual([byWhatsapp, delivered, failed]);
      expect(ids(await api.list('reference=filters&status=failed'))).toEqual([failed]);
      expect(ids(await api.list('reference=filters&status=delivered'))).toEqual([byWhatsapp, delivered]);
      expect(ids(await api.list('reference=filters&channel=whatsapp'))).toEqual([byWhatsapp]);
      expect(ids(await api.list('reference=no-such-reference'))).toEqual([]);
      expect(
        ids(
          await api.list(`reference=filters&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
        ),
      ).toEqual([]);
      expect(
        ids(await api.list(`reference=filters&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)),
      ).toHaveLength(3);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['status=lost', 'status'],
      ['channel=pigeon', 'channel'],
      ['from=yesterday', 'from'],
    ])('should answer 400 for %s', async (query, field) => {
      const error = expectError(await api.list(query), 400, 'VALIDATION_FAILED');
      expect(fields(error)).toEqual([field]);
    });
  });

  describe('batch', () => {
    const batch = (body: unknown) => herald.request('POST', '/v1/messages/batch', { key: api.key, body });

    it('should answer each item in input order, accepting the valid ones', async () => {
      const answer = await batch({
        messages: [
          smsTo(PHONE, { reference: 'batch-mixed' }),
          { to: { phone: '12' }, channels: ['sms'], content: { text: 'Hi' } },
          { to: { phone: PHONE }, channels: ['sms'], content: { text: 'Hi {{name}}' } },
          smsTo(PHONE, { reference: 'batch-mixed', sendAt: FAR_AHEAD() }),
          'not a message',
          { to: { phone: PHONE }, channels: ['pigeon'], content: { text: 'Hi' } },
        ],
      });

      expect(answer.status).toBe(200);
      const results = answer.body.results;
      expect(results).toHaveLength(6);
      expect(results[0]).toEqual({
        id: expect.stringMatching(/^msg_/),
        status: 'accepted',
        createdAt: expect.any(String),
      });
      expect(results[1].error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'messages[1].to.phone', issue: expect.any(String) }],
      });
      expect(results[2].error).toMatchObject({
        code: 'MISSING_VARIABLE',
        details: [{ field: 'messages[2].variables.name', issue: expect.any(String) }],
      });
      expect(results[3]).toEqual({
        id: expect.stringMatching(/^msg_/),
        status: 'scheduled',
        createdAt: expect.any(String),
      });
      expect(results[4].error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'messages[4].body', issue: expect.any(String) }],
      });
      expect(results[5].error.code).toBe('VALIDATION_FAILED');
      expect(results[5].error.details.map((d: { field: string }) => d.field)).toEqual(['messages[5].channels[0]']);

      expect((await api.untilStatus(results[0].id, 'delivered')).status).toBe('delivered');
      expect(ids(await api.list('reference=batch-mixed')).sort()).toEqual([results[0].id, results[3].id].sort());
      expect((await api.cancel(results[3].id)).status).toBe(200);
    });

    it('should accept exactly 1000 messages', async () => {
      const sendAt = FAR_AHEAD();
      const answer = await batch({
        messages: Array.from({ length: 1000 }, () => smsTo(PHONE, { reference: 'batch-1000', sendAt })),
      });

      expect(answer.status).toBe(200);
      expect(answer.body.results).toHaveLength(1000);
      expect(answer.body.results.every((r: { status?: string }) => r.status === 'scheduled')).toBe(true);
      expect(new Set(answer.body.results.map((r: { id: string }) => r.id)).size).toBe(1000);
    });

    it('should answer 400 for more than 1000 messages', async () => {
      const error = expectError(
        await batch({ messages: Array.from({ length: 1001 }, () => smsTo(PHONE, { reference: 'batch-1001' })) }),
        400,
        'VALIDATION_FAILED',
      );
      expect(fields(error)).toEqual(['messages']);
      expect(ids(await api.list('reference=batch-1001'))).toEqual([]);
    });

    it.each([
      ['an empty list', { messages: [] }],
      ['messages that are not a list', { messages: { to: {} } }],
      ['no messages field', { message: [] }],
      ['a body that is a list', [smsTo(PHONE)]],
    ])('should answer 400 for %s', async (_name, body) => {
      const error = expectError(await batch(body), 400, 'VALIDATION_FAILED');
      expect(fields(error)).toEqual(['messages']);
    });
  });
});
