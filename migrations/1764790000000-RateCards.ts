import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A workspace's own rate card (API §8); without a row the shipped example card applies. */
export class RateCards1764790000000 implements MigrationInterface {
  name = 'RateCards1764790000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rate_cards (
        workspace_id text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        card jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS rate_cards`);
  }
}
