import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { StatusReport } from '#libs/channels/src/index.js';
import type { AttemptStatus, Channel, MessageStatus } from '#libs/core/src/index.js';
import { enqueueStatusCallbacks } from '../callbacks/callback-outbox.sql.js';
import { returned } from '../database/sql.js';
import type { Changes } from './changes.js';
import type { DispatchAttempt, DispatchMessage } from './dispatch.types.js';

export interface MessageKey {
  id: string;
  workspaceId: string;
}

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
  price_category: string | null;
  in_service_window: boolean | null;
}

/**
 * WhatsApp content with both text and a template goes out as text while the contact's 24 h customer-service
 * window is open (free-form text is allowed and free there), as the template otherwise (API §4).
 */
const WHATSAPP_TEXT_ALLOWED = `((m.content -> 'whatsapp' ? 'text') AND COALESCE(c.whatsapp_window_open_until > now(), false))`;

const date = (value: string | Date | null): Date | null => (value === null ? null : new Date(value));
const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));
const iso = (value: Date | undefined): string | null => value?.toISOString() ?? null;

/**
 * The dispatcher's SQL, in one place. Work is read and written in bulk (one statement per kind of change
 * for a whole batch), and every statement is scoped by workspace id.
 */
@Injectable()
export class DispatchStore {
  /** Claims up to `limit` due messages by pushing their due time out by `leaseMs` (a crashed worker's lease just runs out). */
  async claim(manager: EntityManager, limit: number, leaseMs: number): Promise<MessageKey[]> {
    const rows = returned<{ id: string; workspace_id: string }>(
      await manager.query(
        `UPDATE messages m SET due_at = now() + $2 * interval '1 millisecond'
           FROM (SELECT id FROM messages WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) c
          WHERE m.id = c.id
          RETURNING m.id, m.workspace_id`,
        [limit, leaseMs],
      ),
    );
    return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id }));
  }

  /** Gives claimed messages back (graceful shutdown). */
  async release(manager: EntityManager, keys: MessageKey[]): Promise<void> {
    if (!keys.length) return;
    await manager.query(
      `UPDATE messages m SET due_at = now() FROM unnest($1::text[], $2::text[]) AS k(id, workspace_id)
        WHERE m.id = k.id AND m.workspace_id = k.workspace_id AND m.due_at IS NOT NULL`,
      [keys.map((k) => k.id), keys.map((k) => k.workspaceId)],
    );
  }

  /** Locks the messages (in id order, so concurrent batches cannot deadlock) and loads their attempts and consent. */
  async lockMany(manager: EntityManager, keys: MessageKey[]): Promise<Map<string, DispatchMessage>> {
    if (!keys.length) return new Map();
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT m.id, m.workspace_id, m.status, m.channel, m.channels, m.recipient, m.success_on,
              m.fallback_after_ms, m.valid_until, m.created_at, COALESCE(c.consent, '{}') AS consent,
              (m.content -> 'whatsapp' ? 'template') AND NOT (${WHATSAPP_TEXT_ALLOWED}) AS whatsapp_template,
              COALESCE(c.whatsapp_window_open_until > now(), false) AS whatsapp_window_open,
              COALESCE(t.name, m.content #>> '{whatsapp,template,name}') AS template_name,
              COALESCE(t.language, m.content #>> '{whatsapp,template,language}', '') AS template_language,
              CASE WHEN t.id IS NOT NULL THEN t.status
                   WHEN m.content -> 'whatsapp' ? 'template' THEN 'NOT_REGISTERED' END AS template_status,
              t.category AS template_category,
              COALESCE((SELECT json_agg(json_build_object('id', a.id, 'seq', a.seq, 'channel', a.channel, 'provider', a.provider,
                         'provider_message_id', a.provider_message_id, 'status', a.status, 'error', a.error, 'tries', a.tries,
                         'in_flight_since', a.in_flight_since, 'submitted_at', a.submitted_at,
                         'price_category', a.price_category, 'in_service_window', a.in_service_window) ORDER BY a.seq)
                          FROM attempts a WHERE a.message_id = m.id AND a.workspace_id = m.workspace_id), '[]') AS attempts
         FROM messages m
         JOIN unnest($1::text[], $2::text[]) AS k(id, workspace_id) ON m.id = k.id AND m.workspace_id = k.workspace_id
         LEFT JOIN contacts c ON c.workspace_id = m.workspace_id AND c.external_id = m.contact_id
         LEFT JOIN templates t ON t.workspace_id = m.workspace_id AND t.id = m.content -> 'whatsapp' -> 'template' ->> 'id'
        ORDER BY m.id
        FOR UPDATE OF m`,
      [keys.map((k) => k.id), keys.map((k) => k.workspaceId)],
    );
    return new Map(
      rows.map((row) => [
        row.id as string,
        {
          id: row.id as string,
          workspaceId: row.workspace_id as string,
          status: row.status as MessageStatus,
          channel: row.channel as Channel | null,
          channels: row.channels as Channel[],
          recipient: row.recipient as DispatchMessage['recipient'],
          content: null,
          successOn: row.success_on as DispatchMessage['successOn'],
          fallbackAfterMs: row.fallback_after_ms as number,
          validUntil: date(row.valid_until as Date | null),
          createdAt: new Date(row.created_at as Date),
          consent: row.consent as DispatchMessage['consent'],
          whatsappTemplate: row.whatsapp_template === true,
          whatsappWindowOpen: row.whatsapp_window_open === true,
          storedTemplate:
            row.template_status === null || row.template_status === undefined
              ? null
              : {
                  name: row.template_name as string,
                  language: row.template_language as string,
                  status: row.template_status as string,
                  category: row.template_category as string | null,
                },
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
            priceCategory: a.price_category,
            inServiceWindow: a.in_service_window,
          })),
        },
      ]),
    );
  }

  /** Each submission's rendered content for its channel, and the message's validity end (read just before the calls). */
  async contents(
    manager: EntityManager,
    items: (MessageKey & { channel: Channel })[],
  ): Promise<Map<string, { content: Record<string, unknown>; validUntil: Date | undefined }>> {
    if (!items.length) return new Map();
    const rows: { id: string; content: Record<string, unknown> | null; valid_until: Date | null }[] =
      await manager.query(
        `SELECT m.id, m.valid_until,
                CASE WHEN k.channel = 'whatsapp' AND ${WHATSAPP_TEXT_ALLOWED} THEN (m.content -> 'whatsapp') - 'template'
                     ELSE m.content -> k.channel END AS content
           FROM messages m JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(id, workspace_id, channel)
             ON m.id = k.id AND m.workspace_id = k.workspace_id
           LEFT JOIN contacts c ON c.workspace_id = m.workspace_id AND c.external_id = m.contact_id`,
        [items.map((i) => i.id), items.map((i) => i.workspaceId), items.map((i) => i.channel)],
      );
    return new Map(
      rows.map((row) => [
        row.id,
        { content: row.content ?? {}, validUntil: row.valid_until ? new Date(row.valid_until) : undefined },
      ]),
    );
  }

  /**
   * Attempts by provider id, for delivery reports. Provider webhooks are not per workspace (one set of
   * credentials), so the id alone finds the attempt; a report posted with a workspace key is scoped to it.
   */
  async attemptsByProviderId(
    manager: EntityManager,
    refs: { provider: string; providerMessageId: string }[],
    workspaceId: string | null = null,
  ): Promise<Map<string, { attemptId: string; messageId: string; workspaceId: string }>> {
    if (!refs.length) return new Map();
    const rows: {
      id: string;
      message_id: string;
      workspace_id: string;
      provider: string;
      provider_message_id: string;
    }[] = await manager.query(
      `SELECT a.id, a.message_id, a.workspace_id, a.provider, a.provider_message_id
         FROM attempts a JOIN unnest($1::text[], $2::text[]) AS r(provider, provider_message_id)
           ON a.provider = r.provider AND a.provider_message_id = r.provider_message_id
        WHERE $3::text IS NULL OR a.workspace_id = $3`,
      [refs.map((r) => r.provider), refs.map((r) => r.providerMessageId), workspaceId],
    );
    return new Map(
      rows.map((row) => [
        `${row.provider}\u0000${row.provider_message_id}`,
        { attemptId: row.id, messageId: row.message_id, workspaceId: row.workspace_id },
      ]),
    );
  }

  async keepUnmatched(manager: EntityManager, reports: StatusReport[]): Promise<void> {
    if (!reports.length) return;
    await manager.query(
      `INSERT INTO unmatched_reports (provider, provider_message_id, report)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`,
      [reports.map((r) => r.provider), reports.map((r) => r.providerMessageId), reports.map((r) => JSON.stringify(r))],
    );
  }

  /** Reports that arrived before their attempt's provider id was recorded, removed as they are taken. */
  async takeUnmatched(
    manager: EntityManager,
    refs: { provider: string; providerMessageId: string }[],
  ): Promise<StatusReport[]> {
    if (!refs.length) return [];
    const rows = returned<{ id: string; report: StatusReport }>(
      await manager.query(
        `DELETE FROM unmatched_reports u USING unnest($1::text[], $2::text[]) AS r(provider, provider_message_id)
          WHERE u.provider = r.provider AND u.provider_message_id = r.provider_message_id
          RETURNING u.id, u.report`,
        [refs.map((r) => r.provider), refs.map((r) => r.providerMessageId)],
      ),
    );
    return rows
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((row) => ({ ...row.report, at: new Date(row.report.at) }));
  }

  /** Writes a batch's changes: at most one statement per kind of change. */
  async apply(manager: EntityManager, changes: Changes): Promise<void> {
    const inserts = changes.newAttempts;
    if (inserts.length) {
      await manager.query(
        `INSERT INTO attempts (id, workspace_id, message_id, seq, channel, provider, status, error, tries, in_flight_since, failed_at, created_at)
         SELECT id, workspace_id, message_id, seq, channel, provider, status, error::jsonb, CASE WHEN in_flight THEN 1 ELSE 0 END,
                CASE WHEN in_flight THEN at END, CASE WHEN status IN ('skipped', 'failed', 'expired') THEN at END, at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[], $10::timestamptz[])
             AS t(id, workspace_id, message_id, seq, channel, provider, status, error, in_flight, at)`,
        [
          inserts.map((a) => a.id),
          inserts.map((a) => a.workspaceId),
          inserts.map((a) => a.messageId),
          inserts.map((a) => a.seq),
          inserts.map((a) => a.channel),
          inserts.map((a) => a.provider),
          inserts.map((a) => a.status),
          inserts.map((a) => json(a.error)),
          inserts.map((a) => a.inFlight),
          inserts.map((a) => a.at.toISOString()),
        ],
      );
    }
    const patches = [...changes.attemptPatches.values()];
    if (patches.length) {
      await manager.query(
        `UPDATE attempts a SET
            status = COALESCE(p.status, a.status),
            provider = COALESCE(p.provider, a.provider),
            provider_message_id = COALESCE(p.provider_message_id, a.provider_message_id),
            error = CASE WHEN p.clear_error THEN NULL ELSE COALESCE(p.error::jsonb, a.error) END,
            tries = a.tries + p.add_tries,
            in_flight_since = CASE p.in_flight WHEN 'set' THEN clock_timestamp() WHEN 'clear' THEN NULL ELSE a.in_flight_since END,
            submitted_at = COALESCE(p.submitted_at, a.submitted_at),
            sent_at = COALESCE(a.sent_at, p.sent_at),
            delivered_at = COALESCE(a.delivered_at, p.delivered_at),
            read_at = COALESCE(a.read_at, p.read_at),
            failed_at = COALESCE(a.failed_at, p.failed_at),
            segments = COALESCE(p.segments, a.segments),
            cost_amount = COALESCE(p.cost_amount::numeric, a.cost_amount),
            cost_currency = COALESCE(p.cost_currency, a.cost_currency),
            price_category = COALESCE(p.price_category, a.price_category),
            in_service_window = COALESCE(p.in_service_window, a.in_service_window),
            raw = COALESCE(p.raw::jsonb, a.raw),
            updated_at = now()
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::int[], $9::text[],
                       $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::int[],
                       $16::text[], $17::text[], $18::text[], $19::text[], $20::bool[])
             AS p(id, workspace_id, status, provider, provider_message_id, error, clear_error, add_tries, in_flight,
                  submitted_at, sent_at, delivered_at, read_at, failed_at, segments, cost_amount, cost_currency, raw,
                  price_category, in_service_window)
          WHERE a.id = p.id AND a.workspace_id = p.workspace_id`,
        [
          patches.map((p) => p.id),
          patches.map((p) => p.workspaceId),
          patches.map((p) => p.status ?? null),
          patches.map((p) => p.provider ?? null),
          patches.map((p) => p.providerMessageId ?? null),
          patches.map((p) => json(p.error)),
          patches.map((p) => p.error === null),
          patches.map((p) => p.addTries ?? 0),
          patches.map((p) => p.inFlight ?? null),
          patches.map((p) => iso(p.submittedAt)),
          patches.map((p) => iso(p.sentAt)),
          patches.map((p) => iso(p.deliveredAt)),
          patches.map((p) => iso(p.readAt)),
          patches.map((p) => iso(p.failedAt)),
          patches.map((p) => p.segments ?? null),
          patches.map((p) => p.costAmount ?? null),
          patches.map((p) => p.costCurrency ?? null),
          patches.map((p) => json(p.raw)),
          patches.map((p) => p.priceCategory ?? null),
          patches.map((p) => p.inServiceWindow ?? null),
        ],
      );
    }
    const messages = [...changes.messagePatches.values()];
    if (messages.length) {
      await manager.query(
        `UPDATE messages m SET
            status = COALESCE(p.status, m.status),
            channel = COALESCE(p.channel, m.channel),
            due_at = CASE p.due_mode WHEN 'keep' THEN m.due_at WHEN 'now' THEN now() ELSE p.due_at END,
            updated_at = now()
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
             AS p(id, workspace_id, status, channel, due_mode, due_at)
          WHERE m.id = p.id AND m.workspace_id = p.workspace_id`,
        [
          messages.map((p) => p.id),
          messages.map((p) => p.workspaceId),
          messages.map((p) => p.status ?? null),
          messages.map((p) => p.channel ?? null),
          messages.map((p) => (p.dueAt === undefined ? 'keep' : p.dueAt === 'now' ? 'now' : 'at')),
          messages.map((p) => (p.dueAt instanceof Date ? p.dueAt.toISOString() : null)),
        ],
      );
    }
    const events = changes.events;
    if (events.length) {
      await manager.query(
        `INSERT INTO message_events (workspace_id, message_id, at, type, channel, attempt_id, detail, data)
         SELECT e.workspace_id, e.message_id, clock_timestamp(), e.type, e.channel, e.attempt_id, e.detail, e.data::jsonb
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                WITH ORDINALITY AS e(workspace_id, message_id, type, channel, attempt_id, detail, data, n)
          ORDER BY e.n`,
        [
          events.map((e) => e.workspaceId),
          events.map((e) => e.messageId),
          events.map((e) => e.type),
          events.map((e) => e.channel ?? null),
          events.map((e) => e.attemptId ?? null),
          events.map((e) => e.detail ?? null),
          events.map((e) => json(e.data)),
        ],
      );
    }
    // Status callbacks commit with the status change they report (src/callbacks).
    await enqueueStatusCallbacks(manager, changes.statusChanges);
  }
}
