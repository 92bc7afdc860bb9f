/**
 * A batch's history does not grow with its customers' patience, end to end on the local stack. The batch workflow
 * waits for its items on a callback; the end of its last open item wakes it (lambdas/batches/item-ended.ts):
 * - items that end one by one over days (TIME_SCALE compresses a day to a few seconds, so the callback's one-day
 *   backstop fires in between) add no round per item: only the backstop's daily rounds and one wake-up;
 * - at real time (no backstop within the test), the batch is DONE right after its last item ends, with no poll round;
 * - a lost wake-up (the count-down missed) is found by the poller's next round (its sweep): within one poll period.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ENV } from '#domain/configuration';
import { STATES } from '#domain/state-names';
import { TABLE } from '#domain/table-layout';
import { KnoxSimControl } from '#knox-sim/control';
import { BatchClient, plainSend, type BatchItem } from '#cli/batch-client';
import { waitingLinksBatch } from '#testkit/batch-samples';
import type { LocalStack } from '#local/stack/local-stack';
import type { ExecutionDetail } from '#local/stepfunctions/execution-path';
import { getExecution, getRecord, startTestStack, statePath } from '#testkit/test-stack';

const ITEMS = 8;

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** A stack with the poller still (rounds only when the test runs one), the budget no constraint. */
async function batchOfWaitingLinks(timeScale: number) {
  stack = await startTestStack({
    timeScale,
    pollerAutoStart: false,
    env: { [ENV.knoxRequestsPerSecond]: '100000' },
  });
  const s = stack;
  const control = new KnoxSimControl(s.knoxUrl);
  const client = new BatchClient(plainSend(s.apiUrl));
  // Links stay Pending until the test approves them.
  const { batchId, items } = await waitingLinksBatch(control, client, ITEMS);
  const execution = async (): Promise<ExecutionDetail> => (await getExecution(s.apiUrl, batchId))!;
  // Parked on the callback.
  while (statePath(await execution()).at(-1) !== STATES.waitForItems) await new Promise((r) => setTimeout(r, 20));
  const listed = await client.items(batchId);
  /** Ends item i as a customer does: approves the link, and one poll round hands the answer over. */
  const endItem = async (item: BatchItem): Promise<void> => {
    await control.approveLink(String(item.customerId ?? items[item.item]!['customerId']));
    await s.poller!.round();
    for (;;) {
      const record = await getRecord(s.apiUrl, 'onboarding', item.onboardingId);
      if (record.body.status === 'SUCCEEDED') return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { s, control, client, batchId, listed, execution, endItem };
}

function watchRounds(run: ExecutionDetail): { waits: number; timeouts: number; checks: number } {
  const path = run.path;
  return {
    waits: path.filter((p) => p.state === STATES.waitForItems).length,
    timeouts: path.filter((p) => p.state === STATES.waitForItems && p.errors.some((e) => e.error === 'States.Timeout'))
      .length,
    checks: path.filter((p) => p.state === STATES.checkItems).length,
  };
}

describe('the history of a batch whose customers take their time', () => {
  it('items ending one by one over compressed days add no round each: the backstop rounds and one wake-up', async () => {
    // 1 s here is 10,000 s there: the one-day backstop fires every 8.6 s while the customers answer.
    const { client, batchId, listed, execution, endItem } = await batchOfWaitingLinks(0.0001);
    const atRunning = (await execution()).events.length;
    for (const item of listed) {
      await endItem(item);
      // Most of a day passes between two customers' answers.
      await new Promise((r) => setTimeout(r, 3000));
    }
    const done = await client.follow(batchId, { intervalMs: 50, timeoutMs: 60_000 });
    expect(done).toMatchObject({ status: 'DONE' });
    expect(done.counts.SUCCEEDED).toBe(ITEMS);
    let run = await execution();
    while (run.status === 'RUNNING') run = await execution();
    expect(run.status).toBe('SUCCEEDED');

    const rounds = watchRounds(run);
    // Every round of the watch but one was the backstop's: 8 item ends woke the workflow once (the last), not 8 times.
    expect(rounds.checks).toBe(rounds.waits);
    expect(rounds.waits - rounds.timeouts).toBeLessThanOrEqual(1);
    expect(rounds.timeouts).toBeGreaterThan(0); // time did pass: the backstop fired
    // The history grew by the rounds alone: each is a handful of events (wait, check, choice), none per item.
    const perRound = (run.events.length - atRunning) / rounds.waits;
    expect(perRound).toBeLessThanOrEqual(16);
  }, 300_000);

  it('is DONE right after its last item ends, with no poll round and no backstop', async () => {
    const { s, client, batchId, listed, execution, endItem } = await batchOfWaitingLinks(1);
    for (const item of listed.slice(0, -1)) await endItem(item);
    expect((await client.get(batchId)).status).toBe('RUNNING');
    expect(statePath(await execution()).filter((st) => st === STATES.checkItems)).toHaveLength(0);

    // The last item: its end wakes the batch (the poll round that hands its answer over sweeps before it ends).
    await endItem(listed.at(-1)!);
    const rounds = s.poller!.rounds;
    const done = await client.follow(batchId, { intervalMs: 20, timeoutMs: 30_000 });
    expect(done.status).toBe('DONE');
    expect(s.poller!.rounds).toBe(rounds);
    const run = await execution();
    expect(watchRounds(run)).toMatchObject({ waits: 1, timeouts: 0 });
  }, 300_000);

  it('a lost wake-up is found by the next poll round (its sweep)', async () => {
    const { s, client, batchId, listed, endItem } = await batchOfWaitingLinks(1);
    // The count-down of one item is lost (a crash between its record's end and the batch's count).
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: `http://127.0.0.1:${s.ports.dynamo}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: s.model.table.name,
        Key: { [TABLE.partitionKey]: batchId },
        UpdateExpression: 'ADD #open :one',
        ExpressionAttributeNames: { '#open': 'open' },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    for (const item of listed) await endItem(item);
    // Every item ended, but the batch still counts one open: nobody woke it.
    expect((await client.items(batchId)).every((i) => i.status === 'SUCCEEDED')).toBe(true);
    expect((await client.get(batchId)).status).toBe('RUNNING');

    await s.poller!.round();
    const done = await client.follow(batchId, { intervalMs: 20, timeoutMs: 30_000 });
    expect(done.status).toBe('DONE');
    expect(done.counts.SUCCEEDED).toBe(ITEMS);
  }, 300_000);
});
