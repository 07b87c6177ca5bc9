import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { verifyCallback } from '../src/callbacks/callback-signature.js';
import { expectError, MessageApi, sleep, smsTo } from './message-api.helper.js';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, sql, useDatabase } from './support/processes.js';

jest.setTimeout(60_000);

/** One POST a receiver got, and what it answered. */
interface Hit {
  answered: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  event: { id: string; type: string; data: Record<string, any> };
}

interface Receiver {
  url: string;
  hits: Hit[];
  /** The statuses it accepted (answered 2xx), in arrival order. */
  accepted(messageId?: string): string[];
  close(): Promise<void>;
}

/** A local node:http receiver; `answer(n)` is the HTTP status for its n-th request (from 1). */
async function receiver(answer: (n: number) => number = () => 200): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = answer(hits.length + 1);
      hits.push({ answered, body, headers: req.headers, event: JSON.parse(body) });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'thanks' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/herald-status`,
    hits,
    accepted: (messageId) =>
      hits
        .filter((h) => h.answered < 300 && (!messageId || h.event.data.id === messageId))
        .map((h) => h.event.data.status),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The sandbox's status sequence for a deliverable SMS (API §4): what a receiver must see, once each, in order. */
const DELIVERED_SMS = ['accepted', 'sending', 'sent', 'delivered'];

/**
 * Status callbacks (API §9) against a real PostgreSQL: the outbox written with each status change, the worker's
 * retries and ordering, signatures checked the way a receiver checks them, both destinations, the delivery log,
 * the retry window, and the SSRF guard of a Herald that does not allow private targets.
 */
describe('status callbacks', () => {
  let herald: TestHerald;
  /** Same database, HTTP only (no worker), private callback targets not allowed. */
  let guarded: TestHerald;
  let db: pg.Pool;
  const receivers: Receiver[] = [];
  const listen = async (answer?: (n: number) => number) => {
    const made = await receiver(answer);
    receivers.push(made);
    return made;
  };

  beforeAll(async () => {
    const databaseUrl = await ownDatabase('status-callbacks');
    useDatabase(databaseUrl);
    db = sql(databaseUrl);
    herald = await startHerald({
      HERALD_ALLOW_PRIVATE_CALLBACKS: 'true',
      HERALD_CALLBACK_RETRY_BASE: '100ms',
      HERALD_CALLBACK_RETRY_WINDOW: '3s',
    });
    guarded = await startHerald({ HERALD_ROLE: 'api' });
  });

  afterAll(async () => {
    await guarded?.close();
    await herald?.close();
    await db?.end();
    await Promise.all(receivers.map((r) => r.close()));
  });

  const workspace = async (on: TestHerald, name: string) => {
    const { apiKey } = await on.createWorkspace(name);
    const call = (method: string, path: string, body?: unknown) => on.request(method, path, { key: apiKey, body });
    return { key: apiKey, call, messages: new MessageApi(on, apiKey) };
  };
  const deliveries = async (call: Awaited<ReturnType<typeof workspace>>['call'], query: string) => {
    const answer = await call('GET', `/v1/webhook-endpoint/deliveries?${query}`);
    expect(answer.status).toBe(200);
    return answer.body as { data: Record<string, any>[]; nextCursor: string | null };
  };

  describe('a receiver that fails twice, then answers 200', () => {
    let flaky: Receiver;
    let ws: Awaited<ReturnType<typeof workspace>>;
    let secret: string;
    let messageId: string;

    beforeAll(async () => {
      flaky = await listen((n) => (n <= 2 ? 500 : 200));
      ws = await workspace(herald, 'callbacks-flaky');
      const none = await ws.call('GET', '/v1/webhook-endpoint');
      expect(none).toMatchObject({ status: 200, body: { url: null, createdAt: null, updatedAt: null } });
      secret = none.body.secret;
      expect(secret).toMatch(/^whsec_/);
      const put = await ws.call('PUT', '/v1/webhook-endpoint', { url: flaky.url });
      expect(put.status).toBe(200);
      // No secret given: the workspace keeps its generated one.
      expect(put.body).toEqual({
        url: flaky.url,
        secret,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      messageId = await ws.messages.accept(smsTo('+447700900123', { reference: 'order-1001' }));
      await eventually(
        async () => flaky.accepted(messageId),
        (seen) => seen.includes('delivered'),
        20_000,
      );
      await sleep(500); // anything sent twice would arrive by now
    });

    it('should receive every status change once, in order, after retrying the first', async () => {
      expect(flaky.accepted(messageId)).toEqual(DELIVERED_SMS);
      expect(flaky.hits.map((h) => [h.event.data.status, h.answered])).toEqual([
        ['accepted', 500],
        ['accepted', 500],
        ['accepted', 200],
        ['sending', 200],
        ['sent', 200],
        ['delivered', 200],
      ]);
      // A retry is the same event: same id, same body.
      const tries = flaky.hits.slice(0, 3);
      expect(new Set(tries.map((h) => h.body)).size).toBe(1);
      expect(new Set(flaky.hits.map((h) => h.event.id)).size).toBe(DELIVERED_SMS.length);
    });

    it('should sign each callback with the workspace secret, so a tampered body fails verification', () => {
      for (const hit of flaky.hits) {
        const signature = hit.headers['herald-signature'] as string;
        expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
        expect(hit.headers['herald-event-id']).toBe(hit.event.id);
        expect(hit.headers['content-type']).toBe('application/json');
        expect(verifyCallback(secret, hit.body, signature)).toBe(true);
        expect(verifyCallback(secret, hit.body.replace(hit.event.data.status, 'read'), signature)).toBe(false);
        expect(verifyCallback(`${secret}x`, hit.body, signature)).toBe(false);
      }
    });

    it('should describe each change: the message, its channel, the attempt behind it, the reference and the time', async () => {
      const message = await ws.messages.get(messageId);
      const attempt = message.attempts[0];
      const events = flaky.hits.filter((h) => h.answered === 200).map((h) => h.event);
      for (const event of events) {
        expect(event).toEqual({
          id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
          type: 'message.status',
          data: expect.any(Object),
        });
        expect(event.data).toMatchObject({ id: messageId, reference: 'order-1001' });
        expect(Object.keys(event.data)).toEqual(['id', 'status', 'channel', 'attempt', 'reference', 'at']);
      }
      expect(events[0].data).toMatchObject({ status: 'accepted', channel: null, attempt: null, at: message.createdAt });
      const behind = (status: string) => ({ id: attempt.id, channel: 'sms', provider: 'sandbox', status });
      expect(events.slice(1).map((e) => [e.data.status, e.data.channel, e.data.attempt])).toEqual([
        ['sending', 'sms', behind('queued')],
        ['sent', 'sms', behind('sent')],
        ['delivered', 'sms', behind('delivered')],
      ]);
      const times = events.map((e) => Date.parse(e.data.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times.at(-1)).toBeLessThanOrEqual(Date.parse(message.updatedAt) + 1000);
    });

    it('should show every try in the delivery log', async () => {
      const log = await deliveries(ws.call, `messageId=${messageId}`);
      expect(log.nextCursor).toBeNull();
      // Newest first.
      expect(log.data.map((d) => [d.messageStatus, d.status, d.attempts, d.lastStatusCode])).toEqual([
        ['delivered', 'delivered', 1, 200],
        ['sent', 'delivered', 1, 200],
        ['sending', 'delivered', 1, 200],
        ['accepted', 'delivered', 3, 200],
      ]);
      const first = log.data[3];
      expect(first).toEqual({
        id: expect.stringMatching(/^dlv_\d+$/),
        eventId: flaky.hits[0].event.id,
        event: 'message.status',
        messageId,
        messageStatus: 'accepted',
        destination: 'endpoint',
        url: flaky.url,
        status: 'delivered',
        attempts: 3,
        lastStatusCode: 200,
        lastError: null,
        lastAttemptAt: expect.any(String),
        nextAttemptAt: null,
        deliveredAt: expect.any(String),
        failedAt: null,
        createdAt: expect.any(String),
      });

      const page = await deliveries(ws.call, `messageId=${messageId}&status=delivered&limit=3`);
      expect(page.data).toHaveLength(3);
      const rest = await deliveries(ws.call, `messageId=${messageId}&limit=3&cursor=${page.nextCursor}`);
      expect(rest).toEqual({ data: [log.data[3]], nextCursor: null });
      expect((await deliveries(ws.call, 'status=failed')).data).toEqual([]);
      const bad = await ws.call('GET', '/v1/webhook-endpoint/deliveries?status=lost&limit=0&cursor=zz');
      expect(
        expectError(bad, 400, 'VALIDATION_FAILED')
          .details.map((d) => d.field)
          .sort(),
      ).toEqual(['cursor', 'limit', 'status']);
    });

    it("should not show another workspace's deliveries", async () => {
      const other = await workspace(herald, 'callbacks-other');
      expect((await deliveries(other.call, `messageId=${messageId}`)).data).toEqual([]);
    });
  });

  it('should send to both the message callbackUrl and the workspace endpoint, signed with a secret of its own', async () => {
    const endpoint = await listen();
    const own = await listen();
    const ws = await workspace(herald, 'callbacks-both');
    const secret = 'my-own-callback-secret-0123';
    const put = await ws.call('PUT', '/v1/webhook-endpoint', { url: endpoint.url, secret });
    expect(put.body).toMatchObject({ url: endpoint.url, secret });
    expect((await ws.call('GET', '/v1/webhook-endpoint')).body).toMatchObject({ url: endpoint.url, secret });

    const both = await ws.messages.accept(smsTo('+447700900124', { callbackUrl: own.url }));
    // The same URL as the endpoint is one destination: each change arrives there once.
    const same = await ws.messages.accept(smsTo('+447700900125', { callbackUrl: endpoint.url }));
    await eventually(
      async () => [own.accepted(both), endpoint.accepted(both), endpoint.accepted(same)],
      (seen) => seen.every((statuses) => statuses.includes('delivered')),
      20_000,
    );
    await sleep(300);
    expect(own.accepted(both)).toEqual(DELIVERED_SMS);
    expect(endpoint.accepted(both)).toEqual(DELIVERED_SMS);
    expect(endpoint.accepted(same)).toEqual(DELIVERED_SMS);
    expect(own.accepted(same)).toEqual([]);
    // One event per change, whichever destination it went to.
    const ids = (r: Receiver) => r.hits.filter((h) => h.event.data.id === both).map((h) => h.event.id);
    expect(ids(own)).toEqual(ids(endpoint));
    for (const hit of [...own.hits, ...endpoint.hits])
      expect(verifyCallback(secret, hit.body, hit.headers['herald-signature'] as string)).toBe(true);

    const log = await deliveries(ws.call, `messageId=${both}`);
    expect(log.data.map((d) => [d.destination, d.url]).sort()).toEqual(
      [...Array(4).fill(['endpoint', endpoint.url]), ...Array(4).fill(['message', own.url])].sort(),
    );
    expect((await deliveries(ws.call, `messageId=${both}&destination=message`)).data).toHaveLength(4);
  });

  it('should report a canceled message', async () => {
    const hook = await listen();
    const ws = await workspace(herald, 'callbacks-cancel');
    const id = await ws.messages.accept(
      smsTo('+447700900126', { callbackUrl: hook.url, sendAt: new Date(Date.now() + 3_600_000).toISOString() }),
    );
    expect((await ws.messages.cancel(id)).status).toBe(200);
    await eventually(
      async () => hook.accepted(id),
      (seen) => seen.length === 2,
    );
    expect(hook.accepted(id)).toEqual(['scheduled', 'canceled']);
  });

  it('should give up on a destination that never answers 2xx once the retry window has passed', async () => {
    const down = await listen(() => 503);
    const ws = await workspace(herald, 'callbacks-down');
    const id = await ws.messages.accept(smsTo('+447700900127', { callbackUrl: down.url }));
    const log = await eventually(
      () => deliveries(ws.call, `messageId=${id}`),
      (page) => page.data.length === 4 && page.data.every((d) => d.status === 'failed'),
      20_000,
    );
    expect(log.data.map((d) => [d.messageStatus, d.status, d.lastStatusCode, d.lastError, d.nextAttemptAt])).toEqual(
      ['delivered', 'sent', 'sending', 'accepted'].map((status) => [status, 'failed', 503, 'HTTP 503', null]),
    );
    const first = log.data[3];
    // Base 100 ms doubling within a 3 s window: tries at about 0, 0.1, 0.3, 0.7, 1.5 and 3 s.
    expect(first.attempts).toBeGreaterThanOrEqual(5);
    expect(Date.parse(first.failedAt)).toBeGreaterThanOrEqual(Date.parse(first.createdAt) + 3000);
    // Later statuses waited for the first to be given up on, so the receiver still saw them in order.
    const order = down.hits.filter((h) => h.event.data.id === id).map((h) => h.event.data.status);
    expect(order.filter((status, i) => status !== order[i - 1])).toEqual(DELIVERED_SMS);

    const metrics = await herald.request('GET', '/metrics');
    expect(metrics.body).toMatch(/herald_callbacks_total\{outcome="failed"\} \d+/);
    expect(metrics.body).toMatch(/herald_callbacks_total\{outcome="retry"\} \d+/);
    expect(metrics.body).toMatch(/herald_callbacks_total\{outcome="delivered"\} \d+/);
  });

  it('should keep callbacks in the outbox, written with the status change, until a worker sends them', async () => {
    const hook = await listen();
    const ws = await workspace(herald, 'callbacks-outbox');
    expect((await ws.call('PUT', '/v1/webhook-endpoint', { url: hook.url })).status).toBe(200);
    // Accepted by an API-only process: it has no worker, so the callback can only come from the outbox row
    // its own transaction wrote, delivered by another process's worker.
    const api = new MessageApi(guarded, ws.key);
    const id = await api.accept(smsTo('+447700900128'));
    const rows = await db.query(`SELECT message_status, destination FROM callback_outbox WHERE message_id = $1`, [id]);
    expect(rows.rows[0]).toEqual({ message_status: 'accepted', destination: 'endpoint' });
    await eventually(
      async () => hook.accepted(id),
      (seen) => seen.includes('delivered'),
      20_000,
    );
    expect(hook.accepted(id)).toEqual(DELIVERED_SMS);
    // Every status change of the message has its callback: one outbox row per message.<status> event.
    const changes = await db.query(
      `SELECT count(*)::int AS n FROM message_events WHERE message_id = $1 AND type = ANY($2::text[])`,
      [id, DELIVERED_SMS.filter((s) => s !== 'sending').map((s) => `message.${s}`)],
    );
    const outbox = await db.query(`SELECT count(*)::int AS n FROM callback_outbox WHERE message_id = $1`, [id]);
    expect(outbox.rows[0].n).toBe(changes.rows[0].n + 1); // + sending, which has no message event of its own
  });

  describe('without HERALD_ALLOW_PRIVATE_CALLBACKS', () => {
    let ws: Awaited<ReturnType<typeof workspace>>;

    beforeAll(async () => {
      ws = await workspace(guarded, 'callbacks-guarded');
    });

    it.each([
      ['http://127.0.0.1:8080/hook', /loopback/],
      ['http://localhost:8080/hook', /loopback/],
      ['http://[::1]:8080/hook', /loopback/],
      ['http://[::ffff:127.0.0.1]/hook', /loopback/],
      ['http://10.0.0.8/hook', /private/],
      ['http://169.254.169.254/latest/meta-data/', /metadata/],
    ])('should refuse the endpoint %s with a 400 naming url', async (url, issue) => {
      const answer = await ws.call('PUT', '/v1/webhook-endpoint', { url });
      const error = expectError(answer, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([{ field: 'url', issue: expect.stringMatching(issue) }]);
    });

    it('should refuse a loopback callbackUrl at POST /v1/messages with a 400 naming callbackUrl', async () => {
      for (const callbackUrl of ['http://127.0.0.1:8080/hook', 'http://localhost/hook']) {
        const answer = await ws.messages.send(smsTo('+447700900129', { callbackUrl }));
        const error = expectError(answer, 400, 'VALIDATION_FAILED');
        expect(error.details).toEqual([{ field: 'callbackUrl', issue: expect.stringMatching(/loopback/) }]);
      }
    });

    it('should accept public targets, a secret of 16 to 256 characters, and remove the endpoint', async () => {
      const short = await ws.call('PUT', '/v1/webhook-endpoint', { url: 'https://hooks.example/h', secret: 'short' });
      expect(expectError(short, 400, 'VALIDATION_FAILED').details.map((d) => d.field)).toEqual(['secret']);
      const bad = await ws.call('PUT', '/v1/webhook-endpoint', { url: 'ftp://hooks.example/h', extra: 1 });
      expect(
        expectError(bad, 400, 'VALIDATION_FAILED')
          .details.map((d) => d.field)
          .sort(),
      ).toEqual(['extra']);
      const ftp = await ws.call('PUT', '/v1/webhook-endpoint', { url: 'ftp://hooks.example/h' });
      expect(expectError(ftp, 400, 'VALIDATION_FAILED').details).toEqual([
        { field: 'url', issue: expect.stringMatching(/https:\/\//) },
      ]);

      const before = (await ws.call('GET', '/v1/webhook-endpoint')).body.secret;
      const put = await ws.call('PUT', '/v1/webhook-endpoint', { url: 'https://hooks.example/herald' });
      expect(put).toMatchObject({ status: 200, body: { url: 'https://hooks.example/herald', secret: before } });
      expect((await ws.call('DELETE', '/v1/webhook-endpoint')).status).toBe(204);
      expect((await ws.call('GET', '/v1/webhook-endpoint')).body).toEqual({
        url: null,
        secret: before,
        createdAt: null,
        updatedAt: null,
      });
      expect((await ws.call('DELETE', '/v1/webhook-endpoint')).status).toBe(204);
    });

    it('should allow the same loopback endpoint on a Herald that allows private callbacks', async () => {
      const allowed = await workspace(herald, 'callbacks-allowed');
      expect((await allowed.call('PUT', '/v1/webhook-endpoint', { url: 'http://127.0.0.1:9/hook' })).status).toBe(200);
      expect((await allowed.call('DELETE', '/v1/webhook-endpoint')).status).toBe(204);
    });
  });
});
