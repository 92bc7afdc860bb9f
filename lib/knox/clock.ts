/**
 * Time as the Knox client sees it. Injected so that the rate limiter and the token cache can be tested with a fake
 * clock instead of real waiting.
 */
export interface Clock {
  /** Milliseconds; only differences matter. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  // performance.now() is monotonic: a wall-clock jump (NTP) must neither stall nor burst the limiter.
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
