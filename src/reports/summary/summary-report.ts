import { Injectable } from '@nestjs/common';
import { DEFAULT_RATE_CARD } from '../../pricing/default-rate-card.js';
import type { SummaryQuery } from '../report-query.js';
import { ReportsStore, type RowCursor } from '../reports.store.js';
import {
  summaryFigures,
  summaryRow,
  type RawSummaryRow,
  type SummaryFigures,
  type SummaryItem,
  type SummaryRow,
} from './summary-row.js';

/** The summary's rows as they come from the database, then the totals; `close()` ends it early. */
export class SummaryCursor {
  constructor(
    private readonly rows: RowCursor<RawSummaryRow>,
    private readonly query: SummaryQuery,
    readonly currency: string,
  ) {}

  async next(): Promise<SummaryItem[]> {
    const raw = await this.rows.next();
    return raw.map((r) =>
      Number(r.total) === 1
        ? { totals: summaryFigures(r, this.currency) }
        : { row: summaryRow(r, this.query.groupBy, this.currency) },
    );
  }

  close(): Promise<void> {
    return this.rows.close();
  }
}

export interface SummaryReportBody {
  groupBy: SummaryQuery['groupBy'];
  from: string;
  to: string;
  timeZone: string;
  rows: SummaryRow[];
  totals: SummaryFigures;
}

/** `GET /v1/reports/summary` and its CSV export: one reading of the figures, two renderings. */
@Injectable()
export class SummaryReport {
  constructor(private readonly store: ReportsStore) {}

  async open(workspaceId: string, query: SummaryQuery): Promise<SummaryCursor> {
    const currency = (await this.store.cardCurrency(workspaceId)) ?? DEFAULT_RATE_CARD.currency;
    const rows = await this.store.summary(workspaceId, query.groupBy, query, currency);
    return new SummaryCursor(rows, query, currency);
  }

  async json(workspaceId: string, query: SummaryQuery): Promise<SummaryReportBody> {
    const cursor = await this.open(workspaceId, query);
    const rows: SummaryRow[] = [];
    let totals: SummaryFigures | undefined;
    try {
      for (let batch = await cursor.next(); batch.length; batch = await cursor.next()) {
        for (const item of batch) {
          if ('row' in item) rows.push(item.row);
          else totals = item.totals;
        }
      }
    } finally {
      await cursor.close();
    }
    return {
      groupBy: query.groupBy,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      timeZone: query.timeZone,
      rows,
      // GROUPING SETS always yields the () row, also over no messages at all.
      totals: totals!,
    };
  }
}
