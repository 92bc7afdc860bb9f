/**
 * Measurements 2 and 3 as figures: the four onboarding scenarios (bench/transitions/transition-scenarios.ts) on the local stack, their state
 * transitions, AWS history events, the dollars they cost (Step Functions plus the poller's Lambda and schedule) and
 * the Knox calls they made, each beside the superseded polling design and the job-poller pattern (bench/models/designs.ts), plus the
 * poller's Knox reads per round (bench/poller-reads/poller-reads.ts).
 *
 * Two stacks, one after the other: the first three scenarios at BENCH_TIME_SCALE (default 1/6000: the 300 s poll
 * period is 50 ms, the 14-day deadline 202 s; the 7-day wait's 2,016 rounds must end well before it: a local round
 * costs 10-20 ms on top of the period), the deadline scenario at BENCH_DEADLINE_TIME_SCALE (default 1/10080: 14
 * days are 120 s).
 */
import { isTerminal } from '#domain/api-schemas';
import { ENV } from '#domain/configuration';
import { specFor } from '#domain/knox-errors';
import type { LocalStack } from '#local/stack/local-stack';
import { figure, type Figure } from '../kit/figures';
import { SIM_TOKEN_LIFETIME_SECONDS, allowedTokens, type KnoxCallCount } from '../kit/knox-log';
import { startBenchStack } from '../kit/bench-stack';
import {
  FOURTEEN_DAYS,
  SEVEN_DAYS,
  jobPollerHistoryAtDeadline,
  jobPollerTransitionsAfter,
  pollerDollars,
  pollingHistoryAtDeadline,
  pollingNoticeSeconds,
  pollingTransitionsAfter,
  PRICES,
} from '../models/designs';
import { measureRoundReads, type RoundReads } from '../poller-reads/poller-reads';
import { maxNoticeDelaySeconds, type PollSchedule } from '../models/schedule';
import { onboardingSchedule, runScenario, type ScenarioName, type ScenarioResult } from './transition-scenarios';
import { round } from '../kit/stats';

/** Step Functions Standard: $0.025 per 1,000 state transitions (us-east-1 list price, free tier ignored). */
export const DOLLARS_PER_1000_TRANSITIONS = 0.025;

export const TRANSITION_TARGETS: Record<'create' | 'linkFirstPoll' | 'linkAfter7Days', number> = {
  create: 8,
  linkFirstPoll: 12,
  linkAfter7Days: 15,
};
export const HISTORY_EVENTS_TARGET = 30;
export const HISTORY_EVENTS_HARD_CAP = 25_000;
/** $ per 1,000 onboardings approved after 7 days, Step Functions plus the poller's Lambda and schedule. */
export const DOLLARS_7_DAYS_TARGET = 0.5;
/**
 * A round's billed duration assumed for the poller's cost with 1,000 customers waiting: the index read and ten list
 * pages at the Knox budget (10/s) take about 2 s; 10 s leaves room for a slow Knox.
 */
export const ROUND_SECONDS_ASSUMED = 10;
/** Knox reads per round are measured with this many customers, 1, 40 and 1,000 of them waiting. */
export const MSP_CUSTOMERS = 5_000;
export const WAITING_COUNTS = [1, 40, 1_000] as const;

const LABELS: Record<ScenarioName, string> = {
  create: 'create',
  linkFirstPoll: 'link, approved at the first poll',
  linkAfter7Days: 'link, approved after 7 days',
  linkDeadline: 'link, 14-day deadline reached',
};

export interface StackRun {
  timeScale: number;
  scenarios: ScenarioResult[];
  /**
   * Knox calls and token fetches of the whole stack run. Each function instance has its own Knox client, as each
   * Lambda execution environment has on AWS: one token per token lifetime for each instance that holds the secret.
   */
  knox: KnoxCallCount & { allowedTokens: number; instances: number };
}

export interface TransitionsMeasurement {
  schedule: PollSchedule;
  maxNoticeDelaySeconds: number;
  runs: StackRun[];
  reads: RoundReads[];
  figures: Figure[];
}

async function runOnStack(
  timeScale: number,
  scenarios: ScenarioName[],
  log: (line: string) => void,
): Promise<{ run: StackRun; schedule: PollSchedule }> {
  const stack: LocalStack = await startBenchStack({ timeScale });
  try {
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      log(`transitions: ${scenario} at TIME_SCALE ${timeScale.toExponential(3)}`);
      const result = await runScenario(stack, scenario);
      if (!isTerminal(result.recordStatus)) throw new Error(`${scenario}: the record is still ${result.recordStatus}`);
      // Only the deadline scenario may end ABORTED: anything else means the scaled run did not play the scenario.
      const expected = scenario === 'linkDeadline' ? 'ABORTED' : 'SUCCEEDED';
      const deadlineCode = specFor('WAIT_DEADLINE_EXCEEDED').code;
      if (result.recordStatus !== expected || (scenario === 'linkDeadline' && result.lastErrorCode !== deadlineCode)) {
        throw new Error(
          `${scenario}: expected ${expected}, the record is ${result.recordStatus} (${result.lastErrorCode ?? 'no error'}); path ${result.path.join(' > ')}`,
        );
      }
      results.push(result);
    }
    const knoxInstances = stack.lambda.warmFunctions.filter(
      (h) => stack.lambda.functionOf(h)?.environment[ENV.knoxSecretArn] !== undefined,
    ).length;
    return {
      run: { timeScale, scenarios: results, knox: stackKnox(results, knoxInstances) },
      schedule: onboardingSchedule(stack),
    };
  } finally {
    await stack.stop();
  }
}

