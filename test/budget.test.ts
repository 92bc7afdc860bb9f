/**
 * The shared Knox budget's algorithm (lib/budget) on a virtual clock and the in-memory store: pacing across
 * instances, the lease, the bounded wait, and AIMD. No test here waits or reads wall-clock time. The DynamoDB store
 * and the race between two writers are in budget-dynamo.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { KnoxError } from '#domain/knox-answer';
import { specFor } from '#domain/knox-errors';
import {
  MemoryBudgetStore,
  SharedBudget,
  backlogMs,
  budgetSettings,
  rateAt,
  type BudgetEvent,
  type BudgetSettings,
} from '#budget/index';
import { decreasedRate, mayDecrease } from '#budget/settings';
import { virtualClock, type VirtualClock } from './support/virtual-clock';

function budgets(count: number, settings: BudgetSettings, clock: VirtualClock, store = new MemoryBudgetStore()) {
  const events: BudgetEvent[] = [];
  const list = Array.from(
    { length: count },
    () => new SharedBudget({ store, settings, clock, onEvent: (e) => events.push(e), random: () => 0.5 }),
  );
  return { list, store, events };
}

/** Starts `count` takes spread round-robin over the budgets; records when each was granted (virtual ms) or why not. */
function takeMany(list: SharedBudget[], count: number, clock: VirtualClock) {
  const granted: number[] = [];
  const refused: unknown[] = [];
  for (let i = 0; i < count; i += 1) {
    list[i % list.length]!.take().then(
      () => granted.push(clock.now()),
      (error: unknown) => refused.push(error),
    );
  }
  return { granted, refused };
}

