/**
 * Client-side rate limiting. The Knox client depends on the RateLimiter contract only: the Lambdas wire the budget
 * shared by every instance (lib/budget, kept in DynamoDB); TokenBucket below is the in-process one (one client's
 * requests only), for tests, benches and tools that run alone.
 *
 * Knox answers 429 past its (unpublished) limit; sibling Knox APIs document 10 requests/second per token, so the
 * client paces itself below that instead of collecting 429s.
 */
import { systemClock, type Clock } from './clock';

export interface RateLimiter {
  /**
   * Takes one slot for a Knox request, waiting for it if need be; resolves with the milliseconds waited. A limiter
   * whose wait is bounded throws a KnoxError (disposition `retry`, KNOX_BUDGET_EXHAUSTED) when no slot comes in time.
   */
  take(): Promise<number>;
  /** Knox answered 429 all the same: an adaptive limiter shrinks its rate. Never throws. */
  throttled?(): Promise<void>;
}

/** An in-process token bucket: callers wait for a slot, they never fail for lack of one. */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private last: number;

  /**
   * @param ratePerSecond slots added per second.
   * @param capacity the burst allowed after a quiet spell; one second's worth by default.
   */
  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number = Math.max(1, ratePerSecond),
    private readonly clock: Clock = systemClock,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError('requestsPerSecond must be a positive finite number');
    }
    if (!(capacity >= 1)) throw new RangeError('the bucket capacity must be at least 1');
    this.tokens = capacity;
    this.last = clock.now();
  }

  /**
   * Takes one slot, waiting until it is free. The slot is reserved at call time (the balance may go negative, each
   * waiter sleeping off its own share of the debt), so waiters are served in arrival order and none starves.
   * Returns how many milliseconds this call waited for (0 when a slot was free).
   */
  async take(): Promise<number> {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    const waitMs = (-this.tokens * 1000) / this.ratePerSecond;
    await this.clock.sleep(waitMs);
    return waitMs;
  }
}
