/**
 * Redrive, end to end on the local stack: a FAILED workflow continues in the same execution from the step that failed
 * (POST /onboardings/{id}/redrive -> RedriveExecution). Knox down longer than the retry window (the simulator's outage
 * switch; TIME_SCALE compresses the window) FAILs a link; Knox returns; the redrive ends SUCCEEDED with one accepted
 * link. A refused client (operator) FAILs a workflow; re-enabled; redrive; SUCCEEDED. Anything not FAILED answers 409.
 * The local Step Functions' RedriveExecution is also driven with the real AWS CLI.
 */
import { describe, expect, it } from 'vitest';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { RETRY_WINDOW_EXCEEDED_ERROR } from '#domain/dispositions';
import { STATES } from '#domain/state-names';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/world';
import { api, getExecution, statePath } from '#testkit/test-stack';
import {
  CALLS,
  expectFailedIn,
  finish,
  finishAfterAnswer,
  historyOf,
  knoxCalls,
  linkRequest,
  newCustomer,
  reach,
  start,
  useE2e,
  type E2e,
  type Started,
} from './support/e2e-support';
import { awsSfn } from './support/sfn-walls-support';

// The retry window (an hour) is 3.6 s at 0.001.
const e2e = useE2e({ timeScale: 0.001 });

function redrive(started: Started) {
  const path = { onboarding: 'onboardings', offboarding: 'offboardings', change: 'changes' }[started.kind];
  return api<Record<string, unknown>>(e2e.stack.apiUrl, 'POST', `/${path}/${started.id}/redrive`);
}

/** The AWS CLI's `stepfunctions` commands against the stack's Step Functions API: its JSON answer. */
async function awsSfnJson(e: E2e, args: string[]): Promise<Record<string, unknown>> {
  const answer = await awsSfn(e.stack.ports.sfn, args);
  if (!answer.ok) throw new Error(answer.stderr);
  return answer.json;
}

async function awsSfnError(e: E2e, args: string[]): Promise<string> {
  const answer = await awsSfn(e.stack.ports.sfn, args);
  if (answer.ok) throw new Error(`aws stepfunctions ${args[0]} succeeded`);
  return answer.stderr;
}

async function failedLink(reason: () => Promise<unknown>): Promise<{ customerId: string; started: Started }> {
  const customerId = await newCustomer(e2e);
  await reason();
  const started = await start(e2e, 'onboarding', linkRequest(customerId));
  const failed = await finish(e2e, started);
  expect(failed.answer.status).toBe('FAILED');
  expect(failed.execution.status).toBe('FAILED');
  return { customerId, started };
}

