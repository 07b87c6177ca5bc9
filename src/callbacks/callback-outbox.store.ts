import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { returned, scopedWhere } from '../database/sql.js';
import type { CallbackData } from './callback-payload.js';

/** A claimed callback with what it takes to send it. */
export interface DueCallback {
  id: string;
  workspaceId: string;
  messageId: string;
  eventId: string;
  destination: 'message' | 'endpoint';
  /** Where to send it now: the message's callbackUrl, or the workspace endpoint's current URL (null: removed). */
  url: string | null;
  data: CallbackData;
  changedAt: Date;
  /** Tries so far, this one included. */
  tries: number;
  secret: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';
export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'delivered', 'failed'];

export interface DeliveryFilter {
  state?: DeliveryState;
  messageId?: string;
  destination?: 'message' | 'endpoint';
  before?: string;
  limit: number;
}

/** The callback outbox's SQL (the enqueue half, which runs in other modules' transactions, is callback-outbox.sql.ts). */
@Injectable()
export class CallbackOutboxStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Claims up to `limit` due callbacks by pushing their next try out by `leaseMs` (a crashed worker's lease runs
   * out and another worker tries again: at-least-once, receivers de-duplicate by event id). A callback is due only
   * when no older callback of the same message and destination is still pending, so statuses arrive in order.
   */
  async claim(limit: number, leaseMs: number): Promise<DueCallback[]> {
    const rows = returned<Record<string, unknown>>(
      await this.db.query(
        `UPDATE callback_outbox o
            SET attempts = o.attempts + 1, last_attempt_at = now(),
                next_attempt_at = now() + $2 * interval '1 millisecond'
           FROM (SELECT c.id FROM callback_outbox c
                  WHERE c.state = 'pending' AND c.next_attempt_at <= now()
                    AND NOT EXISTS (SELECT 1 FROM callback_outbox p
                                     WHERE p.message_id = c.message_id AND p.destination = c.destination
                                       AND p.state = 'pending' AND p.id < c.id)
                  ORDER BY c.next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) d,
                workspaces ws LEFT JOIN webhook_endpoints w ON w.workspace_id = ws.id
          WHERE o.id = d.id AND ws.id = o.workspace_id
          RETURNING o.id, o.workspace_id, o.message_id, o.event_id, o.destination, o.data, o.changed_at, o.attempts,
                    CASE o.destination WHEN 'endpoint' THEN w.url ELSE o.url END AS url, ws.callback_secret`,
        [limit, leaseMs],
      ),
    );
    return rows.map((row) => ({
      id: String(row.id),
      workspaceId: row.workspace_id as string,
      messageId: row.message_id as string,
      eventId: row.event_id as string,
      destination: row.destination as DueCallback['destination'],
      url: row.url as string | null,
      data: row.data as CallbackData,
      changedAt: new Date(row.changed_at as string),
      tries: row.attempts as number,
      secret: row.callback_secret as string,
    }));
  }

  /**
   * The outcome of one try: delivered, failed for good, or retried at `retryAt`. A retry also moves the later
   * callbacks of the same message and destination (which must wait for it) to no earlier than `retryAt`, so a
   * receiver that is down does not keep its backlog in every claim's scan of due rows.
   */
  async record(
    callback: DueCallback,
    outcome: { state: DeliveryState; statusCode: number | null; error: string | null; retryAt: Date | null },
  ): Promise<void> {
    await this.db.query(
      `WITH done AS (
         UPDATE callback_outbox
            SET state = $3, last_status_code = $4, last_error = $5, next_attempt_at = $6, url = COALESCE($7, url),
                delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
                failed_at = CASE WHEN $3 = 'failed' THEN now() END
          WHERE id = $1 AND workspace_id = $2
          RETURNING id, workspace_id, message_id, destination, state, next_attempt_at)
       UPDATE callback_outbox later SET next_attempt_at = done.next_attempt_at
         FROM done
        WHERE done.state = 'pending' AND later.workspace_id = done.workspace_id AND later.message_id = done.message_id
          AND later.destination = done.destination AND later.state = 'pending' AND later.id > done.id
          AND later.next_attempt_at < done.next_attempt_at`,
      [
        callback.id,
        callback.workspaceId,
        outcome.state,
        outcome.statusCode,
        outcome.error,
        outcome.retryAt?.toISOString() ?? null,
        callback.url,
      ],
    );
  }

  /** The workspace endpoint is gone: its waiting callbacks have nowhere to go. */
  async failEndpointCallbacks(workspaceId: string, manager = this.db.manager): Promise<void> {
    await manager.query(
      `UPDATE callback_outbox SET state = 'failed', failed_at = now(), next_attempt_at = NULL, last_error = 'ENDPOINT_REMOVED'
        WHERE workspace_id = $1 AND destination = 'endpoint' AND state = 'pending'`,
      [workspaceId],
    );
  }

  /** The delivery log, newest first. */
  async list(workspaceId: string, filter: DeliveryFilter): Promise<Record<string, unknown>[]> {
    const where = scopedWhere(workspaceId);
    if (filter.state) where.add('state = ?', filter.state);
    if (filter.messageId) where.add('message_id = ?', filter.messageId);
    if (filter.destination) where.add('destination = ?', filter.destination);
    if (filter.before) where.add('id < ?', filter.before);
    const limit = where.param(filter.limit + 1);
    return this.db.query(
      `SELECT id, event_id, message_id, message_status, destination, url, state, attempts, last_status_code,
              last_error, last_attempt_at, next_attempt_at, delivered_at, failed_at, changed_at
         FROM callback_outbox WHERE ${where.sql} ORDER BY id DESC LIMIT ${limit}`,
      where.params,
    );
  }
}
