/**
 * A big MSP reconciled right, end to end on the local stack: a create that meets 4002106 EMAIL_ALREADY_IN_USAGE reads
 * the MSP's whole customer list (10,000 customers) with the create step's Lambda timeout enforced by the local
 * runtime. One invocation cannot read it: the step pauses before its time is up, keeps the lookup's cursor and the
 * state machine runs it again (Workflow.ReconcileContinues), never Sandbox.Timedout.
 *
 * Scaled to stay short, keeping the ratio that makes one invocation too short: Knox at 250 ms a page and a 40 s step
 * would page 10,000 customers in 50 s a pass; here list pages take the simulator's latency fault of 25 ms (plus the
 * simulator's own sort of 10,000 customers) and the create function's Timeout is cut to 4 s (KNOX_TIMEOUT_MS 1 s, so
 * the step keeps half its time as the margin), so a pass of 201 pages still needs several invocations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#domain/configuration';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { STEP_FUNCTIONS } from '#domain/function-names';
import { RECONCILE_CONTINUE_ERROR, reconciliationKey } from '#domain/reconciling';
import { STATES } from '#domain/state-names';
import { TABLE } from '#domain/table-layout';
import { LAMBDA_TIMEOUT_ERROR } from '#local/lambda/lambda-runtime';
import type { RequestLogEntry } from '#knox-sim/model';
import { SIM_OTHER_MSP, SIM_OUR_MSP } from '#knox-sim/world';
import { stateErrors, waitForExecution, waitForStatus } from '#testkit/test-stack';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  CALLS,
  FAULT_MATCH,
  createRequest,
  freshEmail,
  knoxCalls,
  rawRecord,
  start,
  startE2e,
  stopE2e,
  type E2e,
  type Started,
} from './support/e2e-support';

const CUSTOMERS = 10_000;
const PAGE_LATENCY_MS = 25;
const CREATE_TIMEOUT_SECONDS = 4;
const PAGE_SIZE = 50;

let e2e: E2e;
beforeAll(async () => {
  e2e = await startE2e({
    // The budget would pace pages at 10 a second; Knox's timeout sets the step's margin (one worst-case page).
    env: { [ENV.knoxRequestsPerSecond]: '500', [ENV.knoxTimeoutMs]: '1000' },
  });
  const create = e2e.stack.model.functions.find((f) => f.handler === STEP_FUNCTIONS.createCustomer);
  if (!create) throw new Error('no create function in the template');
  create.timeoutSeconds = CREATE_TIMEOUT_SECONDS; // the local runtime enforces it (Sandbox.Timedout)
  await e2e.control.reset({ fixtures: false });
  await e2e.control.bulkSeed({ count: CUSTOMERS, namePrefix: 'Bulk Customer' });
  await e2e.control.fault({
    match: { method: 'GET', path: '/msp/v1/managedCustomers?' },
    fault: { type: 'latency', latencyMs: PAGE_LATENCY_MS },
    count: 100_000,
  });
}, 300_000);
afterAll(async () => {
  await stopE2e(e2e);
});

async function finished(started: Started) {
  const answer = await waitForStatus(e2e.stack.apiUrl, 'onboarding', started.id, ['SUCCEEDED', 'ABORTED', 'FAILED'], {
    timeoutMs: 170_000,
    intervalMs: 200,
  });
  const execution = await waitForExecution(e2e.stack.apiUrl, started.executionName, ['SUCCEEDED', 'FAILED'], {
    timeoutMs: 30_000,
  });
  const errors = stateErrors(execution, STATES.createCustomer);
  const cursor = await e2e.db.send(
    new GetCommand({ TableName: e2e.tableName, Key: { [TABLE.partitionKey]: reconciliationKey(started.id) } }),
  );
  return { answer, execution, errors, raw: await rawRecord(e2e, started.id), cursorLeft: cursor.Item };
}

/**
 * The create step's errors over a lookup of several invocations: never a Lambda timeout, `last` at the end, at least
 * `continuedAtLeast` continuations, and besides them only `others` errors.
 */
