/**
 * maxFailedPercentage, on a real in-memory dynalite with Step Functions mocked (the api harness): a batch whose started
 * items FAILED more than the threshold stops starting items at its next slice and ends STOPPED with the code that
 * failed most; ABORTED items (business answers) do not count; the CSV form takes the threshold as a query parameter.
 * The items' ends are recorded by record-outcome, as the onboarding workflow records them.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_SLICE_ITEMS } from '#domain/batch-schemas';
import { ENV } from '#domain/configuration';
import { handler } from '#lambdas/api';
import { handler as recordOutcome } from '#lambdas/record-outcome';
import { getBatch } from '#lambdas/batches/batch-store';
import { apiEvent, useApiHarness } from './support/api-harness';
import { startOneSlice } from './support/batch-rounds';
import { linkRequest } from './support/handlers-support';

const harness = useApiHarness();

beforeAll(() => {
  process.env[ENV.batchStateMachineArn] = 'arn:aws:states:us-east-1:123456789012:stateMachine:Batch';
  process.env[ENV.knoxRequestsPerSecond] = '10';
});

async function call(method: string, path: string, body?: string, contentType = 'application/json', query = {}) {
  const result = await handler(
    apiEvent(method, path, { body: body ?? null, headers: { 'Content-Type': contentType }, query }),
  );
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, any> };
}

const links = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => linkRequest(String(2100000000 + from + i)));

async function endItems(batchId: string, outcomes: ('FAILED' | 'ABORTED' | 'SUCCEEDED')[]) {
  const listed = (await call('GET', `/onboarding-batches/${batchId}/items`, undefined, undefined, { limit: '100' }))
    .body.items as { onboardingId: string }[];
  for (const [i, outcome] of outcomes.entries()) {
    await recordOutcome({
      id: listed[i]!.onboardingId,
      outcome,
      ...(outcome === 'SUCCEEDED'
        ? {}
        : { error: { Error: outcome === 'FAILED' ? 'Knox.Operator' : 'Knox.Abort', Cause: 'refused' } }),
    });
  }
}

describe('maxFailedPercentage', () => {
  it('stops starting items once more than that share of the started ones FAILED, and says which code', async () => {
    const items = links(3 * BATCH_SLICE_ITEMS, 0);
    const posted = await call('POST', '/onboarding-batches', JSON.stringify({ items, maxFailedPercentage: 40 }));
    expect(posted.status).toBe(202);
    const batchId = String(posted.body['batchId']);
    expect(await startOneSlice(batchId)).toMatchObject({ status: 'STARTING', next: 'slice' });

    // 10 of 25 FAILED is 40 %: not more than the threshold; ABORTED answers do not count.
    await endItems(batchId, [...Array(10).fill('FAILED'), ...Array(10).fill('ABORTED')]);
    expect(await getBatch(batchId)).toMatchObject({ failed: 10, open: 5 });
    expect(await startOneSlice(batchId)).toMatchObject({ status: 'STARTING' });
    expect(harness.sfn.commandCalls(StartExecutionCommand)).toHaveLength(2 * BATCH_SLICE_ITEMS + 1); // and the batch execution

    // 21 of 50: still 42 % > 40 % once one more fails. The next slice is not started.
    const listed = (await call('GET', `/onboarding-batches/${batchId}/items`, undefined, undefined, { limit: '100' }))
      .body.items as { onboardingId: string; status: string }[];
    for (const item of listed.slice(BATCH_SLICE_ITEMS, 2 * BATCH_SLICE_ITEMS - 14)) {
      await recordOutcome({ id: item.onboardingId, outcome: 'FAILED', error: { Error: 'Knox.Operator', Cause: 'x' } });
    }
    const stopped = await startOneSlice(batchId);
    // Items already open go on: the workflow keeps watching them.
    expect(stopped).toMatchObject({ status: 'STOPPED', next: 'items' });
    expect(harness.sfn.commandCalls(StartExecutionCommand)).toHaveLength(2 * BATCH_SLICE_ITEMS + 1); // and the batch execution
    const view = (await call('GET', `/onboarding-batches/${batchId}`)).body;
    expect(view).toMatchObject({ status: 'STOPPED', started: 2 * BATCH_SLICE_ITEMS, maxFailedPercentage: 40 });
    // The third slice never started (its items stay REQUESTED, beside the started ones not yet at work here).
    expect(view['counts']).toMatchObject({ FAILED: 21, ABORTED: 10, REQUESTED: BATCH_SLICE_ITEMS + 19 });
    expect(view['stoppedReason']).toMatch(/^21 of 50 items started FAILED \(more than 40 %\); most often \S+ \(21\)$/);
  });

  it('CSV: ?maxFailedPercentage=n; out of range is refused with nothing recorded', async () => {
    const csv =
      'customerId,managementType,accessType,services\n2100000900,JointlyManaged,FullAccess,KnoxMobileEnrollment\n';
    const ok = await call('POST', '/onboarding-batches', csv, 'text/csv', { maxFailedPercentage: '25' });
    expect(ok.status).toBe(202);
    expect(await getBatch(String(ok.body['batchId']))).toMatchObject({ maxFailedPercentage: 25 });
    const refused = await call('POST', '/onboarding-batches', csv, 'text/csv', { maxFailedPercentage: '101' });
    expect(refused.status).toBe(400);
    expect(refused.body['issues']).toEqual([{ path: 'maxFailedPercentage', message: 'a number from 0 to 100' }]);
  });
});
