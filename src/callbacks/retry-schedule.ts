/** A failed callback is retried after base × 2^(tries−1), ±20 % jitter, never more than an hour apart. */
export const RETRY_CAP_MS = 3_600_000;

export function retryDelayMs(tries: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(tries, 1) - 1, 30);
  return Math.min(RETRY_CAP_MS, exponential * (0.8 + random() * 0.4));
}

/**
 * After a failed try: when to try again, or null to give up. Retries end `windowMs` after the status change (API
 * §9: 24 h); the last one is made at the end of the window, so a receiver that comes back late still gets it.
 */
export function nextRetryAt(
  tries: number,
  changedAt: Date,
  now: Date,
  baseMs: number,
  windowMs: number,
  random: () => number = Math.random,
): Date | null {
  const giveUpAt = changedAt.getTime() + windowMs;
  if (now.getTime() >= giveUpAt) return null;
  return new Date(Math.min(now.getTime() + retryDelayMs(tries, baseMs, random), giveUpAt));
}
