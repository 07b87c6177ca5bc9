import { describe, expect, it, jest } from '@jest/globals';
import { TokenBucket } from './token-bucket.js';

describe(TokenBucket.name, () => {
  it('should give a full burst at once, then refuse until time passes', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    now = 100; // 10/s → one token per 100 ms
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
  });

  it('should never hold more than the burst, however long it idles', () => {
    let now = 0;
    const bucket = new TokenBucket(100, 2, () => now);
    now = 60_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
  });

  it('should make waiting callers wait for the rate, in arrival order', async () => {
    jest.useFakeTimers(); // fakes performance.now too, which the bucket reads by default
    try {
      const bucket = new TokenBucket(50, 1); // one token per 20 ms
      const order: number[] = [];
      const all = Promise.all([0, 1, 2, 3, 4].map((i) => bucket.take().then(() => order.push(i))));
      const after = async (ms: number) => {
        await jest.advanceTimersByTimeAsync(ms);
        return [...order];
      };
      expect(await after(0)).toEqual([0]);
      expect(await after(10)).toEqual([0]);
      expect(await after(10)).toEqual([0, 1]);
      expect(await after(20)).toEqual([0, 1, 2]);
      expect(await after(20)).toEqual([0, 1, 2, 3]);
      expect(await after(20)).toEqual([0, 1, 2, 3, 4]);
      await all;
      expect(bucket.waiting).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('should refuse a rate that is not positive', () => {
    expect(() => new TokenBucket(0)).toThrow('ratePerSecond must be positive');
  });
});
