import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  mergeTriggerPatch,
  parseTriggerDefinition,
  templateRefs,
  type TriggerDefinition,
} from '#libs/triggers/src/index.js';
import { Clock } from '../common/clock.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { newId } from '../common/ids.js';
import { returned } from '../database/sql.js';
import { MessageIntake } from '../messages/send/message-intake.js';
import { TemplatesService } from '../templates/templates.service.js';

export type TriggerStatus = 'active' | 'paused' | 'deleted';

export interface TriggerRow {
  id: string;
  workspace_id: string;
  name: string;
  status: TriggerStatus;
  definition: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export interface TriggerView extends Record<string, unknown> {
  id: string;
  status: TriggerStatus;
  createdAt: string;
  updatedAt: string;
}

export const TRIGGER_ID = /^trg_[0-9a-f]{32}$/;

export function triggerView(row: TriggerRow): TriggerView {
  return {
    id: row.id,
    ...row.definition,
    status: row.status,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Compiled once per read: the stored definition is what the user gave, already validated. */
export function compiled(row: Pick<TriggerRow, 'definition'>): TriggerDefinition {
  const { definition } = parseTriggerDefinition(row.definition);
  if (!definition) throw new Error('a stored trigger definition no longer parses');
  return definition;
}

/**
 * Trigger rules (API §7): validated on create and edit (shape, operators, durations, the send's message body and
 * the templates it names), stored as given, and indexed by the event names they listen to.
 */
@Injectable()
export class TriggersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly intake: MessageIntake,
    private readonly templates: TemplatesService,
    private readonly clock: Clock,
  ) {}

  async create(workspaceId: string, body: unknown): Promise<TriggerView> {
    const definition = await this.validate(workspaceId, body);
    const id = newId('trg');
    const rows: TriggerRow[] = await this.db.query(
      `INSERT INTO triggers (id, workspace_id, name, status, definition, when_event, unless_event, conversion_event, inactivity)
       VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8) RETURNING *`,
      [id, workspaceId, definition.name, JSON.stringify(body), ...indexed(definition)],
    );
    if (definition.inactivity && !definition.when) await this.startInactivityClocks(workspaceId, id, definition);
    return triggerView(rows[0]);
  }

  async get(workspaceId: string, id: string): Promise<TriggerRow> {
    if (!TRIGGER_ID.test(id)) throw HeraldError.notFound('Trigger');
    const rows: TriggerRow[] = await this.db.query(
      `SELECT * FROM triggers WHERE workspace_id = $1 AND id = $2 AND status <> 'deleted'`,
      [workspaceId, id],
    );
    if (!rows[0]) throw HeraldError.notFound('Trigger');
    return rows[0];
  }

  async list(workspaceId: string, before: string | undefined, limit: number): Promise<TriggerRow[]> {
    return this.db.query(
      `SELECT * FROM triggers WHERE workspace_id = $1 AND status <> 'deleted' AND ($2::text IS NULL OR id < $2)
        ORDER BY id DESC LIMIT $3`,
      [workspaceId, before ?? null, limit],
    );
  }

  /** PATCH: top-level fields replace the stored ones (null removes one); the result is validated whole. */
  async update(workspaceId: string, id: string, patch: unknown): Promise<TriggerView> {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw HeraldError.validation([{ field: 'body', issue: 'a JSON object with the fields to change' }]);
    }
    const current = await this.get(workspaceId, id);
    const merged = mergeTriggerPatch(current.definition, patch as Record<string, unknown>);
    const definition = await this.validate(workspaceId, merged);
    const rows = returned<TriggerRow>(
      await this.db.query(
        `UPDATE triggers SET name = $3, definition = $4, when_event = $5, unless_event = $6, conversion_event = $7,
                inactivity = $8, updated_at = now()
          WHERE workspace_id = $1 AND id = $2 AND status <> 'deleted' RETURNING *`,
        [workspaceId, id, definition.name, JSON.stringify(merged), ...indexed(definition)],
      ),
    );
    if (!rows[0]) throw HeraldError.notFound('Trigger');
    if (definition.inactivity && !definition.when && !compiledOrNull(current)?.inactivity) {
      await this.startInactivityClocks(workspaceId, id, definition);
    }
    return triggerView(rows[0]);
  }

