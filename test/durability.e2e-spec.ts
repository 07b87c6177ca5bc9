import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import {
  count,
  deliverableEmail,
  deliverablePhone,
  HeraldProcess,
  ownDatabase,
  sql,
  stopAll,
  useDatabase,
} from './support/processes.js';

const N = 300;

/** Half go by SMS only, half by email with SMS as fallback: 1-2 channels, every recipient delivers. */
const messageBody = (i: number) =>
  i % 2 === 0
    ? {
        to: { phone: deliverablePhone(i) },
        channels: ['sms'],
        content: { text: `durability ${i}` },
        reference: `dur-${i}`,
      }
    : {
        to: { phone: deliverablePhone(i), email: deliverableEmail(i) },
        channels: ['email', 'sms'],
        content: { text: `durability ${i}`, email: { subject: 'Durability' } },
        reference: `dur-${i}`,
      };

/**
 * API §4: "a crash after the 202 loses nothing", and an attempt interrupted between "in flight" and the
 * provider's answer is resolved with the provider's lookup, never submitted twice. The API runs in-process
 * (role api: it dispatches nothing); two `worker` processes run one after the other, the first SIGKILLed
 * half-way through the queue.
 */
describe('worker process durability', () => {
  const processes: HeraldProcess[] = [];
  let databaseUrl: string;
  let herald: TestHerald;
  let db: pg.Pool;
  let workspaceId: string;
  let key: string;
  let ids: string[];

  beforeAll(async () => {
    databaseUrl = await ownDatabase('durability');
    useDatabase(databaseUrl);
    herald = await startHerald({ HERALD_ROLE: 'api' });
    db = sql(databaseUrl);
    ({ id: workspaceId, apiKey: key } = await herald.createWorkspace('durability'));
  });

  afterAll(async () => {
    await stopAll(processes);
    await db?.end();
    await herald?.close();
  });

  const withAttempts = (ws = workspaceId) =>
    count(db, `SELECT count(DISTINCT message_id) AS n FROM attempts WHERE workspace_id = $1`, [ws]);
  const delivered = (ws = workspaceId) =>
    count(db, `SELECT count(*) AS n FROM messages WHERE workspace_id = $1 AND status = 'delivered'`, [ws]);

  it('should accept the whole batch durably while no worker runs', async () => {
    const answer = await herald.request('POST', '/v1/messages/batch', {
      key,
      body: { messages: Array.from({ length: N }, (_, i) => messageBody(i)) },
    });
    expect(answer.status).toBe(200);
    const refused = answer.body.results.filter((r: { id?: string }) => !r.id);
    expect(refused).toEqual([]);
    ids = answer.body.results.map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(N);
    // The API process dispatches nothing: the messages wait in PostgreSQL.
    expect(
      await count(
        db,
        `SELECT count(*) AS n FROM messages WHERE workspace_id = $1 AND status = 'accepted' AND due_at IS NOT NULL`,
        [workspaceId],
      ),
    ).toBe(N);
    expect(await withAttempts()).toBe(0);
  });

  it('should lose nothing and submit nothing twice when a worker is SIGKILLed mid-queue', async () => {
    expect(ids).toHaveLength(N);
    const first = HeraldProcess.worker(databaseUrl);
    processes.push(first);
    await eventually(
      () => withAttempts(),
      (n) => n >= N / 10 || !first.running,
      60_000,
      5,
    );
    if (!first.running) throw new Error(`the first worker exited on its own:\n${first.output}`);
    await first.kill();
    expect((await first.exited).signal).toBe('SIGKILL');

    const atKill = await withAttempts();
    expect(atKill).toBeGreaterThanOrEqual(N / 10);
    // Some but not all: otherwise the kill proved nothing (the worker would have finished the queue).
    expect(atKill).toBeLessThan(N);
    // Attempts the dead worker had marked in flight; the next worker must resolve each through lookup.
    const interrupted = await count(
      db,
      `SELECT count(*) AS n FROM attempts WHERE workspace_id = $1 AND status = 'queued' AND in_flight_since IS NOT NULL`,
      [workspaceId],
    );

    const second = HeraldProcess.worker(databaseUrl);
    processes.push(second);
    // Interrupted submissions wait for their lease (at least 60 s) before another worker may take them.
    const done = await eventually(
      () => delivered(),
      (n) => n === N || !second.running,
      180_000,
      250,
    );
    if (!second.running) throw new Error(`the second worker exited:\n${second.output}`);
    expect(done).toBe(N);

    const recovered = await count(
      db,
      `SELECT count(*) AS n FROM message_events WHERE workspace_id = $1 AND type = 'attempt.recovering'`,
      [workspaceId],
    );
    expect(recovered).toBe(interrupted);
    await second.stop();
  }, 240_000);

  it('should have exactly one accepted provider submission per message', async () => {
    const duplicates = await db.query(
      `SELECT attempt_id, accepted FROM sandbox_submissions WHERE workspace_id = $1 AND accepted > 1`,
      [workspaceId],
    );
    expect(duplicates.rows).toEqual([]);
    const acceptedPerMessage = await db.query<{ message_id: string; n: string }>(
      `SELECT a.message_id, count(*) AS n FROM sandbox_submissions s JOIN attempts a ON a.id = s.attempt_id
        WHERE s.workspace_id = $1 AND s.accepted > 0 GROUP BY a.message_id`,
      [workspaceId],
    );
    expect(acceptedPerMessage.rows.filter((row) => Number(row.n) !== 1)).toEqual([]);
    expect(acceptedPerMessage.rows).toHaveLength(N);
  });

  it('should never create two attempts of one message on the same channel', async () => {
    const repeated = await db.query(
      `SELECT message_id, channel, count(*) AS n FROM attempts WHERE workspace_id = $1 GROUP BY message_id, channel HAVING count(*) > 1`,
      [workspaceId],
    );
    expect(repeated.rows).toEqual([]);
    // Every recipient delivers on the first channel: one attempt per message, nothing skipped or failed.
    const attempts = await db.query<{ channel: string; status: string; n: string }>(
      `SELECT channel, status, count(*) AS n FROM attempts WHERE workspace_id = $1 GROUP BY channel, status ORDER BY channel`,
      [workspaceId],
    );
    expect(attempts.rows.map((r) => [r.channel, r.status, Number(r.n)])).toEqual([
      ['email', 'delivered', N / 2],
      ['sms', 'delivered', N / 2],
    ]);
  });

  it('should show every accepted message as delivered through the API', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
        await herald.request('GET', `/v1/messages?status=delivered&limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
          key,
        });
      expect(page.status).toBe(200);
      for (const message of page.body.data) seen.add(message.id);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect([...seen].sort()).toEqual([...ids].sort());

    const sample = await herald.request('GET', `/v1/messages/${ids[1]}`, { key });
    expect(sample.body).toMatchObject({ status: 'delivered', channel: 'email', reference: 'dur-1' });
    expect(sample.body.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([
      ['email', 'delivered'],
    ]);
  });

  it('should finish in-flight submissions and give back unstarted claims on SIGTERM', async () => {
    const graceful = await herald.createWorkspace('graceful');
    const M = 200;
    const batch = await herald.request('POST', '/v1/messages/batch', {
      key: graceful.apiKey,
      body: { messages: Array.from({ length: M }, (_, i) => ({ ...messageBody(2 * i), reference: `graceful-${i}` })) },
    });
    expect(batch.status).toBe(200);
    // A long claim lease: a claim that is not given back would keep its message waiting for a minute.
    const first = HeraldProcess.worker(databaseUrl, { HERALD_CLAIM_LEASE: '60s' });
    processes.push(first);
    await eventually(
      () => withAttempts(graceful.id),
      (n) => n >= M / 10 || !first.running,
      60_000,
      5,
    );
    await first.stop();
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const started = await withAttempts(graceful.id);
    expect(started).toBeLessThan(M);
    const state = await db.query<{ in_flight: string; held: string }>(
      `SELECT (SELECT count(*) FROM attempts WHERE workspace_id = $1 AND in_flight_since IS NOT NULL) AS in_flight,
              (SELECT count(*) FROM messages m WHERE m.workspace_id = $1 AND m.due_at > now()
                  AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.message_id = m.id AND a.workspace_id = $1)) AS held`,
      [graceful.id],
    );
    expect({ inFlight: Number(state.rows[0].in_flight), heldUnstarted: Number(state.rows[0].held) }).toEqual({
      inFlight: 0,
      heldUnstarted: 0,
    });

    const second = HeraldProcess.worker(databaseUrl);
    processes.push(second);
    expect(
      await eventually(
        () => delivered(graceful.id),
        (n) => n === M || !second.running,
        120_000,
        250,
      ),
    ).toBe(M);
    await second.stop();
  }, 180_000);
});
