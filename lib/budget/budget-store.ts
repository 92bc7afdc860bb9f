/**
 * Where the shared budget lives: one item, changed only by conditional writes (no transactions, so dynalite runs the
 * same code). Each write answers the item as it now is, so an instance learns the others' decreases for free.
 */
import type { BudgetItem } from './settings';

export interface BudgetStore {
  /** The item as it is (strongly consistent), undefined before the first write. */
  read(): Promise<BudgetItem | undefined>;
  /**
   * `tat += costMs` if `now <= tat <= maxTat` (the schedule is busy but has room); else undefined. `due += dueMs`
   * with it (the claim's cost, or 0 for callers that announced themselves already).
   */
  advance(costMs: number, now: number, maxTat: number, dueMs: number): Promise<BudgetItem | undefined>;
  /** `tat = now + costMs` if there is no `tat` yet or it lies in the past (the budget was idle); else undefined. */
  restart(costMs: number, now: number, dueMs: number): Promise<BudgetItem | undefined>;
  /**
   * A caller that found the schedule full announces the calls it will claim later: `due = max(due, tat) + costMs`
   * (advice: undefined when a race beat both of its conditional forms).
   */
  announce(costMs: number): Promise<BudgetItem | undefined>;
  /** Records a decrease to `floorRate` at `now` unless another one happened less than `cooldownMs` ago. */
  decrease(floorRate: number, now: number, cooldownMs: number): Promise<BudgetItem | undefined>;
}

/** The same contract in memory (unit tests; one process). */
export class MemoryBudgetStore implements BudgetStore {
  item: BudgetItem | undefined;
  writes = 0;

  async read(): Promise<BudgetItem | undefined> {
    return this.item && { ...this.item };
  }

  async advance(costMs: number, now: number, maxTat: number, dueMs: number): Promise<BudgetItem | undefined> {
    this.writes += 1;
    const tat = this.item?.tat;
    if (tat === undefined || tat < now || tat > maxTat) return undefined;
    this.item = { ...this.item, tat: tat + costMs, due: (this.item?.due ?? 0) + dueMs };
    return { ...this.item };
  }

  async restart(costMs: number, now: number, dueMs: number): Promise<BudgetItem | undefined> {
    this.writes += 1;
    const tat = this.item?.tat;
    if (tat !== undefined && tat >= now) return undefined;
    this.item = { ...this.item, tat: now + costMs, due: (this.item?.due ?? 0) + dueMs };
    return { ...this.item };
  }

  async announce(costMs: number): Promise<BudgetItem | undefined> {
    this.writes += 1;
    this.item = { ...this.item, due: Math.max(this.item?.due ?? 0, this.item?.tat ?? 0) + costMs };
    return { ...this.item };
  }

  async decrease(floorRate: number, now: number, cooldownMs: number): Promise<BudgetItem | undefined> {
    this.writes += 1;
    const last = this.item?.decreasedAt;
    if (last !== undefined && last > now - cooldownMs) return undefined;
    this.item = { ...this.item, floorRate, decreasedAt: now };
    return { ...this.item };
  }
}
