/**
 * The scenarios of the end-to-end suites on top of e2e-support.ts (re-exported: a suite imports one of the two): the
 * paths through the diagrams they expect, a request our API refuses, and the assertions a scenario of a Knox code
 * makes (an abort, a wait until unblocked).
 */
import { expect } from 'vitest';
import type { RecordKind } from '#domain/api-schemas';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import type { StepKey } from '#domain/record';
import { STATES } from '#domain/state-names';
import type { RequestLogEntry } from '#knox-sim/model';
import { api, listExecutions, statePath } from '#testkit/test-stack';
import {
  CALLS,
  expectCaught,
  expectClosedRecord,
  expectRetried,
  finish,
  historyOf,
  knoxCalls,
  rawRecord,
  reach,
  start,
  stepOf,
  tableKeys,
  type E2e,
  type Finished,
} from './e2e-support';

import { expectThroughMatrix, matrixEnd } from './matrix-coverage';

export * from './e2e-support';
export * from './matrix-coverage';

// --- Refused at the API ---------------------------------------------------------------------------------------------

/**
 * A body our API refuses: 400 with the issue at `path` (its message matching `message`), and nothing behind it: no
 * item in the table, no execution, no Knox request.
 */
export async function expectRefusedAtApi(
  e2e: E2e,
  kind: RecordKind,
  body: unknown,
  path: string,
  message: RegExp,
): Promise<void> {
  const keysBefore = await tableKeys(e2e);
  const executionsBefore = (await listExecutions(e2e.stack.apiUrl)).length;
  await e2e.control.clearRequests();

  const answer = await api<{ message: string; issues: { path: string; message: string }[] }>(
    e2e.stack.apiUrl,
    'POST',
    `/${kind}s`,
    body,
  );
  expect(answer.status).toBe(400);
  expect(answer.body.message).toEqual(expect.any(String));
  expect(answer.body.issues).toContainEqual({ path, message: expect.stringMatching(message) });

  expect(await tableKeys(e2e)).toEqual(keysBefore);
  expect(await listExecutions(e2e.stack.apiUrl)).toHaveLength(executionsBefore);
  expect(await e2e.control.requests()).toEqual([]);
}

// --- Paths through the diagrams -------------------------------------------------------------------------------------

/** The paths through the diagrams the scenarios expect (state names in order). */
export const PATHS = {
  linked: [
    STATES.linkOrCreate,
    STATES.linkCustomer,
    STATES.waitForAnswer,
    STATES.needsChange,
    STATES.recordSucceeded,
    STATES.onboardingSucceeded,
  ],
  /** The customer refused, or the deadline passed, while "Wait for customer answer" waited. */
  answerAborted: [
    STATES.linkOrCreate,
    STATES.linkCustomer,
    STATES.waitForAnswer,
    STATES.recordAborted,
    STATES.onboardingAborted,
  ],
  linkAborted: [STATES.linkOrCreate, STATES.linkCustomer, STATES.recordAborted, STATES.onboardingAborted],
  linkFailed: [STATES.linkOrCreate, STATES.linkCustomer, STATES.recordFailed, STATES.onboardingFailed],
  created: [STATES.linkOrCreate, STATES.createCustomer, STATES.recordSucceeded, STATES.onboardingSucceeded],
  createAborted: [STATES.linkOrCreate, STATES.createCustomer, STATES.recordAborted, STATES.onboardingAborted],
  delinked: [STATES.requestDelink, STATES.waitForAnswer, STATES.recordSucceeded, STATES.offboardingSucceeded],
  delinkRefused: [STATES.requestDelink, STATES.waitForAnswer, STATES.recordAborted, STATES.offboardingAborted],
  delinkAborted: [STATES.requestDelink, STATES.recordAborted, STATES.offboardingAborted],
  changed: [STATES.changeCustomer, STATES.recordSucceeded, STATES.changeSucceeded],
  changeAborted: [STATES.changeCustomer, STATES.recordAborted, STATES.changeAborted],
} as const;

// --- Assertions a scenario of a code makes -----------------------------------------------------------------------------

/** lastError is Knox's own answer: its code name, number, message and the table's disposition. */
export function expectKnoxLastError(finished: Finished, code: KnoxErrorCodeName): void {
  const spec = specFor(code);
  const expected = { code: spec.code, errorCode: spec.errorCode, message: spec.message, disposition: spec.disposition };
  expect(finished.raw['lastError']).toEqual(expected);
  expect(finished.answer['lastError']).toEqual(expected);
}

/** The Knox calls of one kind (see CALLS). */
export function only(requests: RequestLogEntry[], which: (r: RequestLogEntry) => boolean): RequestLogEntry[] {
  return knoxCalls(requests).filter(which);
}

/**
 * The Tasks whose Knox call can meet a code, by their key in the record's `attempts`: the workflow, the state, and the
 * path through the diagram when the call is refused (ABORTED) or waited on until it goes through (SUCCEEDED).
 */
