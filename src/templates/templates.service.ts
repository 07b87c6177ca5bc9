import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { WebhookEvent } from '#libs/channels/src/index.js';
import {
  statusAfterEvent,
  TEMPLATE_STATUSES,
  WHATSAPP_CLOUD_PROVIDER,
  type TemplateStatus,
} from '#libs/channels/src/whatsapp-cloud/index.js';
import type { Channel } from '#libs/core/src/index.js';
import { HeraldError } from '../common/herald-error.js';
import { newId } from '../common/ids.js';
import { SANDBOX_TEMPLATES, TemplateGateway } from './template-gateway.js';
import { TemplatesStore, type TemplateChange, type TemplateEventRow, type TemplateRow } from './templates.store.js';
import type { TemplateRequest } from './create-template.request.js';

type TemplateStatusEvent = Extract<WebhookEvent, { kind: 'template-status' }>;
type TemplateCategoryEvent = Extract<WebhookEvent, { kind: 'template-category' }>;
type TemplateEvent = TemplateStatusEvent | TemplateCategoryEvent;

export interface TemplateView {
  id: string;
  channel: Channel;
  name: string;
  language: string | null;
  category: string | null;
  status: string;
  reason: string | null;
  provider: string | null;
  providerTemplateId: string | null;
  components?: Record<string, unknown>[];
  parameterFormat?: string;
  content?: Record<string, unknown>;
  statusUpdatedAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface TemplateHistoryView {
  at: string;
  source: string;
  event: string;
  status: string | null;
  previousStatus: string | null;
  category: string | null;
  previousCategory: string | null;
  reason: string | null;
  detail: unknown;
  /** False when a newer change had already been applied (the event arrived late): history only. */
  applied: boolean;
  recordedAt: string;
}

export interface SyncResult {
  provider: string;
  syncedAt: string;
  /** Templates Meta listed. */
  checked: number;
  /** Changes made in the caller's workspace (all workspaces for the periodic job). */
  changes: { id: string; name: string; language: string | null; status: string; previousStatus: string }[];
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export function templateView(row: TemplateRow): TemplateView {
  return {
    id: row.id,
    channel: row.channel,
    name: row.name,
    language: row.language || null,
    category: row.category,
    status: row.status,
    reason: row.reason,
    provider: row.provider,
    providerTemplateId: row.provider_template_id,
    ...(row.components ? { components: row.components } : {}),
    ...(row.parameter_format ? { parameterFormat: row.parameter_format } : {}),
    ...(row.content ? { content: row.content } : {}),
    statusUpdatedAt: iso(row.status_at)!,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

function historyView(row: TemplateEventRow): TemplateHistoryView {
  return {
    at: iso(row.at)!,
    source: row.source,
    event: row.event,
    status: row.status,
    previousStatus: row.previous_status,
    category: row.category,
    previousCategory: row.previous_category,
    reason: row.reason,
    detail: row.detail,
    applied: row.applied,
    recordedAt: iso(row.recorded_at)!,
  };
}

/** Meta's status word as Herald stores it; anything new from Meta is kept as it came. */
function metaStatus(value: string): string {
  const upper = value.toUpperCase();
  return (TEMPLATE_STATUSES as readonly string[]).includes(upper) ? upper : upper || 'PENDING';
}

/** Templates (API §5): registration, the status history merged from every source, and lookups for sends. */
@Injectable()
export class TemplatesService {
  private readonly logger = new Logger(TemplatesService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly store: TemplatesStore,
    private readonly gateway: TemplateGateway,
  ) {}

  async create(workspaceId: string, request: TemplateRequest): Promise<TemplateView> {
    const name = request.channel === 'whatsapp' ? request.definition.name : request.name;
    const language = request.channel === 'whatsapp' ? request.definition.language : request.language;
    const existing = await this.store.findByName(this.db.manager, workspaceId, request.channel, name, language);
    if (existing) {
      throw new HeraldError(
        'CONFLICT',
        `A ${request.channel} template ${name}${language ? ` (${language})` : ''} exists`,
        [{ field: 'name', issue: `already used by ${existing.id}` }],
      );
    }
    const now = new Date();
    if (request.channel !== 'whatsapp') {
      // Content for the other channels needs nobody's approval.
      return this.insert(workspaceId, {
        channel: request.channel,
        name,
        language,
        category: null,
        status: 'APPROVED',
        components: null,
        parameterFormat: null,
        content: request.content,
        provider: null,
        providerTemplateId: null,
        at: now,
      });
    }
    const { definition } = request;
    if (this.gateway.provider === SANDBOX_TEMPLATES && !this.gateway.unavailableReason) {
      // The sandbox plays Meta: PENDING now, decided a moment later by the worker (see TemplateJobsService).
      return this.insert(workspaceId, {
        channel: 'whatsapp',
        name,
        language,
        category: definition.category,
        status: 'PENDING',
        components: definition.components,
        parameterFormat: definition.parameterFormat ?? null,
        content: null,
        provider: SANDBOX_TEMPLATES,
        providerTemplateId: null,
        at: now,
      });
    }
    const answer = await this.gateway.create(definition);
    const view = await this.insert(workspaceId, {
      channel: 'whatsapp',
      name,
      language,
      category: answer.category ? answer.category.toUpperCase() : definition.category,
      status: metaStatus(answer.status),
      components: definition.components,
      parameterFormat: definition.parameterFormat ?? null,
      content: null,
      provider: WHATSAPP_CLOUD_PROVIDER,
      providerTemplateId: answer.id,
      at: now,
      requestedCategory: definition.category,
    });
    // Meta may have told us about it by webhook before its answer reached us.
    return this.db.transaction(async (manager) => {
      const earlier = await this.store.takeUnmatched(manager, WHATSAPP_CLOUD_PROVIDER, answer.id);
      if (!earlier.length) return view;
      await this.applyEvents(manager, earlier.map(revive));
      const row = await this.store.find(manager, workspaceId, view.id);
      return row ? templateView(row) : view;
    });
  }

  private async insert(
    workspaceId: string,
    t: {
      channel: Channel;
      name: string;
      language: string;
      category: string | null;
      status: string;
      components: Record<string, unknown>[] | null;
      parameterFormat: string | null;
      content: Record<string, unknown> | null;
      provider: string | null;
      providerTemplateId: string | null;
      at: Date;
      requestedCategory?: string;
    },
  ): Promise<TemplateView> {
    return this.db.transaction(async (manager) => {
      const row = await this.store.insert(manager, {
        id: newId('tpl'),
        workspace_id: workspaceId,
        channel: t.channel,
        name: t.name,
        language: t.language,
        category: t.category,
        status: t.status,
        status_at: t.at,
        reason: null,
        components: t.components,
        parameter_format: t.parameterFormat,
        content: t.content,
        provider: t.provider,
        provider_template_id: t.providerTemplateId,
      });
      if (!row) {
        throw new HeraldError('CONFLICT', `A ${t.channel} template ${t.name} exists`, [
          { field: 'name', issue: 'already used' },
        ]);
      }
      await manager.query(
        `INSERT INTO template_events (workspace_id, template_id, at, source, event, status, category, reason, detail,
                                      applied, dedupe_key)
         VALUES ($1, $2, $3, 'api', 'SUBMITTED', $4, $5, $6, $7, true, 'created')`,
        [
          workspaceId,
          row.id,
          t.at,
          t.status,
          t.category,
          t.requestedCategory && t.category && t.requestedCategory !== t.category
            ? `Meta set the category to ${t.category}`
            : null,
          t.requestedCategory ? JSON.stringify({ requestedCategory: t.requestedCategory }) : null,
        ],
      );
      return templateView(row);
    });
  }

  /**
   * Deletes a template: at Meta first for a WhatsApp one (then DELETED here, history kept), at once for stored
   * content. Deleting a deleted template is a no-op.
   */
  async delete(workspaceId: string, id: string): Promise<void> {
    const row = await this.store.find(this.db.manager, workspaceId, id);
    if (!row) throw HeraldError.notFound('Template');
    if (row.channel !== 'whatsapp') return this.store.remove(this.db.manager, workspaceId, id);
    if (row.status === 'DELETED') return;
    if (row.provider === WHATSAPP_CLOUD_PROVIDER) {
      await this.gateway.delete(row.name, row.provider_template_id ?? undefined);
    }
    await this.db.transaction(async (manager) => {
      const locked = await this.store.find(manager, workspaceId, id, true);
      if (!locked) return;
      await this.store.applyChange(manager, locked, {
        source: 'api',
        // Our own deletion at Meta is the newest thing known about it, whatever Meta's clock said before.
        at: new Date(Math.max(Date.now(), new Date(locked.status_at).getTime())),
        event: 'DELETED',
        status: 'DELETED',
        reason: 'deleted through the API',
        dedupeKey: 'api-delete',
      });
    });
  }

  async get(workspaceId: string, id: string): Promise<TemplateView & { history: TemplateHistoryView[] }> {
    const row = await this.store.find(this.db.manager, workspaceId, id);
    if (!row) throw HeraldError.notFound('Template');
    const history = await this.store.history(this.db.manager, workspaceId, id);
    return { ...templateView(row), history: history.map(historyView) };
  }

  async list(
    workspaceId: string,
    filter: { status?: string; name?: string; channel?: string; before?: string; limit: number },
  ): Promise<TemplateView[]> {
    return (await this.store.list(this.db.manager, workspaceId, filter)).map(templateView);
  }

  /** Every language of the templates a send names (one query per message). */
  async forSend(workspaceId: string, refs: { channel: Channel; name: string }[]): Promise<TemplateRow[]> {
    return this.store.forSend(this.db.manager, workspaceId, refs);
  }

  /** Template status and category webhooks (already verified), applied to every template with that Meta id. */
  async applyWebhookEvents(events: WebhookEvent[]): Promise<void> {
    const mine = events.filter(
      (e): e is TemplateEvent =>
        (e.kind === 'template-status' || e.kind === 'template-category') &&
        (this.gateway.accountId === null || e.accountId === this.gateway.accountId),
    );
    if (mine.length < events.filter((e) => e.kind.startsWith('template-')).length) {
      this.logger.warn('ignored template events for another WhatsApp Business Account');
    }
    if (!mine.length) return;
    await this.db.transaction((manager) => this.applyEvents(manager, mine));
  }

  private async applyEvents(manager: EntityManager, events: TemplateEvent[]): Promise<void> {
    for (const event of events) {
      const rows = await this.store.lockByProviderId(manager, WHATSAPP_CLOUD_PROVIDER, event.providerTemplateId);
      if (!rows.length) {
        await this.store.keepUnmatched(manager, WHATSAPP_CLOUD_PROVIDER, event.providerTemplateId, event);
        continue;
      }
      for (const row of rows) await this.store.applyChange(manager, row, changeFrom(event, row));
    }
  }

  /**
   * Pulls every template from Meta and applies what differs, as one observation at the time the pull began
   * (a webhook newer than that still wins). A Herald template that Meta no longer lists is DELETED.
   * `wait`: block until another worker's sync ends (on demand) instead of skipping (periodic job).
   */
  async sync(workspaceId: string | null, wait: boolean): Promise<SyncResult | null> {
    const syncedAt = new Date();
    if (this.gateway.provider === SANDBOX_TEMPLATES) {
      if (this.gateway.unavailableReason) throw new HeraldError('PROVIDER_UNAVAILABLE', this.gateway.unavailableReason);
      return { provider: SANDBOX_TEMPLATES, syncedAt: syncedAt.toISOString(), checked: 0, changes: [] };
    }
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      const key = `hashtext('herald:template-sync')`;
      if (wait) await runner.query(`SELECT pg_advisory_lock(${key})`);
      else {
        const [row] = (await runner.query(`SELECT pg_try_advisory_lock(${key}) AS locked`)) as { locked: boolean }[];
        if (!row.locked) return null;
      }
      try {
        const listed = await this.gateway.listAll();
        const changes = await this.db.transaction((manager) => this.applySync(manager, listed, syncedAt));
        return {
          provider: WHATSAPP_CLOUD_PROVIDER,
          syncedAt: syncedAt.toISOString(),
          checked: listed.length,
          changes: changes.filter((c) => workspaceId === null || c.workspaceId === workspaceId).map((c) => c.view),
        };
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(${key})`);
      }
    } finally {
      await runner.release();
    }
  }

  private async applySync(
    manager: EntityManager,
    listed: Awaited<ReturnType<TemplateGateway['listAll']>>,
    at: Date,
  ): Promise<{ workspaceId: string; view: SyncResult['changes'][number] }[]> {
    const byId = new Map(listed.map((t) => [t.id, t]));
    const byName = new Map(listed.map((t) => [`${t.name}|${t.language}`, t]));
    const changes: { workspaceId: string; view: SyncResult['changes'][number] }[] = [];
    for (const row of await this.store.lockAllOfProvider(manager, WHATSAPP_CLOUD_PROVIDER)) {
      const meta =
        (row.provider_template_id ? byId.get(row.provider_template_id) : undefined) ??
        byName.get(`${row.name}|${row.language}`);
      let change: TemplateChange | null = null;
      if (!meta) {
        if (row.status !== 'DELETED')
          change = {
            source: 'sync',
            at,
            event: 'SYNC',
            status: 'DELETED',
            reason: 'not listed by Meta',
            dedupeKey: '',
          };
      } else {
        const status = metaStatus(meta.status);
        const category = meta.category ? meta.category.toUpperCase() : undefined;
        if (status !== row.status || (category && category !== row.category)) {
          change = {
            source: 'sync',
            at,
            event: 'SYNC',
            ...(status !== row.status ? { status, reason: meta.rejectedReason ?? null } : {}),
            ...(category && category !== row.category ? { category } : {}),
            ...(meta.previousCategory ? { detail: { previousCategory: meta.previousCategory } } : {}),
            dedupeKey: '',
          };
        }
        if (JSON.stringify(meta.components) !== JSON.stringify(row.components) && Array.isArray(meta.components)) {
          await this.store.updateComponents(
            manager,
            row,
            meta.components,
            meta.parameterFormat ?? row.parameter_format,
          );
        }
      }
      if (!change) continue;
      change.dedupeKey = `sync:${at.getTime()}`;
      const updated = await this.store.applyChange(manager, row, change);
      if (updated && updated.status !== row.status) {
        changes.push({
          workspaceId: row.workspace_id,
          view: {
            id: row.id,
            name: row.name,
            language: row.language || null,
            status: updated.status,
            previousStatus: row.status,
          },
        });
      }
    }
    return changes;
  }

  /** The sandbox's decisions on templates pending for at least `afterMs`: names ending in `_rejected` are refused. */
  async decideSandboxTemplates(afterMs: number): Promise<number> {
    return this.db.transaction(async (manager) => {
      const rows: TemplateRow[] = await manager.query(
        `SELECT * FROM templates WHERE status = 'PENDING' AND provider = $1
            AND status_at <= now() - $2 * interval '1 millisecond'
          ORDER BY status_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
        [SANDBOX_TEMPLATES, afterMs],
      );
      for (const row of rows) {
        const rejected = row.name.endsWith('_rejected');
        await this.store.applyChange(manager, row, {
          source: 'sandbox',
          at: new Date(),
          event: rejected ? 'REJECTED' : 'APPROVED',
          status: rejected ? 'REJECTED' : 'APPROVED',
          reason: rejected ? 'INVALID_FORMAT' : null,
          dedupeKey: 'sandbox-decision',
        });
      }
      return rows.length;
    });
  }
}

/** A webhook event as Herald's change: its status after Meta's event (UNARCHIVED returns to the one before…). */
function changeFrom(event: TemplateEvent, row: TemplateRow): TemplateChange {
  if (event.kind === 'template-category') {
    return {
      source: 'webhook',
      at: event.at,
      event: 'CATEGORY_UPDATE',
      category: event.newCategory.toUpperCase(),
      detail: {
        ...(event.previousCategory ? { previousCategory: event.previousCategory } : {}),
        ...(event.correctCategory ? { correctCategory: event.correctCategory } : {}),
      },
      dedupeKey: `category:${event.newCategory}:${event.at.getTime()}`,
    };
  }
  const before = (
    ['ARCHIVED', 'LOCKED'].includes(row.status) ? row.status_before : row.status
  ) as TemplateStatus | null;
  const status = statusAfterEvent(event.event, event.detail?.otherInfo?.title, before);
  return {
    source: 'webhook',
    at: event.at,
    event: event.event,
    ...(status ? { status } : {}),
    ...(event.category ? { category: event.category.toUpperCase() } : {}),
    reason: event.reason === 'NONE' ? null : event.reason,
    ...(event.detail && Object.keys(event.detail).length ? { detail: event.detail } : {}),
    dedupeKey: `webhook:${event.event}:${event.at.getTime()}:${event.detail?.otherInfo?.title ?? ''}`,
  };
}

/** An event kept as JSON before its template existed, back to its typed shape. */
function revive(stored: unknown): TemplateEvent {
  const event = stored as TemplateEvent & { at: string | Date };
  return { ...event, at: new Date(event.at) } as TemplateEvent;
}
