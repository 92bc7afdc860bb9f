/**
 * Bulk onboarding end to end on the local stack (real HTTP, dynalite, the simulator): a batch of links and creates
 * runs to DONE through the batch workflow with exactly one accepted Knox write per item; the CSV form; a repeated
 * Idempotency-Key; an item whose customer already has an open onboarding joins it; DELETE cancels; and a restart of
 * the stack while items start resumes the batch with nothing started twice and nothing skipped.
 */
import { describe, expect, it } from 'vitest';
import { BATCH_SLICE_ITEMS } from '#domain/batch-schemas';
import { ENV } from '#domain/configuration';
import { PACING } from '#lambdas/batches/pacing';
import { STATES } from '#domain/state-names';
import { KnoxSimControl } from '#knox-sim/control';
import { BatchClient, plainSend } from '#cli/batch-client';
import { createItem, sampleItems } from '#testkit/batch-samples';
import { getExecution, startRecord, statePath, waitForExecution } from '#testkit/test-stack';
import { useRestartableStack } from './support/restart-support';
import { useBatchStack } from './support/stack-support';

/** Accepted Knox writes (create or link) per customer e-mail or id, from the simulator's log and store. */
async function acceptedWrites(control: KnoxSimControl): Promise<number> {
  const log = await control.requests();
  return log.filter((r) => r.method === 'POST' && r.accepted && /managedCustomers(\/link)?$/.test(r.path)).length;
}

describe('a batch on the local stack', () => {
  const local = useBatchStack();

  it('starts every item through the batch workflow and ends DONE, one accepted Knox write per item', async () => {
    await local.control.auto({ approveLinksAfterMs: 0 });
    await local.control.clearRequests();
    const items = await sampleItems(local.control, { links: 15, creates: 15 });
    const answer = await local.client.submit({ json: { items } }, 'batch-e2e-1');
    expect(answer.status).toBe(202);
    const { batchId, status, total } = answer.body as { batchId: string; status: string; total: number };
    expect({ status, total }).toEqual({ status: 'STARTING', total: 30 });

    const done = await local.client.follow(batchId, { intervalMs: 100, timeoutMs: 60_000 });
    expect(done.status).toBe('DONE');
    expect(done.started).toBe(30);
    expect(done.counts.SUCCEEDED).toBe(30);

    const listed = await local.client.items(batchId, 7);
    expect(listed.map((i) => i.item)).toEqual([...Array(30).keys()]);
    expect(listed.every((i) => i.status === 'SUCCEEDED' && i.customerId !== undefined)).toBe(true);
    expect(new Set(listed.map((i) => i.onboardingId)).size).toBe(30);
    expect(await acceptedWrites(local.control)).toBe(30);

    // The batch execution started its items as the budget had room (rounds of a few seconds each: no more rounds
    // than the items' calls need at 10 a second, with one to spare), then watched the items to the end.
    const execution = await waitForExecution(local.stack.apiUrl, batchId, 'SUCCEEDED');
    const path = statePath(execution);
    expect(path[0]).toBe(STATES.startNextSlice);
    const rounds = path.filter((s) => s === STATES.startNextSlice).length;
    expect(rounds).toBeLessThanOrEqual(Math.ceil(45 / 10 / (PACING.workMs / 1000)) + 1);
    expect(path.at(-1)).toBe(STATES.batchEnded);

    // The same key again: the same batch, nothing new.
    const again = await local.client.submit({ json: { items } }, 'batch-e2e-1');
    expect(again.status).toBe(200);
    expect((again.body as { batchId: string }).batchId).toBe(batchId);
    const other = await local.client.submit({ json: { items: items.slice(1) } }, 'batch-e2e-1');
    expect(other.status).toBe(422);
  });

  it('reads a CSV batch, and an item whose customer has an open onboarding joins it', async () => {
    await local.control.auto({});
    const [open] = await sampleItems(local.control, { links: 1, creates: 0 });
    const first = await startRecord(local.stack.apiUrl, 'onboarding', open);
    expect(first.status).toBe(202);
    const openId = String(first.body['onboardingId']);
    const customerId = String((open as { customerId: string }).customerId);
    const tag = Date.now().toString(36);
    const csv = [
      'customerId,companyName,companySize,industry,country,street1,city,firstName,lastName,email,managementType,accessType,services',
      `${customerId},,,,,,,,,,JointlyManaged,FullAccess,KnoxMobileEnrollment`,
      `,"Acme, ${tag} Ltd",20-99,COMMUNICATIONS,US,1 Main St,Chicago,Ada,Lee,ada@acme-${tag}.example,JointlyManaged,FullAccess,KnoxMobileEnrollment`,
    ].join('\r\n');
    const answer = await local.client.submit({ csv });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const batchId = (answer.body as { batchId: string }).batchId;
    const running = await local.client.follow(batchId, {
      intervalMs: 100,
      timeoutMs: 30_000,
      done: (b) => b.counts.SUCCEEDED >= 1 && b.status === 'RUNNING',
    });
    expect(running.total).toBe(2);
    const items = await local.client.items(batchId);
    expect(items[0]).toMatchObject({ item: 0, onboardingId: openId, status: 'WAITING' });
    expect(items[1]).toMatchObject({ item: 1, status: 'SUCCEEDED' });
    await local.control.approveLink(customerId);
    expect((await local.client.follow(batchId, { intervalMs: 100, timeoutMs: 30_000 })).counts.SUCCEEDED).toBe(2);
  });

  it('DELETE stops starting items and cancels the open ones', async () => {
    await local.control.auto({}); // links stay Pending: the items wait on their customers
    const items = await sampleItems(local.control, { links: BATCH_SLICE_ITEMS + 5, creates: 0 });
    const answer = await local.client.submit({ json: { items } });
    const batchId = (answer.body as { batchId: string }).batchId;
    // Items start as the Knox budget has room (a second of its rate at a time): some wait on their customers.
    await local.client.follow(batchId, { intervalMs: 50, timeoutMs: 30_000, done: (b) => b.counts.WAITING >= 3 });
    // Their executions are parked in the callback: the cancellation stops them (ABORTED). One still in its first step
    // may meet its CANCELLED record before the stop: it ends at "Onboarding cancelled", Knox not called.
    const parked = (await local.client.items(batchId)).filter((i) => i.status === 'WAITING');
    expect(parked.length).toBeGreaterThanOrEqual(3);
    const cancelled = await local.client.cancel(batchId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLING' });
    // The batch's own workflow carries the cancellation out, then ends.
    const done = await local.client.follow(batchId, { intervalMs: 50, timeoutMs: 30_000 });
    expect(done.status).toBe('CANCELLED');
    expect(done.counts.CANCELLED).toBe(BATCH_SLICE_ITEMS + 5);
    const listed = await local.client.items(batchId);
    expect(listed.every((i) => i.status === 'CANCELLED')).toBe(true);
    const run = await waitForExecution(local.stack.apiUrl, batchId, 'SUCCEEDED');
    expect(statePath(run)).toContain(STATES.cancelItems);
    const executionOf = (item: (typeof listed)[number]) =>
      getExecution(
        local.stack.apiUrl,
        `${(items[item.item] as { customerId: string }).customerId}-${item.onboardingId}`,
      );
    for (const item of parked) expect((await executionOf(item))?.status).toBe('ABORTED');
    // No item's execution FAILED (which the FAILED-executions alarm would count): each started one was stopped or
    // ended at its cancelled state.
    for (const item of listed.filter((i) => i.onboardingId !== undefined)) {
      const execution = await executionOf(item);
      if (execution?.status === 'SUCCEEDED') expect(statePath(execution).at(-1)).toBe(STATES.onboardingCancelled);
      else expect([undefined, 'ABORTED']).toContain(execution?.status);
    }
    // Harmless again: the same answer.
    const again = await local.client.cancel(batchId);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'CANCELLED' });
  });
});

