import type { MigrationInterface, QueryRunner } from 'typeorm';
import { phoneCountry } from '#libs/core/src/index.js';

const BACKFILL_BATCH = 5000;

/**
 * Reports (API §8) are computed from the stored state of messages and attempts, not from roll-ups (README,
 * "Reports"), so this migration only adds what those reads need:
 *
 * - `messages (workspace_id, created_at)`: every report reads one workspace's messages created in [from, to),
 *   as an index range scan. Neither column ever changes after the insert, so updates of a message (status,
 *   channel, due_at) stay HOT: adding `status` or `channel` to it, even as INCLUDE columns, would cost every
 *   dispatcher update an index write. The attempts of each message are read through the existing unique
 *   `(workspace_id, message_id, seq)` index, so attempts need nothing new.
 * - `messages.country`: the recipient's country (ISO 3166 alpha-2, from the phone number at intake), so
 *   `groupBy=country` needs no phone parsing at read time and survives erasure of the addresses (GDPR: counts
 *   stay).
 * - `messages.templates`: the stored template each channel of the message names (`{"whatsapp": "cart_reminder",
 *   "sms": "cart_sms"}`); the rendered content keeps only WhatsApp's, and it is erased with the contact.
 *
 * Existing messages are backfilled: the country from the stored phone (computed here with the same function as
 * the intake), the WhatsApp template from the content. The index is built inside the migration's transaction
 * (CREATE INDEX CONCURRENTLY cannot run in one): it blocks writes to messages while it builds, so on a large
 * installation run `npm run migration:run` in a quiet moment.
 */
export class Reports1764830000000 implements MigrationInterface {
  name = 'Reports1764830000000';

  async up(q: QueryRunner): Promise<void> {
    // A backfill and an index build over a large table may take longer than the application's 30 s limit.
    await q.query(`SET LOCAL statement_timeout = 0`);
    await q.query(`ALTER TABLE messages ADD COLUMN country text, ADD COLUMN templates jsonb`);
    await q.query(`CREATE INDEX messages_workspace_created ON messages (workspace_id, created_at)`);

    // Distinct phones in one pass, then their countries a batch at a time (walking the temporary table's key).
    await q.query(`
      CREATE TEMPORARY TABLE report_phone_countries ON COMMIT DROP AS
      SELECT DISTINCT recipient ->> 'phone' AS phone, NULL::text AS country FROM messages WHERE recipient ? 'phone'`);
    await q.query(`ALTER TABLE report_phone_countries ADD PRIMARY KEY (phone)`);
    let after = '';
    for (;;) {
      const phones: { phone: string }[] = await q.query(
        `SELECT phone FROM report_phone_countries WHERE phone > $1 ORDER BY phone LIMIT $2`,
        [after, BACKFILL_BATCH],
      );
      if (!phones.length) break;
      await q.query(
        `UPDATE report_phone_countries pc SET country = b.country
           FROM unnest($1::text[], $2::text[]) AS b(phone, country) WHERE pc.phone = b.phone`,
        [phones.map((p) => p.phone), phones.map((p) => phoneCountry(p.phone))],
      );
      after = phones.at(-1)!.phone;
    }
    // One rewrite of each row that needs either column.
    await q.query(`
      UPDATE messages m SET
        country = (SELECT pc.country FROM report_phone_countries pc WHERE pc.phone = m.recipient ->> 'phone'),
        templates = CASE WHEN m.content #> '{whatsapp,template,name}' IS NOT NULL
                         THEN jsonb_build_object('whatsapp', m.content #>> '{whatsapp,template,name}') END
       WHERE m.recipient ? 'phone' OR m.content #> '{whatsapp,template,name}' IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS messages_workspace_created`);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS country, DROP COLUMN IF EXISTS templates`);
  }
}