function expectLookupErrors(errors: string[], o: { last: string; continuedAtLeast: number; others: number }): void {
  expect(errors).not.toContain(LAMBDA_TIMEOUT_ERROR);
  expect(errors.at(-1)).toBe(o.last);
  const continued = errors.filter((e) => e === RECONCILE_CONTINUE_ERROR).length;
  expect(continued).toBeGreaterThanOrEqual(o.continuedAtLeast);
  expect(errors).toHaveLength(continued + o.others);
}

/** Knox's error codes on the create calls of the log, in order. */
function createCodes(requests: RequestLogEntry[]): (string | undefined)[] {
  return knoxCalls(requests)
    .filter(CALLS.create)
    .map((r) => r.errorCode);
}

describe(`an MSP of ${CUSTOMERS.toLocaleString('en-US')} customers, one invocation too short for its list`, () => {
  it('a create whose answer was lost, our customer deep in the list: SUCCEEDED over several invocations, one customer created', async () => {
    // Sorted by name, ours lands at about 9,900 of 10,001: page 198 ascending, not on page 1 descending.
    await e2e.control.paging({ sortBy: 'companyName' });
    await e2e.control.clearRequests();
    const email = freshEmail();
    await e2e.control.fault({ match: FAULT_MATCH.create, fault: { type: 'workThen500' } });
    const started = await start(
      e2e,
      'onboarding',
      createRequest(email, {}, { companyName: 'Bulk Customer 009899 (ours)' }),
    );
    const { answer, execution, errors, raw, cursorLeft } = await finished(started);

    expect(answer.status, JSON.stringify(answer.history)).toBe('SUCCEEDED');
    expect(execution.status).toBe('SUCCEEDED');
    const ours = (await e2e.control.customers()).filter((c) => c.email === email);
    expect(ours).toHaveLength(1);
    expect(raw['customerId']).toBe(ours[0]!.customerId);

    // The lost answer's retry, then the lookup over several invocations, then already done; never a timeout.
    expect(errors[0]).toBe(STEP_ERROR_NAMES.retry);
    expectLookupErrors(errors, { last: STEP_ERROR_NAMES.alreadyDone, continuedAtLeast: 2, others: 2 });

    const requests = await e2e.control.requests();
    // One lost create and one that met 4002106: the continuations never asked to create again.
    expect(createCodes(requests)).toEqual(['5000000', '4002106']);
    const pages = knoxCalls(requests).filter(CALLS.list).length;
    expect(pages).toBeGreaterThanOrEqual(Math.floor(9_900 / PAGE_SIZE));
    expect(pages).toBeLessThanOrEqual(Math.ceil((CUSTOMERS + 1) / PAGE_SIZE) + 2);
    expect(cursorLeft).toBeUndefined();
    await e2e.control.paging({});
  }, 180_000);

  it('the e-mail is a Knox account elsewhere, not ours: the lookup proves absence over several invocations and the 4002106 ABORTS', async () => {
    await e2e.control.clearRequests();
    const email = freshEmail();
    await e2e.control.addCustomer({ email, ownerMsp: SIM_OTHER_MSP, status: 'Active' });
    const started = await start(e2e, 'onboarding', createRequest(email));
    const { answer, execution, errors, raw, cursorLeft } = await finished(started);

    expect(answer.status, JSON.stringify(answer.history)).toBe('ABORTED');
    expect(execution.status).toBe('SUCCEEDED'); // ABORTED is a business outcome
    expect(raw['lastError']).toMatchObject({ code: 'EMAIL_ALREADY_IN_USAGE', disposition: 'abort' });
    expectLookupErrors(errors, { last: STEP_ERROR_NAMES.abort, continuedAtLeast: 4, others: 1 });

    const requests = await e2e.control.requests();
    expect(createCodes(requests)).toEqual(['4002106']);
    // Two ends, then two complete passes that agree: 2 ceil(N/s) + 3 list calls, not one more.
    const ours = (await e2e.control.customers()).filter((c) => c.ownerMsp === SIM_OUR_MSP).length;
    expect(ours).toBeGreaterThanOrEqual(CUSTOMERS);
    expect(knoxCalls(requests).filter(CALLS.list)).toHaveLength(2 * Math.ceil(ours / PAGE_SIZE) + 3);
    expect(cursorLeft).toBeUndefined();
  }, 180_000);
});
