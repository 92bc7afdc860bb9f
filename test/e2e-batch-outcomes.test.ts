/**
 * Batches an operator can finish, end to end on the local stack (maxFailedPercentage: test/batch-stop.test.ts):
 * - a batch whose own workflow ended early (an operator's StopExecution) is FAILED with the reason, never left
 *   RUNNING, and a restart of the stack continues it to DONE.
 */
import { describe, expect, it } from 'vitest';
import { ENV } from '#domain/configuration';
import { KnoxSimControl } from '#knox-sim/control';
import { BatchClient, plainSend } from '#cli/batch-client';
import { sampleItems } from '#testkit/batch-samples';
import { useRestartableStack } from './support/restart-support';

describe('a batch whose own workflow ended early', () => {
  const restartable = useRestartableStack();

  it('is FAILED with the reason, never RUNNING, and a restart continues it to DONE', async () => {
    const first = await restartable.start({ env: { [ENV.knoxRequestsPerSecond]: '100000' } });
    const control = new KnoxSimControl(restartable.knox.url);
    await control.auto({}); // links wait on their customers
    const items = await sampleItems(control, { links: 5, creates: 0 });
    const client1 = new BatchClient(plainSend(first.apiUrl));
    const batchId = ((await client1.submit({ json: { items } })).body as { batchId: string }).batchId;
    await client1.follow(batchId, {
      intervalMs: 50,
      timeoutMs: 60_000,
      done: (b) => b.status === 'RUNNING' && b.counts.WAITING === items.length,
    });

    // An operator stops the batch's execution: the batch says FAILED, and why.
    const arn = first.executions.machineOf('batch').arn.replace(':stateMachine:', ':execution:');
    await first.executions.stopExecution(`${arn}:${batchId}`, { error: 'Operator', cause: 'stopped by hand' });
    const failed = await client1.follow(batchId, { intervalMs: 50, timeoutMs: 30_000 });
    expect(failed.status).toBe('FAILED');
    expect(String(failed['failedReason'])).toContain('ABORTED');

    // A restart continues it: its items end, and the batch is DONE.
    const second = await restartable.restart();
    expect(second.recovery).toContainEqual(expect.objectContaining({ recordId: batchId, action: 'restarted' }));
    const client2 = new BatchClient(plainSend(second.apiUrl));
    await client2.follow(batchId, { intervalMs: 50, timeoutMs: 60_000, done: (b) => b.status === 'RUNNING' });
    for (const item of items) await control.approveLink(String(item['customerId']));
    const done = await client2.follow(batchId, { intervalMs: 100, timeoutMs: 120_000 });
    expect(done.status).toBe('DONE');
    expect(done.counts.SUCCEEDED).toBe(items.length);
    expect(done['failedReason']).toBeUndefined();
  }, 300_000);
});
