/**
 * The soak's figures: outcomes per scenario, retries spent (from the execution paths), Knox calls (from the
 * simulator's request log, and per record from its `attempts`), and the faults the simulator really injected.
 */
import { FAULT_TYPES, type FaultType, type RequestLogEntry } from '#knox-sim/model';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import type { RecordKind } from '#domain/api-schemas';
import type { ExecutionDetail } from '#local/stepfunctions/execution-path';
import type { AslDefinition } from '#local/template/template';
import { operationOf, type KnoxOperation, type Outcome, type OutcomeClass } from './checks';
import type { ScenarioName } from './soak-scenarios';

export interface ScenarioRow {
  scenario: ScenarioName;
  expected: string;
  total: number;
  /** Terminal statuses as reached. */
  statuses: Record<string, number>;
  outcomes: Record<OutcomeClass, number>;
  /** Fast retries (Knox.Retry and Lambda service errors that the fast retrier retried), total and worst record. */
  fastRetries: number;
  maxFastRetries: number;
  /** Polls: Knox.Wait retries (the polling schedule). */
  polls: number;
  /** Knox calls the steps made (sum of each record's `attempts`), mean per record. */
  meanStepCalls: number;
}

export interface KnoxTraffic {
  total: number;
  byOperation: Record<KnoxOperation, number>;
  byFault: Record<FaultType | 'none', number>;
  /** Answers with HTTP status 0 (connection dropped). */
  dropped: number;
  /** Knox requests (token calls excluded) per workflow run. */
  perWorkflow: number;
}

/** Retries of one execution: the fast ones (errors the fast retrier matched and retried) and the polls. */
export function retriesOf(
  execution: ExecutionDetail,
  definition: AslDefinition | undefined,
): { fast: number; polls: number } {
  let fast = 0;
  let polls = 0;
  for (const step of execution.path) {
    const retriers = (definition?.States[step.state]?.['Retry'] ?? []) as { ErrorEquals: string[] }[];
    const fastErrors = retriers.find((r) => r.ErrorEquals.includes(STEP_ERROR_NAMES.retry))?.ErrorEquals ?? [
      STEP_ERROR_NAMES.retry,
    ];
    // Every error of a state was retried except the one a Catch took.
    const retried = step.caught ? step.errors.slice(0, -1) : step.errors;
    for (const error of retried) {
      if (error.error === STEP_ERROR_NAMES.wait) polls += 1;
      else if (fastErrors.includes(error.error)) fast += 1;
    }
  }
  return { fast, polls };
}

export function scenarioRows(
  outcomes: Outcome[],
  definitions: Partial<Record<RecordKind, AslDefinition>>,
  expected: Record<ScenarioName, string>,
): ScenarioRow[] {
  const rows = new Map<ScenarioName, ScenarioRow & { stepCalls: number }>();
  for (const o of outcomes) {
    const row = rows.get(o.scenario) ?? {
      scenario: o.scenario,
      expected: expected[o.scenario],
      total: 0,
      statuses: {},
      outcomes: { expected: 0, retriesExhausted: 0, unexpected: 0, unfinished: 0 },
      fastRetries: 0,
      maxFastRetries: 0,
      polls: 0,
      meanStepCalls: 0,
      stepCalls: 0,
    };
    row.total += 1;
    row.statuses[o.status] = (row.statuses[o.status] ?? 0) + 1;
    row.outcomes[o.outcome] += 1;
    if (o.execution) {
      const r = retriesOf(o.execution, definitions[o.run.case.kind]);
      row.fastRetries += r.fast;
      row.maxFastRetries = Math.max(row.maxFastRetries, r.fast);
      row.polls += r.polls;
    }
    row.stepCalls += Object.values(o.record?.attempts ?? {}).reduce((a, b) => a + b, 0);
    rows.set(o.scenario, row);
  }
  return [...rows.values()].map(({ stepCalls, ...row }) => ({
    ...row,
    meanStepCalls: row.total ? stepCalls / row.total : 0,
  }));
}

export function knoxTraffic(requestLog: RequestLogEntry[], workflows: number): KnoxTraffic {
  const byOperation = { token: 0, create: 0, link: 0, delink: 0, get: 0, list: 0, update: 0, other: 0 } as Record<
    KnoxOperation,
    number
  >;
  const byFault = Object.fromEntries([...FAULT_TYPES, 'none'].map((f) => [f, 0])) as Record<FaultType | 'none', number>;
  let dropped = 0;
  for (const entry of requestLog) {
    byOperation[operationOf(entry)] += 1;
    byFault[entry.fault ?? 'none'] += 1;
    if (entry.status === 0) dropped += 1;
  }
  const knoxCalls = requestLog.length - byOperation.token;
  return {
    total: requestLog.length,
    byOperation,
    byFault,
    dropped,
    perWorkflow: workflows ? knoxCalls / workflows : 0,
  };
}
