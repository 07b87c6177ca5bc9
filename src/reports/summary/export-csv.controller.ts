import { Controller, Get, Query, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { parseSummaryQuery } from '../report-query.js';
import { csvFilename, csvStream } from './summary-csv.js';
import { SummaryReport } from './summary-report.js';
import type { SummaryItem } from './summary-row.js';
import { SummaryQueryDocs } from './summary.controller.js';

@ApiTags('reports')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/reports/export.csv')
export class ExportCsvController {
  constructor(private readonly summary: SummaryReport) {}

  @Get()
  @ApiOperation({
    summary: 'The summary as CSV, streamed',
    description:
      'Same parameters, rows, numbers and rounding as GET /v1/reports/summary. Columns: key, label, accepted, sent, ' +
      'delivered, read, failed, rejected, expired, canceled, pending, fellBack, deliveryRate, ' +
      'medianSecondsToDeliver, fallbackRate, cost, currency, otherCosts ("amount CUR; …"). An empty cell is null. ' +
      'The last line is the totals (empty key, label "total"). RFC 4180 quoting, CRLF line ends; a text cell ' +
      "starting with =, +, -, @ gets a leading ' so that spreadsheets do not run it as a formula.",
  })
  @ApiProduces('text/csv')
  @SummaryQueryDocs()
  async get(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>): Promise<StreamableFile> {
    const parsed = parseSummaryQuery(query, new Date());
    const cursor = await this.summary.open(workspaceId, parsed);
    // The first batch is read before answering: a failing query is still an API §2 error, not a cut-off file.
    let first: SummaryItem[];
    try {
      first = await cursor.next();
    } catch (error) {
      await cursor.close();
      throw error;
    }
    return new StreamableFile(csvStream(cursor, first), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${csvFilename(parsed)}"`,
    });
  }
}
