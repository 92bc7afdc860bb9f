/**
 * Measurement 2 and 3: onboardings run on the local stack, end to end through the HTTP API, and what their executed
 * histories and the simulator's request log say they cost: state transitions, AWS history events, Knox calls.
 *
 *   create          POST /onboardings with `customer`: one create call.
 *   linkFirstPoll   link; the customer has approved by the poller's first round.
 *   linkAfter7Days  link; the customer approves 7 days later. The simulator answers "Pending" to as many gets as the
 *                   poller's rounds (every POLL_PERIOD_SECONDS, read from the template) make in 7 days, then
 *                   "Active": the count of rounds is the real one whatever TIME_SCALE does to the wall clock.
 *   linkDeadline    link; the customer never answers. The callback's TimeoutSeconds (14 days, scaled by the stack's
 *                   TIME_SCALE like every other wait) aborts the onboarding.
 *
 * Scenarios run one at a time on a stack (the request log is cleared before each, so every call in it is theirs).
 */
import { randomBytes } from 'node:crypto';
import { ENV } from '#domain/configuration';
import { KnoxSimControl } from '#knox-sim/control';
import { createItem, linkItem } from '#testkit/batch-samples';
import type { LocalStack } from '#local/stack/local-stack';
import { getExecution, getRecord, startRecord, statePath } from '#testkit/test-stack';
import { awsHistoryEvents, countTransitions, type HistoryCount, type TransitionCount } from '../models/history';
import { countCalls, type KnoxCallCount } from '../kit/knox-log';
import { noticeOf, pollPeriodSeconds, pollerSchedule, pollsBefore, type PollSchedule } from '../models/schedule';

export const SCENARIOS = ['create', 'linkFirstPoll', 'linkAfter7Days', 'linkDeadline'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const DAY_SECONDS = 24 * 3600;
/** When the customer of linkAfter7Days answers, in unscaled seconds after the link. */
export const SEVEN_DAYS_SECONDS = 7 * DAY_SECONDS;

export interface ScenarioResult {
  scenario: ScenarioName;
  executionName: string;
  executionStatus: string;
  recordStatus: string;
  lastErrorCode?: string;
  path: string[];
  transitions: TransitionCount;
  history: HistoryCount;
  /** The poller's looks at the customer (its GETs in the simulator's log). */
  polls: number;
  knox: KnoxCallCount;
  /** The fewest Knox calls the scenario can make: one create or link, plus the polls the schedule needs. */
  minimumKnoxCalls: number;
  /** What the schedule (unscaled) says the scenario should see. */
  schedule: { pollsExpected?: number; noticeDelaySeconds?: number; deadlineSeconds?: number };
  timeScale: number;
  wallMs: number;
}

/** A create body whose contact e-mail (the customer key) and domain are new to the simulator. */
export function createBody(tag = randomBytes(6).toString('hex')): Record<string, unknown> {
  return createItem(tag, 'Bench');
}

/** The poller's rounds as a schedule (unscaled), from the template. */
export function onboardingSchedule(stack: LocalStack): PollSchedule {
  return pollerSchedule(pollPeriodSeconds(stack.model.functions));
}

/** The deadline the stack's handlers enforce, back in unscaled seconds (the stack rounds it to whole seconds). */
export function effectiveDeadlineSeconds(stack: LocalStack): number {
  const scaled = Number(process.env[ENV.waitDeadlineSeconds]);
  if (!(scaled > 0)) throw new Error(`${ENV.waitDeadlineSeconds} is not set: is the stack running?`);
  return scaled / stack.timeScale;
}

interface Plan {
  body: Record<string, unknown>;
  minimumKnoxCalls: number;
  schedule: ScenarioResult['schedule'];
}

async function plan(stack: LocalStack, control: KnoxSimControl, scenario: ScenarioName): Promise<Plan> {
  const schedule = onboardingSchedule(stack);
  switch (scenario) {
    case 'create':
      return { body: createBody(), minimumKnoxCalls: 1, schedule: {} };
    case 'linkFirstPoll': {
      const customer = await control.addCustomer({ script: { onLink: 'approve', afterGets: 0 } });
      return { body: linkItem(customer.customerId), minimumKnoxCalls: 2, schedule: { pollsExpected: 1 } };
    }
    case 'linkAfter7Days': {
      const pending = pollsBefore(schedule, SEVEN_DAYS_SECONDS);
      const customer = await control.addCustomer({ script: { onLink: 'approve', afterGets: pending } });
      const notice = noticeOf(schedule, SEVEN_DAYS_SECONDS);
      return {
        body: linkItem(customer.customerId),
        minimumKnoxCalls: 1 + pending + 1,
        schedule: { pollsExpected: pending + 1, noticeDelaySeconds: notice.delaySeconds },
      };
    }
    case 'linkDeadline': {
      const customer = await control.addCustomer({ script: { onLink: 'never' } });
      const deadlineSeconds = effectiveDeadlineSeconds(stack);
      // Every round before the deadline looks (one GET while only this customer waits); the timeout ends it.
      const polls = pollsBefore(schedule, deadlineSeconds);
      return {
        body: linkItem(customer.customerId),
        minimumKnoxCalls: 1 + polls,
        schedule: { pollsExpected: polls, deadlineSeconds },
      };
    }
  }
}

/** Runs one scenario to the end of its execution and counts what it cost. */
export async function runScenario(stack: LocalStack, scenario: ScenarioName): Promise<ScenarioResult> {
  const control = new KnoxSimControl(stack.knoxUrl);
  const planned = await plan(stack, control, scenario);
  await control.clearRequests();
  const started = Date.now();
  const answer = await startRecord(stack.apiUrl, 'onboarding', planned.body);
  if (answer.status !== 202)
    throw new Error(`${scenario}: POST /onboardings answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  const id = String(answer.body['onboardingId']);
  const executionName = String(answer.body['executionName']);
  const execution = stack.executions.findByName(executionName);
  if (!execution) throw new Error(`${scenario}: no execution ${executionName}`);
  await stack.executions.waitUntilSettled(execution.executionArn);
  const wallMs = Date.now() - started;

  const detail = await getExecution(stack.apiUrl, executionName);
  if (!detail) throw new Error(`${scenario}: GET /executions/${executionName} found nothing`);
  const record = await getRecord(stack.apiUrl, 'onboarding', id);
  const lastError = record.body['lastError'] as { code?: string } | undefined;
  const machine = stack.executions.machineOf('onboarding');
  const transitions = countTransitions(detail.events);
  const knox = countCalls(await control.requests());
  return {
    scenario,
    executionName,
    executionStatus: detail.status,
    recordStatus: record.body.status,
    ...(lastError?.code ? { lastErrorCode: lastError.code } : {}),
    path: statePath(detail),
    transitions,
    history: awsHistoryEvents(detail.events, machine.definition),
    polls: knox.byKind.get ?? 0,
    knox,
    minimumKnoxCalls: planned.minimumKnoxCalls,
    schedule: planned.schedule,
    timeScale: stack.timeScale,
    wallMs,
  };
}