  async setStatus(workspaceId: string, id: string, status: 'active' | 'paused'): Promise<TriggerView> {
    await this.get(workspaceId, id);
    const rows = returned<TriggerRow>(
      await this.db.query(
        `UPDATE triggers SET status = $3, updated_at = now()
          WHERE workspace_id = $1 AND id = $2 AND status <> 'deleted' RETURNING *`,
        [workspaceId, id, status],
      ),
    );
    if (!rows[0]) throw HeraldError.notFound('Trigger');
    return triggerView(rows[0]);
  }

  /** The rule stops; its firings and their messages stay for the reports, waiting firings are canceled. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    await this.db.transaction(async (manager) => {
      await manager.query(
        `UPDATE triggers SET status = 'deleted', deleted_at = now(), updated_at = now() WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, id],
      );
      await manager.query(
        `UPDATE firings SET status = 'canceled', reason = 'trigger_deleted', detail = 'the trigger was deleted',
                decided_at = $3, due_at = NULL, updated_at = now()
          WHERE workspace_id = $1 AND trigger_id = $2 AND status = 'waiting'`,
        [workspaceId, id, this.clock.now()],
      );
    });
  }

  private async validate(workspaceId: string, body: unknown): Promise<TriggerDefinition> {
    const { definition, issues } = parseTriggerDefinition(body);
    const details: ErrorDetail[] = [...issues];
    if (definition && 'sendAt' in definition.send) {
      details.push({ field: 'send.sendAt', issue: 'a trigger sends when it fires: use delay' });
    }
    if (definition) {
      // The send is a message body without `to`: the message API's own checks, with `send.` in front.
      try {
        await this.intake.parse({ ...definition.send, to: { contactId: 'trigger-validation' } });
      } catch (error) {
        if (!(error instanceof HeraldError)) throw error;
        details.push(...error.details.map((d) => ({ field: `send.${d.field}`, issue: d.issue })));
      }
    }
    if (details.length || !definition) throw HeraldError.validation(details, 'The trigger is not valid');
    await this.checkTemplates(workspaceId, definition.send, 'send');
    return definition;
  }

  /** Every template a send names must be registered (WhatsApp ones may still await approval). */
  async checkTemplates(workspaceId: string, send: Record<string, unknown>, prefix: string): Promise<void> {
    const refs = templateRefs(send);
    if (!refs.length) return;
    const rows = await this.templates.forSend(workspaceId, refs);
    const missing = refs.filter(
      (ref) =>
        !rows.some(
          (row) =>
            row.channel === ref.channel &&
            row.name === ref.name &&
            (ref.language === undefined || row.language === ref.language),
        ),
    );
    if (missing.length) {
      throw new HeraldError(
        'TEMPLATE_NOT_FOUND',
        `No template ${missing.map((m) => m.name).join(', ')}: register it with POST /v1/templates first`,
        missing.map((m) => ({
          field: `${prefix}.content.${m.channel}.template${m.channel === 'whatsapp' ? '.name' : ''}`,
          issue: `no ${m.channel} template ${m.name}${m.language ? ` (${m.language})` : ''}`,
        })),
      );
    }
  }

  /**
   * An inactivity rule without `when` watches every contact that has done something: each one's clock starts
   * at its latest event, so contacts already quiet for the period are due at once.
   */
  private async startInactivityClocks(workspaceId: string, triggerId: string, definition: TriggerDefinition) {
    const period = definition.inactivity!.forMs + definition.delayMs;
    await this.db.query(
      `INSERT INTO firings (id, workspace_id, trigger_id, contact_id, firing_key, kind, status, event_id, event_at, due_at,
                            variables, conversion_event, conversion_within_ms)
       SELECT 'fir_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, l.contact_id,
              $2 || ':inactive:' || l.contact_id || ':' || l.id, 'inactivity', 'waiting', l.id, l.occurred_at,
              l.occurred_at + $3 * interval '1 millisecond', '{}'::jsonb, $4, $5
         FROM (SELECT DISTINCT ON (contact_id) contact_id, id, occurred_at FROM events
                WHERE workspace_id = $1 AND kind = 'track' ORDER BY contact_id, occurred_at DESC) l
       ON CONFLICT (workspace_id, firing_key) DO NOTHING`,
      [workspaceId, triggerId, period, definition.conversion?.event ?? null, definition.conversion?.withinMs ?? null],
    );
  }
}

function compiledOrNull(row: TriggerRow): TriggerDefinition | null {
  return parseTriggerDefinition(row.definition).definition ?? null;
}

function indexed(d: TriggerDefinition): [string | null, string | null, string | null, boolean] {
  return [d.when?.event ?? null, d.unless?.event ?? null, d.conversion?.event ?? null, d.inactivity !== undefined];
}
