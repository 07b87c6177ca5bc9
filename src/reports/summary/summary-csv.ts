import { Readable } from 'node:stream';
import type { SummaryQuery } from '../report-query.js';
import type { SummaryFigures, SummaryItem, SummaryRow } from './summary-row.js';

/** The CSV columns, in order: the JSON row's fields, `cost` split into amount and currency. */
export const CSV_COLUMNS = [
  'key',
  'label',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'rejected',
  'expired',
  'canceled',
  'pending',
  'fellBack',
  'deliveryRate',
  'medianSecondsToDeliver',
  'fallbackRate',
  'cost',
  'currency',
  'otherCosts',
] as const;

/** The totals line's label (its key is empty, which no group's key can be). */
export const TOTALS_LABEL = 'total';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled. Text that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'` (OWASP "CSV
 * injection"): trigger and broadcast names are free text.
 */
export function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const csvNumber = (value: number | null): string => (value === null ? '' : String(value));

function figures(f: SummaryFigures): string[] {
  return [
    csvNumber(f.accepted),
    csvNumber(f.sent),
    csvNumber(f.delivered),
    csvNumber(f.read),
    csvNumber(f.failed),
    csvNumber(f.rejected),
    csvNumber(f.expired),
    csvNumber(f.canceled),
    csvNumber(f.pending),
    csvNumber(f.fellBack),
    csvNumber(f.deliveryRate),
    csvNumber(f.medianSecondsToDeliver),
    csvNumber(f.fallbackRate),
    f.cost.amount,
    f.cost.currency,
    csvText(f.otherCosts.map((c) => `${c.amount} ${c.currency}`).join('; ')),
  ];
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export const csvRow = (row: SummaryRow): string =>
  `${[csvText(row.key), csvText(row.label), ...figures(row)].join(',')}\r\n`;

export const csvTotals = (totals: SummaryFigures): string => `${['', TOTALS_LABEL, ...figures(totals)].join(',')}\r\n`;

const line = (item: SummaryItem): string => ('row' in item ? csvRow(item.row) : csvTotals(item.totals));

/** Where the CSV's rows come from: the summary's cursor (summary-report.ts). */
export interface SummarySource {
  next(): Promise<SummaryItem[]>;
  close(): Promise<void>;
}

/**
 * The header, the `first` batch (read before answering, so a failing query is still an API error), then each
 * batch as the cursor yields it. The stream's destroy (at the end, or when the client went away) closes the
 * cursor, which gives its connection back.
 */
export function csvStream(source: SummarySource, first: SummaryItem[]): Readable {
  let pending: string | null = csvHeader() + first.map(line).join('');
  return new Readable({
    async read() {
      try {
        if (pending !== null) {
          const chunk = pending;
          pending = null;
          this.push(chunk);
          return;
        }
        const batch = await source.next();
        this.push(batch.length ? batch.map(line).join('') : null);
      } catch (error) {
        this.destroy(error as Error);
      }
    },
    destroy(error, callback) {
      source.close().then(
        () => callback(error),
        (closeError: Error) => callback(error ?? closeError),
      );
    },
  });
}

const stamp = (date: Date): string =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** `herald-summary-channel-20260501T000000Z-20260508T000000Z.csv` */
export function csvFilename(query: SummaryQuery): string {
  return `herald-summary-${query.groupBy}-${stamp(query.from)}-${stamp(query.to)}.csv`;
}