/** The most grants in any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i += 1) {
    while (sorted[i]! - sorted[j]! >= windowMs) j += 1;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('the AIMD rate', () => {
  const settings = budgetSettings(10);

  it('is the configured rate until Knox throttles', () => {
    expect(rateAt(undefined, settings, 0)).toBe(10);
    expect(rateAt({ tat: 5 }, settings, 1e9)).toBe(10);
  });

  it('shrinks by decreaseFactor, holds for holdMs, then grows by increaseFraction per increaseEveryMs up to the configured rate', () => {
    const at = 1_000_000;
    const floorRate = decreasedRate(undefined, settings, at);
    expect(floorRate).toBeCloseTo(10 * settings.aimd.decreaseFactor);
    const item = { floorRate, decreasedAt: at };
    expect(rateAt(item, settings, at + settings.aimd.holdMs)).toBeCloseTo(floorRate);
    const step = 10 * settings.aimd.increaseFraction;
    expect(rateAt(item, settings, at + settings.aimd.holdMs + settings.aimd.increaseEveryMs)).toBeCloseTo(
      floorRate + step,
    );
    expect(rateAt(item, settings, at + settings.aimd.holdMs + 100 * settings.aimd.increaseEveryMs)).toBe(10);
  });

  it('never shrinks below minFraction of the configured rate, and only once per cooldown', () => {
    let item = { floorRate: 10, decreasedAt: 0 };
    for (let i = 1; i <= 30; i += 1)
      item = { floorRate: decreasedRate(item, settings, i * 1_000), decreasedAt: i * 1_000 };
    expect(item.floorRate).toBeCloseTo(10 * settings.aimd.minFraction);
    expect(mayDecrease(item, settings, item.decreasedAt + settings.aimd.cooldownMs - 1)).toBe(false);
    expect(mayDecrease(item, settings, item.decreasedAt + settings.aimd.cooldownMs)).toBe(true);
  });
});

describe('SharedBudget', () => {
  it('holds several instances together to one rate: a short burst, then one slot per 1/rate', async () => {
    const clock = virtualClock();
    const settings = budgetSettings(10, { maxWaitMs: 10_000 });
    const { list } = budgets(3, settings, clock);
    const start = clock.now();
    const { granted, refused } = takeMany(list, 60, clock);
    await clock.advance(10_000);
    expect(refused).toEqual([]);
    expect(granted).toHaveLength(60);
    // The burst (250 ms of the rate) goes at once; after that no second holds more than the rate plus that burst.
    const burst = Math.floor(10 * settings.burstSeconds);
    expect(maxInWindow(granted, 1_000)).toBeLessThanOrEqual(10 + burst);
    // 60 slots at 10/s: the last goes about (60 - burst) / 10 s after the start, not earlier.
    expect(Math.max(...granted) - start).toBeGreaterThanOrEqual((60 - burst - 1) * 100);
    expect(Math.max(...granted) - start).toBeLessThanOrEqual(60 * 100);
  });

  it('knows its backlog: the slots held and the callers asleep for one, each counted once, draining as they go', async () => {
    const clock = virtualClock();
    const settings = budgetSettings(10, { maxWaitMs: 10_000 });
    const { list, store } = budgets(3, settings, clock);
    const start = clock.now();
    const { granted } = takeMany(list, 40, clock);
    await clock.settle();
    // 40 calls at 10/s are 4 s of schedule; only a few hold slots (the horizon), the rest sleep: all are counted.
    expect(store.item?.tat).toBeLessThan(start + 1_000);
    expect(backlogMs(store.item, clock.now())).toBeGreaterThanOrEqual(3_900);
    expect(backlogMs(store.item, clock.now())).toBeLessThanOrEqual(4_000);
    await clock.advance(2_000);
    const half = backlogMs(store.item, clock.now());
    expect(half).toBeGreaterThanOrEqual(1_900);
    expect(half).toBeLessThanOrEqual(2_100);
    await clock.advance(3_000);
    expect(granted).toHaveLength(40);
    // Every claim counted once: the backlog is gone when the last call has gone.
    expect(backlogMs(store.item, clock.now())).toBe(0);
    expect(store.item?.due).toBeLessThanOrEqual(start + 4_000 + 1);
  });

  it('lets a lone caller after a quiet spell go at once, with one write', async () => {
    const clock = virtualClock();
    const { list, store } = budgets(1, budgetSettings(10), clock);
    const waited = list[0]!.take();
    await clock.settle();
    expect(await waited).toBe(0);
    expect(store.writes).toBe(1);
  });

  it('claims for every caller waiting in one process with one write (the lease), up to maxLease', async () => {
    const clock = virtualClock();
    const settings = budgetSettings(100);
    const { list, store, events } = budgets(1, settings, clock);
    const { granted } = takeMany(list, 25, clock);
    await clock.advance(1_000);
    expect(granted).toHaveLength(25);
    const claims = events.filter((e) => e.type === 'claim');
    // The first caller is alone when it starts the first claim; the 24 who queued meanwhile go in leases of maxLease.
    expect(claims.map((e) => (e.type === 'claim' ? e.tokens : 0))).toEqual([
      1,
      settings.maxLease,
      settings.maxLease,
      4,
    ]);
    expect(store.writes).toBe(4);
  });

  it('fails with KNOX_BUDGET_EXHAUSTED (a retry) when no slot comes within maxWaitMs, without reserving one', async () => {
    const clock = virtualClock();
    const settings = budgetSettings(2, { maxWaitMs: 2_000 });
    const { list, store, events } = budgets(2, settings, clock);
    const { granted, refused } = takeMany(list, 12, clock);
    await clock.advance(10_000);
    expect(refused.length).toBeGreaterThan(0);
    expect(granted.length + refused.length).toBe(12);
    // Within maxWaitMs of the start, at 2/s: the burst (one slot) and about four more.
    expect(granted.length).toBeLessThanOrEqual(1 + 2 * 2 + 1);
    for (const error of refused) {
      expect(error).toBeInstanceOf(KnoxError);
      expect((error as KnoxError).code).toBe('KNOX_BUDGET_EXHAUSTED');
      expect((error as KnoxError).disposition).toBe(specFor('KNOX_BUDGET_EXHAUSTED').disposition);
    }
    expect(events.some((e) => e.type === 'exhausted')).toBe(true);
    // Refused callers took no slot: the schedule ends where the granted ones left it.
    expect(store.item!.tat! - clock.now()).toBeLessThanOrEqual(0);
  });

  it('shrinks the shared rate on a 429 once per cooldown, for every instance, and paces at the shrunk rate', async () => {
    const clock = virtualClock();
    const settings = budgetSettings(10);
    const { list, events } = budgets(2, settings, clock);
    const [a, b] = list as [SharedBudget, SharedBudget];
    await a.throttled();
    await b.throttled(); // the same overshoot seen by another instance: no second decrease
    expect(events.filter((e) => e.type === 'decrease')).toHaveLength(1);
    const shrunk = 10 * settings.aimd.decreaseFactor;
    await clock.advance(1);
    const { granted } = takeMany([b], 30, clock);
    await clock.advance(settings.aimd.holdMs);
    expect(b.rate).toBeCloseTo(shrunk);
    expect(maxInWindow(granted, 1_000)).toBeLessThanOrEqual(
      Math.ceil(shrunk) + Math.floor(shrunk * settings.burstSeconds) + 1,
    );
    // After the cooldown a new 429 shrinks it again.
    await clock.advance(settings.aimd.cooldownMs);
    const before = b.rate;
    await b.throttled();
    expect(events.filter((e) => e.type === 'decrease')).toHaveLength(2);
    expect(b.rate).toBeCloseTo(before * settings.aimd.decreaseFactor);
  });

  it('grows back additively to the configured rate once Knox stops throttling', async () => {
    const clock = virtualClock();
    const settings = budgetSettings(10);
    const { list } = budgets(1, settings, clock);
    const budget = list[0]!;
    await budget.throttled();
    const steps = Math.ceil((1 - settings.aimd.decreaseFactor) / settings.aimd.increaseFraction);
    await clock.advance(settings.aimd.holdMs + (steps / 2) * settings.aimd.increaseEveryMs);
    expect(budget.rate).toBeGreaterThan(10 * settings.aimd.decreaseFactor);
    expect(budget.rate).toBeLessThan(10);
    await clock.advance((steps / 2 + 1) * settings.aimd.increaseEveryMs);
    expect(budget.rate).toBe(10);
  });

  it('turns a store failure into KNOX_BUDGET_EXHAUSTED without the store’s message', async () => {
    const clock = virtualClock();
    const store = new MemoryBudgetStore();
    store.restart = async () => {
      const error = new Error('secret-ish detail');
      error.name = 'ProvisionedThroughputExceededException';
      throw error;
    };
    const budget = new SharedBudget({ store, settings: budgetSettings(10), clock });
    const error = await budget.take().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KnoxError);
    expect((error as KnoxError).code).toBe('KNOX_BUDGET_EXHAUSTED');
    expect((error as KnoxError).message).toContain('ProvisionedThroughputExceededException');
    expect((error as KnoxError).message).not.toContain('secret-ish');
  });
});
