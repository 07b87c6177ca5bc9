import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Channel } from '#libs/core/src/index.js';
import { returned, scopedWhere } from '../database/sql.js';

export interface TemplateRow {
  id: string;
  workspace_id: string;
  channel: Channel;
  name: string;
  language: string;
  category: string | null;
  category_at: Date | null;
  status: string;
  status_before: string | null;
  status_at: Date;
  reason: string | null;
  components: Record<string, unknown>[] | null;
  parameter_format: string | null;
  content: Record<string, unknown> | null;
  provider: string | null;
  provider_template_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface TemplateEventRow {
  at: Date;
  source: string;
  event: string;
  status: string | null;
  previous_status: string | null;
  category: string | null;
  previous_category: string | null;
  reason: string | null;
  detail: unknown;
  applied: boolean;
  recorded_at: Date;
}

/** One change to a template, from any source; merged in time order by `applyChange`. */
export interface TemplateChange {
  source: 'api' | 'webhook' | 'sync' | 'sandbox';
  /** When the change happened at the provider (webhook `entry.time`, the pull's time…). */
  at: Date;
  /** Meta's event (APPROVED, PAUSED…), CATEGORY_UPDATE, SUBMITTED or SYNC. */
  event: string;
  status?: string;
  category?: string;
  reason?: string | null;
  detail?: unknown;
  /** Same key twice (a webhook replayed) is recorded once. */
  dedupeKey: string;
}

export type NewTemplate = Omit<TemplateRow, 'category_at' | 'status_before' | 'created_at' | 'updated_at'>;

const COLUMNS = `id, workspace_id, channel, name, language, category, category_at, status, status_before, status_at, reason,
  components, parameter_format, content, provider, provider_template_id, created_at, updated_at`;

/** The templates module's SQL. Every statement is scoped by workspace, except lookups by Meta's template id. */
@Injectable()
export class TemplatesStore {
  async insert(manager: EntityManager, row: NewTemplate): Promise<TemplateRow | null> {
    const rows = await manager.query(
      `INSERT INTO templates (id, workspace_id, channel, name, language, category, category_at, status, status_at, reason,
                              components, parameter_format, content, provider, provider_template_id)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE $7::timestamptz END, $8, $7, $9,
               $10, $11, $12, $13, $14)
       ON CONFLICT (workspace_id, channel, name, language) WHERE status <> 'DELETED' DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        row.id,
        row.workspace_id,
        row.channel,
        row.name,
        row.language,
        row.category,
        row.status_at,
        row.status,
        row.reason,
        row.components === null ? null : JSON.stringify(row.components),
        row.parameter_format,
        row.content === null ? null : JSON.stringify(row.content),
        row.provider,
        row.provider_template_id,
      ],
    );
    return (rows as TemplateRow[])[0] ?? null;
  }

  async find(manager: EntityManager, workspaceId: string, id: string, lock = false): Promise<TemplateRow | null> {
    const rows: TemplateRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM templates WHERE workspace_id = $1 AND id = $2 ${lock ? 'FOR UPDATE' : ''}`,
      [workspaceId, id],
    );
    return rows[0] ?? null;
  }

  async findByName(
    manager: EntityManager,
    workspaceId: string,
    channel: Channel,
    name: string,
    language: string,
  ): Promise<TemplateRow | null> {
    const rows: TemplateRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM templates
        WHERE workspace_id = $1 AND channel = $2 AND name = $3 AND language = $4 AND status <> 'DELETED'`,
      [workspaceId, channel, name, language],
    );
    return rows[0] ?? null;
  }

  /** The templates a send names: every language of each (channel, name); a deleted one only when no live one is left. */
  async forSend(
    manager: EntityManager,
    workspaceId: string,
    refs: { channel: Channel; name: string }[],
  ): Promise<TemplateRow[]> {
    if (!refs.length) return [];
    return manager.query(
      `SELECT DISTINCT ON (t.channel, t.name, t.language) t.* FROM templates t
         JOIN unnest($2::text[], $3::text[]) AS r(channel, name) ON t.channel = r.channel AND t.name = r.name
        WHERE t.workspace_id = $1
        ORDER BY t.channel, t.name, t.language, t.status = 'DELETED', t.id DESC`,
      [workspaceId, refs.map((r) => r.channel), refs.map((r) => r.name)],
    );
  }

  async list(
    manager: EntityManager,
    workspaceId: string,
    filter: { status?: string; name?: string; channel?: string; before?: string; limit: number },
  ): Promise<TemplateRow[]> {
    const where = scopedWhere(workspaceId);
    if (filter.status) where.add('status = ?', filter.status);
    if (filter.name) where.add('name = ?', filter.name);
    if (filter.channel) where.add('channel = ?', filter.channel);
    if (filter.before) where.add('id < ?', filter.before);
    const limit = where.param(filter.limit);
    return manager.query(
      `SELECT ${COLUMNS} FROM templates WHERE ${where.sql} ORDER BY id DESC LIMIT ${limit}`,
      where.params,
    );
  }

  /** In time order; Meta stamps whole seconds, so within a second in the order recorded. */
  async history(manager: EntityManager, workspaceId: string, templateId: string): Promise<TemplateEventRow[]> {
    return manager.query(
      `SELECT at, source, event, status, previous_status, category, previous_category, reason, detail, applied, recorded_at
         FROM template_events WHERE workspace_id = $1 AND template_id = $2
        ORDER BY date_trunc('second', at), id`,
      [workspaceId, templateId],
    );
  }

  /** Meta's template id → the Herald templates carrying it (locked), across workspaces. */
  async lockByProviderId(manager: EntityManager, provider: string, providerTemplateId: string): Promise<TemplateRow[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM templates WHERE provider = $1 AND provider_template_id = $2 ORDER BY id FOR UPDATE`,
      [provider, providerTemplateId],
    );
  }

