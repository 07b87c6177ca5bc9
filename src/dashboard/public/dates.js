// Whole days in the browser's time zone, turned into the API's [from, to) instants.

const pad = (n) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of a date in local time, the value format of <input type="date">. */
export const isoDay = (date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;

/** Local midnight at the start of `day` (`YYYY-MM-DD`), plus `plusDays`; null if `day` is not a date. */
export function localMidnight(day, plusDays = 0) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The last `days` days, today included. */
export function lastDays(days, today = new Date()) {
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  return { from: isoDay(from), to: isoDay(today) };
}

/**
 * The API's query for the days `from` to `to`, both included: `to` becomes the next midnight, since the
 * reports count what was created within [from, to). Returns an error sentence instead when the range is not valid.
 */
export function rangeQuery(from, to) {
  const start = localMidnight(from);
  const end = localMidnight(to, 1);
  if (!start) return { error: 'Pick a start date.' };
  if (!end) return { error: 'Pick an end date.' };
  if (end <= start) return { error: 'The start date is after the end date.' };
  return { query: { from: start.toISOString(), to: end.toISOString() } };
}

/** "3 Jun 2026" for the status line. */
export const longDay = (day) =>
  localMidnight(day).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
