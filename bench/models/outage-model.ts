/**
 * What a Knox outage costs each workflow, computed from the synthesized template: the transient retrier
 * of the Knox tasks (the Knox.Retry retrier: IntervalSeconds, BackoffRate, MaxDelaySeconds, MaxAttempts, jitter) and
 * the retry window the steps enforce (their RETRY_WINDOW_SECONDS), beside the fast retrier alone, the schedule the
 * retry window replaced (2 s, ×2, at most 60 s apart, 6 attempts, full jitter; then FAILED).
 *
 * The model: the step's first call fails at t = 0, Knox answers again at t = outage. Each retry comes after a gap
 * drawn uniformly in [0, min(IntervalSeconds × BackoffRate^k, MaxDelaySeconds)] (FULL jitter, as Step Functions
 * draws it; NONE: the whole delay). Each failing attempt is one state transition (a retry is a transition) and one
 * Knox call (the token is cached, or its own call is the one that fails). The workflow FAILS when an attempt fails
 * after the window (the step's RETRY_WINDOW_EXCEEDED) or when the retrier has no attempt left. The first attempt
 * after the outage goes through: it is the step's normal call, not counted. Seeded Monte Carlo: the same figures
 * each run. While a record waits on the customer, a failed poll is just a poll (the polling schedule, no extra
 * transition), so the waits are not modelled here.
 */
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { ENV } from '#domain/configuration';
import { STATES } from '#domain/state-names';
import { seededRandom } from '#knox-sim/faults';
import type { AslDefinition, LocalModel } from '#local/template/template';
import { figure, type Figure } from '../kit/figures';

export interface TransientSchedule {
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds: number;
  /** Retries allowed after the first attempt. */
  maxAttempts: number;
  jitter: 'FULL' | 'NONE';
  /** The step gives up once transient failures have lasted this long (none: only MaxAttempts ends the run). */
  windowSeconds?: number;
}

/** The superseded schedule: the fast retrier alone, with no retry window (a one-hour outage ends it in FAILED). */
export const FAST_RETRIER_SCHEDULE: TransientSchedule = {
  intervalSeconds: 2,
  backoffRate: 2,
  maxDelaySeconds: 60,
  maxAttempts: 6,
  jitter: 'FULL',
};

/** The bound on what one workflow may spend on a one-hour outage. */
export const OUTAGE_BUDGET_PER_HOUR = 25;

/** The Knox.Retry retrier of `state` in `definition` (ASL defaults where a field is absent). */
export function transientScheduleOf(
  definition: AslDefinition,
  state: string,
  windowSeconds?: number,
): TransientSchedule {
  const retriers = (definition.States[state]?.['Retry'] ?? []) as {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    MaxAttempts?: number;
    JitterStrategy?: 'FULL' | 'NONE';
  }[];
  const retrier = retriers.find((r) => r.ErrorEquals.includes(STEP_ERROR_NAMES.retry));
  if (!retrier) throw new Error(`"${state}" has no ${STEP_ERROR_NAMES.retry} retrier`);
  return {
    intervalSeconds: retrier.IntervalSeconds ?? 1,
    backoffRate: retrier.BackoffRate ?? 2,
    maxDelaySeconds: retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
    maxAttempts: retrier.MaxAttempts ?? 3,
    jitter: retrier.JitterStrategy ?? 'NONE',
    ...(windowSeconds !== undefined ? { windowSeconds } : {}),
  };
}

/** The schedule that would deploy: the onboarding's link task, and the window of the functions' environment. */
export function deployedSchedule(model: LocalModel): TransientSchedule {
  const onboarding = model.stateMachines.find((m) => m.workflow === 'onboarding');
  if (!onboarding) throw new Error('no onboarding state machine in the template');
  const windows = new Set(
    model.functions.map((f) => f.environment[ENV.retryWindowSeconds]).filter((w) => w !== undefined),
  );
  if (windows.size !== 1)
    throw new Error(
      `the Knox steps should share one ${ENV.retryWindowSeconds}, found ${[...windows].join(', ') || 'none'}`,
    );
  return transientScheduleOf(onboarding.definition, STATES.linkCustomer, Number([...windows][0]));
}

/** One workflow through one outage. */
export interface OutageRun {
  /** Failing attempts: state transitions and Knox calls spent on the outage. */
  failedAttempts: number;
  /** False when the workflow was FAILED before Knox came back. */
  rodeOut: boolean;
  /** When the attempt after the outage came, counted from Knox's return (seconds); undefined when FAILED. */
  noticedAfterSeconds?: number;
}