function stackKnox(results: ScenarioResult[], instances: number): StackRun['knox'] {
  const calls = results.reduce((n, r) => n + r.knox.calls, 0);
  const tokens = results.reduce((n, r) => n + r.knox.tokens, 0);
  const first = results
    .map((r) => r.knox.firstAt)
    .filter((a): a is string => a !== undefined)
    .sort()[0];
  const last = results
    .map((r) => r.knox.lastAt)
    .filter((a): a is string => a !== undefined)
    .sort()
    .at(-1);
  const spanMs = first && last ? Date.parse(last) - Date.parse(first) : 0;
  const byKind: KnoxCallCount['byKind'] = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.knox.byKind))
      byKind[k as keyof typeof byKind] = (byKind[k as keyof typeof byKind] ?? 0) + v;
  return {
    calls,
    tokens,
    byKind,
    ...(first ? { firstAt: first } : {}),
    ...(last ? { lastAt: last } : {}),
    instances,
    allowedTokens: Math.max(1, instances) * allowedTokens(spanMs, SIM_TOKEN_LIFETIME_SECONDS),
  };
}

export async function measureTransitions(options: {
  timeScale: number;
  deadlineTimeScale: number;
  log: (line: string) => void;
}): Promise<TransitionsMeasurement> {
  const first = await runOnStack(options.timeScale, ['create', 'linkFirstPoll', 'linkAfter7Days'], options.log);
  const second = await runOnStack(options.deadlineTimeScale, ['linkDeadline'], options.log);
  const schedule = first.schedule;
  const runs = [first.run, second.run];
  const reads: RoundReads[] = [];
  for (const waiting of WAITING_COUNTS) reads.push(await measureRoundReads(waiting, MSP_CUSTOMERS));
  const measurement = { schedule, maxNoticeDelaySeconds: maxNoticeDelaySeconds(schedule), runs, reads };
  return { ...measurement, figures: transitionFigures(measurement) };
}

function byName(runs: StackRun[], name: ScenarioName): ScenarioResult {
  const found = runs.flatMap((r) => r.scenarios).find((s) => s.scenario === name);
  if (!found) throw new Error(`scenario ${name} did not run`);
  return found;
}

function dollarsPer1000(transitions: number): number {
  return round(transitions * 1000 * (DOLLARS_PER_1000_TRANSITIONS / 1000), 3);
}

