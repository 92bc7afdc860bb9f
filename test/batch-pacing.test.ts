/**
 * A batch paced by the shared Knox budget (lambdas/batches/pacing.ts): the pure decision of each look at the budget,
 * then the starter on a real in-memory dynalite with Step Functions mocked: nothing starts while the budget's backlog
 * (its `due`) is long, items start a few at a time (the budget's current rate), a repeat after a stop between
 * starting items and counting them counts them once, and a DELETE that finds a slice half started closes the rest.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_SLICE_ITEMS } from '#domain/batch-schemas';
import { ENV } from '#domain/configuration';
import { KNOX_BUDGET_KEY, TABLE } from '#domain/table-layout';
import { handler } from '#lambdas/api';
import { handler as starter } from '#lambdas/batch-starter';
import { getBatch } from '#lambdas/batches/batch-store';
import { PACING, nextMove, ownScheduleAfter, type PacingState } from '#lambdas/batches/pacing';
import { startNextSlice } from '#lambdas/batches/starter';
import { batchConfig } from '#lambdas/commons/config';
import { db, tableName } from '#lambdas/store/table-client';
import { apiEvent, useApiHarness } from './support/api-harness';
import { linkRequest } from './support/handlers-support';

const harness = useApiHarness();

beforeAll(() => {
  process.env[ENV.batchStateMachineArn] = 'arn:aws:states:us-east-1:123456789012:stateMachine:Batch';
  process.env[ENV.knoxRequestsPerSecond] = '10';
});

const idle = (over: Partial<PacingState> = {}): PacingState => ({
  room: { backlogMs: 0, rate: 10 },
  ownMs: 0,
  elapsedMs: 0,
  lastStartMs: 0,
  ...over,
});

describe('one look at the budget', () => {
  it('starts a second of the rate when the backlog is within the lead, never more than a slice, at least one', () => {
    expect(nextMove(idle())).toEqual({ start: 10 });
    expect(nextMove(idle({ room: { backlogMs: PACING.leadMs, rate: 20 } }))).toEqual({ start: 20 });
    expect(nextMove(idle({ room: { backlogMs: 0, rate: 400 } }))).toEqual({ start: BATCH_SLICE_ITEMS });
    // After a 429 shrank the rate: fewer at a time.
    expect(nextMove(idle({ room: { backlogMs: 0, rate: 0.3 } }))).toEqual({ start: 1 });
    // The last start's own duration widens the lead: the next items' calls reach the budget that much later.
    expect(nextMove(idle({ room: { backlogMs: PACING.leadMs + 400, rate: 10 }, lastStartMs: 500 }))).toEqual({
      start: 10,
    });
  });

  it('sleeps a short backlog out inside the step, looking again every lookEveryMs', () => {
    expect(nextMove(idle({ room: { backlogMs: PACING.leadMs + 100, rate: 10 } }))).toEqual({ sleepMs: 100 });
    expect(nextMove(idle({ room: { backlogMs: PACING.leadMs + 3_000, rate: 10 } }))).toEqual({
      sleepMs: PACING.lookEveryMs,
    });
    // Its own items just started count as the budget's backlog until their calls can have reached it.
    expect(nextMove(idle({ ownMs: PACING.leadMs + 2_000 }))).toEqual({ sleepMs: PACING.lookEveryMs });
  });

  it('leaves a long backlog, or one past the work time, to the workflow’s Wait', () => {
    expect(nextMove(idle({ room: { backlogMs: PACING.leadMs + 29_000, rate: 10 } }))).toEqual({ waitSeconds: 29 });
    expect(
      nextMove(idle({ room: { backlogMs: PACING.leadMs + 2_000, rate: 10 }, elapsedMs: PACING.workMs - 1_000 })),
    ).toEqual({ waitSeconds: 2 });
  });

  it('keeps its own schedule as one call per item started, after what was left of it', () => {
    expect(ownScheduleAfter(0, 1_000, 10, 10)).toBe(2_000);
    expect(ownScheduleAfter(2_500, 2_000, 10, 20)).toBe(3_000);
  });
});

async function postBatch(n: number, from: number): Promise<string> {
  const items = Array.from({ length: n }, (_, i) => linkRequest(String(2200000000 + from + i)));
  const result = await handler(
    apiEvent('POST', '/onboarding-batches', {
      body: JSON.stringify({ items }),
      headers: { 'Content-Type': 'application/json' },
    }),
  );
  expect(result.statusCode).toBe(202);
  harness.sfn.resetHistory();
  return (JSON.parse(result.body) as { batchId: string }).batchId;
}

const itemStarts = () =>
  harness.sfn
    .commandCalls(StartExecutionCommand)
    .map((c) => c.args[0].input)
    .filter((i) => !i.stateMachineArn?.endsWith(':Batch'));

/** The shared budget's item as Knox calls would leave it. */
async function setBudget(item: Record<string, number>): Promise<void> {
  await db().send(new PutCommand({ TableName: tableName(), Item: { [TABLE.partitionKey]: KNOX_BUDGET_KEY, ...item } }));
}