export function runThroughOutage(schedule: TransientSchedule, outageSeconds: number, random: () => number): OutageRun {
  let t = 0;
  let failedAttempts = 0;
  for (let retry = 0; ; retry += 1) {
    // The attempt at t fails (Knox is down); the step gives up once the window has passed.
    failedAttempts += 1;
    if (schedule.windowSeconds !== undefined && t >= schedule.windowSeconds) return { failedAttempts, rodeOut: false };
    if (retry >= schedule.maxAttempts) return { failedAttempts, rodeOut: false };
    const delay = Math.min(schedule.intervalSeconds * schedule.backoffRate ** retry, schedule.maxDelaySeconds);
    t += schedule.jitter === 'FULL' ? random() * delay : delay;
    if (t >= outageSeconds) return { failedAttempts, rodeOut: true, noticedAfterSeconds: t - outageSeconds };
  }
}

export interface OutageFigures {
  trials: number;
  rideOutShare: number;
  expectedAttempts: number;
  p99Attempts: number;
  /** Every jitter draw 0: all of MaxAttempts spent at once (then FAILED by the backstop). */
  worstAttempts: number;
  expectedNoticeSeconds: number;
  maxNoticeSeconds: number;
  /** 1,000 workflows failing from the same second: the most first attempts after Knox's return in one second. */
  peakReturnCallsPerSecond: number;
}

export function outageFigures(
  schedule: TransientSchedule,
  outageSeconds: number,
  trials = 20_000,
  seed = 13,
): OutageFigures {
  const random = seededRandom(seed);
  const runs = Array.from({ length: trials }, () => runThroughOutage(schedule, outageSeconds, random));
  const attempts = runs.map((r) => r.failedAttempts).sort((a, b) => a - b);
  const rodeOut = runs.filter((r) => r.rodeOut);
  const notice = rodeOut.map((r) => r.noticedAfterSeconds ?? 0);
  const perSecond = new Map<number, number>();
  for (const r of rodeOut.slice(0, 1000)) {
    const second = Math.floor(r.noticedAfterSeconds ?? 0);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  return {
    trials,
    rideOutShare: rodeOut.length / trials,
    expectedAttempts: attempts.reduce((a, b) => a + b, 0) / trials,
    p99Attempts: attempts[Math.floor(trials * 0.99)] ?? Number.NaN,
    worstAttempts: schedule.maxAttempts + 1,
    expectedNoticeSeconds: notice.length > 0 ? notice.reduce((a, b) => a + b, 0) / notice.length : Number.NaN,
    maxNoticeSeconds: notice.length > 0 ? Math.max(...notice) : Number.NaN,
    peakReturnCallsPerSecond: Math.max(0, ...perSecond.values()),
  };
}

/** The "outage" row group of `npm run bench`: one hour of Knox down, the fast retrier alone and the deployed schedule. */
export function measureOutage(
  model: LocalModel,
  outageSeconds = 3600,
): { figures: Figure[]; schedule: TransientSchedule; fastRetrier: OutageFigures; deployed: OutageFigures } {
  const schedule = deployedSchedule(model);
  const fastRetrier = outageFigures(FAST_RETRIER_SCHEDULE, outageSeconds);
  const now = outageFigures(schedule, outageSeconds);
  const h = `${outageSeconds / 3600} h Knox outage`;
  const g = 'outage';
  const percent = (share: number) => Math.round(share * 1000) / 10;
  const figures = [
    figure(
      g,
      `${h}: workflows that ride it out (fast retrier alone ${percent(fastRetrier.rideOutShare)} %)`,
      percent(now.rideOutShare),
      '%',
      { min: 100 },
      `the retry window is ${schedule.windowSeconds} s; the backstop (MaxAttempts ${schedule.maxAttempts}) can end a run early only with improbable jitter draws`,
    ),
    figure(
      g,
      `${h}: Knox calls = transitions per workflow, expected (fast retrier alone ${round1(fastRetrier.expectedAttempts)}, then FAILED)`,
      round1(now.expectedAttempts),
      '',
      { max: OUTAGE_BUDGET_PER_HOUR },
      'full jitter draws each gap in [0, delay]: gaps at the cap average half of MaxDelaySeconds',
    ),
    figure(g, `${h}: Knox calls = transitions per workflow, 99th percentile`, now.p99Attempts, '', {
      max: OUTAGE_BUDGET_PER_HOUR,
    }),
    figure(
      g,
      `${h}: worst case (every jitter draw 0: MaxAttempts + 1, then FAILED by the backstop)`,
      now.worstAttempts,
      '',
      undefined,
    ),
    figure(
      g,
      `${h}: Knox's return noticed after, expected (fast retrier alone: never, FAILED)`,
      Math.round(now.expectedNoticeSeconds),
      's',
      undefined,
    ),
    figure(g, `${h}: Knox's return noticed after, longest`, Math.round(now.maxNoticeSeconds), 's', {
      max: schedule.maxDelaySeconds,
    }),
    figure(
      g,
      `${h}: 1,000 workflows down together, most first calls in one second after the return`,
      now.peakReturnCallsPerSecond,
      '',
      undefined,
      'full jitter spreads the return over the cap; the shared Knox budget caps the rate',
    ),
  ];
  return { figures, schedule, fastRetrier, deployed: now };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
