import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DateTime } from 'luxon';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { queryReader } from '../common/validation.js';
import { FiringStatsStore } from './firing-stats.js';

@ApiTags('reports')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/reports/triggers')
export class TriggerReportController {
  constructor(private readonly stats: FiringStatsStore) {}

  @Get()
  @ApiOperation({
    summary:
      'Triggers and broadcasts side by side: fired, suppressed (by reason), sent, delivered, failed, converted, ' +
      'conversionRate; firings created within [from, to)',
  })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601' })
  async report(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const details: ErrorDetail[] = [];
    const text = queryReader(query, details);
    const time = (name: string): Date | null => {
      const value = text(name);
      if (value === undefined) return null;
      const parsed = DateTime.fromISO(value, { zone: 'utc' });
      if (!parsed.isValid) details.push({ field: name, issue: 'an ISO 8601 date or date-time' });
      return parsed.isValid ? parsed.toJSDate() : null;
    };
    const from = time('from');
    const to = time('to');
    if (details.length) throw HeraldError.validation(details);
    const rows = await this.stats.report(workspaceId, from, to);
    return {
      rows: rows.map((r) => ({
        ...r,
        suppressedByReason: r.suppressed,
        suppressed: Object.values(r.suppressed).reduce((a, b) => a + b, 0),
      })),
    };
  }
}
