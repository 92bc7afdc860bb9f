/**
 * History events of a batch's execution on AWS, by a model of its loop: the design before (a watch that checks 1 s
 * after every change in the counts, then ×1.5 up to 15 minutes while nothing changes) and the callback design (the
 * watch waits on "Wait for the items"; the end of the last open item wakes it; a one-day TimeoutSeconds backstop).
 *
 * Events per state on AWS (Step Functions' history event types): a Lambda Task (lambda:invoke) is TaskStateEntered,
 * TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited (5); a callback Task adds TaskSubmitted (6); a Wait or a
 * Choice is Entered and Exited (2); the execution adds ExecutionStarted, ExecutionSucceeded and the Succeed state (4).
 * A Standard execution fails past 25,000 events (AWS Step Functions quotas).
 *
 * The model's shape (rounds per item end, backstop rounds per day) is checked against the local engine by
 * test/e2e-batch-history.test.ts, which runs the same loop at TIME_SCALE 1/10,000.
 */
import { DEFAULTS } from '#domain/configuration';
import { PACING } from '#lambdas/batches/pacing';
import { figure, type Figure } from '../kit/figures';

const TASK = 5;
const CALLBACK = 6;
const WAIT = 2;
const CHOICE = 2;
const EXECUTION = 4;
const DAY = 86_400;
export const HISTORY_TARGET_EVENTS = 1000;
export const AWS_HISTORY_LIMIT = 25_000;

/**
 * Starting the items: rounds of "Start next slice" (PACING.workMs each) while the budget takes the items' first calls
 * (one each, at the deployed rate); a Task and a Choice each, and the Wait between two.
 */
function sliceEvents(items: number): number {
  const seconds = items / DEFAULTS.knoxRequestsPerSecond;
  const rounds = Math.max(1, Math.ceil(seconds / (PACING.workMs / 1000)));
  return rounds * (TASK + CHOICE) + (rounds - 1) * WAIT;
}

/** Seconds after the batch is RUNNING at which each item ends: all at once, or evenly over `days`. */
export function endTimes(items: number, days: number): number[] {
  if (days === 0) return Array.from({ length: items }, () => 1);
  return Array.from({ length: items }, (_, i) => Math.round(((i + 1) * days * DAY) / items));
}

/** The design before: Wait, Check (a Task), Choice per round; 1 s after a change, ×1.5 up to 900 s otherwise. */
export function pollingEvents(items: number, ends: number[]): number {
  const sorted = [...ends].sort((a, b) => a - b);
  let t = 0;
  let wait = 1;
  let seen = 0;
  let rounds = 0;
  while (seen < items) {
    t += wait;
    rounds += 1;
    let now = seen;
    while (now < items && sorted[now]! <= t) now += 1;
    wait = now > seen ? 1 : Math.min(900, Math.max(1, Math.ceil(wait * 1.5)));
    seen = now;
  }
  return EXECUTION + sliceEvents(items) + rounds * (WAIT + TASK + CHOICE);
}

/** The callback design: a round per backstop (a day without the last end) and one for the wake-up. */
export function callbackEvents(items: number, ends: number[], backstopSeconds = DAY): number {
  const last = Math.max(...ends);
  const rounds = Math.floor(last / backstopSeconds) + 1;
  return EXECUTION + sliceEvents(items) + rounds * (CALLBACK + TASK + CHOICE);
}

export function measureBatchHistory(items = 1000): { figures: Figure[]; raw: Record<string, unknown> } {
  const raw: Record<string, unknown> = {};
  const figures: Figure[] = [];
  for (const [label, days] of [
    ['answered at once', 0],
    ['answered over 1 day', 1],
    ['answered over 14 days', 14],
  ] as const) {
    const ends = endTimes(items, days);
    const now = callbackEvents(items, ends);
    const before = pollingEvents(items, ends);
    raw[label] = { callback: now, polling: before };
    figures.push(
      figure(
        'batch',
        `${items}-item batch ${label}: history events (model; before: ${before.toLocaleString('en-US')}${before > AWS_HISTORY_LIMIT ? ', over the 25,000 cap' : ''})`,
        now,
        'events',
        { max: HISTORY_TARGET_EVENTS },
        `the design before: ${before} events${before > AWS_HISTORY_LIMIT ? ' (the execution would FAIL on AWS)' : ''}`,
      ),
    );
  }
  return { figures, raw };
}
