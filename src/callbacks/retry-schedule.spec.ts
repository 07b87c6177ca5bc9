import { describe, expect, it } from '@jest/globals';
import { nextRetryAt, RETRY_CAP_MS, retryDelayMs } from './retry-schedule.js';

const middle = () => 0.5;

describe(retryDelayMs.name, () => {
  it('should double from the base per try', () => {
    expect([1, 2, 3, 4].map((tries) => retryDelayMs(tries, 10_000, middle))).toEqual([10_000, 20_000, 40_000, 80_000]);
  });

  it('should jitter by ±20 %', () => {
    expect(retryDelayMs(1, 10_000, () => 0)).toBe(8_000);
    expect(retryDelayMs(1, 10_000, () => 0.999_999)).toBeCloseTo(12_000, 0);
  });

  it('should never wait more than an hour, however many tries', () => {
    expect(retryDelayMs(12, 10_000, () => 0.999_999)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(500, 10_000, middle)).toBe(RETRY_CAP_MS);
  });
});

describe(nextRetryAt.name, () => {
  const changedAt = new Date('2026-01-01T00:00:00Z');
  const at = (ms: number) => new Date(changedAt.getTime() + ms);
  const DAY = 86_400_000;

  it('should retry after the backoff while the window lasts', () => {
    expect(nextRetryAt(1, changedAt, at(0), 10_000, DAY, middle)).toEqual(at(10_000));
    expect(nextRetryAt(3, changedAt, at(70_000), 10_000, DAY, middle)).toEqual(at(110_000));
  });

  it('should make the last try at the end of the window, then give up', () => {
    expect(nextRetryAt(30, changedAt, at(DAY - 60_000), 10_000, DAY, middle)).toEqual(at(DAY));
    expect(nextRetryAt(31, changedAt, at(DAY), 10_000, DAY, middle)).toBeNull();
    expect(nextRetryAt(1, changedAt, at(DAY + 5), 10_000, DAY, middle)).toBeNull();
  });

  it('should try about 30 times in 24 h with the default 10 s base', () => {
    let now = 0;
    let tries = 0;
    for (let next: Date | null = changedAt; next; tries++) {
      now = next.getTime() - changedAt.getTime();
      next = nextRetryAt(tries + 1, changedAt, at(now), 10_000, DAY, middle);
    }
    expect(now).toBe(DAY);
    expect(tries).toBeGreaterThan(25);
    expect(tries).toBeLessThan(40);
  });
});