const oneRound = { ...PACING, workMs: 0 };

describe('the starter paced by the budget', () => {
  it('starts nothing while the budget has a long backlog (callers asleep for a slot), and hands the wait to the workflow', async () => {
    const batchId = await postBatch(30, 0);
    const now = Date.now();
    // A few slots held (tat), and 30 s of calls announced by callers asleep for one (due).
    await setBudget({ tat: now + 300, due: now + 30_000 });
    const answer = await startNextSlice(batchId, batchConfig(), oneRound);
    expect(answer).toMatchObject({ status: 'STARTING', next: 'slice' });
    expect(answer.waitSeconds).toBeGreaterThanOrEqual(25);
    expect(answer.waitSeconds).toBeLessThanOrEqual(30 - PACING.leadMs / 1000);
    expect(itemStarts()).toEqual([]);
    expect(await getBatch(batchId)).toMatchObject({ started: 0, open: 0 });

    // The backlog has gone (its time passed): items start, a second of the rate at a time.
    await setBudget({ tat: now - 1_000, due: now - 1_000 });
    expect(await startNextSlice(batchId, batchConfig(), oneRound)).toMatchObject({
      status: 'STARTING',
      waitSeconds: 0,
    });
    expect(itemStarts().map((i) => i.name)).toHaveLength(10);
    expect(await getBatch(batchId)).toMatchObject({ started: 10, slicesStarted: 0, open: 10 });
  });

  it('starts fewer at a time once a 429 shrank the rate, and counts whole slices', async () => {
    const batchId = await postBatch(BATCH_SLICE_ITEMS + 3, 100);
    // Knox answered 429 a moment ago: the shared rate is 10 x 0.5 = 5/s for the hold time.
    await setBudget({ floorRate: 5, decreasedAt: Date.now() });
    await startNextSlice(batchId, batchConfig(), oneRound);
    expect(await getBatch(batchId)).toMatchObject({ started: 5, slicesStarted: 0 });
    await setBudget({});
    for (let round = 0; round < 2; round++) await startNextSlice(batchId, batchConfig(), oneRound);
    // 5 + 10 + 10 = 25: the first slice is started whole; the second not yet begun.
    expect(await getBatch(batchId)).toMatchObject({ started: BATCH_SLICE_ITEMS, slicesStarted: 1 });
    expect(await startNextSlice(batchId, batchConfig(), oneRound)).toMatchObject({ status: 'RUNNING' });
    expect(await getBatch(batchId)).toMatchObject({ started: BATCH_SLICE_ITEMS + 3, slicesStarted: 2 });
    expect(new Set(itemStarts().map((i) => i.name)).size).toBe(BATCH_SLICE_ITEMS + 3);
  });

  it('counts items once when a run stopped between starting them and counting them', async () => {
    const batchId = await postBatch(20, 200);
    await startNextSlice(batchId, batchConfig(), oneRound);
    expect(itemStarts()).toHaveLength(10);
    // The state a run leaves when it stops after marking its items started and before counting them.
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { [TABLE.partitionKey]: batchId },
        UpdateExpression: 'SET #started = :zero, #open = :zero',
        ExpressionAttributeNames: { '#started': 'started', '#open': 'open' },
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    );
    await startNextSlice(batchId, batchConfig(), oneRound);
    // Nothing started twice; counted once.
    expect(itemStarts()).toHaveLength(10);
    expect(await getBatch(batchId)).toMatchObject({ started: 10, open: 10 });
    await startNextSlice(batchId, batchConfig(), oneRound);
    expect(itemStarts()).toHaveLength(20);
    expect(await getBatch(batchId)).toMatchObject({ status: 'RUNNING', started: 20, open: 20 });
  });

  it('a DELETE that finds a slice half started cancels its started items and closes the rest', async () => {
    const batchId = await postBatch(BATCH_SLICE_ITEMS + 5, 300);
    await startNextSlice(batchId, batchConfig(), oneRound);
    const deleted = await handler(apiEvent('DELETE', `/onboarding-batches/${batchId}`, {}));
    expect(deleted.statusCode).toBe(202);
    // The workflow's next step sees CANCELLING: nothing more starts.
    expect(await starter({ batchId, action: 'start' })).toMatchObject({ status: 'CANCELLING', next: 'cancel' });
    expect(itemStarts()).toHaveLength(10);
    expect(await starter({ batchId, action: 'cancel' })).toMatchObject({ status: 'CANCELLED' });
    expect(harness.sfn.commandCalls(StopExecutionCommand)).toHaveLength(10);
    const batch = JSON.parse((await handler(apiEvent('GET', `/onboarding-batches/${batchId}`, {}))).body);
    expect(batch).toMatchObject({ status: 'CANCELLED', started: 10 });
    expect(batch.counts).toMatchObject({ CANCELLED: BATCH_SLICE_ITEMS + 5, REQUESTED: 0 });
  });
});
