import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import {
  count,
  deliverablePhone,
  HeraldProcess,
  ownDatabase,
  sql,
  stopAll,
  useDatabase,
  withApplicationName,
} from './support/processes.js';

const CONTACTS = 150;
const BURST = 100;
const WORKER_A = 'herald-worker-a';
const WORKER_B = 'herald-worker-b';
const WORKER_A_AGAIN = 'herald-worker-a-restarted';
const WORKER_A_THIRD = 'herald-worker-a-third';
const VIEWERS = 100;
/** How long the fault below holds worker A inside its INSERT of triggered messages. */
const SEND_STALL_MS = 1500;
/** B's sends stall a little too until A is caught, so B cannot take the whole burst before A claims its share. */
const HOLD_B_MS = 1000;

/** Every 5th cart is ordered inside the window: the absence rule must not send for it. */
const ordered = (i: number): boolean => i % 5 === 0;
const ORDERED = Array.from({ length: CONTACTS }, (_, i) => i).filter(ordered).length;

/**
 * Who did what, seen from PostgreSQL. Each worker connects with its own application_name, and triggers that
 * exist only in this test's database record it beside every triggered message inserted and every change of a
 * firing's status. `test_stall` is a fault: while it names a session, that session's INSERTs of triggered
 * messages sleep after their rows are written and before they commit, so a SIGKILL can land in the window
 * that matters: the messages are about to be durable, the firings that made them are not yet "sent" (their
 * transaction dies with the process, the INSERT statement does not). `test_commit_stall` holds a session's
 * COMMIT of firings decided "sent" (a deferred trigger), after their messages committed on another connection:
 * terminating that backend is a crash between the send and its record. Herald itself is unchanged.
 */
async function installAudit(db: pg.Pool): Promise<void> {
  await db.query(`
    CREATE TABLE test_message_origin (
      message_id text NOT NULL, firing_id text NOT NULL, application_name text NOT NULL)`);
  await db.query(`
    CREATE TABLE test_firing_change (
      firing_id text NOT NULL, old_status text NOT NULL, new_status text NOT NULL, detail text,
      application_name text NOT NULL)`);
  await db.query(`CREATE TABLE test_stall (application_name text PRIMARY KEY, ms int NOT NULL)`);
  // PostgreSQL's default, made explicit: a statement whose client died runs to its end (and commits).
  await db.query(`DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET client_connection_check_interval = 0', current_database());
  END $$`);
  await db.query(`
    CREATE FUNCTION test_record_message_origin() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO test_message_origin VALUES (NEW.id, NEW.firing_id, current_setting('application_name'));
      RETURN NULL;
    END $$`);
  await db.query(`CREATE TRIGGER test_message_origin AFTER INSERT ON messages
                  FOR EACH ROW WHEN (NEW.firing_id IS NOT NULL) EXECUTE FUNCTION test_record_message_origin()`);
  await db.query(`
    CREATE FUNCTION test_record_firing_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO test_firing_change VALUES (NEW.id, OLD.status, NEW.status, NEW.detail, current_setting('application_name'));
      RETURN NULL;
    END $$`);
  await db.query(`CREATE TRIGGER test_firing_change AFTER UPDATE ON firings
                  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION test_record_firing_change()`);
  await db.query(`
    CREATE FUNCTION test_stall_send() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE stall int;
    BEGIN
      SELECT ms INTO stall FROM test_stall WHERE application_name = current_setting('application_name');
      IF stall IS NOT NULL AND current_setting('test.stalled', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('test.stalled', 'yes', true);
        PERFORM pg_sleep(stall / 1000.0);
      END IF;
      RETURN NULL;
    END $$`);
  await db.query(`CREATE TRIGGER test_stall_send AFTER INSERT ON messages
                  FOR EACH ROW WHEN (NEW.firing_id IS NOT NULL) EXECUTE FUNCTION test_stall_send()`);
  await db.query(`CREATE TABLE test_commit_stall (application_name text PRIMARY KEY, ms int NOT NULL)`);
  await db.query(`
    CREATE FUNCTION test_stall_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE stall int;
    BEGIN
      SELECT ms INTO stall FROM test_commit_stall WHERE application_name = current_setting('application_name');
      IF stall IS NOT NULL AND current_setting('test.commit_stalled', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('test.commit_stalled', 'yes', true);
        PERFORM pg_sleep(stall / 1000.0);
      END IF;
      RETURN NULL;
    END $$`);
  await db.query(`CREATE CONSTRAINT TRIGGER test_stall_commit AFTER UPDATE ON firings DEFERRABLE INITIALLY DEFERRED
                  FOR EACH ROW WHEN (NEW.status = 'sent') EXECUTE FUNCTION test_stall_commit()`);
}

