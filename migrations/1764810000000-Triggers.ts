import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events, triggers and broadcasts (API §7).
 *
 * `events` is both the record of what customers did and the trigger engine's queue: an event is inserted
 * unprocessed and a worker claims it (FOR UPDATE SKIP LOCKED), looks only at the rules for that event name
 * (partial indexes on the event names a rule listens to) and updates the rules' state. Everything a rule must
 * remember lives here: matches for counts, the first occurrence, and `firings` — the durable timers. A firing
 * is created when a rule matches and waits until `due_at` (the end of an absence window, a delay, the end of an
 * inactivity period, the end of quiet hours); workers claim due firings with SKIP LOCKED. `firing_key` is unique,
 * so the same cause can never fire twice, and the message a firing sends carries the firing as its
 * idempotency key, so a crash between the send and the firing's update cannot send it again.
 */
export class Triggers1764810000000 implements MigrationInterface {
  name = 'Triggers1764810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        contact_id text NOT NULL,
        name text NOT NULL,
        kind text NOT NULL DEFAULT 'track',
        properties jsonb NOT NULL DEFAULT '{}',
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        source text NOT NULL,
        dedup_key text,
        processed_at timestamptz,
        process_error text
      )`);
    await q.query(`CREATE UNIQUE INDEX events_dedup ON events (workspace_id, dedup_key) WHERE dedup_key IS NOT NULL`);
    await q.query(`CREATE INDEX events_unprocessed ON events (received_at, id) WHERE processed_at IS NULL`);
    // Counts, first occurrence and exit conditions look up one contact's events by name and time.
    await q.query(`CREATE INDEX events_contact_name ON events (workspace_id, contact_id, name, occurred_at)`);
    // Inactivity: one contact's latest event of any name.
    await q.query(`CREATE INDEX events_contact_time ON events (workspace_id, contact_id, occurred_at DESC)`);
    await q.query(`CREATE INDEX events_list ON events (workspace_id, id DESC)`);

    await q.query(`
      CREATE TABLE triggers (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name text NOT NULL,
        status text NOT NULL,
        definition jsonb NOT NULL,
        when_event text,
        unless_event text,
        conversion_event text,
        inactivity boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX triggers_list ON triggers (workspace_id, id DESC) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX triggers_when ON triggers (workspace_id, when_event) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX triggers_unless ON triggers (workspace_id, unless_event) WHERE status <> 'deleted'`);
    await q.query(
      `CREATE INDEX triggers_inactivity ON triggers (workspace_id) WHERE inactivity AND status <> 'deleted'`,
    );
    // Which event names are conversion events (only those look for a send to credit), also of deleted rules.
    await q.query(
      `CREATE INDEX triggers_conversion ON triggers (workspace_id, conversion_event) WHERE conversion_event IS NOT NULL`,
    );

    // Per rule and contact: the events that matched `when` (for counts) and what the rule remembers.
    await q.query(`
      CREATE TABLE trigger_matches (
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        trigger_id text NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,
        contact_id text NOT NULL,
        event_id text NOT NULL,
        occurred_at timestamptz NOT NULL,
        PRIMARY KEY (trigger_id, contact_id, occurred_at, event_id)
      )`);
    await q.query(`
      CREATE TABLE trigger_contacts (
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        trigger_id text NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,
        contact_id text NOT NULL,
        first_event_id text,
        first_at timestamptz,
        count_fired_through timestamptz,
        PRIMARY KEY (trigger_id, contact_id)
      )`);

    await q.query(`
      CREATE TABLE broadcasts (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name text NOT NULL,
        status text NOT NULL,
        send_at timestamptz NOT NULL,
        audience jsonb NOT NULL,
        message jsonb NOT NULL,
        conversion jsonb,
        conversion_event text,
        cursor text,
        audience_size integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        canceled_at timestamptz
      )`);
    await q.query(`CREATE INDEX broadcasts_due ON broadcasts (send_at) WHERE status IN ('scheduled', 'sending')`);
    await q.query(`CREATE INDEX broadcasts_list ON broadcasts (workspace_id, id DESC)`);
    await q.query(
      `CREATE INDEX broadcasts_conversion ON broadcasts (workspace_id, conversion_event) WHERE conversion_event IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE firings (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        trigger_id text REFERENCES triggers(id) ON DELETE CASCADE,
        broadcast_id text REFERENCES broadcasts(id) ON DELETE CASCADE,
        contact_id text NOT NULL,
        firing_key text NOT NULL,
        kind text NOT NULL,
        status text NOT NULL,
        reason text,
        detail text,
        event_id text,
        event_at timestamptz,
        match_key text,
        variables jsonb,
        due_at timestamptz,
        delayed_reason text,
        delayed_until timestamptz,
        decided_at timestamptz,
        tries integer NOT NULL DEFAULT 0,
        message_id text,
        conversion_event text,
        conversion_within_ms bigint,
        converted_at timestamptz,
        conversion_event_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, firing_key),
        CHECK ((trigger_id IS NULL) <> (broadcast_id IS NULL))
      ) WITH (fillfactor = 80)`);
    await q.query(`CREATE INDEX firings_due ON firings (due_at) WHERE status = 'waiting'`);
    await q.query(
      `CREATE INDEX firings_trigger ON firings (workspace_id, trigger_id, created_at) WHERE trigger_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX firings_broadcast ON firings (workspace_id, broadcast_id, created_at) WHERE broadcast_id IS NOT NULL`,
    );
    // Caps and conversion attribution (firings carry their conversion event): one contact's sends, newest first.
    await q.query(
      `CREATE INDEX firings_contact_sent ON firings (workspace_id, contact_id, decided_at DESC) WHERE status = 'sent'`,
    );
    // Exit conditions and inactivity resets: one contact's waiting firings of a rule.
    await q.query(
      `CREATE INDEX firings_waiting ON firings (workspace_id, trigger_id, contact_id) WHERE status = 'waiting'`,
    );
    await q.query(`
      CREATE TABLE firing_once (
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        trigger_id text NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,
        contact_id text NOT NULL,
        once_key text NOT NULL,
        firing_id text NOT NULL,
        PRIMARY KEY (trigger_id, contact_id, once_key)
      )`);

    await q.query(`
      CREATE TABLE workspace_settings (
        workspace_id text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        frequency_cap jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // The message a firing sent knows its rule (or broadcast) and firing, for reports and GET /v1/messages/{id}.
    await q.query(
      `ALTER TABLE messages ADD COLUMN trigger_id text, ADD COLUMN broadcast_id text, ADD COLUMN firing_id text`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN trigger_id, DROP COLUMN broadcast_id, DROP COLUMN firing_id`);
    await q.query(`DROP TABLE workspace_settings`);
    await q.query(`DROP TABLE firing_once`);
    await q.query(`DROP TABLE firings`);
    await q.query(`DROP TABLE broadcasts`);
    await q.query(`DROP TABLE trigger_contacts`);
    await q.query(`DROP TABLE trigger_matches`);
    await q.query(`DROP TABLE triggers`);
    await q.query(`DROP TABLE events`);
  }
}
