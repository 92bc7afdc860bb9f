/**
 * Measurements 2 and 3 as figures: the four onboarding scenarios (bench/scenarios.ts) on the local stack, their state
 * transitions, AWS history events, the dollars they cost and the Knox calls they made.
 *
 * Two stacks, one after the other: the first three scenarios at BENCH_TIME_SCALE (default 1/25200: an hour of
 * schedule is 143 ms, the 14-day deadline 48 s; their poll counts come from the simulator's script, not from the
 * clock, and the 7-day wait must end well before the scaled deadline), the deadline scenario at BENCH_DEADLINE_TIME_SCALE (default 1/10080: an hour is 357 ms, 14 days 120 s),
 * where the clock does decide how many polls fit, so the local cost of a poll (about 15-20 ms of DynamoDB and Knox
 * calls) must stay small against the scaled interval. The schedule's own count is reported beside the executed one.
 */
import { isTerminal } from '../lib/domain/api-schemas';
import { specFor } from '../lib/domain/knox-errors';
import type { LocalStack } from '../local/stack';
import { figure, type Figure } from './figures';
import { HISTORY_EVENTS_PER_POLL } from './history';
import { SIM_TOKEN_LIFETIME_SECONDS, allowedTokens, type KnoxCallCount } from './knox-log';
import { startBenchStack } from './local-stack';
import { maxNoticeDelaySeconds, type PollSchedule } from './schedule';
import { onboardingSchedule, runScenario, type ScenarioName, type ScenarioResult } from './scenarios';
import { round } from './stats';

/** Step Functions Standard: $0.025 per 1,000 state transitions (us-east-1 list price, free tier ignored). */
export const DOLLARS_PER_1000_TRANSITIONS = 0.025;

export const TRANSITION_TARGETS: Record<'create' | 'linkFirstPoll' | 'linkAfter7Days', number> = {
  create: 8,
  linkFirstPoll: 12,
  linkAfter7Days: 400,
};
export const NOTICE_DELAY_TARGET_SECONDS = 3600;
export const HISTORY_EVENTS_TARGET = 5_000;
export const HISTORY_EVENTS_HARD_CAP = 25_000;

const LABELS: Record<ScenarioName, string> = {
  create: 'create',
  linkFirstPoll: 'link, approved at the first poll',
  linkAfter7Days: 'link, approved after 7 days',
  linkDeadline: 'link, 14-day deadline reached',
};

export interface StackRun {
  timeScale: number;
  scenarios: ScenarioResult[];
  /** Knox calls and token fetches of the whole stack run (one process lifetime of the Knox client). */
  knox: KnoxCallCount & { allowedTokens: number };
}

export interface TransitionsMeasurement {
  schedule: PollSchedule;
  maxNoticeDelaySeconds: number;
  runs: StackRun[];
  figures: Figure[];
}

async function runOnStack(timeScale: number, scenarios: ScenarioName[], log: (line: string) => void): Promise<{ run: StackRun; schedule: PollSchedule }> {
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
        throw new Error(`${scenario}: expected ${expected}, the record is ${result.recordStatus} (${result.lastErrorCode ?? 'no error'}); path ${result.path.join(' > ')}`);
      }
      results.push(result);
    }
    return { run: { timeScale, scenarios: results, knox: stackKnox(results) }, schedule: onboardingSchedule(stack) };
  } finally {
    await stack.stop();
  }
}

function stackKnox(results: ScenarioResult[]): StackRun['knox'] {
  const calls = results.reduce((n, r) => n + r.knox.calls, 0);
  const tokens = results.reduce((n, r) => n + r.knox.tokens, 0);
  const first = results.map((r) => r.knox.firstAt).filter((a): a is string => a !== undefined).sort()[0];
  const last = results.map((r) => r.knox.lastAt).filter((a): a is string => a !== undefined).sort().at(-1);
  const spanMs = first && last ? Date.parse(last) - Date.parse(first) : 0;
  const byKind: KnoxCallCount['byKind'] = {};
  for (const r of results) for (const [k, v] of Object.entries(r.knox.byKind)) byKind[k as keyof typeof byKind] = (byKind[k as keyof typeof byKind] ?? 0) + v;
  return { calls, tokens, byKind, ...(first ? { firstAt: first } : {}), ...(last ? { lastAt: last } : {}), allowedTokens: allowedTokens(spanMs, SIM_TOKEN_LIFETIME_SECONDS) };
}

