/**
 * The simulator's rate-limit switch (Knox's own limit, knox-sim/rate-limit.ts) over HTTP, met by the real Knox client:
 * calls beyond the bucket answer 429 TOO_MANY_REQUESTS with Retry-After, token requests are not counted, a reset
 * turns it off, and the client tells its RateLimiter about each 429 (what makes the shared budget shrink).
 */
import { describe, expect, it } from 'vitest';
import { KnoxError } from '#domain/knox-answer';
import type { RateLimiter } from '#knox/rate-limiter';
import { FIXTURES } from '#knox-sim/server';
import { useKnoxSimulator } from './support/sim-harness';

const sim = useKnoxSimulator();

/** A limiter that lets everything through and counts what the client tells it. */
function countingLimiter(): RateLimiter & { takes: number; throttles: number } {
  const limiter = {
    takes: 0,
    throttles: 0,
    take: async () => {
      limiter.takes += 1;
      return 0;
    },
    throttled: async () => {
      limiter.throttles += 1;
    },
  };
  return limiter;
}

const client = (limiter: RateLimiter) => sim.client({ limiter });

describe('POST /_sim/rate-limit', () => {
  it('answers 429 with Retry-After beyond the bucket, counts MSP calls only, and the client reports each 429 to its limiter', async () => {
    // A bucket of 3 that refills once in 1,000 s: exactly three calls pass, whatever the machine's speed.
    await sim.control.rateLimit({ requestsPerSecond: 0.001, burst: 3 });
    const limiter = countingLimiter();
    const knox = client(limiter);
    const outcomes: (string | KnoxError)[] = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push(
        await knox.getCustomer(FIXTURES.ownedActive).then(
          (c) => c.customerId,
          (e: unknown) => e as KnoxError,
        ),
      );
    }
    expect(outcomes.slice(0, 3)).toEqual([FIXTURES.ownedActive, FIXTURES.ownedActive, FIXTURES.ownedActive]);
    for (const refused of outcomes.slice(3)) {
      expect(refused).toBeInstanceOf(KnoxError);
      expect(refused).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        httpStatus: 429,
        disposition: 'retry',
        retryAfterSeconds: 1,
      });
    }
    // One token request and five calls went through the limiter; two 429s were reported to it.
    expect(limiter.takes).toBe(6);
    expect(limiter.throttles).toBe(2);
    const log = await sim.control.requests();
    expect(log.filter((r) => r.status === 429)).toHaveLength(2);
    expect(log.filter((r) => r.path.startsWith('/ams/')).every((r) => r.status === 200)).toBe(true);
  });

  it('is off after DELETE and after a reset', async () => {
    await sim.control.rateLimit({ requestsPerSecond: 0.001, burst: 1 });
    await sim.control.clearRateLimit();
    const knox = client(countingLimiter());
    for (let i = 0; i < 3; i += 1) await expect(knox.getCustomer(FIXTURES.ownedActive)).resolves.toBeDefined();
    await sim.control.rateLimit({ requestsPerSecond: 0.001, burst: 1 });
    await sim.control.reset();
    for (let i = 0; i < 3; i += 1) await expect(knox.getCustomer(FIXTURES.ownedActive)).resolves.toBeDefined();
  });

  it('refuses a body that is not a positive rate', async () => {
    await expect(sim.control.rateLimit({ requestsPerSecond: 0 })).rejects.toMatchObject({ status: 400 });
  });
});
