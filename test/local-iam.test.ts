/**
 * IAM on the local stack, end to end: the same scenario runs on the template as synthesized and on the template
 * with one grant removed from the CDK code (a test-only Aspect, testkit/template-without-grant.ts). With the grant it
 * SUCCEEDS; without it the call fails locally with AWS's AccessDeniedException, which reaches the record's lastError
 * and the execution's history (or, for the poller's answer, leaves the onboarding waiting), as it would on AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { getExecution, stateErrors, waitForExecution } from '#testkit/test-stack';
import { synthesizeTemplate } from '#testkit/template-without-grant';
import {
  createRequest,
  finish,
  freshEmail,
  rawRecord,
  reach,
  start,
  startE2e,
  stopE2e,
  waitingOnboarding,
  type E2e,
} from './support/e2e-scenarios';

const TABLE_ARN_PREFIX = 'arn:aws:dynamodb:us-east-1:000000000000:table/';

describe('with the grants as synthesized', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e({ templatePath: synthesizeTemplate() });
  });
  afterAll(() => stopE2e(e2e));

  it('a created onboarding SUCCEEDS: every call of every function is allowed by its own role', async () => {
    const finished = await finish(e2e, await start(e2e, 'onboarding', createRequest(freshEmail())));
    expect(finished.answer.status).toBe('SUCCEEDED');
    expect(stateErrors(finished.execution, STATES.createCustomer)).toEqual([]);
  });
});

/** A linked customer approves; one poll round hands the answer to the waiting execution (or cannot). */
async function approveAndPoll(e2e: E2e) {
  const { customerId, started } = await waitingOnboarding(e2e);
  await e2e.control.approveLink(customerId);
  const round = await e2e.stack.poller!.round();
  return { started, round };
}

describe('with the grants as synthesized, the poller', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e({ templatePath: synthesizeTemplate(), pollerAutoStart: false });
  });
  afterAll(() => stopE2e(e2e));

  it("hands the customer's approval to the waiting execution: the onboarding SUCCEEDS", async () => {
    const { started, round } = await approveAndPoll(e2e);
    expect(round).toMatchObject({ ok: true, summary: { answered: 1, unfinished: 0 } });
    expect((await finish(e2e, started)).answer.status).toBe('SUCCEEDED');
  });
});

describe("without states:SendTaskSuccess in the poller's role", () => {
  let e2e: E2e;
  beforeAll(async () => {
    const templatePath = synthesizeTemplate({ policyPath: 'Poller/Function/Role', action: 'states:SendTaskSuccess' });
    e2e = await startE2e({ templatePath, pollerAutoStart: false });
  });
  afterAll(() => stopE2e(e2e));

  it('the same round cannot hand the approval over (AccessDenied): unfinished, the onboarding still WAITING', async () => {
    const poller = e2e.stack.iam.functionCaller('poller');
    const onboarding = e2e.stack.model.stateMachines.find((m) => m.workflow === 'onboarding')!.arn;
    expect(e2e.stack.iam.decide(poller, 'states:SendTaskSuccess', onboarding)).toBe('implicitDeny');
    expect(e2e.stack.iam.decide(poller, 'states:SendTaskFailure', onboarding)).toBe('allow');

    const { started, round } = await approveAndPoll(e2e);
    expect(round).toMatchObject({ ok: true, summary: { answered: 0, unfinished: 1, complete: false } });
    expect((await rawRecord(e2e, started.id))['status']).toBe('WAITING');
    expect((await getExecution(e2e.stack.apiUrl, started.executionName))?.status).toBe('RUNNING');
  });
});

describe("without dynamodb:UpdateItem in the create step's role", () => {
  let e2e: E2e;
  beforeAll(async () => {
    const templatePath = synthesizeTemplate({ policyPath: 'Steps/CreateCustomer/Role', action: 'dynamodb:UpdateItem' });
    e2e = await startE2e({ templatePath });
  });
  afterAll(() => stopE2e(e2e));

  it("the same onboarding FAILS with AccessDeniedException, named in the record's lastError and in the history", async () => {
    const finished = await finish(e2e, await start(e2e, 'onboarding', createRequest(freshEmail())));
    expect(finished.answer.status).toBe('FAILED');
    expect(stateErrors(finished.execution, STATES.createCustomer)).toContain('AccessDeniedException');
    expect(finished.raw['lastError']).toMatchObject({
      code: 'AccessDeniedException',
      message: `User: arn:aws:sts::000000000000:assumed-role/KnoxOnboardingStack-${roleId(e2e, 'create-customer')}/create-customer is not authorized to perform: dynamodb:UpdateItem on resource: ${TABLE_ARN_PREFIX}${e2e.tableName} because no identity-based policy allows the dynamodb:UpdateItem action`,
    });
  });
});

describe("without lambda:InvokeFunction in the onboarding state machine's role", () => {
  let e2e: E2e;
  beforeAll(async () => {
    const templatePath = synthesizeTemplate({
      policyPath: 'Workflows/Onboarding/StateMachine/Role',
      action: 'lambda:InvokeFunction',
    });
    e2e = await startE2e({ templatePath });
  });
  afterAll(() => stopE2e(e2e));

  it('the Task fails with Lambda.AWSLambdaException (retried as a service error), and no step runs', async () => {
    const started = await start(e2e, 'onboarding', createRequest(freshEmail()));
    const execution = await waitForExecution(e2e.stack.apiUrl, started.executionName, 'FAILED', { timeoutMs: 40_000 });
    const create = execution.path.find((s) => s.state === STATES.createCustomer);
    expect(create?.errors.map((e) => e.error)).toContain('Lambda.AWSLambdaException');
    expect(create?.errors[0]?.message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/KnoxOnboardingStack-WorkflowsOnboardingStateMachineRole[0-9A-F]+\/[^ ]+ is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:create-customer:1 because no identity-based policy allows the lambda:InvokeFunction action \(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException;/,
    );
    // No step ran: the simulator saw no create. The failed execution still reaches the record (EventBridge's
    // status change, delivered to execution-events, whose own role may update the table).
    expect((await e2e.control.requests()).filter((r) => r.method === 'POST')).toEqual([]);
    await reach(e2e, started, 'FAILED');
    const raw = await rawRecord(e2e, started.id);
    // The failing step's own error (the workflows fail in the step, so that a redrive re-runs it).
    expect(raw['lastError']).toMatchObject({ code: 'Lambda.AWSLambdaException' });
    expect(String((raw['lastError'] as { message: string }).message)).toContain('lambda:InvokeFunction');
  });
});

/** The logical id of a function's role (the role name CloudFormation would generate starts with it). */
function roleId(e2e: E2e, functionName: string): string {
  const role = e2e.stack.iam.functionCaller(functionName);
  if (role.kind !== 'role') throw new Error('not a role');
  return role.role.logicalId;
}
