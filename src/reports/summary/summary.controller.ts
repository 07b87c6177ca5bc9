import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { GROUP_BYS, parseSummaryQuery } from '../report-query.js';
import { SummaryReport } from './summary-report.js';
import { SummaryResponseDto } from './summary.response.dto.js';

/** The query parameters shared by the summary and its CSV export. */
export function SummaryQueryDocs(): MethodDecorator {
  return (target, key, descriptor) => {
    ApiQuery({
      name: 'from',
      required: false,
      description: 'Messages created at or after: ISO 8601 date (midnight in tz) or date-time. Default: to − 7 days',
    })(target, key, descriptor);
    ApiQuery({
      name: 'to',
      required: false,
      description: 'Messages created before (exclusive). Default: now. After from, at most 366 days after it',
    })(target, key, descriptor);
    ApiQuery({ name: 'groupBy', required: false, enum: GROUP_BYS, description: 'Default: channel' })(
      target,
      key,
      descriptor,
    );
    ApiQuery({
      name: 'tz',
      required: false,
      description: 'IANA time zone for day groups and date-only bounds. Default: UTC',
    })(target, key, descriptor);
  };
}

@ApiTags('reports')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/reports/summary')
export class SummaryController {
  constructor(private readonly summary: SummaryReport) {}

  @Get()
  @ApiOperation({
    summary: 'Delivery figures per channel, provider, template, trigger, broadcast, country or day',
    description:
      'Computed from the stored state of the messages created in [from, to) and their attempts, when asked: ' +
      'statuses only move forward, so late or out-of-order provider events cannot make the figures wrong. ' +
      'An unknown parameter, groupBy or date is a 400 naming the field.',
  })
  @SummaryQueryDocs()
  @ApiOkResponse({ type: SummaryResponseDto })
  get(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    return this.summary.json(workspaceId, parseSummaryQuery(query, new Date()));
  }
}
