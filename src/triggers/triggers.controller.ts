import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { pageOf, queryReader, readPage } from '../common/validation.js';
import { FiringStatsStore, type FiringStats } from './firing-stats.js';
import { TRIGGER_ID, TriggersService, triggerView, type TriggerView } from './triggers.service.js';

const FIRING_STATUSES = ['waiting', 'sent', 'suppressed', 'canceled', 'failed'];

const EXAMPLE = {
  name: 'Cart abandonment',
  when: { event: 'checkout_started', where: [{ path: 'properties.total', op: 'gte', value: 20 }] },
  unless: { event: 'order_completed', within: '2h', matchOn: 'properties.cartId' },
  send: {
    channels: ['whatsapp', 'sms'],
    content: { text: 'Your cart is waiting: {{cartUrl}}' },
    fallback: { after: '10m' },
  },
  limits: { oncePer: 'properties.cartId', cap: { max: 1, per: '24h' }, quietHours: { from: '21:00', to: '08:00' } },
  conversion: { event: 'order_completed', within: '72h' },
};

/** Trigger rules (API §7): CRUD, pause and resume, their firings (each decision and why) and their stats. */
@ApiTags('triggers')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/triggers')
export class TriggersController {
  constructor(
    private readonly triggers: TriggersService,
    private readonly stats: FiringStatsStore,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Creates a rule: on event (when + where), absence (unless within, matched on a key), count in a window, first ' +
      'occurrence, inactivity; kinds combine. 400 names every invalid field (unknown operator, bad duration); 422 ' +
      'TEMPLATE_NOT_FOUND when the send names a template that is not registered.',
  })
  @ApiBody({ schema: { type: 'object', example: EXAMPLE } })
  create(@WorkspaceId() workspaceId: string, @Body() body: unknown): Promise<TriggerView> {
    return this.triggers.create(workspaceId, body);
  }

  @Get()
  @ApiOperation({ summary: 'Rules, newest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const { limit, before } = page(query, TRIGGER_ID);
    const rows = await this.triggers.list(workspaceId, before, limit + 1);
    return pageOf(rows.map(triggerView), limit);
  }

  @Get(':id')
  async get(@WorkspaceId() workspaceId: string, @Param('id') id: string): Promise<TriggerView> {
    return triggerView(await this.triggers.get(workspaceId, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Changes top-level fields (null removes one); the whole rule is validated again' })
  update(@WorkspaceId() workspaceId: string, @Param('id') id: string, @Body() body: unknown): Promise<TriggerView> {
    return this.triggers.update(workspaceId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deletes the rule; waiting firings are canceled, its history stays in the reports' })
  async remove(@WorkspaceId() workspaceId: string, @Param('id') id: string): Promise<void> {
    await this.triggers.delete(workspaceId, id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'No new firings; firings that come due while paused are suppressed (trigger_paused)' })
  pause(@WorkspaceId() workspaceId: string, @Param('id') id: string): Promise<TriggerView> {
    return this.triggers.setStatus(workspaceId, id, 'paused');
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@WorkspaceId() workspaceId: string, @Param('id') id: string): Promise<TriggerView> {
    return this.triggers.setStatus(workspaceId, id, 'active');
  }

  @Get(':id/stats')
  @ApiOperation({
    summary: 'fired, suppressed by reason, sent, delivered, failed, converted, conversionRate (+ pending, canceled)',
  })
  async statsOf(@WorkspaceId() workspaceId: string, @Param('id') id: string): Promise<FiringStats> {
    await this.triggers.get(workspaceId, id);
    return this.stats.forTrigger(workspaceId, id);
  }

  @Get(':id/firings')
  @ApiOperation({ summary: "The rule's firings, newest first: each decision (sent, suppressed, canceled…) and why" })
  @ApiQuery({ name: 'status', required: false, enum: FIRING_STATUSES })
  @ApiQuery({ name: 'contactId', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async firings(@WorkspaceId() workspaceId: string, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    await this.triggers.get(workspaceId, id);
    const details: ErrorDetail[] = [];
    const text = queryReader(query, details);
    const status = text('status');
    if (status !== undefined && !FIRING_STATUSES.includes(status))
      details.push({ field: 'status', issue: `one of ${FIRING_STATUSES.join(', ')}` });
    const contactId = text('contactId');
    const { limit, before } = page(query, /^fir_[0-9a-f]{32}$/, details);
    const rows: FiringRowView[] = await this.db.query(
      `SELECT id, contact_id, kind, status, reason, detail, event_id, due_at, delayed_reason, delayed_until, decided_at,
              message_id, converted_at, created_at
         FROM firings WHERE workspace_id = $1 AND trigger_id = $2 AND ($3::text IS NULL OR status = $3)
          AND ($4::text IS NULL OR contact_id = $4) AND ($5::text IS NULL OR id < $5)
        ORDER BY id DESC LIMIT $6`,
      [workspaceId, id, status ?? null, contactId ?? null, before ?? null, limit + 1],
    );
    return pageOf(rows.map(firingView), limit);
  }
}

interface FiringRowView {
  id: string;
  contact_id: string;
  kind: string;
  status: string;
  reason: string | null;
  detail: string | null;
  event_id: string | null;
  due_at: Date | null;
  delayed_reason: string | null;
  delayed_until: Date | null;
  decided_at: Date | null;
  message_id: string | null;
  converted_at: Date | null;
  created_at: Date;
}

const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);

export function firingView(row: FiringRowView) {
  return {
    id: row.id,
    contactId: row.contact_id,
    kind: row.kind,
    status: row.status,
    reason: row.reason,
    detail: row.detail,
    eventId: row.event_id,
    dueAt: iso(row.due_at),
    delayed: row.delayed_reason ? { reason: row.delayed_reason, until: iso(row.delayed_until) } : null,
    decidedAt: iso(row.decided_at),
    messageId: row.message_id,
    convertedAt: iso(row.converted_at),
    createdAt: iso(row.created_at),
  };
}

/** `limit` and `cursor` of a list query; 400 naming them when they are not valid. */
export function page(query: Record<string, unknown>, id: RegExp, details: ErrorDetail[] = []) {
  const found = readPage(queryReader(query, details), id, details);
  if (details.length) throw HeraldError.validation(details);
  return found;
}
