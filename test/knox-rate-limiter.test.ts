/**
 * The client-side rate limiter and the token cache, on a fake clock: no test here waits or reads wall-clock time.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Clock } from '#knox/clock';
import { TokenBucket } from '#knox/rate-limiter';
import { REFRESH_MARGIN_MS, TokenCache } from '#knox/token-cache';

/** A clock that only moves when told to; sleeping records the duration and returns at once. */
function fakeClock(): Clock & { advance(ms: number): void; sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    advance(ms) {
      t += ms;
    },
    sleeps,
  };
}

describe('TokenBucket', () => {
  it('lets a burst of `capacity` through, then spaces the rest by 1/rate each, in arrival order', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(2, 2, clock);
    const waits = await Promise.all([bucket.take(), bucket.take(), bucket.take(), bucket.take(), bucket.take()]);
    expect(waits).toEqual([0, 0, 500, 1000, 1500]);
  });

  it('defaults the burst to one second of requests', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, undefined, clock);
    const waits: number[] = [];
    for (let i = 0; i < 12; i += 1) waits.push(await bucket.take());
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
    expect(waits.slice(10)).toEqual([100, 200]);
  });

  it('refills with time but never beyond its capacity', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(2, 2, clock);
    await bucket.take();
    await bucket.take();
    await bucket.take(); // in debt by one slot
    clock.advance(60_000); // a long quiet spell
    const waits = [await bucket.take(), await bucket.take(), await bucket.take()];
    expect(waits).toEqual([0, 0, 500]);
  });

  it('waits only for the part of a slot that has not refilled yet', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1, 1, clock);
    expect(await bucket.take()).toBe(0);
    clock.advance(400);
    expect(await bucket.take()).toBeCloseTo(600, 6);
  });

  it('never grants more than capacity + rate * interval requests in any interval (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 60 }),
        async (rate, capacity, gaps) => {
          const clock = fakeClock();
          const bucket = new TokenBucket(rate, capacity, clock);
          const grants: number[] = [];
          for (const gap of gaps) {
            clock.advance(gap);
            const waited = await bucket.take();
            grants.push(clock.now() + waited);
          }
          for (let i = 0; i < grants.length; i += 1) {
            for (let j = i; j < grants.length; j += 1) {
              const granted = j - i + 1;
              const allowance = capacity + (rate * (grants[j]! - grants[i]!)) / 1000;
              expect(granted).toBeLessThanOrEqual(allowance + 1e-6);
            }
          }
          // Grant times never go backwards: nobody overtakes an earlier caller.
          for (let i = 1; i < grants.length; i += 1) expect(grants[i]!).toBeGreaterThanOrEqual(grants[i - 1]! - 1e-6);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
    expect(() => new TokenBucket(-1)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('TokenCache', () => {
  const answer = (token: string, expiresIn = 599) => ({
    access_token: token,
    token_type: 'Bearer',
    expires_in: expiresIn,
  });

  it('fetches once and reuses the token until 60 s before it expires', async () => {
    let now = 0;
    let n = 0;
    const fetchToken = vi.fn(async () => answer(`t${++n}`));
    const cache = new TokenCache(fetchToken, () => now);
    expect(await cache.get()).toBe('t1');
    now = 599_000 - REFRESH_MARGIN_MS - 1;
    expect(await cache.get()).toBe('t1');
    expect(fetchToken).toHaveBeenCalledTimes(1);
    now = 599_000 - REFRESH_MARGIN_MS;
    expect(await cache.get()).toBe('t2');
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });

  it('uses a short-lived token for half its life instead of fetching one per call', async () => {
    let now = 0;
    let n = 0;
    const fetchToken = vi.fn(async () => answer(`t${++n}`, 30));
    const cache = new TokenCache(fetchToken, () => now);
    await cache.get();
    now = 14_999;
    expect(await cache.get()).toBe('t1');
    now = 15_000;
    expect(await cache.get()).toBe('t2');
  });

  it('shares one token request between concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetchToken = vi.fn(async () => {
      await gate;
      return answer('shared');
    });
    const cache = new TokenCache(fetchToken, () => 0);
    const all = Promise.all(Array.from({ length: 25 }, () => cache.get()));
    release();
    expect(new Set(await all)).toEqual(new Set(['shared']));
    expect(fetchToken).toHaveBeenCalledTimes(1);
  });

  it('hands a failed token request to every waiter, then tries again on the next call', async () => {
    const fetchToken = vi
      .fn<() => Promise<ReturnType<typeof answer>>>()
      .mockRejectedValueOnce(new Error('refused'))
      .mockResolvedValueOnce(answer('second'));
    const cache = new TokenCache(fetchToken, () => 0);
    const results = await Promise.allSettled([cache.get(), cache.get()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(fetchToken).toHaveBeenCalledTimes(1);
    expect(await cache.get()).toBe('second');
  });

  it('invalidates only the token that was refused', async () => {
    let n = 0;
    const fetchToken = vi.fn(async () => answer(`t${++n}`));
    const cache = new TokenCache(fetchToken, () => 0);
    const stale = await cache.get();
    cache.invalidate(stale);
    const fresh = await cache.get();
    expect(fresh).toBe('t2');
    cache.invalidate(stale); // a late caller reporting the old token must not throw the new one away
    expect(await cache.get()).toBe('t2');
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });
});
