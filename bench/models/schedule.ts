/**
 * When the customer is looked at, as a schedule of polls (unscaled seconds after the link): the poller's rounds every
 * POLL_PERIOD_SECONDS (this design, read from the synthesized template), and, for comparison, the design it
 * replaced, the superseded polling design: a Wait of pollFirstSeconds, then a Retry on Knox.Wait doubling up to
 * pollMaxSeconds (that design's numbers, from DEFAULTS). A fixed period is the same shape with BackoffRate 1.
 */
import { DEFAULTS, ENV } from '#domain/configuration';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { computePollMaxAttempts } from '#infra/context-config';
import type { LocalFunction } from '#local/template/template';

export interface PollSchedule {
  /** Link -> first look at the customer. */
  firstPollSeconds: number;
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds: number;
  /** Looks after the first (polls = retries + 1). */
  maxAttempts: number;
}

/**
 * The superseded polling design (before callbacks): Wait 60 s, then Retry on Knox.Wait every 60 s ×2 up to an hour
 * (344 attempts).
 */
export const POLLING_DESIGN_SCHEDULE: PollSchedule = {
  firstPollSeconds: DEFAULTS.pollFirstSeconds,
  intervalSeconds: DEFAULTS.pollFirstSeconds,
  backoffRate: 2,
  maxDelaySeconds: DEFAULTS.pollMaxSeconds,
  maxAttempts: computePollMaxAttempts(DEFAULTS),
};

/** The poller's period, as the template gives it to the poller function. */
export function pollPeriodSeconds(functions: readonly LocalFunction[]): number {
  const poller = functions.find((f) => f.handler === OTHER_FUNCTIONS.poller);
  if (!poller) throw new Error('the template has no poller function');
  return Number(poller.environment[ENV.pollPeriodSeconds] ?? DEFAULTS.pollPeriodSeconds);
}

/** The poller's rounds as a schedule: a look every period, at worst one period after the answer. */
export function pollerSchedule(periodSeconds: number, deadlineSeconds = DEFAULTS.waitDeadlineSeconds): PollSchedule {
  return {
    firstPollSeconds: periodSeconds,
    intervalSeconds: periodSeconds,
    backoffRate: 1,
    maxDelaySeconds: periodSeconds,
    maxAttempts: Math.ceil(deadlineSeconds / periodSeconds) + 1,
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
export function noticeOf(
  schedule: PollSchedule,
  answerSeconds: number,
): { poll: number; atSeconds: number; delaySeconds: number } {
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