/** Until `who` is asleep inside one of the faults above; returns the sleeping backends' pids. */
async function asleep(db: pg.Pool, who: HeraldProcess, name: string): Promise<number[]> {
  const pids = await eventually(
    async () =>
      (
        await db.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'PgSleep'`,
          [name],
        )
      ).rows.map((r) => r.pid),
    (list) => list.length > 0 || !who.running,
    15_000,
    10,
  );
  if (!who.running) throw new Error(`${name} exited on its own:\n${who.output}`);
  return pids;
}

interface Stats {
  fired: number;
  suppressed: Record<string, number>;
  sent: number;
  delivered: number;
  failed: number;
  pending: number;
  canceled: number;
}

/**
 * API §7 and STYLE §9: firings are durable timers in PostgreSQL that any number of `worker` processes share.
 * The API runs in-process with role `api` (it evaluates and sends nothing); two worker processes do the work.
 * Acceptance: every due firing sends exactly once, also when a worker is SIGKILLed in the middle of a send,
 * and a send recovered after a crash counts like any other (here: for oncePer).
 */
describe('triggers with two worker processes', () => {
  const processes: HeraldProcess[] = [];
  let databaseUrl: string;
  let herald: TestHerald;
  let db: pg.Pool;
  let workspaceId: string;
  let key: string;
  let absence: string;
  let welcome: string;
  let workerA: HeraldProcess;
  let workerB: HeraldProcess;
  let workerA2: HeraldProcess;

  beforeAll(async () => {
    databaseUrl = await ownDatabase('triggers-workers');
    db = sql(databaseUrl);
    await installAudit(db);
    useDatabase(databaseUrl);
    herald = await startHerald({ HERALD_ROLE: 'api' });
    ({ id: workspaceId, apiKey: key } = await herald.createWorkspace('triggers-workers'));
  }, 60_000);

  afterAll(async () => {
    await stopAll(processes);
    await db?.end();
    await herald?.close();
  });

  const api = (method: string, path: string, body?: unknown) =>
    herald.request(method, path, { key, ...(body === undefined ? {} : { body }) });
  const stats = async (triggerId: string): Promise<Stats> => {
    const answer = await api('GET', `/v1/triggers/${triggerId}/stats`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const createTrigger = async (body: Record<string, unknown>): Promise<string> => {
    const answer = await api('POST', '/v1/triggers', body);
    expect(answer.status).toBe(201);
    return answer.body.id;
  };
  const putContacts = async (ids: string[], phoneOf: (index: number) => string) => {
    for (let start = 0; start < ids.length; start += 25) {
      const answers = await Promise.all(
        ids.slice(start, start + 25).map((id, j) => api('PUT', `/v1/contacts/${id}`, { phone: phoneOf(start + j) })),
      );
      expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    }
  };
  const track = async (events: { contactId: string; event: string; properties?: Record<string, unknown> }[]) => {
    const answer = await api('POST', '/v1/events', { events });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: events.length, duplicates: 0 });
  };
  const workersAlive = () => {
    for (const worker of processes)
      if (worker.child.signalCode === null && !worker.running)
        throw new Error(`a worker exited on its own:\n${worker.output}`);
  };

  /** Every triggered message of the workspace belongs to exactly one sent firing, and the other way round. */
  async function expectExactlyOnce(): Promise<void> {
    const repeated = await db.query(
      `SELECT firing_id, count(*)::int AS n FROM messages WHERE workspace_id = $1 AND firing_id IS NOT NULL
        GROUP BY firing_id HAVING count(*) > 1`,
      [workspaceId],
    );
    expect(repeated.rows).toEqual([]);
    const sentWithoutItsMessage = await db.query(
      `SELECT f.id, f.message_id, m.firing_id AS message_firing FROM firings f
         LEFT JOIN messages m ON m.id = f.message_id AND m.workspace_id = f.workspace_id
        WHERE f.workspace_id = $1 AND f.status = 'sent'
          AND (m.id IS NULL OR m.firing_id IS DISTINCT FROM f.id OR m.trigger_id IS DISTINCT FROM f.trigger_id)`,
      [workspaceId],
    );
    expect(sentWithoutItsMessage.rows).toEqual([]);
    const messageWithoutSentFiring = await db.query(
      `SELECT m.id, m.firing_id, f.status, f.message_id FROM messages m
         LEFT JOIN firings f ON f.id = m.firing_id
        WHERE m.workspace_id = $1 AND m.firing_id IS NOT NULL
          AND (f.id IS NULL OR f.status <> 'sent' OR f.message_id IS DISTINCT FROM m.id)`,
      [workspaceId],
    );
    expect(messageWithoutSentFiring.rows).toEqual([]);
    const messages = await count(
      db,
      `SELECT count(*) AS n FROM messages WHERE workspace_id = $1 AND firing_id IS NOT NULL`,
      [workspaceId],
    );
    const sent = await count(db, `SELECT count(*) AS n FROM firings WHERE workspace_id = $1 AND status = 'sent'`, [
      workspaceId,
    ]);
    expect(messages).toBe(sent);
    // No firing was decided "sent" twice (by two workers, or again after a restart).
    const decidedTwice = await db.query(
      `SELECT firing_id, count(*)::int AS n FROM test_firing_change WHERE new_status = 'sent'
        GROUP BY firing_id HAVING count(*) > 1`,
    );
    expect(decidedTwice.rows).toEqual([]);
  }

  /** Per contact of `contactIds`: how many messages `triggerId` made (sent firings joined to their messages). */
  async function messagesPerContact(triggerId: string, contactIds: string[]): Promise<Record<string, number>> {
    const rows = await db.query<{ contact_id: string; n: number }>(
      `SELECT f.contact_id, count(m.id)::int AS n FROM firings f JOIN messages m ON m.firing_id = f.id
        WHERE f.workspace_id = $1 AND f.trigger_id = $2 AND f.contact_id = ANY($3::text[]) GROUP BY f.contact_id`,
      [workspaceId, triggerId, contactIds],
    );
    return Object.fromEntries(rows.rows.map((r) => [r.contact_id, r.n]));
  }

  it('should send every due firing exactly once while two workers share them', async () => {
    workerA = HeraldProcess.worker(withApplicationName(databaseUrl, WORKER_A));
    workerB = HeraldProcess.worker(withApplicationName(databaseUrl, WORKER_B));
    processes.push(workerA, workerB);
    await Promise.all([workerA.started(), workerB.started()]);

    absence = await createTrigger({
      name: 'Cart abandonment',
      when: { event: 'checkout_started' },
      unless: { event: 'order_completed', within: '2s', matchOn: 'properties.cartId' },
      send: { channels: ['sms'], content: { text: 'cart {{cartId}}' } },
    });
    welcome = await createTrigger({
      name: 'Welcome',
      when: { event: 'signed_up' },
      send: { channels: ['sms'], content: { text: 'welcome aboard' } },
    });
    const contacts = Array.from({ length: CONTACTS }, (_, i) => `shopper-${i}`);
    await putContacts(contacts, deliverablePhone);

    // In batches of 50: the checkouts, then the orders of every 5th cart well inside its 2 s window, then sign-ups.
    for (let start = 0; start < CONTACTS; start += 50) {
      const batch = contacts.slice(start, start + 50).map((contactId, j) => ({ contactId, i: start + j }));
      await track(
        batch.map(({ contactId, i }) => ({
          contactId,
          event: 'checkout_started',
          properties: { cartId: `cart-${i}` },
        })),
      );
      await track(
        batch
          .filter(({ i }) => ordered(i))
          .map(({ contactId, i }) => ({ contactId, event: 'order_completed', properties: { cartId: `cart-${i}` } })),
      );
      await track(batch.map(({ contactId }) => ({ contactId, event: 'signed_up', properties: {} })));
    }

    const settled = await eventually(
      async () => {
        workersAlive();
        return [await stats(absence), await stats(welcome)];
      },
      ([cart, hello]) =>
        cart.pending === 0 &&
        hello.pending === 0 &&
        cart.fired + cart.canceled === CONTACTS &&
        hello.fired + hello.canceled === CONTACTS,
      30_000,
      200,
    );
    const [cart, hello] = settled;
    expect(cart).toMatchObject({ sent: CONTACTS - ORDERED, canceled: ORDERED, fired: CONTACTS - ORDERED });
    expect(cart).toMatchObject({ pending: 0, failed: 0, suppressed: {} });
    expect(hello).toMatchObject({
      sent: CONTACTS,
      canceled: 0,
      fired: CONTACTS,
      pending: 0,
      failed: 0,
      suppressed: {},
    });
    expect(
      await count(db, `SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND processed_at IS NULL`, [
        workspaceId,
      ]),
    ).toBe(0);
    expect(
      await count(db, `SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND process_error IS NOT NULL`, [
        workspaceId,
      ]),
    ).toBe(0);

    // The ordered carts were canceled by their exit event, and only those.
    const canceled = await db.query<{ contact_id: string; reason: string }>(
      `SELECT contact_id, reason FROM firings WHERE workspace_id = $1 AND trigger_id = $2 AND status = 'canceled'
        ORDER BY contact_id`,
      [workspaceId, absence],
    );
    expect(canceled.rows).toEqual(
      contacts
        .filter((_, i) => ordered(i))
        .sort()
        .map((contactId) => ({ contact_id: contactId, reason: 'exited' })),
    );
    const perCart = await messagesPerContact(absence, contacts);
    expect(perCart).toEqual(Object.fromEntries(contacts.filter((_, i) => !ordered(i)).map((id) => [id, 1])));
    const perWelcome = await messagesPerContact(welcome, contacts);
    expect(perWelcome).toEqual(Object.fromEntries(contacts.map((id) => [id, 1])));
    expect(
      await count(db, `SELECT count(*) AS n FROM messages WHERE workspace_id = $1 AND firing_id IS NOT NULL`, [
        workspaceId,
      ]),
    ).toBe(2 * CONTACTS - ORDERED);
    await expectExactlyOnce();

    // Both workers sent part of the messages, and together all of them.
    const byWorker = await db.query<{ application_name: string; n: number }>(
      `SELECT application_name, count(*)::int AS n FROM test_message_origin GROUP BY 1 ORDER BY 1`,
    );
    const shares = Object.fromEntries(byWorker.rows.map((r) => [r.application_name, r.n]));
    expect(Object.keys(shares)).toEqual([WORKER_A, WORKER_B]);
    expect(shares[WORKER_A]).toBeGreaterThan(0);
    expect(shares[WORKER_B]).toBeGreaterThan(0);
    expect(shares[WORKER_A] + shares[WORKER_B]).toBe(2 * CONTACTS - ORDERED);
    // The API process (role api) decided nothing: every firing decision came from a worker.
    const deciders = await db.query<{ application_name: string }>(
      `SELECT DISTINCT application_name FROM test_firing_change ORDER BY 1`,
    );
    expect(deciders.rows.map((r) => r.application_name)).toEqual([WORKER_A, WORKER_B]);

    // The sandbox delivers every one of them, and the stats say so.
    const delivered = await eventually(
      async () => {
        workersAlive();
        return [await stats(absence), await stats(welcome)];
      },
      ([a, b]) => a.delivered === CONTACTS - ORDERED && b.delivered === CONTACTS,
      20_000,
      250,
    );
    expect(delivered.map((s) => s.delivered)).toEqual([CONTACTS - ORDERED, CONTACTS]);

    const sample = await db.query<{ id: string; message_id: string; contact_id: string; trigger_id: string }>(
      `SELECT id, message_id, contact_id, trigger_id FROM firings
        WHERE workspace_id = $1 AND status = 'sent' AND contact_id = ANY($2::text[]) ORDER BY trigger_id, contact_id`,
      [workspaceId, ['shopper-1', 'shopper-7']],
    );
    expect(sample.rows).toHaveLength(4);
    for (const firing of sample.rows) {
      const message = await api('GET', `/v1/messages/${firing.message_id}`);
      expect(message.status).toBe(200);
      expect(message.body).toMatchObject({
        id: firing.message_id,
        status: 'delivered',
        channel: 'sms',
        trigger: { id: firing.trigger_id, firingId: firing.id },
      });
    }
    const exported = (await api('GET', '/v1/contacts/shopper-7/export')).body;
    expect(exported.messages.map((m: { content: { sms: { text: string } } }) => m.content.sms.text).sort()).toEqual([
      'cart cart-7',
      'welcome aboard',
    ]);
  }, 60_000);

  it('should lose no firing and send none twice when a worker is SIGKILLed in the middle of a send', async () => {
    expect(workerA?.running && workerB?.running).toBe(true);
    const burst = Array.from({ length: BURST }, (_, i) => `joiner-${i}`);
    await putContacts(burst, (i) => deliverablePhone(CONTACTS + i));
    // Worker A's sends of triggered messages stall after writing their rows: it then holds claimed firings.
    await db.query(`INSERT INTO test_stall VALUES ($1, $2), ($3, $4)`, [WORKER_A, SEND_STALL_MS, WORKER_B, HOLD_B_MS]);

    await track(burst.map((contactId) => ({ contactId, event: 'signed_up', properties: {} })));
    expect(await asleep(db, workerA, WORKER_A)).not.toEqual([]);
    await db.query(`DELETE FROM test_stall WHERE application_name = $1`, [WORKER_B]);
    // A holds an open transaction (its claimed firings) while its messages' INSERT sleeps: kill it now.
    const openInA = await count(
      db,
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`,
      [WORKER_A],
    );
    const burstFirings = (status: string) =>
      count(
        db,
        `SELECT count(*) AS n FROM firings WHERE workspace_id = $1 AND trigger_id = $2 AND contact_id = ANY($3::text[])
            AND status = $4`,
        [workspaceId, welcome, burst, status],
      );
    await workerA.kill();
    expect((await workerA.exited).signal).toBe('SIGKILL');
    const sentAtKill = await burstFirings('sent');
    await db.query(`DELETE FROM test_stall`);
    expect(openInA).toBeGreaterThan(0);
    // The kill landed while firings were due: some of the burst was not sent yet.
    expect(sentAtKill).toBeLessThan(BURST);
    expect(await burstFirings('waiting')).toBeGreaterThan(0);

    // B keeps going alone for a while, then A comes back as a new process.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    workerA2 = HeraldProcess.worker(withApplicationName(databaseUrl, WORKER_A_AGAIN));
    processes.push(workerA2);
    await workerA2.started();

    const after = await eventually(
      async () => {
        workersAlive();
        return stats(welcome);
      },
      (s) => s.pending === 0 && s.fired === CONTACTS + BURST && s.delivered === CONTACTS + BURST,
      30_000,
      250,
    );
    expect(after).toMatchObject({
      fired: CONTACTS + BURST,
      sent: CONTACTS + BURST,
      delivered: CONTACTS + BURST,
      pending: 0,
      canceled: 0,
      failed: 0,
      suppressed: {},
    });
    expect(await messagesPerContact(welcome, burst)).toEqual(Object.fromEntries(burst.map((id) => [id, 1])));
    await expectExactlyOnce();

    // What the stalled INSERT held: messages of the dead worker that committed after it died, each the one
    // message of its firing; the survivors recorded those firings as sent without a second message.
    const fromDeadWorker = await db.query<{ firing_id: string; decided_by: string; detail: string | null }>(
      `SELECT o.firing_id, c.application_name AS decided_by, c.detail FROM test_message_origin o
         JOIN test_firing_change c ON c.firing_id = o.firing_id AND c.new_status = 'sent'
         JOIN firings f ON f.id = o.firing_id
        WHERE o.application_name = $1 AND f.contact_id = ANY($2::text[])`,
      [WORKER_A, burst],
    );
    expect(fromDeadWorker.rows.length).toBeGreaterThan(0);
    expect(fromDeadWorker.rows.filter((r) => r.decided_by === WORKER_A)).toEqual([]);

    const byWorker = await db.query<{ application_name: string; n: number }>(
      `SELECT o.application_name, count(*)::int AS n FROM test_message_origin o JOIN firings f ON f.id = o.firing_id
        WHERE f.contact_id = ANY($1::text[]) GROUP BY 1 ORDER BY 1`,
      [burst],
    );
    expect(byWorker.rows.reduce((sum, r) => sum + r.n, 0)).toBe(BURST);

    // The welcome message reached every new contact once, through the API too.
    const [firing] = (
      await db.query<{ id: string; message_id: string }>(
        `SELECT id, message_id FROM firings WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, fromDeadWorker.rows[0].firing_id],
      )
    ).rows;
    const message = await api('GET', `/v1/messages/${firing.message_id}`);
    expect(message.body).toMatchObject({ status: 'delivered', trigger: { id: welcome, firingId: firing.id } });
  }, 60_000);
  it('should record a send recovered after a crash between the send and its record, and count it for oncePer', async () => {
    expect(workerA2?.running && workerB?.running).toBe(true);
    const reminder = await createTrigger({
      name: 'Cart reminder',
      when: { event: 'cart_viewed' },
      send: { channels: ['sms'], content: { text: 'still thinking about {{cartId}}?' } },
      limits: { oncePer: 'properties.cartId' },
    });
    const viewers = Array.from({ length: VIEWERS }, (_, i) => `viewer-${i}`);
    await putContacts(viewers, (i) => deliverablePhone(CONTACTS + BURST + i));
    const views = viewers.map((contactId, i) => ({
      contactId,
      event: 'cart_viewed',
      properties: { cartId: `viewed-${i}` },
    }));
    // The restarted A commits its "sent" firings only after a long pause; B is held back until A is caught there.
    await db.query(`INSERT INTO test_stall VALUES ($1, $2)`, [WORKER_B, HOLD_B_MS]);
    await db.query(`INSERT INTO test_commit_stall VALUES ($1, 5000)`, [WORKER_A_AGAIN]);

    await track(views);
    const committing = await asleep(db, workerA2, WORKER_A_AGAIN);
    await db.query(`DELETE FROM test_stall`);
    // A's messages have committed; the firings that made them die with A, uncommitted.
    const sentByA = await count(
      db,
      `SELECT count(*) AS n FROM test_message_origin o JOIN firings f ON f.id = o.firing_id
        WHERE o.application_name = $1 AND f.trigger_id = $2`,
      [WORKER_A_AGAIN, reminder],
    );
    await workerA2.kill();
    await db.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [committing]);
    await db.query(`DELETE FROM test_commit_stall`);
    expect(sentByA).toBeGreaterThan(0);

    const third = HeraldProcess.worker(withApplicationName(databaseUrl, WORKER_A_THIRD));
    processes.push(third);
    await third.started();
    const first = await eventually(
      async () => {
        workersAlive();
        return stats(reminder);
      },
      (s) => s.pending === 0 && s.fired === VIEWERS && s.delivered === VIEWERS,
      20_000,
      200,
    );
    expect(first).toMatchObject({
      fired: VIEWERS,
      sent: VIEWERS,
      delivered: VIEWERS,
      pending: 0,
      failed: 0,
      suppressed: {},
    });
    // The survivors found the dead worker's messages and recorded them: no second message for those firings.
    const recovered = await db.query<{ id: string; message_id: string; origin: string }>(
      `SELECT f.id, f.message_id, o.application_name AS origin FROM firings f
         JOIN test_message_origin o ON o.message_id = f.message_id
        WHERE f.workspace_id = $1 AND f.trigger_id = $2 AND f.detail = 'sent before a worker restart'`,
      [workspaceId, reminder],
    );
    expect(recovered.rows.length).toBe(sentByA);
    expect(recovered.rows.filter((r) => r.origin !== WORKER_A_AGAIN)).toEqual([]);
    expect(await messagesPerContact(reminder, viewers)).toEqual(Object.fromEntries(viewers.map((id) => [id, 1])));
    await expectExactlyOnce();

    // The same carts viewed again: each cart was reminded once, recovered or not, so none is reminded again.
    await track(views);
    const again = await eventually(
      async () => {
        workersAlive();
        return stats(reminder);
      },
      (s) => s.pending === 0 && s.fired === 2 * VIEWERS,
      20_000,
      200,
    );
    // Per first send of a cart (by how it was recorded): carts that were reminded a second time.
    const remindedAgain = await db.query<{ first_send: string; n: number }>(
      `SELECT first.detail AS first_send, count(*)::int AS n FROM firings f
         JOIN firings first ON first.trigger_id = f.trigger_id AND first.contact_id = f.contact_id
          AND first.created_at < f.created_at AND first.status = 'sent'
        WHERE f.workspace_id = $1 AND f.trigger_id = $2 AND f.status = 'sent'
        GROUP BY first.detail ORDER BY 1`,
      [workspaceId, reminder],
    );
    expect(remindedAgain.rows).toEqual([]);
    expect(again).toMatchObject({ fired: 2 * VIEWERS, sent: VIEWERS, suppressed: { once_per: VIEWERS }, pending: 0 });
    expect(await messagesPerContact(reminder, viewers)).toEqual(Object.fromEntries(viewers.map((id) => [id, 1])));
  }, 60_000);
});
