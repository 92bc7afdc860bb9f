/**
 * The Knox budget shared by every instance: a RateLimiter (what the Knox client paces its requests with) over a
 * BudgetStore (the one DynamoDB item).
 *
 * Callers of one process queue; one claim at a time goes to the store, for as many of them as are waiting (up to the
 * lease size), so a busy process pays one write for several Knox calls and a lone Lambda one write per call. A claim
 * reserves slots at most `horizonMs` ahead; a caller whose slot lies further ahead sleeps until there is room and
 * asks again, up to `maxWaitMs` in all, then fails with KNOX_BUDGET_EXHAUSTED (disposition retry: the state machine
 * retries with backoff). A 429 shrinks the shared rate (settings.ts).
 */
import { KnoxError } from '#domain/knox-answer';
import { systemClock, type Clock } from '#knox/clock';
import type { RateLimiter } from '#knox/rate-limiter';
import {
  decreasedRate,
  goTime,
  leaseSize,
  mayDecrease,
  planClaim,
  rateAt,
  type BudgetItem,
  type BudgetSettings,
} from './settings';
import type { BudgetStore } from './budget-store';

/**
 * The budget's clock is wall-clock time: every instance reads the same `tat`, so time must be epoch time, not a
 * process's own (the Knox client's systemClock is monotonic, which suits one process only).
 */
export const wallClock: Clock = { now: () => Date.now(), sleep: systemClock.sleep };

/** What the budget reports (the steps log it; the dashboard's metric filters read the log lines). */
export type BudgetEvent =
  /** One write claimed `tokens` slots; `waitMs` is how long they sleep for their slot after the write. */
  | { type: 'claim'; tokens: number; rate: number; configuredRate: number; waitMs: number; attempts: number }
  /** No slot came within maxWaitMs: `tokens` callers fail with KNOX_BUDGET_EXHAUSTED after waiting `waitMs`. */
  | { type: 'exhausted'; tokens: number; rate: number; configuredRate: number; waitMs: number }
  /** Knox answered 429 all the same (every one is reported; the first of an overshoot also shrinks the rate). */
  | { type: 'throttled'; rate: number; configuredRate: number }
  /** A 429 shrank the shared rate. */
  | { type: 'decrease'; fromRate: number; toRate: number; configuredRate: number };

export interface SharedBudgetOptions {
  store: BudgetStore;
  settings: BudgetSettings;
  clock?: Clock;
  onEvent?: (event: BudgetEvent) => void;
  /** Spreads the retries of instances that found the schedule full (default Math.random; tests pass a constant). */
  random?: () => number;
}

interface Waiter {
  resolve(waitMs: number): void;
  reject(error: unknown): void;
  since: number;
  /** Counted in the budget's backlog (`due`) already: its claim must not count it again. */
  announced?: boolean;
}

export class SharedBudget implements RateLimiter {
  private readonly store: BudgetStore;
  private readonly settings: BudgetSettings;
  private readonly clock: Clock;
  private readonly onEvent: (event: BudgetEvent) => void;
  private readonly random: () => number;
  private readonly queue: Waiter[] = [];
  private claiming = false;
  /** The item as the last write or read answered it. */
  private known: BudgetItem | undefined;

  constructor(options: SharedBudgetOptions) {
    this.store = options.store;
    this.settings = options.settings;
    this.clock = options.clock ?? wallClock;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.random = options.random ?? Math.random;
  }

  /** The shared rate as this instance last saw it (requests per second). */
  get rate(): number {
    return rateAt(this.known, this.settings, this.clock.now());
  }

