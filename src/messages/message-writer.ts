import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { NewMessage } from './send/message-intake.js';

export type WriteResult = { inserted: true; createdAt: Date } | { inserted: false; conflict: 'idempotency' };

interface Pending {
  message: NewMessage;
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

const MAX_ROWS = 1000;
const MAX_IN_FLIGHT = 3;

/**
 * Group commit for accepted messages: concurrent requests are gathered into one multi-row INSERT (through
 * `unnest`), so a burst of sends costs a few commits instead of one each. A request is answered only after
 * the statement that holds its row has committed, so the 202 is durable. There is no added delay: a batch
 * leaves as soon as a slot is free, and whatever arrived meanwhile forms the next one.
 */
@Injectable()
export class MessageWriter implements OnModuleDestroy {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly listeners: ((count: number) => void)[] = [];

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Called after rows commit (the in-process dispatcher uses it to start at once). */
  onCommitted(listener: (count: number) => void): void {
    this.listeners.push(listener);
  }

  write(message: NewMessage): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.pump();
    });
  }

  writeMany(messages: NewMessage[]): Promise<WriteResult[]> {
    return Promise.all(messages.map((message) => this.write(message)));
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_ROWS);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const rows = batch.map((p) => p.message);
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
      ]);
      const createdAt = new Map(inserted.map((row) => [row.id, row.created_at]));
      for (const pending of batch) {
        const at = createdAt.get(pending.message.id);
        pending.resolve(at ? { inserted: true, createdAt: at } : { inserted: false, conflict: 'idempotency' });
      }
      if (inserted.length > 0) for (const listener of this.listeners) listener(inserted.length);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  async onModuleDestroy(): Promise<void> {
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
  }
}

// One statement: the messages and their first event. A row whose Idempotency-Key is taken is skipped
// (the unique index is the last guard) and reported back as a conflict.
const INSERT_SQL = `
WITH r AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::int[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
    AS t(id, workspace_id, status, channels, contact_id, recipient, content, success_on, fallback_after_ms, valid_until,
         send_at, callback_url, reference, metadata, idempotency_key, request_hash)
), m AS (
  INSERT INTO messages (id, workspace_id, status, channels, contact_id, recipient, content, success_on, fallback_after_ms,
                        valid_until, send_at, callback_url, reference, metadata, idempotency_key, request_hash, due_at)
  SELECT id, workspace_id, status, string_to_array(channels, ','), contact_id, recipient::jsonb, content::jsonb, success_on,
         fallback_after_ms, valid_until, send_at, callback_url, reference, metadata::jsonb, idempotency_key, request_hash,
         COALESCE(send_at, now())
    FROM r
  ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, workspace_id, status, send_at, created_at
), e AS (
  INSERT INTO message_events (workspace_id, message_id, at, type, detail)
  SELECT workspace_id, id, created_at, 'message.' || status,
         CASE WHEN status = 'scheduled' THEN 'scheduled for ' || to_char(send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              ELSE 'accepted' END
    FROM m
)
SELECT id, created_at FROM m`;
