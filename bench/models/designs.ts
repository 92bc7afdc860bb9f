/**
 * The two designs the callback design is compared with, computed from their schedules (unscaled), so that the bench
 * prints each figure beside them:
 *
 *   polling     the superseded polling design: "Check customer approval" retried on Knox.Wait: Wait 60 s, then polls
 *               doubling up to an hour (one transition per poll; POLLING_DESIGN_SCHEDULE), each poll one GET per
 *               waiting customer.
 *   job poller  aws-cdk-examples' stepfunctions-job-poller: Wait -> Task -> Choice per poll, at the poller's period
 *               (to notice answers as soon as this design does): three transitions and nine history events per poll.
 *
 * Prices: Step Functions Standard $0.025 per 1,000 transitions; Lambda arm64 $0.20 per million requests and
 * $0.0000133334 per GB-second; EventBridge Scheduler $1.00 per million invocations (us-east-1 list prices, free tiers
 * ignored).
 */
import {
  maxNoticeDelaySeconds,
  pollerSchedule,
  pollsBefore,
  pollsUntilDeadline,
  POLLING_DESIGN_SCHEDULE,
} from './schedule';

export const PRICES = {
  perTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecond: 0.0000133334,
  schedulerPerInvocation: 1 / 1_000_000,
} as const;

const DAY = 24 * 3600;
export const SEVEN_DAYS = 7 * DAY;
export const FOURTEEN_DAYS = 14 * DAY;

/** States of the polling design's path that are not polls: Link or create?, Link, Wait, Check (first attempt), Needs a change?, Record succeeded, end. */
const POLLING_PATH_STATES = 7;
/** The job poller's states around its loop: Link or create?, Link, Record succeeded, end. */
const JOB_POLLER_FIXED_STATES = 4;

export function pollingTransitionsAfter(answerSeconds: number): number {
  return POLLING_PATH_STATES + pollsBefore(POLLING_DESIGN_SCHEDULE, answerSeconds);
}

export function jobPollerTransitionsAfter(answerSeconds: number, periodSeconds: number): number {
  const polls = pollsBefore(pollerSchedule(periodSeconds), answerSeconds) + 1;
  return JOB_POLLER_FIXED_STATES + 3 * polls;
}

export function pollingNoticeSeconds(): number {
  return maxNoticeDelaySeconds(POLLING_DESIGN_SCHEDULE);
}

/**
 * AWS history events of the polling design's onboarding that reaches the deadline (see bench/models/history.ts for the
 * mapping).
 */
export function pollingHistoryAtDeadline(deadlineSeconds = FOURTEEN_DAYS): number {
  const polls = pollsUntilDeadline(POLLING_DESIGN_SCHEDULE, deadlineSeconds);
  const start = 1 + 2 + 5 + 2; // ExecutionStarted, Choice entered/exited, Link (5 Task events), Wait entered/exited
  const check = 3 + polls + 2 * (polls - 1) + 1; // entered+scheduled+started, one failure per poll, a new start per retry, exited
  const end = 5 + 2 + 1; // Record aborted (5 Task events), Succeed entered/exited, ExecutionSucceeded
  return start + check + end;
}

/** The job poller's history at the deadline: nine events per poll (Wait 2, Task 5, Choice 2). */
export function jobPollerHistoryAtDeadline(periodSeconds: number, deadlineSeconds = FOURTEEN_DAYS): number {
  const polls = Math.floor(deadlineSeconds / periodSeconds);
  return 1 + 2 + 5 + 9 * polls + 5 + 2 + 1;
}

/** The poller's Lambda and schedule over `seconds`: one round per period, each `roundSeconds` at `memoryMb`. */
export function pollerDollars(seconds: number, periodSeconds: number, roundSeconds: number, memoryMb = 256): number {
  const rounds = Math.ceil(seconds / periodSeconds);
  const perRound =
    PRICES.lambdaPerRequest +
    (memoryMb / 1024) * roundSeconds * PRICES.lambdaPerGbSecond +
    PRICES.schedulerPerInvocation;
  return rounds * perRound;
}
