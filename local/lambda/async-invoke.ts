/**
 * Lambda's queue for asynchronous invocations (EventBridge Scheduler invokes the poller this way), per AWS's
 * "How Lambda handles errors and retries with asynchronous invocation" (AWS Lambda Developer Guide):
 * - a throttled attempt (the function's reserved concurrency is in use) goes back to the queue and is tried again
 *   after 1 s, then twice as long each time up to 5 minutes, for as long as the event is younger than the function's
 *   MaximumEventAgeInSeconds (default 6 hours); then it is dropped;
 * - a function error (an error the handler threw, or its timeout) is retried MaximumRetryAttempts times (default 2),
 *   one minute after the first attempt and two minutes after the second; an event that has aged out meanwhile is
 *   dropped instead.
 * Every delay and age is multiplied by the stack's TIME_SCALE, like the schedule that sends the events.
 * Local differences: no on-failure destination or dead-letter queue (the template configures none), no duplicates
 * (AWS may deliver an event twice; the poller's rounds are idempotent), no slowdown for long queues.
 */
import type { LocalFunction } from '../template/template';
import { ASYNC_INVOKE_DEFAULTS } from '../template/function-settings';
import { isThrottle } from './lambda-limits';

/** First wait after a throttle, and the longest. */
export const THROTTLE_RETRY_FIRST_MS = 1_000;
export const THROTTLE_RETRY_MAX_MS = 300_000;
/** Waits before the first and the second retry after a function error. */
export const ERROR_RETRY_DELAYS_MS = [60_000, 120_000] as const;

export type AsyncOutcome =
  | { kind: 'succeeded'; attempts: number; result: unknown }
  | { kind: 'failed'; attempts: number; error: string }
  | { kind: 'dropped'; attempts: number; reason: 'maximum event age' | 'retries exhausted'; error: string }
  | { kind: 'cancelled'; attempts: number };

interface Invoker {
  invoke(handler: string, event: unknown): Promise<unknown>;
}

export class AsyncInvokeQueue {
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly invoker: Invoker,
    private readonly timeScale: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Accepts an event; its attempts run in the background, and `onOutcome` hears each ended attempt's result. */
  enqueue(fn: LocalFunction, event: unknown, onOutcome: (outcome: AsyncOutcome) => void = () => undefined): void {
    void this.deliver(fn, event, onOutcome);
  }

  /** No more attempts: waiting events are cancelled (the stack is stopping). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  private async deliver(fn: LocalFunction, event: unknown, onOutcome: (outcome: AsyncOutcome) => void): Promise<void> {
    const settings = fn.asyncInvoke ?? ASYNC_INVOKE_DEFAULTS;
    const enqueuedAt = Date.now();
    const maxAgeMs = settings.maximumEventAgeSeconds * 1000 * this.timeScale;
    let attempts = 0;
    let throttles = 0;
    let errors = 0;
    for (;;) {
      if (this.stopped) return onOutcome({ kind: 'cancelled', attempts });
      attempts += 1;
      let delayMs: number;
      let failure: string;
      try {
        const result = await this.invoker.invoke(fn.handler, event);
        return onOutcome({ kind: 'succeeded', attempts, result });
      } catch (error) {
        failure = (error as Error).name;
        if (isThrottle(error)) {
          throttles += 1;
          delayMs = Math.min(THROTTLE_RETRY_FIRST_MS * 2 ** (throttles - 1), THROTTLE_RETRY_MAX_MS) * this.timeScale;
        } else {
          onOutcome({ kind: 'failed', attempts, error: failure });
          if (errors >= settings.maximumRetryAttempts) {
            this.log(`async ${fn.handler}: event dropped after ${attempts} attempts (${failure})`);
            return onOutcome({ kind: 'dropped', attempts, reason: 'retries exhausted', error: failure });
          }
          delayMs = ERROR_RETRY_DELAYS_MS[Math.min(errors, ERROR_RETRY_DELAYS_MS.length - 1)]! * this.timeScale;
          errors += 1;
        }
      }
      if (Date.now() + delayMs - enqueuedAt > maxAgeMs) {
        this.log(`async ${fn.handler}: event dropped, older than ${settings.maximumEventAgeSeconds} s (${failure})`);
        return onOutcome({ kind: 'dropped', attempts, reason: 'maximum event age', error: failure });
      }
      await this.sleep(delayMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.timers.add(timer);
      this.wakers.add(wake);
    });
  }
}
