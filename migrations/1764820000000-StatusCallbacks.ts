import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Status callbacks (API §9): the workspace's endpoint, and the outbox of callbacks to deliver. An outbox row is
 * written in the transaction that changes a message's status, one per destination (the message's callbackUrl,
 * the workspace endpoint), so a crash loses none. Workers claim due rows with FOR UPDATE SKIP LOCKED; a row is
 * due only when no older pending row of the same message and destination exists (statuses arrive in order), and
 * a retry moves those later rows' next try along with its own, so a backlog behind a receiver that is down stays out
 * of the due range.
 * Rows are updated a few times each (attempts, outcome), so their pages keep free space for HOT updates.
 */
export class StatusCallbacks1764820000000 implements MigrationInterface {
  name = 'StatusCallbacks1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        workspace_id text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        url text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE callback_outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        message_id text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        event_id text NOT NULL,
        destination text NOT NULL CHECK (destination IN ('message', 'endpoint')),
        url text NOT NULL,
        message_status text NOT NULL,
        data jsonb NOT NULL,
        changed_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz DEFAULT now(),
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        failed_at timestamptz
      ) WITH (fillfactor = 80)`);
    // The claim: due pending rows, and the older pending rows of the same message and destination that hold them back.
    await q.query(`CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at) WHERE state = 'pending'`);
    await q.query(
      `CREATE INDEX callback_outbox_pending_order ON callback_outbox (message_id, destination, id) WHERE state = 'pending'`,
    );
    // The delivery log: newest first, per workspace, optionally for one message.
    await q.query(`CREATE INDEX callback_outbox_workspace ON callback_outbox (workspace_id, id DESC)`);
    await q.query(`CREATE INDEX callback_outbox_message ON callback_outbox (workspace_id, message_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS callback_outbox`);
    await q.query(`DROP TABLE IF EXISTS webhook_endpoints`);
  }
}