describe('a restart of the local stack in the middle of a batch', () => {
  const restartable = useRestartableStack();

  it('resumes the batch: nothing started twice, nothing skipped', async () => {
    // 5 Knox calls a second: 35 creates take 7 s of the budget; the stack stops when 10 are started.
    const first = await restartable.start({ env: { [ENV.knoxRequestsPerSecond]: '5' } });
    const control = new KnoxSimControl(restartable.knox.url);
    const tag = Date.now().toString(36);
    const items = Array.from({ length: BATCH_SLICE_ITEMS + 10 }, (_, i) => createItem(`${tag}r${i}`));
    const client1 = new BatchClient(plainSend(first.apiUrl));
    const batchId = ((await client1.submit({ json: { items } })).body as { batchId: string }).batchId;
    const afterFirst = await client1.follow(batchId, {
      intervalMs: 20,
      timeoutMs: 30_000,
      done: (b) => b.started >= 10,
    });
    expect(afterFirst.status).toBe('STARTING');
    // Stopped in the middle of a round of "Start next slice" (the stop lets it finish; its answer is lost): the
    // next stack runs the step again, which starts what is left, each item once.

    const second = await restartable.restart();
    expect(second.recovery).toContainEqual(expect.objectContaining({ recordId: batchId, action: 'resumed' }));

    const client2 = new BatchClient(plainSend(second.apiUrl));
    const done = await client2.follow(batchId, { intervalMs: 100, timeoutMs: 60_000 });
    expect(done).toMatchObject({ status: 'DONE', started: items.length });
    expect(done.counts.SUCCEEDED).toBe(items.length);
    const listed = await client2.items(batchId);
    expect(new Set(listed.map((i) => i.onboardingId)).size).toBe(items.length);
    // One accepted create per item, and one onboarding execution per item.
    expect(await acceptedWrites(control)).toBe(items.length);
    const names = second.executions
      .list({ stateMachineArn: second.executions.machineOf('onboarding').arn })
      .map((e) => e.name);
    expect(names).toHaveLength(items.length);
    const batchRun = await waitForExecution(second.apiUrl, batchId, 'SUCCEEDED');
    expect([STATES.startNextSlice, STATES.waitForBudget]).toContain(
      batchRun.events.find((e) => e.type === 'ExecutionResumed')?.state,
    );
    // Two stacks and 35 creates paced at 5 Knox calls a second: room on a loaded CI machine.
  }, 180_000);
});
