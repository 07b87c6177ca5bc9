import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { enqueueSql } from '../callbacks/callback-outbox.sql.js';
import { GroupCommit } from '../database/group-commit.js';
import type { NewMessage } from './send/message-intake.js';

export type WriteResult = { inserted: true; createdAt: Date } | { inserted: false; conflict: 'idempotency' };

const MAX_ROWS = 1000;
const MAX_IN_FLIGHT = 3;

/**
 * Group commit for accepted messages: concurrent requests are gathered into one multi-row INSERT (through
 * `unnest`), so a burst of sends costs a few commits instead of one each. A request is answered only after
 * the statement that holds its row has committed, so the 202 is durable.
 */
@Injectable()
export class MessageWriter implements OnModuleDestroy {
  private readonly batches: GroupCommit<NewMessage, WriteResult>;
  private readonly listeners: ((count: number) => void)[] = [];

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.batches = new GroupCommit((rows) => this.flush(rows), MAX_ROWS, MAX_IN_FLIGHT);
  }

  /** Called after rows commit (the in-process dispatcher uses it to start at once). */
  onCommitted(listener: (count: number) => void): void {
    this.listeners.push(listener);
  }

  write(message: NewMessage): Promise<WriteResult> {
    return this.batches.submit(message);
  }

  writeMany(messages: NewMessage[]): Promise<WriteResult[]> {
    return Promise.all(messages.map((message) => this.write(message)));
  }

  private async flush(rows: NewMessage[]): Promise<WriteResult[]> {
    const inserted: { id: string; created_at: Date }[] = await this.db.query(INSERT_SQL, [
      rows.map((m) => m.id),
      rows.map((m) => m.workspaceId),
      rows.map((m) => m.status),
      rows.map((m) => m.channels.join(',')),
      rows.map((m) => m.contactId),
      rows.map((m) => JSON.stringify(m.recipient)),
      rows.map((m) => JSON.stringify(m.content)),
      rows.map((m) => m.successOn),
      rows.map((m) => m.fallbackAfterMs),
      rows.map((m) => m.validUntil.toISOString()),
      rows.map((m) => m.sendAt?.toISOString() ?? null),
      rows.map((m) => m.callbackUrl),
      rows.map((m) => m.reference),
      rows.map((m) => (m.metadata ? JSON.stringify(m.metadata) : null)),
      rows.map((m) => m.idempotencyKey),
      rows.map((m) => m.requestHash),
      rows.map((m) => m.origin?.triggerId ?? null),
      rows.map((m) => m.origin?.broadcastId ?? null),
      rows.map((m) => m.origin?.firingId ?? null),
      rows.map((m) => m.country),
      rows.map((m) => (m.templates ? JSON.stringify(m.templates) : null)),
    ]);
    const createdAt = new Map(inserted.map((row) => [row.id, row.created_at]));
    if (inserted.length > 0) for (const listener of this.listeners) listener(inserted.length);
    return rows.map((m) => {
      const at = createdAt.get(m.id);
      return at ? { inserted: true, createdAt: at } : { inserted: false, conflict: 'idempotency' };
    });
  }

  async onModuleDestroy(): Promise<void> {
    while (!this.batches.idle) await new Promise((r) => setTimeout(r, 10));
  }
}

// One statement: the messages and their first event. A row whose Idempotency-Key is taken is skipped
// (the unique index is the last guard) and reported back as a conflict.
const INSERT_SQL = `
WITH r AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::int[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                       $17::text[], $18::text[], $19::text[], $20::text[], $21::text[])
    AS t(id, workspace_id, status, channels, contact_id, recipient, content, success_on, fallback_after_ms, valid_until,
         send_at, callback_url, reference, metadata, idempotency_key, request_hash, trigger_id, broadcast_id, firing_id,
         country, templates)
), m AS (
  INSERT INTO messages (id, workspace_id, status, channels, contact_id, recipient, content, success_on, fallback_after_ms,
                        valid_until, send_at, callback_url, reference, metadata, idempotency_key, request_hash, due_at,
                        trigger_id, broadcast_id, firing_id, country, templates)
  SELECT id, workspace_id, status, string_to_array(channels, ','), contact_id, recipient::jsonb, content::jsonb, success_on,
         fallback_after_ms, valid_until, send_at, callback_url, reference, metadata::jsonb, idempotency_key, request_hash,
         COALESCE(send_at, now()), trigger_id, broadcast_id, firing_id, country, templates::jsonb
    FROM r
  ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, workspace_id, status, send_at, created_at, callback_url, reference
), e AS (
  INSERT INTO message_events (workspace_id, message_id, at, type, detail)
  SELECT workspace_id, id, created_at, 'message.' || status,
         CASE WHEN status = 'scheduled' THEN 'scheduled for ' || to_char(send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              ELSE 'accepted' END
    FROM m
), cb AS MATERIALIZED (
  -- The first status change's callbacks (src/callbacks), committed with the message; materialized so both
  -- destinations of a message share one event id.
  SELECT workspace_id, id AS message_id, 'evt_' || replace(gen_random_uuid()::text, '-', '') AS event_id, status,
         NULL::text AS channel, NULL::jsonb AS attempt, reference, callback_url, created_at AS changed_at, 1 AS n
    FROM m
   WHERE callback_url IS NOT NULL OR EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.workspace_id = m.workspace_id)
), cbo AS (
  ${enqueueSql('cb')}
)
SELECT id, created_at FROM m`;
