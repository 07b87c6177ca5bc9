import { describe, expect, it } from '@jest/globals';
import { csvFilename, csvHeader, csvRow, csvStream, csvText, csvTotals, type SummarySource } from './summary-csv.js';
import type { SummaryItem, SummaryRow } from './summary-row.js';

const ROW: SummaryRow = {
  key: 'trg_1',
  label: 'Cart, "abandoned"',
  accepted: 3,
  sent: 2,
  delivered: 1,
  read: 0,
  failed: 1,
  rejected: 0,
  expired: 0,
  canceled: 0,
  pending: 0,
  fellBack: 2,
  deliveryRate: 0.3333,
  medianSecondsToDeliver: null,
  fallbackRate: 0.6667,
  cost: { amount: '0.0926', currency: 'USD' },
  otherCosts: [
    { amount: '1.5000', currency: 'EUR' },
    { amount: '2.0000', currency: 'GBP' },
  ],
};

describe(csvText.name, () => {
  it('should quote commas, quotes and line breaks (RFC 4180)', () => {
    expect(['sms', 'a,b', 'say "hi"', 'two\nlines', 'cr\r'].map(csvText)).toEqual([
      'sms',
      '"a,b"',
      '"say ""hi"""',
      '"two\nlines"',
      '"cr\r"',
    ]);
  });

  it('should defuse text a spreadsheet would run as a formula', () => {
    expect(['=SUM(A1:A9)', '+1', '-1', '@cmd', '=HYPERLINK("x", "y")'].map(csvText)).toEqual([
      "'=SUM(A1:A9)",
      "'+1",
      "'-1",
      "'@cmd",
      `"'=HYPERLINK(""x"", ""y"")"`,
    ]);
  });
});

describe(csvRow.name, () => {
  it('should write the JSON row in the header order, null as an empty cell, CRLF-terminated', () => {
    expect(csvHeader()).toBe(
      'key,label,accepted,sent,delivered,read,failed,rejected,expired,canceled,pending,fellBack,deliveryRate,' +
        'medianSecondsToDeliver,fallbackRate,cost,currency,otherCosts\r\n',
    );
    expect(csvRow(ROW)).toBe(
      'trg_1,"Cart, ""abandoned""",3,2,1,0,1,0,0,0,0,2,0.3333,,0.6667,0.0926,USD,1.5000 EUR; 2.0000 GBP\r\n',
    );
    const { key: _key, label: _label, ...totals } = ROW;
    expect(csvTotals(totals)).toBe(',total,3,2,1,0,1,0,0,0,0,2,0.3333,,0.6667,0.0926,USD,1.5000 EUR; 2.0000 GBP\r\n');
  });
});

/** A cursor over `batches`, recording whether it was closed. */
function source(batches: SummaryItem[][], failAt?: number): SummarySource & { closed: number; reads: number } {
  const cursor = {
    closed: 0,
    reads: 0,
    async next() {
      cursor.reads += 1;
      if (cursor.reads === failAt) throw new Error('connection lost');
      return batches.shift() ?? [];
    },
    async close() {
      cursor.closed += 1;
    },
  };
  return cursor;
}

async function read(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe(csvStream.name, () => {
  const { key: _k, label: _l, ...totals } = ROW;

  it('should write the header, the first batch, then each batch, and close the cursor at the end', async () => {
    const cursor = source([[{ row: { ...ROW, key: 'b' } }], [{ row: { ...ROW, key: 'c' } }, { totals }]]);
    const text = await read(csvStream(cursor, [{ row: ROW }]));
    expect(text).toBe(
      csvHeader() + csvRow(ROW) + csvRow({ ...ROW, key: 'b' }) + csvRow({ ...ROW, key: 'c' }) + csvTotals(totals),
    );
    expect([cursor.reads, cursor.closed]).toEqual([3, 1]);
  });

  it('should close the cursor when the reader goes away, and fail the stream when a batch fails', async () => {
    const abandoned = source([[{ row: ROW }], [{ row: ROW }]]);
    const stream = csvStream(abandoned, []);
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    expect(abandoned.closed).toBe(1);

    const failing = source([[{ row: ROW }]], 2);
    await expect(read(csvStream(failing, []))).rejects.toThrow('connection lost');
    expect(failing.closed).toBe(1);
  });
});

describe(csvFilename.name, () => {
  it('should name the grouping and the range', () => {
    const from = new Date('2026-05-01T00:00:00Z');
    const to = new Date('2026-05-08T12:30:00.250Z');
    expect(csvFilename({ groupBy: 'country', from, to, timeZone: 'UTC' })).toBe(
      'herald-summary-country-20260501T000000Z-20260508T123000Z.csv',
    );
  });
});
