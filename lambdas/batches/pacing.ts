/**
 * Pacing a batch by the shared Knox budget, not by an estimate of its items' calls: "Start next slice" starts the next
 * items when the budget's backlog (lib/budget: every call asked of it so far, by anyone, would have gone within
 * `leadMs`) is short, so the budget never runs dry while the batch has items to start, and never holds more than a
 * few seconds of them (a caller sleeps at most maxWaitMs for a slot before it fails with KNOX_BUDGET_EXHAUSTED).
 *
 * Between a start and the items' first Knox calls lies a moment the budget cannot see (StartExecution, the first
 * step's invocation): over it the batch counts what it knows for sure of the items it has just started, one call
 * each (every item's first step calls Knox once), as its own schedule beside the budget's.
 *
 * The step looks again every `lookEveryMs` while the backlog is short enough to sleep out inside it, and hands back
 * to the workflow after `workMs` or when the backlog is long (a Wait state sleeps it out, free, instead of the
 * Lambda). Short rounds: a Lambda never nears its timeout, a stopping local stack waits for little, and a 1,000-item
 * batch at 10 calls a second is some 30 rounds (about 300 history events of AWS's 25,000).
 */
import { DynamoBudgetStore, backlogMs, budgetSettings, rateAt } from '#budget/index';
import { BATCH_SLICE_ITEMS } from '#domain/batch-schemas';
import { KNOX_BUDGET_KEY, TABLE } from '#domain/table-layout';
import { db, tableName } from '../store/table-client';

export interface PacingSettings {
  /** The next items start once the backlog is shorter than this plus the time the last start took. */
  leadMs: number;
  /** Items started at a time: this many seconds of the budget's current rate (at least 1, at most a slice). */
  chunkSeconds: number;
  /** How long one "Start next slice" goes on starting items before it hands back to the workflow. */
  workMs: number;
  /** The longest sleep between two looks at the budget inside the step. */
  lookEveryMs: number;
  /** A wait longer than this is left to the workflow's Wait state (whole seconds), not slept inside the Lambda. */
  sleepInStepMaxMs: number;
}

export const PACING: PacingSettings = {
  leadMs: 1_500,
  chunkSeconds: 1,
  workMs: 5_000,
  lookEveryMs: 250,
  sleepInStepMaxMs: 5_000,
};

/** What the budget says now: its backlog (ms) and its rate (requests per second, after any 429 decrease). */
export interface BudgetRoom {
  backlogMs: number;
  rate: number;
}

/** Reads the shared budget's item (one strongly consistent GetItem). */
export async function budgetRoom(configuredRate: number, now = Date.now()): Promise<BudgetRoom> {
  const store = new DynamoBudgetStore({
    client: db(),
    tableName: tableName(),
    key: { [TABLE.partitionKey]: KNOX_BUDGET_KEY },
  });
  const item = await store.read();
  return { backlogMs: backlogMs(item, now), rate: rateAt(item, budgetSettings(configuredRate), now) };
}

export type PacingMove =
  /** Start this many items now. */
  | { start: number }
  /** Look again after this long, inside the step. */
  | { sleepMs: number }
  /** Hand back to the workflow, whose Wait sleeps this long. */
  | { waitSeconds: number };

export interface PacingState {
  room: BudgetRoom;
  /** What is left of the batch's own schedule for the items it has just started (ms). */
  ownMs: number;
  /** How long the step has run. */
  elapsedMs: number;
  /** How long starting the last items took (ms): the next ones need as long before their calls reach the budget. */
  lastStartMs: number;
}

/** The pure decision of one look at the budget. */
export function nextMove(state: PacingState, settings: PacingSettings = PACING): PacingMove {
  const excess = Math.max(state.room.backlogMs, state.ownMs) - (settings.leadMs + state.lastStartMs);
  if (excess <= 0) {
    return { start: Math.max(1, Math.min(BATCH_SLICE_ITEMS, Math.round(state.room.rate * settings.chunkSeconds))) };
  }
  if (excess > settings.sleepInStepMaxMs || state.elapsedMs + excess > settings.workMs) {
    return { waitSeconds: Math.max(1, Math.floor(excess / 1000)) };
  }
  return { sleepMs: Math.min(excess, settings.lookEveryMs) };
}

/** The batch's own schedule after starting `items` at `now`: one call each at `rate`, after what was left of it. */
export function ownScheduleAfter(ownUntil: number, now: number, items: number, rate: number): number {
  return Math.max(ownUntil, now) + (items * 1000) / rate;
}