const KNOX_TASKS = {
  link: { kind: 'onboarding', state: STATES.linkCustomer, aborted: PATHS.linkAborted, passed: PATHS.linked },
  create: { kind: 'onboarding', state: STATES.createCustomer, aborted: PATHS.createAborted, passed: PATHS.created },
  delink: { kind: 'offboarding', state: STATES.requestDelink, aborted: PATHS.delinkAborted, passed: PATHS.delinked },
  update: { kind: 'change', state: STATES.changeCustomer, aborted: PATHS.changeAborted, passed: PATHS.changed },
} as const satisfies Partial<
  Record<StepKey, { kind: RecordKind; state: string; aborted: readonly string[]; passed: readonly string[] }>
>;
export type KnoxTask = keyof typeof KNOX_TASKS;

export interface RefusedByKnox {
  /** The Task whose Knox call meets the code. */
  task: KnoxTask;
  body: unknown;
  code: KnoxErrorCodeName;
}

/** Which logged requests are the Task's call (an update's: the PUT of the customer the change names). */
function callOf({ task, body }: RefusedByKnox): (r: RequestLogEntry) => boolean {
  return task === 'update' ? CALLS.update(String((body as { customerId: unknown }).customerId)) : CALLS[task];
}

/**
 * An abort or invalid-request code: the end state the decision matrix gives the code on the Task when it is caught at
 * once (ABORTED) after one Knox call, which the table's Catch routes to Record aborted; Knox changed nothing.
 */
export async function expectAbortedByKnox(e2e: E2e, o: RefusedByKnox): Promise<Finished> {
  const spec = specFor(o.code);
  const task = KNOX_TASKS[o.task];
  const expected = matrixEnd(o.code, o.task, 'caught');
  if (expected === 'REFUSED') throw new Error(`the matrix has ${o.code} on ${o.task} refused by the API`);
  const started = await start(e2e, task.kind, o.body);
  const finished = await finish(e2e, started);

  await expectClosedRecord(e2e, finished, expected);
  expectThroughMatrix(o.code, o.task, 'caught', expected);
  expectKnoxLastError(finished, o.code);
  expect(finished.raw['attempts']).toEqual({ [o.task]: 1 });
  expect(
    historyOf(finished.raw)
      .filter((h) => h.event === 'knox-error')
      .map((h) => h.error?.code),
  ).toEqual([o.code]);

  expect(finished.execution.status).toBe('SUCCEEDED'); // "<Kind> aborted" is a Succeed state: a business outcome
  expect(statePath(finished.execution)).toEqual(task.aborted);
  expectCaught(finished.execution, task.state, STEP_ERROR_NAMES[spec.disposition], STATES.recordAborted);

  expect(only(finished.requests, callOf(o))).toEqual([
    expect.objectContaining({ status: spec.httpStatus, errorCode: spec.errorCode, accepted: false }),
  ]);
  expect(knoxCalls(finished.requests).some((r) => r.accepted)).toBe(false);
  return finished;
}

export interface WaitsForUnblock extends RefusedByKnox {
  /** The control call that removes the reason to wait. */
  unblock: () => Promise<unknown>;
}

/**
 * A wait code: the Task meets it and the record is WAITING with it as lastError; the Task is retried on the polling
 * schedule (Knox.Wait, one retry per poll) until the control call unblocks it; then the workflow SUCCEEDS (an end the
 * decision matrix gives the code on the Task once Knox lets it through) and the Knox call is accepted exactly once.
 */
export async function expectWaitThenSuccess(e2e: E2e, o: WaitsForUnblock): Promise<Finished> {
  const spec = specFor(o.code);
  const { kind, state, passed } = KNOX_TASKS[o.task];
  const step = o.task;
  const started = await start(e2e, kind, o.body);
  const waiting = await reach(e2e, started, 'WAITING');
  expect(waiting['lastError']).toEqual({
    code: spec.code,
    errorCode: spec.errorCode,
    message: spec.message,
    disposition: 'wait',
  });
  expect(await rawRecord(e2e, started.id)).toMatchObject({ status: 'WAITING', kindStatus: `${kind}#WAITING` });

  await o.unblock();
  const finished = await finish(e2e, started);
  await expectClosedRecord(e2e, finished, 'SUCCEEDED');
  expectThroughMatrix(o.code, o.task, 'waits', 'SUCCEEDED');
  expect(finished.raw['lastError']).toBeUndefined(); // the success cleared it; history keeps it
  const firstError = historyOf(finished.raw).find((h) => h.event === 'knox-error');
  expect(firstError).toMatchObject({ step, status: 'WAITING', error: { code: o.code, disposition: 'wait' } });

  expect(finished.execution.status).toBe('SUCCEEDED');
  expect(statePath(finished.execution)).toEqual(passed);
  const task = stepOf(finished.execution, state);
  expect(task.errors.length).toBeGreaterThan(0);
  expectRetried(finished.execution, state, STEP_ERROR_NAMES.wait, task.errors.length);
  expect((finished.raw['attempts'] as Record<string, number>)[step]).toBe(task.errors.length + 1);

  // Every refused attempt is one logged call with the code; then one accepted call.
  const calls = only(finished.requests, callOf(o));
  expect(calls.slice(0, -1)).toEqual(
    Array(task.errors.length).fill(expect.objectContaining({ errorCode: spec.errorCode, accepted: false })),
  );
  expect(calls.at(-1)).toMatchObject({ status: 200, accepted: true });
  return finished;
}
