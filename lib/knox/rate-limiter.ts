/**
 * Client-side rate limiting: a token bucket shared by every request of one Knox client.
 *
 * Knox answers 429 past its (unpublished) limit; sibling Knox APIs document 10 requests/second per token, so the
 * client paces itself below that instead of collecting 429s. Callers wait for a slot, they never fail for lack of one.
 */
import { systemClock, type Clock } from './clock';

export class TokenBucket {
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
