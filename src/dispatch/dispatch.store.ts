import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AttemptStatus, Channel, MessageStatus } from '#libs/core/src/index.js';
import type { DispatchAttempt, DispatchMessage, NewEvent } from './dispatch.types.js';
import { returned } from '../database/sql.js';

interface AttemptRow {
  id: string;
  seq: number;
  channel: Channel;
  provider: string | null;
  provider_message_id: string | null;
  status: AttemptStatus;
  error: DispatchAttempt['error'];
  tries: number;
  in_flight_since: string | null;
  submitted_at: string | null;
}

const date = (value: string | Date | null): Date | null => (value === null ? null : new Date(value));

/**
 * The dispatcher's SQL, in one place. Every statement names the workspace; callers pass the
 * EntityManager of the transaction they hold.
 */
@Injectable()
export class DispatchStore {
  /** Claims up to `limit` due messages by pushing their due time out by `leaseMs` (a crashed worker's lease just runs out). */
  async claim(manager: EntityManager, limit: number, leaseMs: number): Promise<{ id: string; workspaceId: string }[]> {
    const rows = returned<{ id: string; workspace_id: string }>(await manager.query(
      `UPDATE messages m SET due_at = now() + $2 * interval '1 millisecond'
         FROM (SELECT id FROM messages WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) c
        WHERE m.id = c.id
        RETURNING m.id, m.workspace_id`,
      [limit, leaseMs],
    ));
    return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id }));
  }

  /** Gives claimed messages back (graceful shutdown). */
  async release(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length) await manager.query(`UPDATE messages SET due_at = now() WHERE id = ANY($1) AND due_at IS NOT NULL`, [ids]);
  }

  async lock(manager: EntityManager, workspaceId: string, id: string): Promise<DispatchMessage | null> {
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT m.id, m.workspace_id, m.status, m.channel, m.channels, m.recipient, m.content, m.success_on,
              m.fallback_after_ms, m.valid_until, m.created_at, COALESCE(c.consent, '{}') AS consent,
              COALESCE((SELECT json_agg(json_build_object('id', a.id, 'seq', a.seq, 'channel', a.channel, 'provider', a.provider,
                         'provider_message_id', a.provider_message_id, 'status', a.status, 'error', a.error, 'tries', a.tries,
                         'in_flight_since', a.in_flight_since, 'submitted_at', a.submitted_at) ORDER BY a.seq)
                          FROM attempts a WHERE a.message_id = m.id AND a.workspace_id = m.workspace_id), '[]') AS attempts
         FROM messages m
         LEFT JOIN contacts c ON c.workspace_id = m.workspace_id AND c.external_id = m.contact_id
        WHERE m.id = $1 AND m.workspace_id = $2
        FOR UPDATE OF m`,
      [id, workspaceId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id as string,
      workspaceId: row.workspace_id as string,
      status: row.status as MessageStatus,
      channel: row.channel as Channel | null,
      channels: row.channels as Channel[],
      recipient: row.recipient as DispatchMessage['recipient'],
      content: row.content as DispatchMessage['content'],
      successOn: row.success_on as DispatchMessage['successOn'],
      fallbackAfterMs: row.fallback_after_ms as number,
      validUntil: date(row.valid_until as Date | null),
      createdAt: new Date(row.created_at as Date),
      consent: row.consent as DispatchMessage['consent'],
      attempts: (row.attempts as AttemptRow[]).map((a) => ({
        id: a.id,
        seq: a.seq,
        channel: a.channel,
        provider: a.provider,
        providerMessageId: a.provider_message_id,
        status: a.status,
        error: a.error,
        tries: a.tries,
        inFlightSince: date(a.in_flight_since),
        submittedAt: date(a.submitted_at),
      })),
    };
  }

  async insertAttempt(
    manager: EntityManager,
    message: DispatchMessage,
    attempt: { id: string; seq: number; channel: Channel; provider: string | null; status: AttemptStatus; inFlight: boolean; error?: unknown },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO attempts (id, workspace_id, message_id, seq, channel, provider, status, error, tries, in_flight_since, failed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10 THEN clock_timestamp() END,
               CASE WHEN $7 = 'skipped' THEN clock_timestamp() END)`,
      [
        attempt.id,
        message.workspaceId,
        message.id,
        attempt.seq,
        attempt.channel,
        attempt.provider,
        attempt.status,
        attempt.error === undefined ? null : JSON.stringify(attempt.error),
        attempt.inFlight ? 1 : 0,
        attempt.inFlight,
      ],
    );
  }

  async startRetry(manager: EntityManager, workspaceId: string, attemptId: string): Promise<void> {
    await manager.query(
      `UPDATE attempts SET tries = tries + 1, in_flight_since = clock_timestamp(), updated_at = now()
        WHERE id = $1 AND workspace_id = $2`,
      [attemptId, workspaceId],
    );
  }

  async recordSubmitted(
    manager: EntityManager,
    workspaceId: string,
    attemptId: string,
    result: { provider: string; providerMessageId: string; status: 'submitted' | 'sent'; segments?: number; raw?: unknown },
  ): Promise<Date> {
    const rows = returned<{ submitted_at: Date }>(await manager.query(
      `UPDATE attempts SET status = $3, provider = $4, provider_message_id = $5, segments = COALESCE($6, segments),
              raw = COALESCE($7::jsonb, raw), submitted_at = clock_timestamp(),
              sent_at = CASE WHEN $3 = 'sent' THEN clock_timestamp() END, in_flight_since = NULL, error = NULL, updated_at = now()
        WHERE id = $1 AND workspace_id = $2
        RETURNING submitted_at`,
      [attemptId, workspaceId, result.status, result.provider, result.providerMessageId, result.segments ?? null, result.raw === undefined ? null : JSON.stringify(result.raw)],
    ));
    return new Date(rows[0].submitted_at);
  }

  async recordError(
    manager: EntityManager,
    workspaceId: string,
    attemptId: string,
    status: 'queued' | 'failed' | 'skipped',
    error: unknown,
  ): Promise<void> {
    await manager.query(
      `UPDATE attempts SET status = $3, error = $4::jsonb, in_flight_since = NULL, updated_at = now(),
              failed_at = CASE WHEN $3 = 'queued' THEN failed_at ELSE clock_timestamp() END
        WHERE id = $1 AND workspace_id = $2`,
      [attemptId, workspaceId, status, JSON.stringify(error)],
    );
  }

  /** Ends attempts that never reached the provider (queued, not in flight). */
  async endQueuedAttempts(manager: EntityManager, workspaceId: string, messageId: string, status: AttemptStatus, error: unknown): Promise<void> {
    await manager.query(
      `UPDATE attempts SET status = $3, error = $4::jsonb, failed_at = clock_timestamp(), updated_at = now()
        WHERE message_id = $1 AND workspace_id = $2 AND status = 'queued' AND in_flight_since IS NULL`,
      [messageId, workspaceId, status, JSON.stringify(error)],
    );
  }

  async updateMessage(
    manager: EntityManager,
    workspaceId: string,
    id: string,
    patch: { status?: MessageStatus; channel?: Channel | null; dueAt: Date | null | 'now' },
  ): Promise<void> {
    await manager.query(
      `UPDATE messages SET status = COALESCE($3, status), channel = CASE WHEN $4::boolean THEN $5 ELSE channel END,
              due_at = CASE WHEN $6::boolean THEN now() ELSE $7::timestamptz END, updated_at = now()
        WHERE id = $1 AND workspace_id = $2`,
      [
        id,
        workspaceId,
        patch.status ?? null,
        patch.channel !== undefined,
        patch.channel ?? null,
        patch.dueAt === 'now',
        patch.dueAt === 'now' ? null : (patch.dueAt?.toISOString() ?? null),
      ],
    );
  }

  async addEvents(manager: EntityManager, workspaceId: string, messageId: string, events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await manager.query(
      `INSERT INTO message_events (workspace_id, message_id, at, type, channel, attempt_id, detail, data)
       SELECT $1, $2, clock_timestamp(), e.type, e.channel, e.attempt_id, e.detail, e.data::jsonb
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS e(type, channel, attempt_id, detail, data, n)
        ORDER BY e.n`,
      [
        workspaceId,
        messageId,
        events.map((e) => e.type),
        events.map((e) => e.channel ?? null),
        events.map((e) => e.attemptId ?? null),
        events.map((e) => e.detail ?? null),
        events.map((e) => (e.data === undefined ? null : JSON.stringify(e.data))),
      ],
    );
  }
}
