import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { FiringStatsStore } from '../../triggers/firing-stats.js';
import { parseOpenRangeQuery } from '../report-query.js';

/**
 * Triggers and broadcasts side by side (API §8), counted from their firings (src/triggers/firing-stats.ts, which
 * also answers each trigger's and broadcast's own stats, so the figures are the same everywhere).
 */
@ApiTags('reports')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/reports/triggers')
export class TriggerReportController {
  constructor(private readonly stats: FiringStatsStore) {}

  @Get()
  @ApiOperation({
    summary:
      'Triggers and broadcasts side by side: fired, suppressed (total, and by reason), sent, delivered, failed, ' +
      'converted, conversionRate, pending, canceled',
    description:
      'Firings created in [from, to) (no bound when absent). fired = firings decided (sent, suppressed or failed ' +
      'to make a message); sent = firings that made a message; delivered = of those, messages delivered or read; ' +
      'failed = messages failed, expired or rejected, plus firings that could not make a message; converted = sent ' +
      'firings followed by the conversion event; conversionRate = converted / sent (4 decimals, 0 when none sent); ' +
      'pending = still waiting; canceled = ended before the send.',
  })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601 date or date-time' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601 date or date-time (exclusive)' })
  @ApiQuery({ name: 'tz', required: false, description: 'IANA time zone for date-only bounds. Default: UTC' })
  async report(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const { from, to } = parseOpenRangeQuery(query);
    const rows = await this.stats.report(workspaceId, from, to);
    return {
      from: from?.toISOString() ?? null,
      to: to?.toISOString() ?? null,
      rows: rows.map((r) => ({
        ...r,
        suppressedByReason: r.suppressed,
        suppressed: Object.values(r.suppressed).reduce((a, b) => a + b, 0),
      })),
    };
  }
}
