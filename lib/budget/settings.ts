/**
 * The shared Knox budget's numbers and the arithmetic on them, free of any store or clock, so that tests can check
 * it with plain numbers.
 *
 * The budget is a GCRA (generic cell rate algorithm) token bucket: its one moving part is `tat`, the theoretical
 * arrival time (epoch milliseconds) at which the schedule is next free. Taking n tokens moves `tat` on by n/rate
 * seconds; a request may go once `tat` is no further than the burst ahead of it. Every instance of every Lambda
 * advances the same `tat` (a DynamoDB item), so together they stay within one rate.
 *
 * The budget also knows its backlog: `due` is the time at which every call asked for so far would have gone, the
 * ones holding slots (`tat`) and the ones asleep because the schedule was full beyond the horizon (each such claim
 * announces itself once). It drains with time like `tat`, so a caller that never comes back leaves nothing behind.
 * Work that can wait (a batch's next items) starts when the backlog is short (lambdas/batches/pacing.ts).
 *
 * The rate itself adapts (AIMD): a 429 from Knox multiplies it by `decreaseFactor` (once per `cooldownMs`, however
 * many instances saw the 429), it holds there for `holdMs`, then grows back linearly by `increaseFraction` of the
 * configured rate per `increaseEveryMs`, up to the configured rate. The current rate is a function of time and of the
 * last decrease (`floorRate`, `decreasedAt`), so growing back costs no writes.
 */

export interface AimdSettings {
  /** A 429 multiplies the current rate by this. */
  decreaseFactor: number;
  /** The rate never shrinks below this share of the configured rate. */
  minFraction: number;
  /** No growth for this long after a decrease. */
  holdMs: number;
  /** Growth: this share of the configured rate ... */
  increaseFraction: number;
  /** ... per this many milliseconds. */
  increaseEveryMs: number;
  /** 429s within this long after a decrease do not shrink it again (they are the same overshoot). */
  cooldownMs: number;
}

export interface BudgetSettings {
  /** knoxRequestsPerSecond: what the whole system may send to Knox. */
  ratePerSecond: number;
  /** Requests that may go at once after a quiet spell, in seconds of the rate (at least one request). */
  burstSeconds: number;
  /**
   * How far ahead a slot may be reserved. Kept short so that a decrease takes effect at once: slots reserved at the
   * old rate are not taken back. A caller whose slot lies further ahead sleeps and asks again.
   */
  horizonMs: number;
  /** Longest wait for a slot before the call gives up with KNOX_BUDGET_EXHAUSTED (the state machine retries). */
  maxWaitMs: number;
  /** Most tokens one write claims for the callers waiting in one process (a small local lease). */
  maxLease: number;
  /** Conditional writes tried per claim before giving up (each failure re-reads the item). */
  maxAttempts: number;
  aimd: AimdSettings;
}

export const BUDGET_DEFAULTS: Omit<BudgetSettings, 'ratePerSecond'> = {
  burstSeconds: 0.25,
  horizonMs: 150,
  maxWaitMs: 5_000,
  maxLease: 10,
  maxAttempts: 12,
  aimd: {
    decreaseFactor: 0.7,
    minFraction: 0.05,
    holdMs: 5_000,
    increaseFraction: 0.02,
    increaseEveryMs: 1_000,
    cooldownMs: 1_000,
  },
};

/** The budget settings for a configured rate, defaults for the rest. */
export function budgetSettings(
  ratePerSecond: number,
  overrides: Partial<Omit<BudgetSettings, 'ratePerSecond'>> = {},
): BudgetSettings {
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
    throw new RangeError('the Knox budget must be a positive finite rate');
  return { ...BUDGET_DEFAULTS, ...overrides, aimd: { ...BUDGET_DEFAULTS.aimd, ...overrides.aimd }, ratePerSecond };
}

/** What the shared item holds (besides its key). Absent fields: no request yet, no decrease yet. */
export interface BudgetItem {
  /** Theoretical arrival time, epoch ms. */
  tat?: number;
  /** The rate right after the last decrease. */
  floorRate?: number;
  /** Epoch ms of the last decrease. */
  decreasedAt?: number;
  /** Epoch ms at which every call asked for so far (slots held and callers asleep for one) would have gone. */
  due?: number;
}

/** How long the calls asked for so far need at the rate (ms from `now`; 0 when the budget is idle). */
export function backlogMs(item: BudgetItem | undefined, now: number): number {
  return Math.max(0, (item?.tat ?? 0) - now, (item?.due ?? 0) - now);
}

/** The rate in force at `now` (requests per second). */
export function rateAt(item: BudgetItem | undefined, settings: BudgetSettings, now: number): number {
  const configured = settings.ratePerSecond;
  if (item?.floorRate === undefined || item.decreasedAt === undefined) return configured;
  const { holdMs, increaseFraction, increaseEveryMs } = settings.aimd;
  const growing = Math.max(0, now - item.decreasedAt - holdMs);
  return Math.min(configured, item.floorRate + (configured * increaseFraction * growing) / increaseEveryMs);
}

/** The rate after a 429 at `now`. */
export function decreasedRate(item: BudgetItem | undefined, settings: BudgetSettings, now: number): number {
  const { decreaseFactor, minFraction } = settings.aimd;
  return Math.max(settings.ratePerSecond * minFraction, rateAt(item, settings, now) * decreaseFactor);
}

/** Whether a 429 at `now` may shrink the rate (not within the cooldown of the last decrease). */
export function mayDecrease(item: BudgetItem | undefined, settings: BudgetSettings, now: number): boolean {
  return item?.decreasedAt === undefined || now - item.decreasedAt >= settings.aimd.cooldownMs;
}

/** The schedule of a claim of `tokens` at `now` at `rate`. */
export interface ClaimPlan {
  /** How far the claim moves `tat` (ms). */
  costMs: number;
  /** The burst allowance (ms of schedule that may lie ahead of now and still go at once). */
  burstMs: number;
  /** An advance is allowed while `tat` is at most this (later than this, the slot lies beyond the horizon). */
  maxTat: number;
}

export function planClaim(tokens: number, rate: number, settings: BudgetSettings, now: number): ClaimPlan {
  const intervalMs = 1000 / rate;
  const costMs = tokens * intervalMs;
  const burstMs = Math.max(intervalMs, settings.burstSeconds * 1000);
  return { costMs, burstMs, maxTat: now + burstMs + settings.horizonMs - costMs };
}

/** When the tokens of a claim that moved `tat` to `newTat` may go: at once within the burst, else when due. */
export function goTime(newTat: number, plan: ClaimPlan, now: number): number {
  return Math.max(now, newTat - plan.burstMs);
}

/** The most tokens one claim may take at `rate`: the lease cap, and never more than the burst holds. */
export function leaseSize(rate: number, settings: BudgetSettings): number {
  return Math.max(1, Math.min(settings.maxLease, Math.floor(rate * settings.burstSeconds)));
}
