import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { Clock } from '../../common/clock.js';
import { HeraldError, type ErrorDetail } from '../../common/herald-error.js';
import { pageOf, queryReader, readPage } from '../../common/validation.js';
import { EventsStore } from '../events.store.js';
import { EventIngestService } from '../event-ingest.service.js';
import { parseEventsRequest } from './events.request.js';

@ApiTags('events')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly ingest: EventIngestService,
    private readonly clock: Clock,
    private readonly store: EventsStore,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Events received, newest first, with when the trigger engine evaluated each (processedAt, error)',
  })
  @ApiQuery({ name: 'contactId', required: false })
  @ApiQuery({ name: 'event', required: false, description: 'the event name' })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const details: ErrorDetail[] = [];
    const text = queryReader(query, details);
    const contactId = text('contactId');
    const event = text('event');
    const { limit, before } = readPage(text, /^evt_[0-9a-f]{32}$/, details);
    if (details.length) throw HeraldError.validation(details);
    return pageOf(await this.store.list(workspaceId, { contactId, event, before, limit: limit + 1 }), limit);
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Records what a customer did: {contactId, event, properties?, timestamp?, id?} or {"events": [...up to 1000]}. ' +
      '`id` de-duplicates (a replay answers duplicate: true); unknown contacts are created. A batch with an invalid ' +
      'event stores nothing and names every problem (events[3].timestamp). Triggers evaluate the events right after.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        contactId: { type: 'string', example: 'cust-42' },
        event: { type: 'string', example: 'checkout_started' },
        properties: { type: 'object', example: { cartId: 'c-1', total: 59.9 } },
        timestamp: { type: 'string', format: 'date-time' },
        id: { type: 'string', description: 'de-duplication key' },
        events: { type: 'array', items: { type: 'object' }, maxItems: 1000 },
      },
    },
  })
  async create(@WorkspaceId() workspaceId: string, @Body() body: unknown) {
    const parsed = parseEventsRequest(body, this.clock.now());
    if (Array.isArray(parsed)) throw HeraldError.validation(parsed, 'The event is not valid');
    const results = await this.ingest.ingest(workspaceId, 'api', parsed.events);
    if (!parsed.batch) return results[0];
    return {
      accepted: results.filter((r) => !r.duplicate).length,
      duplicates: results.filter((r) => r.duplicate).length,
      results,
    };
  }
}
