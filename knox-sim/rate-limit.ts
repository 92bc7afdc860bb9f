/**
 * Knox's own rate limit, played by the simulator (`POST /_sim/rate-limit`): a token bucket of `requestsPerSecond`
 * that holds `burst` requests (one second's worth by default) over every MSP call, whoever makes it; a request that
 * finds it empty answers 429 TOO_MANY_REQUESTS with `Retry-After: 1`, as Knox does past its limit. Token requests
 * are not counted (Knox documents its limit for the API calls). Off until set; a reset turns it off.
 */
import * as z from 'zod';

export const rateLimitSchema = z.strictObject({
  requestsPerSecond: z.number().positive().max(100_000),
  /** Requests the bucket holds after a quiet spell; default one second's worth (at least 1). */
  burst: z.number().min(1).max(1_000_000).optional(),
});
export type RateLimitInput = z.input<typeof rateLimitSchema>;

export class SimRateLimit {
  private spec: { requestsPerSecond: number; burst: number } | undefined;
  private tokens = 0;
  private last = 0;
  /** Requests answered 429 by the limit since it was set. */
  refused = 0;

  set(input: z.infer<typeof rateLimitSchema>, nowMs: number): void {
    const burst = input.burst ?? Math.max(1, input.requestsPerSecond);
    this.spec = { requestsPerSecond: input.requestsPerSecond, burst };
    this.tokens = burst;
    this.last = nowMs;
    this.refused = 0;
  }

  clear(): void {
    this.spec = undefined;
    this.refused = 0;
  }

  /** Takes a slot for a request arriving at `nowMs`; false when the limit refuses it. */
  admit(nowMs: number): boolean {
    if (!this.spec) return true;
    const { requestsPerSecond, burst } = this.spec;
    this.tokens = Math.min(burst, this.tokens + ((nowMs - this.last) * requestsPerSecond) / 1000);
    this.last = nowMs;
    if (this.tokens < 1) {
      this.refused += 1;
      return false;
    }
    this.tokens -= 1;
    return true;
  }

  describe(): { requestsPerSecond: number; burst: number; refused: number } | { off: true } {
    return this.spec ? { ...this.spec, refused: this.refused } : { off: true };
  }
}
