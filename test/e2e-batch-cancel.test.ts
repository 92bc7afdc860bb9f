/**
 * DELETE of a batch at any size, end to end on the local stack: 1,000 items that all wait on their customers are
 * cancelled by one DELETE that answers 202 at once (the API does not wait for the cancellations: they are held back
 * here until the answer is in, and the batch is still CANCELLING then); the batch's own workflow then cancels every
 * item, stopping each item's execution exactly once, and no Knox call is made for a cancelled item afterwards. And a
 * step that ends between an item's CANCELLED write and its StopExecution (forced: the stop fails) is run again, which
 * sends the stop again: no item's execution is left parked in its callback, and no item is cancelled twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_SLICE_ITEMS, MAX_BATCH_ITEMS } from '#domain/batch-schemas';
import { ENV } from '#domain/configuration';
import { STATES } from '#domain/state-names';
import { KnoxSimControl } from '#knox-sim/control';
import { BatchClient, plainSend } from '#cli/batch-client';
import { waitingLinksBatch } from '#testkit/batch-samples';
import { AwsServiceError } from '#local/protocol/aws-json-server';
import type { LocalStack } from '#local/stack/local-stack';
import { getRecord, startTestStack, stateErrors, statePath, waitForExecution } from '#testkit/test-stack';

describe('DELETE of a 1,000-item batch', () => {
  let stack: LocalStack;
  let control: KnoxSimControl;
  let client: BatchClient;

  beforeAll(async () => {
    // The budget is no constraint here (the items are started back to back); the poller stays still (nothing to ask).
    stack = await startTestStack({ pollerAutoStart: false, env: { [ENV.knoxRequestsPerSecond]: '100000' } });
    control = new KnoxSimControl(stack.knoxUrl);
    client = new BatchClient(plainSend(stack.apiUrl));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 202 at once; the workflow cancels every item, each execution stopped once, no Knox call after', async () => {
    // Links stay Pending: every item waits on its customer.
    const { batchId, items } = await waitingLinksBatch(control, client, MAX_BATCH_ITEMS, {
      intervalMs: 500,
      timeoutMs: 900_000,
    });
    expect((await client.get(batchId)).started).toBe(MAX_BATCH_ITEMS);

    // Every StopExecution of an onboarding is counted, and held back until the DELETE has answered.
    const onboardingArn = stack.executions.machineOf('onboarding').arn;
    const stops = new Map<string, number>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stopExecution = stack.executions.stopExecution.bind(stack.executions);
    stack.executions.stopExecution = async (arn, reason) => {
      const execution = stack.executions.describe(arn);
      if (execution?.stateMachineArn === onboardingArn) {
        stops.set(arn, (stops.get(arn) ?? 0) + 1);
        await gate;
      }
      return stopExecution(arn, reason);
    };

    const cancelled = await client.cancel(batchId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLING' });
    // The answer came while every cancellation was still held: the API did not wait for them.
    const right = await client.get(batchId);
    expect(right.status).toBe('CANCELLING');
    expect(right.counts.CANCELLED).toBe(0);
    const again = await client.cancel(batchId);
    expect(again.status).toBe(202);
    release();

    await control.clearRequests();
    const done = await client.follow(batchId, { intervalMs: 500, timeoutMs: 600_000 });
    expect(done.status).toBe('CANCELLED');
    expect(done.counts.CANCELLED).toBe(MAX_BATCH_ITEMS);
    const listed = await client.items(batchId);
    expect(listed.filter((i) => i.status === 'CANCELLED')).toHaveLength(MAX_BATCH_ITEMS);

    // Each item's execution stopped exactly once, and ABORTED.
    expect(stops.size).toBe(MAX_BATCH_ITEMS);
    expect([...stops.values()].every((n) => n === 1)).toBe(true);
    const executions = stack.executions.list({ stateMachineArn: onboardingArn });
    expect(executions.filter((e) => e.status === 'ABORTED')).toHaveLength(MAX_BATCH_ITEMS);

    // The batch's own workflow did the cancelling, and ended.
    const run = await waitForExecution(stack.apiUrl, batchId, 'SUCCEEDED');
    expect(statePath(run)).toContain(STATES.cancelItems);
    // No Knox call for any of the cancelled items since (the poller asks nobody: no one waits any more).
    await stack.poller?.round();
    const customerIds = new Set(items.map((i) => String(i['customerId'])));
    const after = await control.requests();
    expect(after.filter((r) => [...customerIds].some((id) => r.path.includes(id)))).toEqual([]);
  }, 1_200_000);

  it('a stop that fails after its CANCELLED write: the step runs again and sends it again; nothing left parked', async () => {
    const count = BATCH_SLICE_ITEMS * 2 + 10;
    const { batchId, items } = await waitingLinksBatch(control, client, count);
    const listed = await client.items(batchId);
    const nameOf = (i: (typeof listed)[number]) => `${String(items[i.item]?.['customerId'])}-${i.onboardingId}`;
    const names = new Set(listed.map(nameOf));
    // The second slice's items: the first StopExecution of each fails (a refusal the SDK does not retry), after the
    // item was written CANCELLED: to the slice, as if its step had died between the write and the stop.
    const secondSlice = new Set(
      listed.filter((i) => i.item >= BATCH_SLICE_ITEMS && i.item < 2 * BATCH_SLICE_ITEMS).map(nameOf),
    );
    const onboardingArn = stack.executions.machineOf('onboarding').arn;
    const calls = new Map<string, { failed: number; stopped: number }>();
    const original = stack.executions.stopExecution;
    const stopExecution = original.bind(stack.executions);
    stack.executions.stopExecution = async (arn, reason) => {
      const execution = stack.executions.describe(arn);
      if (execution?.stateMachineArn === onboardingArn && names.has(execution.name)) {
        const seen = calls.get(execution.name) ?? { failed: 0, stopped: 0 };
        calls.set(execution.name, seen);
        if (secondSlice.has(execution.name) && seen.failed === 0) {
          seen.failed += 1;
          throw new AwsServiceError('KmsInvalidStateException', 'The execution’s key cannot be used now');
        }
        seen.stopped += 1;
      }
      return stopExecution(arn, reason);
    };
    try {
      expect((await client.cancel(batchId)).status).toBe(202);
      const done = await client.follow(batchId, { intervalMs: 100, timeoutMs: 120_000 });
      expect(done).toMatchObject({ status: 'CANCELLED', counts: { CANCELLED: count } });
    } finally {
      stack.executions.stopExecution = original;
    }

    // Every item's execution was stopped (the second slice's by the step's second run): none is left RUNNING.
    const executions = stack.executions.list({ stateMachineArn: onboardingArn }).filter((e) => names.has(e.name));
    expect(executions.map((e) => e.status)).toEqual(Array(count).fill('ABORTED'));
    // One stop that went through per execution; the second slice's each failed once before it.
    expect(calls.size).toBe(count);
    expect([...calls.values()].every((c) => c.stopped === 1)).toBe(true);
    expect(new Set([...calls].filter(([, c]) => c.failed === 1).map(([name]) => name))).toEqual(secondSlice);
    // Each item cancelled once: one CANCELLED end in its history.
    for (const item of listed) {
      const record = (await getRecord(stack.apiUrl, 'onboarding', item.onboardingId!)).body;
      const ends = (record['history'] as { event: string; status?: string }[]).filter((h) => h.status === 'CANCELLED');
      expect(ends, item.onboardingId).toHaveLength(1);
    }
    // The batch's "Cancel items" failed, ran again, and the batch ended.
    const run = await waitForExecution(stack.apiUrl, batchId, 'SUCCEEDED');
    expect(stateErrors(run, STATES.cancelItems).length).toBeGreaterThan(0);
  }, 600_000);
});
