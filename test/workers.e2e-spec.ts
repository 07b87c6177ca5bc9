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
  withApplicationName,
} from './support/processes.js';

const N = 400;
const WORKERS = ['herald-worker-a', 'herald-worker-b'];

const messageBody = (i: number) =>
  i % 2 === 0
    ? { to: { phone: deliverablePhone(i) }, channels: ['sms'], content: { text: `shared ${i}` } }
    : {
        to: { email: deliverableEmail(i) },
        channels: ['email'],
        content: { text: `shared ${i}`, email: { subject: 'Shared' } },
      };

/**
 * Which process submitted what, seen from PostgreSQL: each worker connects with its own application_name
 * (a standard libpq parameter of DATABASE_URL), and a trigger that exists only in this test's database
 * writes the session's application_name next to every new sandbox submission. Herald itself is unchanged.
 */
async function installSubmissionAudit(db: pg.Pool): Promise<void> {
  await db.query(`
    CREATE TABLE IF NOT EXISTS test_submission_origin (
      attempt_id text NOT NULL, workspace_id text NOT NULL, application_name text NOT NULL)`);
  await db.query(`
    CREATE OR REPLACE FUNCTION test_record_submission_origin() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO test_submission_origin VALUES (NEW.attempt_id, NEW.workspace_id, current_setting('application_name'));
      RETURN NULL;
    END $$`);
  await db.query(`DROP TRIGGER IF EXISTS test_submission_origin ON sandbox_submissions`);
  await db.query(`CREATE TRIGGER test_submission_origin AFTER INSERT ON sandbox_submissions
                  FOR EACH ROW EXECUTE FUNCTION test_record_submission_origin()`);
}

/** API §1 and STYLE §9: any number of `worker` processes share one database's queue (FOR UPDATE SKIP LOCKED). */
describe('two worker processes', () => {
  const processes: HeraldProcess[] = [];
  let databaseUrl: string;
  let herald: TestHerald;
  let db: pg.Pool;
  let workspaceId: string;
  let key: string;

  beforeAll(async () => {
    databaseUrl = await ownDatabase('workers');
    db = sql(databaseUrl);
    await installSubmissionAudit(db);
    useDatabase(databaseUrl);
    herald = await startHerald({ HERALD_ROLE: 'api' });
    ({ id: workspaceId, apiKey: key } = await herald.createWorkspace('workers'));
  });

  afterAll(async () => {
    await stopAll(processes);
    await db?.end();
    await herald?.close();
  });

  it('should deliver every message when two workers share the queue', async () => {
    const workers = WORKERS.map((name) => HeraldProcess.worker(withApplicationName(databaseUrl, name)));
    processes.push(...workers);
    // Both are polling before the work arrives, so neither can finish the queue alone before the other starts.
    await Promise.all(workers.map((w) => w.started()));

    const answer = await herald.request('POST', '/v1/messages/batch', {
      key,
      body: { messages: Array.from({ length: N }, (_, i) => messageBody(i)) },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results.filter((r: { id?: string }) => !r.id)).toEqual([]);

    const delivered = await eventually(
      () =>
        count(db, `SELECT count(*) AS n FROM messages WHERE workspace_id = $1 AND status = 'delivered'`, [workspaceId]),
      (n) => n === N || workers.some((w) => !w.running),
      120_000,
      250,
    );
    for (const worker of workers) if (!worker.running) throw new Error(`a worker exited:\n${worker.output}`);
    expect(delivered).toBe(N);

    // Graceful shutdown (SIGTERM) finishes in-flight work and exits 0.
    await Promise.all(workers.map((w) => w.stop()));
    const exits = await Promise.all(workers.map(async (w) => ({ ...(await w.exited), output: w.output })));
    expect(exits.map((exit) => (exit.code === 0 ? 'exit 0' : exit))).toEqual(['exit 0', 'exit 0']);
  }, 180_000);

  it('should submit every message to the provider exactly once', async () => {
    const accepted = await db.query<{ message_id: string; submissions: string; accepted: string; calls: string }>(
      `SELECT a.message_id, count(*) AS submissions, sum(s.accepted) AS accepted, sum(s.calls) AS calls
         FROM sandbox_submissions s JOIN attempts a ON a.id = s.attempt_id
        WHERE s.workspace_id = $1 GROUP BY a.message_id`,
      [workspaceId],
    );
    expect(accepted.rows).toHaveLength(N);
    expect(
      accepted.rows.filter((r) => Number(r.submissions) !== 1 || Number(r.accepted) !== 1 || Number(r.calls) !== 1),
    ).toEqual([]);
    const repeated = await db.query(
      `SELECT message_id, channel FROM attempts WHERE workspace_id = $1 GROUP BY message_id, channel HAVING count(*) > 1`,
      [workspaceId],
    );
    expect(repeated.rows).toEqual([]);
  });

  it('should have both workers submit part of the messages', async () => {
    const byWorker = await db.query<{ application_name: string; n: string }>(
      `SELECT application_name, count(*) AS n FROM test_submission_origin WHERE workspace_id = $1
        GROUP BY application_name ORDER BY application_name`,
      [workspaceId],
    );
    const shares = Object.fromEntries(byWorker.rows.map((r) => [r.application_name, Number(r.n)]));
    expect(Object.keys(shares)).toEqual(WORKERS);
    expect(Object.values(shares).every((n) => n > 0)).toBe(true);
    expect(shares[WORKERS[0]] + shares[WORKERS[1]]).toBe(N);
  });
});
