/**
 * The local stack under LATENCY=aws (local/latency/aws-latency.ts; Knox's latency in knox-sim/latency.ts): an
 * onboarding still runs end to end, and a step that would fit one Lambda invocation only because local calls are
 * instant is shown needing more, as it would on AWS (and never timing out: the lookup pages across invocations).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { FIXTURE_REGISTERED_EMAILS } from '#knox-sim/server';
import { KNOX_AWS_LATENCY } from '#knox-sim/latency';
import { awsLatencyMode } from '#local/latency/aws-latency';
import { RECONCILE_CONTINUE_ERROR } from '#domain/reconciling';
import { eventually, getExecution, stateErrors, statePath } from '#testkit/test-stack';
import { createRequest, finish, freshEmail, start, startE2e, stopE2e, type E2e } from './support/e2e-support';

let e2e: E2e | undefined;
afterEach(async () => {
  await stopE2e(e2e);
  e2e = undefined;
});

describe('LATENCY=aws', () => {
  it('runs an onboarding end to end (a new customer, created Active at once)', async () => {
    e2e = await startE2e({ latency: 'aws' });
    expect(awsLatencyMode()).toBe('aws');
    const setting = (await (await fetch(`${e2e.stack.knoxUrl}/_sim/latency`)).json()) as { latency: unknown };
    expect(setting.latency).toEqual(KNOX_AWS_LATENCY);
    // A new customer: created Active, nothing to wait for.
    const finished = await finish(e2e, await start(e2e, 'onboarding', createRequest(freshEmail())));
    expect(finished.answer.status).toBe('SUCCEEDED');
    expect(finished.execution.status).toBe('SUCCEEDED');
    // Each Knox answer came after Knox's latency at least (a lower bound: the simulator slept that long).
    const create = finished.requests.find((r) => r.method === 'POST' && /managedCustomers$/.test(r.path));
    expect(create?.durationMs).toBeGreaterThanOrEqual(KNOX_AWS_LATENCY.create);
  });
});

/**
 * The create step's context rule for 4002106 (lambdas/create-customer.ts) reads our whole customer list, in two
 * passes that agree. It pages while its invocation has time left, then keeps its cursor and goes on in the next
 * invocation (Workflow.ReconcileContinues). The create step's errors over the whole onboarding, once it has ended.
 */
async function createStepErrors(options: { latency: 'aws' | 'none'; customers: number; pageSize?: number }) {
  e2e = await startE2e({ latency: options.latency });
  const current = e2e;
  await current.control.bulkSeed({ count: options.customers, namePrefix: 'Scale' });
  if (options.pageSize !== undefined) await current.control.paging({ maxPageSize: options.pageSize });
  const started = await start(current, 'onboarding', createRequest(FIXTURE_REGISTERED_EMAILS.registered));
  const execution = await eventually(
    async () => {
      const found = await getExecution(current.stack.apiUrl, started.executionName);
      return found && found.status !== 'RUNNING' ? found : undefined;
    },
    { timeoutMs: 280_000, intervalMs: 250, what: `the onboarding ${started.id} ended` },
  );
  // The e-mail is another Knox account's, not one of our customers: the table's abort stands once the list is read.
  expect(execution.status).toBe('SUCCEEDED');
  expect(statePath(execution)).toContain(STATES.recordAborted);
  return stateErrors(execution, STATES.createCustomer);
}

describe('a Lambda that fits its timeout only without latency', () => {
  // 1,000 customers served 10 a page: 100 pages a pass, 200 in all. Locally each page takes milliseconds (the shared
  // Knox budget, 10 a second, makes it ~20 s); at Knox's 250 ms a page it is ~50 s: over the step's 40 s. Before the
  // lookup paged across invocations, LATENCY=aws showed this step timing out (Sandbox.Timedout, then FAILED) where
  // the kind local stack did not.
  const scenario = { customers: 1_000, pageSize: 10 };

  it('without latency the lookup fits one invocation of the create step', async () => {
    const errors = await createStepErrors({ latency: 'none', ...scenario });
    expect(errors).not.toContain('Sandbox.Timedout');
    expect(errors).not.toContain(RECONCILE_CONTINUE_ERROR);
  }, 300_000);

  it('with LATENCY=aws the same lookup outlasts one invocation: it goes on in the next, never timing out', async () => {
    const errors = await createStepErrors({ latency: 'aws', ...scenario });
    expect(errors).toContain(RECONCILE_CONTINUE_ERROR);
    expect(errors).not.toContain('Sandbox.Timedout');
  }, 300_000);

  it('with LATENCY=aws the create step reads 10,000 customers across invocations, never timing out', async () => {
    const errors = await createStepErrors({ latency: 'aws', customers: 10_000 });
    expect(errors).toContain(RECONCILE_CONTINUE_ERROR);
    expect(errors).not.toContain('Sandbox.Timedout');
  }, 300_000);
});
