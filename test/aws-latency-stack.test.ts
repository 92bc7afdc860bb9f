/**
 * The local stack under LATENCY=aws (local/latency/aws-latency.ts; Knox's latency in knox-sim/latency.ts): an
 * onboarding still runs end to end, and a step that fits its Lambda timeout only because local calls are instant is
 * shown timing out, as it would on AWS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { FIXTURE_REGISTERED_EMAILS } from '#knox-sim/server';
import { KNOX_AWS_LATENCY } from '#knox-sim/latency';
import { awsLatencyMode } from '#local/latency/aws-latency';
import { getExecution, stateErrors } from '#testkit/test-stack';
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

/** `count` customers of ours in the simulator (the control surface, a few requests at a time). */
async function seedCustomers(e: E2e, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      await e.control.addCustomer({
        customerId: String(1_500_000_000 + n),
        email: `admin@c${n}.scale.example`,
        companyName: `Scale ${String(n).padStart(5, '0')}`,
        status: 'Active',
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * The create step's context rule for 4002106 (lambdas/create-customer.ts) reads our whole customer list, in two
 * passes that agree, inside one invocation of the step's Lambda (timeout 40 s). The errors of the step's first
 * attempt (or none, when the onboarding ended without one).
 */
async function createStepErrors(options: { latency: 'aws' | 'none'; customers: number; pageSize?: number }) {
  e2e = await startE2e({ latency: options.latency });
  const current = e2e;
  await seedCustomers(current, options.customers);
  if (options.pageSize !== undefined) await current.control.paging({ maxPageSize: options.pageSize });
  const started = await start(current, 'onboarding', createRequest(FIXTURE_REGISTERED_EMAILS.registered));
  for (;;) {
    const execution = await getExecution(current.stack.apiUrl, started.executionName);
    const errors = execution ? stateErrors(execution, STATES.createCustomer) : [];
    if (errors.length > 0 || (execution && execution.status !== 'RUNNING')) return errors;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('a Lambda that fits its timeout only without latency', () => {
  // 1,000 customers served 10 a page: 100 pages a pass, 200 in all. Locally each page takes milliseconds (the shared
  // Knox budget, 10 a second, makes it ~20 s); at Knox's 250 ms a page it is ~50 s: over the step's 40 s.
  const scenario = { customers: 1_000, pageSize: 10 };

  it('without latency the lookup fits the create step', async () => {
    expect(await createStepErrors({ latency: 'none', ...scenario })).not.toContain('Sandbox.Timedout');
  }, 240_000);

  it('with LATENCY=aws the same lookup times out the create step, as it would on AWS', async () => {
    expect(await createStepErrors({ latency: 'aws', ...scenario })).toContain('Sandbox.Timedout');
  }, 240_000);

  // Known failure, another engineer's to fix: the reconciliation pages the whole list inside one Lambda invocation;
  // 10,000 customers are 200 pages of 50 a pass (~100 s at Knox's 250 ms a page, and ~40 s at the shared Knox budget
  // of 10 calls a second even without latency). The fix adds test/e2e-reconciliation-scale.test.ts; this test then
  // passes and `it.fails` must become `it`.
  it.fails('with LATENCY=aws the create step answers within its Lambda timeout for 10,000 customers', async () => {
    expect(await createStepErrors({ latency: 'aws', customers: 10_000 })).not.toContain('Sandbox.Timedout');
  }, 300_000);
});
