/**
 * The polling schedule as the synthesized onboarding definition says it (unscaled seconds): the Wait before the
 * first status check, then the check's Knox.Wait retrier (IntervalSeconds, BackoffRate, MaxDelaySeconds,
 * MaxAttempts). Read from the definition, not from DEFAULTS, so that the bench follows what would deploy.
 * Times count from the moment the link call succeeded.
 */
import { STEP_ERROR_NAMES } from '../lib/domain/dispositions';
import { STATES } from '../lib/domain/workflow';
import type { AslDefinition } from '../local/template';

export interface PollSchedule {
  /** The Wait state's Seconds: link -> first poll. */
  firstPollSeconds: number;
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds: number;
  /** Knox.Wait retries allowed (polls = retries + 1). */
  maxAttempts: number;
}

export function pollScheduleOf(definition: AslDefinition): PollSchedule {
  const wait = definition.States[STATES.waitForAnswer];
  const check = definition.States[STATES.checkApproval];
  if (wait?.['Type'] !== 'Wait' || typeof wait['Seconds'] !== 'number') throw new Error(`"${STATES.waitForAnswer}" is not a Wait with Seconds`);
  const retriers = (check?.['Retry'] ?? []) as { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number; MaxAttempts?: number }[];
  const poll = retriers.find((r) => r.ErrorEquals.includes(STEP_ERROR_NAMES.wait));
  if (!poll) throw new Error(`"${STATES.checkApproval}" has no ${STEP_ERROR_NAMES.wait} retrier`);
  return {
    firstPollSeconds: wait['Seconds'],
    // ASL defaults: IntervalSeconds 1, BackoffRate 2, MaxAttempts 3, no cap.
    intervalSeconds: poll.IntervalSeconds ?? 1,
    backoffRate: poll.BackoffRate ?? 2,
    maxDelaySeconds: poll.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
    maxAttempts: poll.MaxAttempts ?? 3,
  };
}

/** Poll n (1-based) happens at pollTimes[n-1] seconds after the link; at most maxAttempts + 1 polls. */
export function pollTimes(schedule: PollSchedule, untilSeconds = Number.POSITIVE_INFINITY): number[] {
  const times = [schedule.firstPollSeconds];
  for (let retry = 0; retry < schedule.maxAttempts; retry++) {
    const gap = Math.min(schedule.intervalSeconds * schedule.backoffRate ** retry, schedule.maxDelaySeconds);
    const next = times[times.length - 1]! + gap;
    if (next > untilSeconds) {
      times.push(next);
      break;
    }
    times.push(next);
  }
  return times;
}

/** The longest the workflow can take to notice an answer: the largest gap between two looks at the customer. */
export function maxNoticeDelaySeconds(schedule: PollSchedule): number {
  const times = pollTimes(schedule);
  let max = schedule.firstPollSeconds;
  for (let i = 1; i < times.length; i++) max = Math.max(max, times[i]! - times[i - 1]!);
  return max;
}

/** How many polls see "not yet" when the customer answers `answerSeconds` after the link (polls strictly before). */
export function pollsBefore(schedule: PollSchedule, answerSeconds: number): number {
  return pollTimes(schedule, answerSeconds).filter((t) => t < answerSeconds).length;
}

/** The poll that sees an answer given at `answerSeconds`, and how late that is. */
export function noticeOf(schedule: PollSchedule, answerSeconds: number): { poll: number; atSeconds: number; delaySeconds: number } {
  const times = pollTimes(schedule, answerSeconds);
  const index = times.findIndex((t) => t >= answerSeconds);
  if (index < 0) throw new Error(`the schedule ends before ${answerSeconds} s`);
  return { poll: index + 1, atSeconds: times[index]!, delaySeconds: times[index]! - answerSeconds };
}

/**
 * Polls until the deadline aborts the wait: every poll at or before the deadline sees "Pending", the first one after
 * it records WAIT_DEADLINE_EXCEEDED (the step checks the deadline when it would throw Knox.Wait).
 */
export function pollsUntilDeadline(schedule: PollSchedule, deadlineSeconds: number): number {
  return pollTimes(schedule, deadlineSeconds).filter((t) => t <= deadlineSeconds).length + 1;
}
