import type { GroupBy } from '../report-query.js';

export interface Money {
  amount: string;
  currency: string;
}

/** The counts of one group (or of all messages, for the totals), as API §8 names them and the README defines them. */
export interface SummaryFigures {
  accepted: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  rejected: number;
  expired: number;
  canceled: number;
  pending: number;
  fellBack: number;
  deliveryRate: number | null;
  medianSecondsToDeliver: number | null;
  fallbackRate: number | null;
  cost: Money;
  otherCosts: Money[];
}

export interface SummaryRow extends SummaryFigures {
  key: string;
  label: string;
}

/** What the summary yields, in order: its rows, then the totals. */
export type SummaryItem = { row: SummaryRow } | { totals: SummaryFigures };

/** One row as the report's SQL returns it (reports.store.ts). */
export interface RawSummaryRow {
  key: string | null;
  label: string | null;
  total: number;
  accepted: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  rejected: number;
  expired: number;
  canceled: number;
  pending: number;
  fell_back: number;
  median_ms: number | null;
  /** Sum in the rate card's currency (numeric as text). */
  cost: string;
  /** Non-zero sums in other currencies. */
  other_costs: Money[] | null;
}

/** n / d to 4 decimals; null when there is nothing to divide by. */
export function ratio(n: number, d: number): number | null {
  return d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null;
}

/**
 * Milliseconds → seconds. The SQL takes the median of whole milliseconds (times cut to the millisecond the API
 * shows), so it is a multiple of 0.5 ms and 4 decimals of a second hold it exactly.
 */
export function medianSeconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 10) / 10_000;
}

/**
 * A PostgreSQL numeric sum (`0.092600`) with 4 to 6 decimals (`0.0926`, `0.000015`, `12.0000`): exact string
 * work, never a float.
 */
export function formatAmount(sum: string): string {
  const [whole, fraction = ''] = sum.split('.');
  let digits = fraction.padEnd(6, '0').slice(0, 6);
  while (digits.length > 4 && digits.endsWith('0')) digits = digits.slice(0, -1);
  return `${whole}.${digits}`;
}

/**
 * The figures of one SQL row. `cost` is in the workspace's rate-card currency; non-zero costs of attempts priced
 * in another currency (a card whose currency changed) are listed in `otherCosts` (the sandbox's zero costs, in
 * USD, are left out).
 */
export function summaryFigures(raw: RawSummaryRow, currency: string): SummaryFigures {
  return {
    accepted: raw.accepted,
    sent: raw.sent,
    delivered: raw.delivered,
    read: raw.read,
    failed: raw.failed,
    rejected: raw.rejected,
    expired: raw.expired,
    canceled: raw.canceled,
    pending: raw.pending,
    fellBack: raw.fell_back,
    deliveryRate: ratio(raw.delivered, raw.accepted),
    medianSecondsToDeliver: medianSeconds(raw.median_ms),
    fallbackRate: ratio(raw.fell_back, raw.accepted),
    cost: { amount: formatAmount(raw.cost), currency },
    otherCosts: (raw.other_costs ?? []).map((c) => ({ amount: formatAmount(c.amount), currency: c.currency })),
  };
}

export function summaryRow(raw: RawSummaryRow, groupBy: GroupBy, currency: string): SummaryRow {
  const key = raw.key ?? 'none';
  const named = groupBy === 'trigger' || groupBy === 'broadcast';
  return { key, label: (named && raw.label) || key, ...summaryFigures(raw, currency) };
}