export async function measureTransitions(options: { timeScale: number; deadlineTimeScale: number; log: (line: string) => void }): Promise<TransitionsMeasurement> {
  const first = await runOnStack(options.timeScale, ['create', 'linkFirstPoll', 'linkAfter7Days'], options.log);
  const second = await runOnStack(options.deadlineTimeScale, ['linkDeadline'], options.log);
  const schedule = first.schedule;
  const runs = [first.run, second.run];
  const measurement = { schedule, maxNoticeDelaySeconds: maxNoticeDelaySeconds(schedule), runs };
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
  const outcome = (s: ScenarioResult) => `${s.executionStatus}/${s.recordStatus}${s.lastErrorCode ? ` ${s.lastErrorCode}` : ''}, path ${s.path.join(' > ')}`;
  for (const name of ['create', 'linkFirstPoll', 'linkAfter7Days'] as const) {
    const s = byName(m.runs, name);
    figures.push(
      figure('transitions', `state transitions: ${LABELS[name]}`, s.transitions.transitions, '', { max: TRANSITION_TARGETS[name] }, `${s.transitions.statesEntered} states + ${s.transitions.retries} retries; ${outcome(s)}`),
    );
  }
  const deadline = byName(m.runs, 'linkDeadline');
  figures.push(
    figure('transitions', `state transitions: ${LABELS.linkDeadline}`, deadline.transitions.transitions, '', undefined, `${deadline.polls} polls executed, the schedule makes ${deadline.schedule.pollsExpected}`),
  );
  figures.push(
    figure(
      'transitions',
      'approval noticed within (longest gap between polls, unscaled)',
      m.maxNoticeDelaySeconds,
      's',
      { max: NOTICE_DELAY_TARGET_SECONDS },
      `schedule: first poll ${m.schedule.firstPollSeconds} s after the link, then ×${m.schedule.backoffRate} up to ${m.schedule.maxDelaySeconds} s`,
    ),
  );
  const after7 = byName(m.runs, 'linkAfter7Days');
  figures.push(
    figure('transitions', 'approval at 7 days noticed after (schedule)', after7.schedule.noticeDelaySeconds ?? Number.NaN, 's', undefined),
  );
  for (const name of ['create', 'linkFirstPoll', 'linkAfter7Days'] as const) {
    const s = byName(m.runs, name);
    figures.push(figure('transitions', `history events: ${LABELS[name]}`, s.history.total, '', undefined));
  }
  figures.push(
    figure(
      'transitions',
      `history events: ${LABELS.linkDeadline}`,
      deadline.history.total,
      '',
      { below: HISTORY_EVENTS_TARGET },
      `hard cap ${HISTORY_EVENTS_HARD_CAP.toLocaleString('en-US')}; ${outcome(deadline)}`,
    ),
  );
  const missingPolls = Math.max(0, (deadline.schedule.pollsExpected ?? deadline.polls) - deadline.polls);
  figures.push(
    figure(
      'transitions',
      `history events: ${LABELS.linkDeadline}, at the schedule's ${deadline.schedule.pollsExpected} polls`,
      deadline.history.total + missingPolls * HISTORY_EVENTS_PER_POLL,
      '',
      { below: HISTORY_EVENTS_TARGET },
      `executed ${deadline.polls} polls; each poll the local run could not fit (local per-poll cost against the scaled interval) adds ${HISTORY_EVENTS_PER_POLL} events`,
    ),
  );
  for (const name of ['create', 'linkFirstPoll', 'linkAfter7Days', 'linkDeadline'] as const) {
    const s = byName(m.runs, name);
    const transitions = name === 'linkDeadline' ? s.transitions.transitions + missingPolls : s.transitions.transitions;
    figures.push(figure('cost', `$ per 1,000 onboardings: ${LABELS[name]}`, dollarsPer1000(transitions), '$', undefined, `${transitions} transitions at $${DOLLARS_PER_1000_TRANSITIONS} per 1,000`));
  }
  for (const name of ['create', 'linkFirstPoll', 'linkAfter7Days', 'linkDeadline'] as const) {
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
  m.runs.forEach((run, i) => {
    figures.push(tokenFigure(`scenario stack ${i + 1}`, run.knox));
  });
  return figures;
}

/** Token fetches per 1,000 Knox calls, against one fetch per token lifetime of the process. */
export function tokenFigure(label: string, knox: KnoxCallCount & { allowedTokens: number }): Figure {
  const per1000 = knox.calls > 0 ? (knox.tokens / knox.calls) * 1000 : Number.NaN;
  const allowed = knox.calls > 0 ? (knox.allowedTokens / knox.calls) * 1000 : Number.NaN;
  return figure(
    'knox',
    `token requests per 1,000 Knox calls (${label}: ${knox.tokens} for ${knox.calls} calls)`,
    round(per1000, 3),
    '',
    { max: round(allowed, 3) },
    `allowed: ${knox.allowedTokens} per process over ${knox.firstAt ?? '?'}..${knox.lastAt ?? '?'} (${SIM_TOKEN_LIFETIME_SECONDS} s tokens)`,
  );
}