  async lockAllOfProvider(manager: EntityManager, provider: string): Promise<TemplateRow[]> {
    return manager.query(`SELECT ${COLUMNS} FROM templates WHERE provider = $1 ORDER BY id FOR UPDATE`, [provider]);
  }

  /**
   * Records a change in the history and applies what is newer than the current state: a status older than
   * the current one's time is history only (webhooks and pulls arrive out of order). Returns the row as it is
   * now, or null when the change was a duplicate.
   */
  async applyChange(manager: EntityManager, row: TemplateRow, change: TemplateChange): Promise<TemplateRow | null> {
    // Meta stamps webhooks in whole seconds: within the same second, the change that arrives later wins.
    const second = (value: Date | string) => Math.floor(new Date(value).getTime() / 1000);
    const statusWins = change.status !== undefined && second(change.at) >= second(row.status_at);
    const categoryWins =
      change.category !== undefined && (row.category_at === null || second(change.at) >= second(row.category_at));
    const inserted = returned<{ id: string }>(
      await manager.query(
        `INSERT INTO template_events (workspace_id, template_id, at, source, event, status, previous_status, category,
                                      previous_category, reason, detail, applied, dedupe_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (template_id, dedupe_key) DO NOTHING RETURNING id`,
        [
          row.workspace_id,
          row.id,
          change.at,
          change.source,
          change.event,
          change.status ?? null,
          row.status,
          change.category ?? null,
          row.category,
          change.reason ?? null,
          change.detail === undefined ? null : JSON.stringify(change.detail),
          statusWins || categoryWins,
          change.dedupeKey,
        ],
      ),
    );
    if (!inserted.length) return null;
    if (!statusWins && !categoryWins) return row;
    const statusChanged = statusWins && change.status !== row.status;
    const [updated] = returned<TemplateRow>(
      await manager.query(
        `UPDATE templates SET
            status = CASE WHEN $3 THEN $4 ELSE status END,
            status_before = CASE WHEN $5 THEN status ELSE status_before END,
            status_at = CASE WHEN $3 THEN $6::timestamptz ELSE status_at END,
            reason = CASE WHEN $3 THEN $7 ELSE reason END,
            category = CASE WHEN $8 THEN $9 ELSE category END,
            category_at = CASE WHEN $8 THEN $6::timestamptz ELSE category_at END,
            updated_at = now()
          WHERE workspace_id = $1 AND id = $2
          RETURNING ${COLUMNS}`,
        [
          row.workspace_id,
          row.id,
          statusWins,
          change.status ?? row.status,
          statusChanged,
          change.at,
          change.reason ?? null,
          categoryWins,
          change.category ?? row.category,
        ],
      ),
    );
    return updated;
  }

  /** Content templates have no provider life cycle: deleting one removes it. */
  async remove(manager: EntityManager, workspaceId: string, id: string): Promise<void> {
    await manager.query(`DELETE FROM templates WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
  }

  async updateComponents(
    manager: EntityManager,
    row: TemplateRow,
    components: unknown[],
    parameterFormat: string | null,
  ): Promise<void> {
    await manager.query(
      `UPDATE templates SET components = $3, parameter_format = $4, updated_at = now() WHERE workspace_id = $1 AND id = $2`,
      [row.workspace_id, row.id, JSON.stringify(components), parameterFormat],
    );
  }

  async keepUnmatched(manager: EntityManager, provider: string, providerTemplateId: string, event: unknown) {
    await manager.query(
      `INSERT INTO unmatched_template_events (provider, provider_template_id, event) VALUES ($1, $2, $3)`,
      [provider, providerTemplateId, JSON.stringify(event)],
    );
  }

  /** Webhook events that arrived before their template row, oldest first; removed as they are taken. */
  async takeUnmatched(manager: EntityManager, provider: string, providerTemplateId: string): Promise<unknown[]> {
    const rows = returned<{ id: string; event: unknown }>(
      await manager.query(
        `DELETE FROM unmatched_template_events WHERE provider = $1 AND provider_template_id = $2 RETURNING id, event`,
        [provider, providerTemplateId],
      ),
    );
    return rows.sort((a, b) => Number(a.id) - Number(b.id)).map((row) => row.event);
  }
}
