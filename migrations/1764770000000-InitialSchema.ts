import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workspaces, keys, contacts, and the message pipeline. The `messages` rows are themselves the dispatch
 * queue: `due_at` says when a worker must next look at a message (new, retry, fallback timer, expiry),
 * and workers claim due rows with FOR UPDATE SKIP LOCKED. Messages and attempts are updated several times
 * in their life (status, timers), so their pages keep free space (fillfactor 80) for HOT updates.
 */
export class InitialSchema1764770000000 implements MigrationInterface {
  name = 'InitialSchema1764770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE workspaces (
        id text PRIMARY KEY,
        name text NOT NULL,
        callback_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        key_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_workspace ON api_keys (workspace_id)`);
    await q.query(`
      CREATE TABLE contacts (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        external_id text NOT NULL,
        phone text,
        email text,
        viber_id text,
        timezone text,
        locale text,
        attributes jsonb NOT NULL DEFAULT '{}',
        consent jsonb NOT NULL DEFAULT '{}',
        whatsapp_window_open_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, external_id)
      )`);
    await q.query(`
      CREATE TABLE messages (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        status text NOT NULL,
        channel text,
        channels text[] NOT NULL,
        contact_id text,
        recipient jsonb,
        content jsonb,
        success_on text NOT NULL,
        fallback_after_ms integer NOT NULL,
        valid_until timestamptz,
        send_at timestamptz,
        callback_url text,
        reference text,
        metadata jsonb,
        idempotency_key text,
        request_hash text,
        due_at timestamptz,
        erased_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      ) WITH (fillfactor = 80)`);
    await q.query(`CREATE INDEX messages_due ON messages (due_at) WHERE due_at IS NOT NULL`);
    await q.query(
      `CREATE UNIQUE INDEX messages_idempotency ON messages (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX messages_workspace_id ON messages (workspace_id, id DESC)`);
    await q.query(`CREATE INDEX messages_reference ON messages (workspace_id, reference) WHERE reference IS NOT NULL`);
    await q.query(`CREATE INDEX messages_contact ON messages (workspace_id, contact_id) WHERE contact_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE attempts (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        message_id text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        channel text NOT NULL,
        provider text,
        provider_message_id text,
        status text NOT NULL,
        error jsonb,
        tries integer NOT NULL DEFAULT 0,
        in_flight_since timestamptz,
        segments integer,
        cost_amount numeric(14, 6),
        cost_currency text,
        raw jsonb,
        submitted_at timestamptz,
        sent_at timestamptz,
        delivered_at timestamptz,
        read_at timestamptz,
        failed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, message_id, seq)
      ) WITH (fillfactor = 80)`);
    await q.query(
      `CREATE INDEX attempts_provider_id ON attempts (provider, provider_message_id) WHERE provider_message_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX attempts_workspace ON attempts (workspace_id, created_at)`);
    await q.query(`
      CREATE TABLE message_events (
        id bigserial PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        message_id text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        attempt_id text,
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        type text NOT NULL,
        channel text,
        detail text,
        data jsonb
      )`);
    await q.query(`CREATE INDEX message_events_message ON message_events (workspace_id, message_id, id)`);
    // Delivery reports whose attempt is not known (yet): a webhook can outrun the commit of the attempt's
    // provider id; such reports are kept and applied when the id is recorded.
    await q.query(`
      CREATE TABLE unmatched_reports (
        id bigserial PRIMARY KEY,
        provider text NOT NULL,
        provider_message_id text NOT NULL,
        report jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX unmatched_reports_lookup ON unmatched_reports (provider, provider_message_id)`);
    // The sandbox provider's own records, like a real provider's: durable, so a worker crash loses nothing.
    await q.query(`
      CREATE TABLE sandbox_submissions (
        attempt_id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        channel text NOT NULL,
        calls integer NOT NULL DEFAULT 1,
        accepted integer NOT NULL DEFAULT 0,
        provider_message_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sandbox_reports (
        id bigserial PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        provider_message_id text NOT NULL,
        channel text NOT NULL,
        status text NOT NULL,
        error jsonb,
        due_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX sandbox_reports_due ON sandbox_reports (due_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'sandbox_reports',
      'sandbox_submissions',
      'unmatched_reports',
      'message_events',
      'attempts',
      'messages',
      'contacts',
      'api_keys',
      'workspaces',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
