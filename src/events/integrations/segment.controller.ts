import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId, WriteKeyGuard } from '../../auth/auth.guards.js';
import { HeraldError } from '../../common/herald-error.js';
import { EventIngestService } from '../event-ingest.service.js';
import { mapSegment } from './segment.mapper.js';

@ApiTags('events')
@ApiBearerAuth()
@ApiBasicAuth()
@UseGuards(WriteKeyGuard)
@Controller('v1/integrations/segment')
export class SegmentController {
  constructor(private readonly ingest: EventIngestService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Segment track, page, screen and identify calls (or {"batch": [...]}), authenticated by the API key as Bearer ' +
      'or as the Basic-auth user name (a write key). track → the event; page → page_view; screen → screen_view; ' +
      'identify → the contact (email, phone, traits). userId is the contact id (anonymousId when there is none); ' +
      'messageId de-duplicates. A call that cannot be mapped: 400 naming it, nothing stored; an unreadable timestamp ' +
      'is a warning (the time received applies).',
  })
  async receive(@WorkspaceId() workspaceId: string, @Body() body: unknown) {
    const { events, issues } = mapSegment(body);
    const calls =
      body && typeof body === 'object' && Array.isArray((body as { batch?: unknown }).batch)
        ? (body as { batch: unknown[] }).batch.length
        : 1;
    // A call that could not be mapped refuses the request (nothing stored, so a resend cannot duplicate);
    // a problem that costs no call (an unreadable timestamp: the time received applies) is a warning.
    if (events.length < calls || events.length === 0) {
      throw HeraldError.validation(issues, 'The Segment call is not valid');
    }
    const results = await this.ingest.ingest(workspaceId, 'segment', events);
    return { success: true, results, ...(issues.length ? { warnings: issues } : {}) };
  }
}
