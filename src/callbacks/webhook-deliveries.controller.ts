import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { pageOf, queryReader, readPage } from '../common/validation.js';
import { CallbackOutboxStore, DELIVERY_STATES, type DeliveryState } from './callback-outbox.store.js';
import { CALLBACK_TYPE } from './callback-payload.js';

const DESTINATIONS = ['endpoint', 'message'] as const;
const iso = (value: unknown): string | null => (value ? new Date(value as string).toISOString() : null);

/** The delivery log of status callbacks: every callback, where it went, how often it was tried and how it ended. */
@ApiTags('status callbacks')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/webhook-endpoint/deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly outbox: CallbackOutboxStore) {}

  @Get()
  @ApiOperation({
    summary: 'Status callbacks, newest first: the workspace endpoint and message callbackUrls',
    description:
      'Each: url, the event (id, type, message and its status), tries, the last HTTP status and error, the next ' +
      'try, and when it was delivered or given up (failed) on.',
  })
  @ApiQuery({ name: 'status', required: false, enum: DELIVERY_STATES })
  @ApiQuery({ name: 'messageId', required: false })
  @ApiQuery({ name: 'destination', required: false, enum: DESTINATIONS })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const details: ErrorDetail[] = [];
    const text = queryReader(query, details);
    const status = text('status');
    if (status !== undefined && !DELIVERY_STATES.includes(status as DeliveryState))
      details.push({ field: 'status', issue: `one of ${DELIVERY_STATES.join(', ')}` });
    const destination = text('destination');
    if (destination !== undefined && !DESTINATIONS.includes(destination as (typeof DESTINATIONS)[number]))
      details.push({ field: 'destination', issue: `one of ${DESTINATIONS.join(', ')}` });
    const messageId = text('messageId');
    if (messageId !== undefined && messageId.length > 128)
      details.push({ field: 'messageId', issue: 'at most 128 characters' });
    const { limit, before } = readPage(text, /^dlv_\d{1,18}$/, details);
    if (details.length) throw HeraldError.validation(details);
    const rows = await this.outbox.list(workspaceId, {
      state: status as DeliveryState | undefined,
      messageId,
      destination: destination as (typeof DESTINATIONS)[number] | undefined,
      before: before?.slice('dlv_'.length),
      limit,
    });
    return pageOf(
      rows.map((row) => ({
        id: `dlv_${String(row.id)}`,
        eventId: row.event_id as string,
        event: CALLBACK_TYPE,
        messageId: row.message_id as string,
        messageStatus: row.message_status as string,
        destination: row.destination as string,
        url: row.url as string,
        status: row.state as DeliveryState,
        attempts: row.attempts as number,
        lastStatusCode: (row.last_status_code as number | null) ?? null,
        lastError: (row.last_error as string | null) ?? null,
        lastAttemptAt: iso(row.last_attempt_at),
        nextAttemptAt: row.state === 'pending' ? iso(row.next_attempt_at) : null,
        deliveredAt: iso(row.delivered_at),
        failedAt: iso(row.failed_at),
        createdAt: iso(row.changed_at)!,
      })),
      limit,
    );
  }
}
