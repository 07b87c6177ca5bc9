import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { parseDuration } from '#libs/core/src/index.js';
import { matchesWhere, parseWhere, type WhereCondition } from '#libs/triggers/src/index.js';
import { Clock } from '../../common/clock.js';
import { HeraldError, type ErrorDetail } from '../../common/herald-error.js';
import { newId } from '../../common/ids.js';
import { returned } from '../../database/sql.js';
import { MessageIntake } from '../../messages/send/message-intake.js';
import { TriggersService } from '../triggers.service.js';

export interface BroadcastRow {
  id: string;
  workspace_id: string;
  name: string;
  status: 'scheduled' | 'sending' | 'sent' | 'canceled';
  send_at: Date;
  audience: { contactIds?: string[]; where?: WhereCondition[] };
  message: Record<string, unknown>;
  conversion: { event: string; within: unknown } | null;
  cursor: string | null;
  audience_size: number;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  canceled_at: Date | null;
}

export const BROADCAST_ID = /^bc_[0-9a-f]{32}$/;
const CONTACT_ID = /^[\w.:@+-]{1,128}$/;
const MAX_LIST = 100_000;
const PAGE = 1000;
const MAX_AHEAD_MS = 366 * 86_400_000;
const FIELDS = new Set(['name', 'sendAt', 'audience', 'message', 'conversion']);

export function broadcastView(row: BroadcastRow) {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    sendAt: new Date(row.send_at).toISOString(),
    audience: row.audience,
    message: row.message,
    conversion: row.conversion,
    audienceSize: row.audience_size,
    createdAt: new Date(row.created_at).toISOString(),
    startedAt: row.started_at ? new Date(row.started_at).toISOString() : null,
    completedAt: row.completed_at ? new Date(row.completed_at).toISOString() : null,
    canceledAt: row.canceled_at ? new Date(row.canceled_at).toISOString() : null,
  };
}

/**
 * Broadcasts (API §7): one message to a fixed list of contacts or to the contacts whose attributes match a filter,
 * at `sendAt`. When due, a worker turns the audience into firings a page at a time (so a large audience is neither
 * one long transaction nor lost in a crash: the cursor is saved with each page), and the firing runner sends
 * them like triggered sends (consent, idempotency, conversion), so both appear in the same stats.
 */