function transitionFigures(m: Omit<TransitionsMeasurement, 'figures'>): Figure[] {
  const figures: Figure[] = [];
  const period = m.schedule.intervalSeconds;
  const outcome = (s: ScenarioResult) =>
    `${s.executionStatus}/${s.recordStatus}${s.lastErrorCode ? ` ${s.lastErrorCode}` : ''}, path ${s.path.join(' > ')}`;
  for (const name of ['create', 'linkFirstPoll', 'linkAfter7Days'] as const) {
    const s = byName(m.runs, name);
    const compare =
      name === 'linkAfter7Days'
        ? { polling: pollingTransitionsAfter(SEVEN_DAYS), jobPoller: jobPollerTransitionsAfter(SEVEN_DAYS, period) }
        : undefined;
    figures.push({
      ...figure(
        'transitions',
        `state transitions: ${LABELS[name]}`,
        s.transitions.transitions,
        '',
        { max: TRANSITION_TARGETS[name] },
        `${s.transitions.statesEntered} states + ${s.transitions.retries} retries; ${s.polls} poller looks; ${outcome(s)}`,
      ),
      ...(compare ? { compare } : {}),
    });
  }
  const deadline = byName(m.runs, 'linkDeadline');
  figures.push(
    figure(
      'transitions',
      `state transitions: ${LABELS.linkDeadline}`,
      deadline.transitions.transitions,
      '',
      undefined,
      outcome(deadline),
    ),
  );
  figures.push({
    ...figure(
      'transitions',
      'approval noticed at worst (the poll period, unscaled)',
      m.maxNoticeDelaySeconds,
      's',
      { max: period },
      `one round every ${period} s (pollPeriodSeconds)`,
    ),
    compare: { polling: pollingNoticeSeconds(), jobPoller: period },
  });
  for (const name of ['create', 'linkFirstPoll', 'linkAfter7Days'] as const) {
    const s = byName(m.runs, name);
    figures.push(figure('transitions', `history events: ${LABELS[name]}`, s.history.total, '', undefined));
  }
  figures.push({
    ...figure(
      'transitions',
      `history events: ${LABELS.linkDeadline}`,
      deadline.history.total,
      '',
      { max: HISTORY_EVENTS_TARGET },
      `hard cap ${HISTORY_EVENTS_HARD_CAP.toLocaleString('en-US')}; ${outcome(deadline)}`,
    ),
    compare: {
      polling: pollingHistoryAtDeadline(FOURTEEN_DAYS),
      jobPoller: jobPollerHistoryAtDeadline(period, FOURTEEN_DAYS),
    },
  });
  for (const r of m.reads) {
    figures.push({
      ...figure(
        'knox',
        `Knox reads per round: ${r.waiting.toLocaleString('en-US')} waiting among ${r.total.toLocaleString('en-US')}`,
        r.calls,
        '',
        { max: r.target },
        `${r.strategy === 'list' ? `${r.pages} list pages` : `${r.calls} GETs`}; target min(waiting, pages) = min(${r.waiting}, ${r.pages})`,
      ),
      compare: { polling: r.waiting, jobPoller: r.waiting },
    });
  }
  // Cost: 1,000 onboardings that wait together for 7 days share the poller's rounds.
  const after7 = byName(m.runs, 'linkAfter7Days');
  const poller = pollerDollars(SEVEN_DAYS, period, ROUND_SECONDS_ASSUMED);
  const stepFunctions = dollarsPer1000(after7.transitions.transitions);
  figures.push({
    ...figure(
      'cost',
      `$ per 1,000 onboardings: ${LABELS.linkAfter7Days} (Step Functions + poller)`,
      round(stepFunctions + poller, 3),
      '$',
      { max: DOLLARS_7_DAYS_TARGET },
      `Step Functions $${stepFunctions} (${after7.transitions.transitions} transitions each) + poller $${round(poller, 3)} (${Math.ceil(SEVEN_DAYS / period)} rounds of ${ROUND_SECONDS_ASSUMED} s at 256 MB, $${PRICES.schedulerPerInvocation * 1e6}/M schedules)`,
    ),
    compare: {
      polling: dollarsPer1000(pollingTransitionsAfter(SEVEN_DAYS)),
      jobPoller: dollarsPer1000(jobPollerTransitionsAfter(SEVEN_DAYS, period)),
    },
  });
  for (const name of ['create', 'linkFirstPoll', 'linkDeadline'] as const) {
    const s = byName(m.runs, name);
    figures.push(
      figure(
        'cost',
        `$ per 1,000 onboardings: ${LABELS[name]} (Step Functions)`,
        dollarsPer1000(s.transitions.transitions),
        '$',
        undefined,
        `${s.transitions.transitions} transitions at $${DOLLARS_PER_1000_TRANSITIONS} per 1,000`,
      ),
    );
  }
  for (const name of ['create', 'linkFirstPoll'] as const) {
    const s = byName(m.runs, name);
    figures.push(
      figure(
        'knox',
        `Knox calls per onboarding: ${LABELS[name]} (minimum ${s.minimumKnoxCalls})`,
        s.knox.calls,
        '',
        { max: s.minimumKnoxCalls },
        `calls by kind ${JSON.stringify(s.knox.byKind)}`,
      ),
    );
  }
  for (const name of ['linkAfter7Days', 'linkDeadline'] as const) {
    const s = byName(m.runs, name);
    figures.push(
      figure(
        'knox',
        `Knox calls per onboarding: ${LABELS[name]}`,
        s.knox.calls,
        '',
        undefined,
        `one GET per round while it is the only one waiting; calls by kind ${JSON.stringify(s.knox.byKind)}`,
      ),
    );
  }
  m.runs.forEach((run, i) => {
    figures.push(tokenFigure(`scenario stack ${i + 1}`, run.knox));
  });
  return figures;
}

/** Token fetches per 1,000 Knox calls, against one fetch per token lifetime of each Knox client (function instance). */
export function tokenFigure(
  label: string,
  knox: KnoxCallCount & { allowedTokens: number; instances?: number },
): Figure {
  const per1000 = knox.calls > 0 ? (knox.tokens / knox.calls) * 1000 : Number.NaN;
  const allowed = knox.calls > 0 ? (knox.allowedTokens / knox.calls) * 1000 : Number.NaN;
  return figure(
    'knox',
    `token requests per 1,000 Knox calls (${label}: ${knox.tokens} for ${knox.calls} calls)`,
    round(per1000, 3),
    '',
    { max: round(allowed, 3) },
    `allowed: ${knox.allowedTokens} (${knox.instances ?? 1} function instance(s) holding the Knox secret) over ${knox.firstAt ?? '?'}..${knox.lastAt ?? '?'} (${SIM_TOKEN_LIFETIME_SECONDS} s tokens)`,
  );
}