describe('redriving a FAILED workflow', () => {
  it('Knox down longer than the retry window FAILs a link; Knox back, the redrive SUCCEEDS with one accepted link', async () => {
    const { customerId, started } = await failedLink(() => e2e.control.outage({ dropRate: 0 }));
    const before = await getExecution(e2e.stack.apiUrl, started.executionName);
    expectFailedIn(before!, STATES.linkCustomer, RETRY_WINDOW_EXCEEDED_ERROR, before!.path.at(-1)!.retries);
    await e2e.control.endOutage();

    const answer = await redrive(started);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body).toMatchObject({ id: started.id, status: 'IN_PROGRESS', redriveCount: 1 });

    const done = await finishAfterAnswer(e2e, started, () => e2e.control.approveLink(customerId));
    expect(done.answer.status).toBe('SUCCEEDED');
    expect(done.answer['redriveCount']).toBe(1);
    // The same execution, continued at the step that failed: "Link or create?" ran once.
    expect(done.execution.name).toBe(started.executionName);
    expect(done.execution.status).toBe('SUCCEEDED');
    expect(statePath(done.execution).filter((s) => s === STATES.linkOrCreate)).toHaveLength(1);
    expect(done.execution.events.filter((e) => e.type === 'ExecutionRedriven')).toHaveLength(1);
    // Knox accepted exactly one link.
    const links = knoxCalls(done.requests).filter(CALLS.link);
    expect(links.filter((r) => r.accepted)).toHaveLength(1);
    // The record says so, and the retry window counts afresh.
    const events = historyOf(done.raw).map((h) => h.event);
    expect(events.filter((e) => e === 'redriven')).toHaveLength(1);
    expect(events.indexOf('redriven')).toBeGreaterThan(events.lastIndexOf('knox-error'));
    expect(done.raw['retrySince']).toBeUndefined();

    const described = await awsSfnJson(e2e, ['describe-execution', '--execution-arn', done.execution.executionArn]);
    expect(described).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveStatus: 'NOT_REDRIVABLE' });
  });

  it('a refused client (operator) FAILs a workflow; re-enabled, the redrive SUCCEEDS', async () => {
    const clientId = SIM_DEFAULT_CREDENTIALS.clientId;
    let started: Started;
    let customerId: string;
    try {
      ({ started, customerId } = await failedLink(() => e2e.control.setClientAuthorized(clientId, false)));
    } finally {
      await e2e.control.setClientAuthorized(clientId, true);
    }
    const failed = await getExecution(e2e.stack.apiUrl, started.executionName);
    expectFailedIn(failed!, STATES.linkCustomer, STEP_ERROR_NAMES.operator);
    const described = await awsSfnJson(e2e, ['describe-execution', '--execution-arn', failed!.executionArn]);
    expect(described).toMatchObject({ status: 'FAILED', redriveCount: 0, redriveStatus: 'REDRIVABLE' });

    const answer = await redrive(started);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const done = await finishAfterAnswer(e2e, started, () => e2e.control.approveLink(customerId));
    expect(done.answer.status).toBe('SUCCEEDED');
    expect(
      knoxCalls(done.requests)
        .filter(CALLS.link)
        .filter((r) => r.accepted),
    ).toHaveLength(1);
    // A second redrive of a SUCCEEDED record: 409 with its status.
    const again = await redrive(started);
    expect(again.status).toBe(409);
    expect(again.body['status']).toBe('SUCCEEDED');
  });

  it('answers 409 with the status for an open, a CANCELLED and an ABORTED record', async () => {
    const customerId = await newCustomer(e2e);
    const open = await start(e2e, 'onboarding', linkRequest(customerId));
    await reach(e2e, open, 'WAITING');
    const waiting = await redrive(open);
    expect(waiting.status).toBe(409);
    expect(waiting.body['status']).toBe('WAITING');

    const cancelled = await api<Record<string, unknown>>(e2e.stack.apiUrl, 'DELETE', `/onboardings/${open.id}`);
    expect(cancelled.status).toBe(200);
    const afterCancel = await redrive(open);
    expect(afterCancel.status).toBe(409);
    expect(afterCancel.body['status']).toBe('CANCELLED');

    const refused = await newCustomer(e2e);
    const aborted = await start(e2e, 'onboarding', linkRequest(refused));
    await finishAfterAnswer(e2e, aborted, () => e2e.control.rejectLink(refused));
    const afterAbort = await redrive(aborted);
    expect(afterAbort.status).toBe(409);
    expect(afterAbort.body['status']).toBe('ABORTED');
  });

  it('the local RedriveExecution, through the AWS CLI, continues at the state that failed, with AWS history events', async () => {
    const { started } = await failedLink(() =>
      e2e.control.setClientAuthorized(SIM_DEFAULT_CREDENTIALS.clientId, false),
    ).finally(() => e2e.control.setClientAuthorized(SIM_DEFAULT_CREDENTIALS.clientId, true));
    const failed = await getExecution(e2e.stack.apiUrl, started.executionName);
    const arn = failed!.executionArn;

    // Straight to Step Functions, the record left FAILED: the redriven step meets a closed record and fails again.
    const answer = await awsSfnJson(e2e, ['redrive-execution', '--execution-arn', arn]);
    expect(answer['redriveDate']).toBeDefined();
    await expect
      .poll(async () => (await awsSfnJson(e2e, ['describe-execution', '--execution-arn', arn]))['status'], {
        timeout: 20_000,
      })
      .toBe('FAILED');
    const described = await awsSfnJson(e2e, ['describe-execution', '--execution-arn', arn]);
    expect(described).toMatchObject({ status: 'FAILED', error: 'Workflow.RecordClosed', redriveCount: 1 });

    const history = (await awsSfnJson(e2e, ['get-execution-history', '--execution-arn', arn]))['events'] as {
      type: string;
      executionRedrivenEventDetails?: { redriveCount: number };
      stateEnteredEventDetails?: { name: string };
    }[];
    const types = history.map((e) => e.type);
    const redrivenAt = types.indexOf('ExecutionRedriven');
    expect(redrivenAt).toBeGreaterThan(types.indexOf('ExecutionFailed'));
    expect(history[redrivenAt]?.executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
    // The first state entered after the redrive is the one that failed; nothing before it runs again.
    const enteredAfter = history.slice(redrivenAt).filter((e) => e.stateEnteredEventDetails);
    expect(enteredAfter[0]?.stateEnteredEventDetails?.name).toBe(STATES.linkCustomer);
    expect(enteredAfter.map((e) => e.stateEnteredEventDetails?.name)).not.toContain(STATES.linkOrCreate);

    // RUNNING and SUCCEEDED executions are not redrivable (AWS's error name).
    const customerId = await newCustomer(e2e);
    const open = await start(e2e, 'onboarding', linkRequest(customerId));
    await reach(e2e, open, 'WAITING');
    const running = await getExecution(e2e.stack.apiUrl, open.executionName);
    expect(await awsSfnError(e2e, ['redrive-execution', '--execution-arn', running!.executionArn])).toContain(
      'ExecutionNotRedrivable',
    );
  });
});
