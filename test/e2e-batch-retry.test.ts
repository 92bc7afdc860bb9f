/**
 * Retry what failed, end to end on the local stack (real HTTP, the engine, dynalite, the simulator): a batch of 60
 * items (links and creates) with maxFailedPercentage meets Knox refusing our credentials (AUTHORIZATION_FAIL, an
 * operator problem: FAILED); its first slice fails and the batch STOPS with 35 items never started. The credentials are
 * set right, `POST .../retries` starts a batch of all 60, which ends DONE, and every customer of the original is linked
 * or created in Knox exactly once (the simulator's request log and its customers). The links point both ways.
 *
 * The order is forced, not timed: the batch workflow's "Start next slice" starts one slice a round, and the second round
 * waits (a wrapper around the batch-starter function, `lambda.use()`) until the batch has counted every item of the first slice FAILED, so the
 * threshold is met before the second slice could start, whatever the machine's speed.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { BATCH_SLICE_ITEMS, batchIdFor } from '#domain/batch-schemas';
import { handler as batchStarter } from '#lambdas/batch-starter';
import { getBatch } from '#lambdas/batches/batch-store';
import { logger } from '#lambdas/commons/powertools';
import { SIM_OUR_MSP } from '#knox-sim/world';
import { sampleItems } from '#testkit/batch-samples';
import { eventually } from '#testkit/eventually';
import { startOneSlice } from './support/batch-rounds';
import { useBatchStack } from './support/stack-support';

const LINKS = 40;
const CREATES = 20;

describe('POST /onboarding-batches/{id}/retries on the local stack', () => {
  const local = useBatchStack((ready) => ready.control.auto({ approveLinksAfterMs: 0 }));

  it('a STOPPED batch retried once Knox is set right ends DONE, each customer linked or created once', async () => {
    logger.setLogLevel('SILENT'); // the starter below runs in this process
    const items = await sampleItems(local.control, { links: LINKS, creates: CREATES });
    // Its id is known before it is sent (it follows from the Idempotency-Key): its first round may come before the answer.
    const originalKey = 'e2e-retry-original';
    const originalId = batchIdFor(originalKey);
    // "Start next slice" of the original starts a slice a round, and its second round waits until the first slice has
    // FAILED and been counted.
    local.stack.lambda.use(OTHER_FUNCTIONS.batchStarter, async (event: unknown, context: Context) => {
      const step = event as { batchId: string; action: string };
      if (step.action === 'start' && step.batchId === originalId) {
        const batch = await getBatch(step.batchId);
        if (batch?.started === BATCH_SLICE_ITEMS && batch.status === 'STARTING')
          await eventually(
            async () => ((await getBatch(step.batchId))?.failed === BATCH_SLICE_ITEMS ? true : undefined),
            {
              timeoutMs: 50_000,
              intervalMs: 20,
              what: () => `the first slice of ${step.batchId} did not FAIL`,
            },
          );
        // One slice a round (the step's own pacing goes on starting items within a round).
        return startOneSlice(step.batchId);
      }
      return batchStarter(event, context);
    });
    await local.control.setClientAuthorized('sim-client', false);
    try {
      const submitted = await local.client.submit({ json: { items, maxFailedPercentage: 20 } }, originalKey);
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
      expect((submitted.body as { batchId: string }).batchId).toBe(originalId);
      const stopped = await local.client.follow(originalId, { intervalMs: 100, timeoutMs: 50_000 });
      expect(stopped).toMatchObject({ status: 'STOPPED', started: BATCH_SLICE_ITEMS });
      expect(stopped.counts).toMatchObject({ FAILED: BATCH_SLICE_ITEMS, REQUESTED: items.length - BATCH_SLICE_ITEMS });
      expect(String(stopped['stoppedReason'])).toContain('AUTHORIZATION_FAIL');
    } finally {
      await local.control.setClientAuthorized('sim-client', true);
      local.stack.lambda.restore(OTHER_FUNCTIONS.batchStarter);
    }

    const answer = await local.client.retry(originalId, { idempotencyKey: 'e2e-retry' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const retry = answer.body as { batchId: string; total: number; retryOf: string };
    expect(retry).toMatchObject({ total: items.length, retryOf: originalId });
    // The same request again is the same batch.
    const again = await local.client.retry(originalId, { idempotencyKey: 'e2e-retry' });
    expect(again).toMatchObject({ status: 200, body: { batchId: retry.batchId } });

    const done = await local.client.follow(retry.batchId, { intervalMs: 100, timeoutMs: 50_000 });
    expect(done.status).toBe('DONE');
    expect(done.counts.SUCCEEDED).toBe(items.length);
    expect(done['retryOf']).toBe(originalId);
    expect((await local.client.get(originalId))['retries']).toEqual([retry.batchId]);

    // Every customer once over both batches: one accepted link per linked customer, one accepted create per company.
    const log = await local.control.requests();
    const accepted = (path: RegExp) => log.filter((r) => r.method === 'POST' && r.accepted && path.test(r.path));
    expect(accepted(/managedCustomers\/link$/)).toHaveLength(LINKS);
    expect(accepted(/managedCustomers$/)).toHaveLength(CREATES);
    const customers = await local.control.customers();
    for (const item of items) {
      if (typeof item['customerId'] === 'string') {
        const customer = customers.find((c) => c.customerId === item['customerId']);
        expect(customer).toMatchObject({ ownerMsp: SIM_OUR_MSP, status: 'Active' });
      } else {
        const name = (item['customer'] as { companyName: string }).companyName;
        expect(customers.filter((c) => c.companyName === name)).toHaveLength(1);
      }
    }
    const report = await fetch(`${local.stack.apiUrl}/onboarding-batches/${retry.batchId}/report`);
    const items2 = ((await report.json()) as { items: { retryOfItem: number; status: string }[] }).items;
    expect(items2.map((i) => i.retryOfItem)).toEqual(items.map((_, i) => i));

    // Nothing is left to retry of the retry.
    const nothing = await local.client.retry(retry.batchId);
    expect(nothing.status).toBe(409);
    expect((nothing.body as { message: string }).message).toMatch(/^Nothing to retry/);
  }, 180_000);
});
