import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { enqueueStatusCallbacks } from '../../callbacks/callback-outbox.sql.js';
import { HeraldError } from '../../common/herald-error.js';
import { scopedWhere } from '../../database/sql.js';

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export interface MessageView {
  id: string;
  status: string;
  channel: string | null;
  channels: string[];
  reference: string | null;
  metadata: Record<string, unknown> | null;
  to: Record<string, unknown> | null;
  /** The trigger rule (or broadcast) and firing that made the message, when one did (API §7). */
  trigger?: { id: string; firingId: string };
  broadcast?: { id: string; firingId: string };
  sendAt: string | null;
  validUntil: string | null;
  attempts: Record<string, unknown>[];
  events: Record<string, unknown>[];
  createdAt: string;
  updatedAt: string;
}

export interface ListFilter {
  status?: string;
  channel?: string;
  reference?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/** Reads of messages for the API, always scoped by workspace. */
@Injectable()
export class MessageQueryStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(workspaceId: string, id: string): Promise<MessageView> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT m.*,
         COALESCE((SELECT json_agg(a ORDER BY a.seq) FROM attempts a WHERE a.message_id = m.id AND a.workspace_id = m.workspace_id), '[]') AS attempt_rows,
         COALESCE((SELECT json_agg(e ORDER BY e.id) FROM message_events e WHERE e.message_id = m.id AND e.workspace_id = m.workspace_id), '[]') AS event_rows
         FROM messages m WHERE m.id = $1 AND m.workspace_id = $2`,
      [id, workspaceId],
    );
    if (!rows[0]) throw HeraldError.notFound('Message');
    return this.view(rows[0]);
  }

  async list(
    workspaceId: string,
    filter: ListFilter,
  ): Promise<{ data: Omit<MessageView, 'attempts' | 'events'>[]; nextCursor: string | null }> {
    const where = scopedWhere(workspaceId);
    if (filter.status) where.add('status = ?', filter.status);
    if (filter.channel) where.add('channel = ?', filter.channel);
    if (filter.reference) where.add('reference = ?', filter.reference);
    if (filter.from) where.add('created_at >= ?', filter.from);
    if (filter.to) where.add('created_at < ?', filter.to);
    if (filter.cursor) where.add('id < ?', filter.cursor);
    const limit = where.param(filter.limit + 1);
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM messages WHERE ${where.sql} ORDER BY id DESC LIMIT ${limit}`,
      where.params,
    );
    const page = rows.slice(0, filter.limit).map((row) => {
      const { attempts: _a, events: _e, ...summary } = this.view({ ...row, attempt_rows: [], event_rows: [] });
      return summary;
    });
    const nextCursor = rows.length > filter.limit ? Buffer.from(page.at(-1)!.id).toString('base64url') : null;
    return { data: page, nextCursor };
  }

  /** Cancels a message no attempt of which has reached a provider; answers whether it did. */
  async cancel(workspaceId: string, id: string): Promise<'canceled' | 'too-late' | 'not-found'> {
    return this.db.transaction(async (manager) => {
      const rows: { status: string }[] = await manager.query(
        `SELECT status FROM messages WHERE id = $1 AND workspace_id = $2 FOR UPDATE`,
        [id, workspaceId],
      );
      if (!rows[0]) return 'not-found';
      const reached: { n: string }[] = await manager.query(
        `SELECT count(*) AS n FROM attempts WHERE message_id = $1 AND workspace_id = $2
            AND (submitted_at IS NOT NULL OR in_flight_since IS NOT NULL)`,
        [id, workspaceId],
      );
      if (!['accepted', 'scheduled', 'sending'].includes(rows[0].status) || Number(reached[0].n) > 0) return 'too-late';
      await manager.query(
        `UPDATE attempts SET status = 'skipped', error = '{"kind":"UNKNOWN","code":"CANCELED","message":"message canceled","permanent":true}',
                failed_at = clock_timestamp(), updated_at = now()
          WHERE message_id = $1 AND workspace_id = $2 AND status = 'queued'`,
        [id, workspaceId],
      );
      await manager.query(
        `UPDATE messages SET status = 'canceled', due_at = NULL, updated_at = now() WHERE id = $1 AND workspace_id = $2`,
        [id, workspaceId],
      );
      await manager.query(
        `INSERT INTO message_events (workspace_id, message_id, type, detail) VALUES ($1, $2, 'message.canceled', 'canceled by the API')`,
        [workspaceId, id],
      );
      await enqueueStatusCallbacks(manager, [
        { workspaceId, messageId: id, status: 'canceled', channel: null, attempt: null },
      ]);
      return 'canceled';
    });
  }

  private view(row: Record<string, unknown>): MessageView {
    const attempts = (row.attempt_rows as Record<string, unknown>[]).map((a) => {
      const view: Record<string, unknown> = {
        id: a.id,
        channel: a.channel,
        provider: a.provider,
        providerMessageId: a.provider_message_id,
        status: a.status,
      };
      if (a.error)
        view.error = {
          code: (a.error as { code: string }).code,
          message: (a.error as { message: string }).message,
          permanent: (a.error as { permanent: boolean }).permanent,
        };
      if (a.segments !== null) view.segments = a.segments;
      if (a.cost_amount !== null) view.cost = { amount: String(Number(a.cost_amount)), currency: a.cost_currency };
      view.tries = a.tries;
      for (const [key, column] of [
        ['submittedAt', 'submitted_at'],
        ['sentAt', 'sent_at'],
        ['deliveredAt', 'delivered_at'],
        ['readAt', 'read_at'],
        ['failedAt', 'failed_at'],
      ] as const) {
        if (a[column]) view[key] = iso(a[column] as string);
      }
      if (a.status === 'skipped') view.skippedAt = iso(a.failed_at as string);
      view.createdAt = iso(a.created_at as string);
      return view;
    });
    const events = (row.event_rows as Record<string, unknown>[]).map((e) => ({
      at: iso(e.at as string),
      type: e.type,
      channel: e.channel ?? undefined,
      attemptId: e.attempt_id ?? undefined,
      detail: e.detail ?? undefined,
    }));
    return {
      id: row.id as string,
      status: row.status as string,
      channel: (row.channel as string | null) ?? null,
      channels: row.channels as string[],
      reference: (row.reference as string | null) ?? null,
      metadata: (row.metadata as Record<string, unknown> | null) ?? null,
      // Addresses as resolved at acceptance (null once erased), with the contact they were taken from.
      to: row.recipient
        ? { ...(row.contact_id ? { contactId: row.contact_id } : {}), ...(row.recipient as Record<string, unknown>) }
        : null,
      ...(row.trigger_id ? { trigger: { id: row.trigger_id as string, firingId: row.firing_id as string } } : {}),
      ...(row.broadcast_id ? { broadcast: { id: row.broadcast_id as string, firingId: row.firing_id as string } } : {}),
      sendAt: iso(row.send_at as Date | null),
      validUntil: iso(row.valid_until as Date | null),
      attempts,
      events,
      createdAt: iso(row.created_at as Date)!,
      updatedAt: iso(row.updated_at as Date)!,
    };
  }
}
