/**
 * Durations as the API accepts them: seconds as a number, "90s" / "30m" / "2h" / "14d" / "500ms",
 * or ISO 8601 ("PT2H", "P1DT2H"). Returns milliseconds, or null when the value is not a duration.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SHORT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const ISO =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null;
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const short = SHORT.exec(text);
  if (short) return Math.round(Number(short[1]) * UNIT_MS[short[2]]);
  const iso = ISO.exec(text.toUpperCase());
  if (iso && text.length > 1 && !text.toUpperCase().endsWith('T')) {
    const [, w, d, h, m, s] = iso.map((part) => (part === undefined ? 0 : Number(part)));
    if ([w, d, h, m, s].every((n) => n === 0) && !/\d/.test(text)) return null;
    return Math.round(w * UNIT_MS.w + d * UNIT_MS.d + h * UNIT_MS.h + m * UNIT_MS.m + s * UNIT_MS.s);
  }
  return null;
}
