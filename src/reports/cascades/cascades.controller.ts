import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { parseRangeQuery } from '../report-query.js';
import { ReportsStore } from '../reports.store.js';
import { CascadesResponseDto } from './cascades.response.dto.js';

@ApiTags('reports')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/reports/cascades')
export class CascadesController {
  constructor(private readonly store: ReportsStore) {}

  @Get()
  @ApiOperation({
    summary: 'Cascade paths and their outcomes',
    description:
      'For the messages created in [from, to): the channels each attempted, in order (skipped ones included), ' +
      "and the message's status, counted; most frequent first (ties: by path, then outcome).",
  })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601 date or date-time. Default: to − 7 days' })
  @ApiQuery({ name: 'to', required: false, description: 'Exclusive. Default: now; at most 366 days after from' })
  @ApiQuery({ name: 'tz', required: false, description: 'IANA time zone for date-only bounds. Default: UTC' })
  @ApiOkResponse({ type: CascadesResponseDto })
  async get(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const range = parseRangeQuery(query, new Date());
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      rows: await this.store.cascades(workspaceId, range),
    };
  }
}