@Injectable()
export class BroadcastsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly intake: MessageIntake,
    private readonly triggers: TriggersService,
  ) {}

  async create(workspaceId: string, body: unknown) {
    const now = this.clock.now();
    const details: ErrorDetail[] = [];
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw HeraldError.validation([{ field: 'body', issue: 'a JSON object' }]);
    }
    const input = body as Record<string, unknown>;
    for (const key of Object.keys(input)) if (!FIELDS.has(key)) details.push({ field: key, issue: 'unknown field' });
    const { name, sendAt, audience, message, conversion } = input;
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
      details.push({ field: 'name', issue: 'a string of 1-200 characters' });
    }
    let at = now;
    if (sendAt !== undefined) {
      const parsed = typeof sendAt === 'string' ? DateTime.fromISO(sendAt, { zone: 'utc' }) : null;
      if (!parsed?.isValid || !/^\d{4}-\d{2}-\d{2}T/.test(sendAt as string)) {
        details.push({ field: 'sendAt', issue: 'an ISO 8601 date-time, e.g. 2026-12-24T09:00:00Z' });
      } else if (parsed.toMillis() - +now > MAX_AHEAD_MS) {
        details.push({ field: 'sendAt', issue: 'at most one year ahead' });
      } else if (parsed.toMillis() > +now) at = parsed.toJSDate();
    }
    const parsedAudience = parseAudience(audience, details);
    if (conversion !== undefined) {
      const c = conversion as Record<string, unknown> | null;
      if (!c || typeof c !== 'object' || Array.isArray(c)) details.push({ field: 'conversion', issue: 'an object' });
      else {
        if (typeof c.event !== 'string' || c.event.length < 1 || c.event.length > 200)
          details.push({ field: 'conversion.event', issue: 'the event name: 1-200 characters' });
        const conversionWithin = parseDuration(c.within);
        if (conversionWithin === null || conversionWithin < 1000 || conversionWithin > 90 * 86_400_000)
          details.push({ field: 'conversion.within', issue: 'a duration between 1s and 90d, e.g. "72h"' });
        for (const key of Object.keys(c))
          if (key !== 'event' && key !== 'within') details.push({ field: `conversion.${key}`, issue: 'unknown field' });
      }
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      details.push({ field: 'message', issue: 'a message body without "to" (channels, content, …)' });
    } else {
      const m = message as Record<string, unknown>;
      if ('to' in m) details.push({ field: 'message.to', issue: 'the audience addresses the broadcast; remove to' });
      if ('sendAt' in m) details.push({ field: 'message.sendAt', issue: 'use the broadcast sendAt' });
      try {
        await this.intake.parse({ ...m, to: { contactId: 'broadcast-validation' } });
      } catch (error) {
        if (!(error instanceof HeraldError)) throw error;
        details.push(...error.details.map((d) => ({ field: `message.${d.field}`, issue: d.issue })));
      }
    }
    if (details.length) throw HeraldError.validation(details, 'The broadcast is not valid');
    await this.triggers.checkTemplates(workspaceId, message as Record<string, unknown>, 'message');

    const rows: BroadcastRow[] = await this.db.query(
      `INSERT INTO broadcasts (id, workspace_id, name, status, send_at, audience, message, conversion, conversion_event)
       VALUES ($1, $2, $3, 'scheduled', $4, $5, $6, $7, $8) RETURNING *`,
      [
        newId('bc'),
        workspaceId,
        name,
        at,
        JSON.stringify(parsedAudience),
        JSON.stringify(message),
        conversion === undefined ? null : JSON.stringify(conversion),
        conversion === undefined ? null : (conversion as { event: string }).event,
      ],
    );
    return broadcastView(rows[0]);
  }

  async get(workspaceId: string, id: string): Promise<BroadcastRow> {
    if (!BROADCAST_ID.test(id)) throw HeraldError.notFound('Broadcast');
    const rows: BroadcastRow[] = await this.db.query(`SELECT * FROM broadcasts WHERE workspace_id = $1 AND id = $2`, [
      workspaceId,
      id,
    ]);
    if (!rows[0]) throw HeraldError.notFound('Broadcast');
    return rows[0];
  }

  list(workspaceId: string, before: string | undefined, limit: number): Promise<BroadcastRow[]> {
    return this.db.query(
      `SELECT * FROM broadcasts WHERE workspace_id = $1 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [workspaceId, before ?? null, limit],
    );
  }

  /** Stops what has not gone out: the rest of the audience is not expanded and waiting sends end canceled. */
  async cancel(workspaceId: string, id: string) {
    await this.get(workspaceId, id);
    return this.db.transaction(async (m) => {
      const [row]: BroadcastRow[] = await m.query(
        `SELECT * FROM broadcasts WHERE workspace_id = $1 AND id = $2 FOR UPDATE`,
        [workspaceId, id],
      );
      const canceled = returned<{ id: string }>(
        await m.query(
          `UPDATE firings SET status = 'canceled', reason = 'broadcast_canceled', detail = 'the broadcast was canceled',
                  decided_at = $3, due_at = NULL, updated_at = now()
            WHERE workspace_id = $1 AND broadcast_id = $2 AND status = 'waiting' RETURNING id`,
          [workspaceId, id, this.clock.now()],
        ),
      );
      if (row.status === 'canceled') return broadcastView(row);
      if (row.status === 'sent' && canceled.length === 0) {
        throw new HeraldError('CONFLICT', 'The broadcast has already been sent', [
          { field: 'id', issue: 'already sent' },
        ]);
      }
      const [updated]: BroadcastRow[] = returned<BroadcastRow>(
        await m.query(
          `UPDATE broadcasts SET status = 'canceled', canceled_at = $3, updated_at = now()
            WHERE workspace_id = $1 AND id = $2 RETURNING *`,
          [workspaceId, id, this.clock.now()],
        ),
      );
      return broadcastView(updated);
    });
  }

  /** The worker side: one page of one due broadcast's audience becomes firings. Returns how many were created. */
  async expandDue(): Promise<number> {
    return this.db.transaction(async (m) => {
      const now = this.clock.now();
      const [b]: BroadcastRow[] = await m.query(
        `SELECT * FROM broadcasts WHERE status IN ('scheduled', 'sending') AND send_at <= $1
          ORDER BY send_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (!b) return -1;
      let page: string[];
      let cursor: string | null;
      let done: boolean;
      if (b.audience.contactIds) {
        const all = [...b.audience.contactIds].sort();
        const rest = b.cursor === null ? all : all.filter((id) => id > b.cursor!);
        page = rest.slice(0, PAGE);
        done = rest.length <= PAGE;
        cursor = page.at(-1) ?? b.cursor;
      } else {
        const contacts: {
          external_id: string;
          timezone: string | null;
          locale: string | null;
          attributes: Record<string, unknown>;
        }[] = await m.query(
          `SELECT external_id, timezone, locale, attributes FROM contacts
              WHERE workspace_id = $1 AND ($2::text IS NULL OR external_id > $2) ORDER BY external_id LIMIT ${PAGE}`,
          [b.workspace_id, b.cursor],
        );
        page = contacts
          .filter((c) =>
            matchesWhere(b.audience.where ?? [], {
              ...c.attributes,
              id: c.external_id,
              timezone: c.timezone,
              locale: c.locale,
              attributes: c.attributes,
            }),
          )
          .map((c) => c.external_id);
        done = contacts.length < PAGE;
        cursor = contacts.at(-1)?.external_id ?? b.cursor;
      }
      const within = b.conversion ? parseDuration(b.conversion.within) : null;
      const inserted = returned<{ id: string }>(
        await m.query(
          `INSERT INTO firings (id, workspace_id, broadcast_id, contact_id, firing_key, kind, status, due_at, variables,
                                conversion_event, conversion_within_ms)
           SELECT x.id, $1, $2, x.contact_id, $2 || ':' || x.contact_id, 'broadcast', 'waiting', $3, '{}'::jsonb, $4, $5
             FROM unnest($6::text[], $7::text[]) AS x(id, contact_id)
           ON CONFLICT (workspace_id, firing_key) DO NOTHING RETURNING id`,
          [b.workspace_id, b.id, now, b.conversion?.event ?? null, within, page.map(() => newId('fir')), page],
        ),
      );
      await m.query(
        `UPDATE broadcasts SET status = $3, cursor = $4, audience_size = audience_size + $5,
                started_at = COALESCE(started_at, $6), completed_at = CASE WHEN $3 = 'sent' THEN $6 END, updated_at = now()
          WHERE workspace_id = $1 AND id = $2`,
        [b.workspace_id, b.id, done ? 'sent' : 'sending', cursor, inserted.length, now],
      );
      return inserted.length;
    });
  }
}

function parseAudience(value: unknown, details: ErrorDetail[]): BroadcastRow['audience'] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    details.push({ field: 'audience', issue: 'either {"contactIds": [...]} or {"where": [...]}' });
    return {};
  }
  const a = value as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length !== 1 || (keys[0] !== 'contactIds' && keys[0] !== 'where')) {
    details.push({ field: 'audience', issue: 'exactly one of contactIds or where' });
    return {};
  }
  if (keys[0] === 'where') {
    const { conditions, issues } = parseWhere(a.where, 'audience.where');
    details.push(...issues);
    return { where: conditions };
  }
  const ids = a.contactIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_LIST) {
    details.push({ field: 'audience.contactIds', issue: `an array of 1 to ${MAX_LIST} contact ids` });
    return {};
  }
  ids.forEach((id, index) => {
    if (typeof id !== 'string' || !CONTACT_ID.test(id))
      details.push({ field: `audience.contactIds[${index}]`, issue: 'a contact id' });
  });
  return { contactIds: [...new Set(ids as string[])] };
}