  take(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ resolve, reject, since: this.clock.now() });
      this.pump();
    });
  }

  async throttled(): Promise<void> {
    const now = this.clock.now();
    this.onEvent({
      type: 'throttled',
      rate: rateAt(this.known, this.settings, now),
      configuredRate: this.settings.ratePerSecond,
    });
    try {
      const current = (await this.store.read()) ?? this.known;
      if (current !== undefined) this.known = current;
      if (!mayDecrease(current, this.settings, now)) return;
      const fromRate = rateAt(current, this.settings, now);
      const toRate = decreasedRate(current, this.settings, now);
      const after = await this.store.decrease(toRate, now, this.settings.aimd.cooldownMs);
      if (after === undefined) return; // another instance decreased first: one overshoot, one decrease
      this.known = after;
      this.onEvent({ type: 'decrease', fromRate, toRate, configuredRate: this.settings.ratePerSecond });
    } catch {
      // Shrinking is advice: a store failure here must not turn Knox's 429 into another error.
    }
  }

  /** Starts the next claim unless one is under way; the claim's sleep does not hold up the next one. */
  private pump(): void {
    if (this.claiming || this.queue.length === 0) return;
    this.claiming = true;
    const batch = this.queue.splice(0, leaseSize(this.rate, this.settings));
    this.claim(batch)
      .then((go) => {
        const wait = Math.max(0, go - this.clock.now());
        const release = () => {
          const now = this.clock.now();
          for (const w of batch) w.resolve(Math.max(0, now - w.since));
        };
        if (wait > 0) void this.clock.sleep(wait).then(release);
        else release();
      })
      .catch((error: unknown) => {
        for (const w of batch) w.reject(error);
      })
      .finally(() => {
        this.claiming = false;
        this.pump();
      });
  }

  /** Reserves `batch.length` slots; resolves with the epoch ms at which they may go. */
  private async claim(batch: Waiter[]): Promise<number> {
    const tokens = batch.length;
    const started = Math.min(...batch.map((w) => w.since));
    let item = this.known;
    // A claim that finds the schedule full announces its callers once, and those queued behind it in this process
    // (`due`: the budget's backlog), then claims them without counting them again.
    const unannounced = () => batch.filter((w) => w.announced !== true).length;
    // Sleeping for room is bounded by maxWaitMs; writes that lose a race (or meet a stale picture), by maxAttempts.
    for (let attempt = 1, conflicts = 0; conflicts < this.settings.maxAttempts; attempt += 1) {
      const now = this.clock.now();
      const rate = rateAt(item, this.settings, now);
      const plan = planClaim(tokens, rate, this.settings, now);
      const tat = item?.tat;
      let after: BudgetItem | undefined;
      try {
        const dueMs = (unannounced() * plan.costMs) / tokens;
        if (tat === undefined || tat < now) after = await this.store.restart(plan.costMs, now, dueMs);
        else if (tat <= plan.maxTat) after = await this.store.advance(plan.costMs, now, plan.maxTat, dueMs);
        if (after === undefined) item = await this.store.read();
      } catch (error) {
        throw storeError(error);
      }
      if (after?.tat !== undefined) {
        this.known = after;
        const go = goTime(after.tat, plan, now);
        this.onEvent({
          type: 'claim',
          tokens,
          rate,
          configuredRate: this.settings.ratePerSecond,
          waitMs: Math.max(0, go - now),
          attempts: attempt,
        });
        return go;
      }
      this.known = item;
      // The schedule is full beyond the horizon: sleep until the slot we would get comes within it, if in time. The
      // instances that found it full spread their next try over the horizon: waking together, all but one would
      // fail again (a write and a read each) for every slot that comes free.
      const nextTat = item?.tat;
      if (nextTat !== undefined && nextTat > plan.maxTat) {
        const room = nextTat - plan.maxTat;
        if (now + room - started > this.settings.maxWaitMs) return this.exhausted(tokens, started, rate);
        await this.announce([...batch, ...this.queue], plan.costMs / tokens);
        await this.clock.sleep(room + this.random() * this.settings.horizonMs);
      } else {
        conflicts += 1;
      }
    }
    return this.exhausted(tokens, started, rateAt(item, this.settings, this.clock.now()));
  }

  /** Counts waiters not counted yet in the budget's backlog; advice only, so a failed write changes nothing else. */
  private async announce(waiters: Waiter[], intervalMs: number): Promise<void> {
    const fresh = waiters.filter((w) => w.announced !== true);
    if (fresh.length === 0) return;
    for (const w of fresh) w.announced = true;
    try {
      this.known = (await this.store.announce(fresh.length * intervalMs)) ?? this.known;
    } catch {
      // The backlog paces work that can wait: failing to count it must not fail a Knox call.
    }
  }

  private exhausted(tokens: number, started: number, rate: number): never {
    const waitMs = Math.max(0, this.clock.now() - started);
    this.onEvent({ type: 'exhausted', tokens, rate, configuredRate: this.settings.ratePerSecond, waitMs });
    throw KnoxError.of('KNOX_BUDGET_EXHAUSTED', {
      message: `The shared Knox budget (${round(rate)} of ${round(this.settings.ratePerSecond)} requests/s) had no slot within ${this.settings.maxWaitMs} ms; Knox was not called`,
    });
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The store could not be reached or refused us: a transient matter for the retrier, named without request data. */
function storeError(error: unknown): KnoxError {
  const name = error instanceof Error && /^[A-Za-z.]{1,64}$/.test(error.name) ? error.name : 'Error';
  return KnoxError.of('KNOX_BUDGET_EXHAUSTED', {
    message: `The shared Knox budget could not be read or written (${name}); Knox was not called`,
  });
}
