import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Templates (API §5): WhatsApp templates with Meta's status, and reusable content for the other channels.
 * Status changes arrive from three sources (create answer, webhooks, periodic pull) and are merged in time
 * order: `status_at` is the time of the event behind the current status, so an older event arriving late is
 * kept in the history but does not win. Attempts remember the WhatsApp pricing category and whether the
 * customer-service window was open when they were sent, because Meta prices by those at send time.
 */
export class Templates1764800000000 implements MigrationInterface {
  name = 'Templates1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE templates (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        channel text NOT NULL,
        name text NOT NULL,
        language text NOT NULL DEFAULT '',
        category text,
        category_at timestamptz,
        status text NOT NULL,
        status_before text,
        status_at timestamptz NOT NULL,
        reason text,
        components jsonb,
        parameter_format text,
        content jsonb,
        provider text,
        provider_template_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A deleted template keeps its row and history; its name may be registered again.
    await q.query(
      `CREATE UNIQUE INDEX templates_name ON templates (workspace_id, channel, name, language) WHERE status <> 'DELETED'`,
    );
    await q.query(`CREATE INDEX templates_list ON templates (workspace_id, id DESC)`);
    await q.query(`CREATE INDEX templates_pending ON templates (status_at) WHERE status = 'PENDING'`);
    await q.query(
      `CREATE INDEX templates_provider_id ON templates (provider, provider_template_id) WHERE provider_template_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE template_events (
        id bigserial PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        template_id text NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        source text NOT NULL,
        event text NOT NULL,
        status text,
        previous_status text,
        category text,
        previous_category text,
        reason text,
        detail jsonb,
        applied boolean NOT NULL,
        dedupe_key text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (template_id, dedupe_key)
      )`);
    await q.query(`CREATE INDEX template_events_history ON template_events (workspace_id, template_id, at, id)`);
    // A webhook can beat the create call's answer (Meta approves some templates at once): kept until the
    // template row exists, and for audit.
    await q.query(`
      CREATE TABLE unmatched_template_events (
        id bigserial PRIMARY KEY,
        provider text NOT NULL,
        provider_template_id text NOT NULL,
        event jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX unmatched_template_events_lookup ON unmatched_template_events (provider, provider_template_id)`,
    );
    // Periodic jobs that one worker of the fleet should run per interval (template sync).
    await q.query(`
      CREATE TABLE scheduled_jobs (
        name text PRIMARY KEY,
        next_run_at timestamptz NOT NULL,
        last_run_at timestamptz,
        last_result jsonb
      )`);
    await q.query(`ALTER TABLE attempts ADD COLUMN price_category text, ADD COLUMN in_service_window boolean`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts DROP COLUMN IF EXISTS price_category, DROP COLUMN IF EXISTS in_service_window`);
    await q.query(`DROP TABLE IF EXISTS scheduled_jobs`);
    await q.query(`DROP TABLE IF EXISTS unmatched_template_events`);
    await q.query(`DROP TABLE IF EXISTS template_events`);
    await q.query(`DROP TABLE IF EXISTS templates`);
  }
}
