import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbound messages (replies, keywords). Provider credentials are not per workspace, so an inbound message
 * is filed under each workspace that knows the sender (a contact with that address, or a recent message to
 * it); the unique key makes a provider's retried webhook harmless.
 */
export class InboundMessages1764780000000 implements MigrationInterface {
  name = 'InboundMessages1764780000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbound_messages (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        channel text NOT NULL,
        provider text NOT NULL,
        provider_message_id text NOT NULL,
        from_address text,
        to_address text,
        text text,
        contact_id text,
        received_at timestamptz NOT NULL,
        raw jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, provider, provider_message_id)
      )`);
    await q.query(`CREATE INDEX inbound_messages_list ON inbound_messages (workspace_id, id DESC)`);
    await q.query(`CREATE INDEX contacts_phone ON contacts (workspace_id, phone) WHERE phone IS NOT NULL`);
    await q.query(`CREATE INDEX contacts_viber ON contacts (workspace_id, viber_id) WHERE viber_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS contacts_viber`);
    await q.query(`DROP INDEX IF EXISTS contacts_phone`);
    await q.query(`DROP TABLE IF EXISTS inbound_messages`);
  }
}
