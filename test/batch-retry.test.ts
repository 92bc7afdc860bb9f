/**
 * POST /onboarding-batches/{id}/retries on a real in-memory dynalite with Step Functions mocked (the api harness): which
 * items a retry takes (FAILED, never started, a cancelled batch's CANCELLED items, ABORTED only when asked), in the
 * original's order with the very bodies, CSV lines and each item's original index for the report; the 409s (not
 * settled, nothing left), 404, 400, 415; idempotency (same key: same batch, 200; another include: 422; the key space
 * apart from the batch POST's), the `retries` link, a failed start started by the same request again, and two
 * concurrent retries with one key making exactly one batch. The items' ends are recorded by record-outcome.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_KIND, BATCH_SLICE_ITEMS, batchIdFor, retryBatchIdFor } from '#domain/batch-schemas';
import { ENV } from '#domain/configuration';
import { handler } from '#lambdas/api';
import { handler as starter } from '#lambdas/batch-starter';
import { handler as recordOutcome } from '#lambdas/record-outcome';
import { getBatch } from '#lambdas/batches/batch-store';
import { failBatch } from '#lambdas/batches/batch-transitions';
import { getSlices } from '#lambdas/batches/slices';
import { db } from '#lambdas/store/table-client';
import { startOneSlice } from './support/batch-rounds';
import { apiEvent, executionArnOf, useApiHarness } from './support/api-harness';
import { linkRequest } from './support/handlers-support';

const BATCH_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Batch';
const harness = useApiHarness();

beforeAll(() => {
  process.env[ENV.batchStateMachineArn] = BATCH_ARN;
  process.env[ENV.knoxRequestsPerSecond] = '10';
});

type Answer = { status: number; body: Record<string, any> };

async function call(
  method: string,
  path: string,
  options: { body?: string | null; headers?: Record<string, string>; query?: Record<string, string> } = {},
): Promise<Answer> {
  const result = await handler(apiEvent(method, path, options));
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, any> };
}

const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } });
const links = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => linkRequest(String(2200000000 + from + i)));

function retry(batchId: string, body?: unknown, key?: string): Promise<Answer> {
  const options: { body?: string; headers: Record<string, string> } = body === undefined ? { headers: {} } : json(body);
  if (key !== undefined) options.headers['Idempotency-Key'] = key;
  return call('POST', `/onboarding-batches/${batchId}/retries`, options);
}

async function submit(items: Record<string, unknown>[], maxFailedPercentage?: number): Promise<string> {
  const posted = await call(
    'POST',
    '/onboarding-batches',
    json({ items, ...(maxFailedPercentage !== undefined ? { maxFailedPercentage } : {}) }),
  );
  expect(posted.status).toBe(202);
  return String(posted.body['batchId']);
}

async function itemsOf(batchId: string): Promise<{ item: number; onboardingId: string; status: string }[]> {
  return (await call('GET', `/onboarding-batches/${batchId}/items`, { query: { limit: '100' } })).body.items;
}

type Outcome = 'FAILED' | 'ABORTED' | 'SUCCEEDED';
/** Ends the batch's items at `indexes` with `outcome`, as the onboarding workflow records them. */
async function end(batchId: string, indexes: number[], outcome: Outcome): Promise<void> {
  const listed = await itemsOf(batchId);
  for (const i of indexes) {
    await recordOutcome({
      id: listed[i]!.onboardingId,
      outcome,
      ...(outcome === 'SUCCEEDED'
        ? {}
        : { error: { Error: outcome === 'FAILED' ? 'Knox.Operator' : 'Knox.Abort', Cause: 'refused' } }),
    });
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * 60 links, maxFailedPercentage 10: slice 0 started and ended (0-4 FAILED, 5-9 ABORTED, the rest SUCCEEDED), then
 * the next "Start next slice" stops the batch: items 25-59 never start.
 */
async function stoppedBatch(): Promise<{ batchId: string; items: Record<string, unknown>[] }> {
  const items = links(60, 0);
  const batchId = await submit(items, 10);
  await startOneSlice(batchId);
  await end(batchId, range(0, 5), 'FAILED');
  await end(batchId, range(5, 10), 'ABORTED');
  await end(batchId, range(10, BATCH_SLICE_ITEMS), 'SUCCEEDED');
  expect(await startOneSlice(batchId)).toMatchObject({ status: 'STOPPED', next: 'end' });
  return { batchId, items };
}

async function reportOf(batchId: string) {
  const answer = await call('GET', `/onboarding-batches/${batchId}/report`);
  expect(answer.status).toBe(200);
  return answer.body as { retryOf?: string; items: { item: number; retryOfItem?: number; line?: number }[] };
}

/** The bodies a batch stored, in item order. */
async function storedItems(batchId: string): Promise<Record<string, unknown>[]> {
  const batch = await getBatch(batchId);
  return (await getSlices(batchId, batch!.slices)).flatMap((s) => s.items);
}

const batchStarts = () =>
  harness.sfn.commandCalls(StartExecutionCommand).filter((c) => c.args[0].input.stateMachineArn === BATCH_ARN);

describe('which items a retry takes', () => {
  it('a STOPPED batch: its FAILED items and those never started, in order, with the same bodies', async () => {
    const { batchId, items } = await stoppedBatch();
    const answer = await retry(batchId);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const retryId = String(answer.body['batchId']);
    expect(answer.body).toEqual({ batchId: retryId, status: 'STARTING', total: 40, retryOf: batchId });
    const origin = [...range(0, 5), ...range(25, 60)];
    expect(await storedItems(retryId)).toEqual(origin.map((i) => items[i]));
    expect((await reportOf(retryId)).items.map((i) => i.retryOfItem)).toEqual(origin);
    expect((await reportOf(retryId)).retryOf).toBe(batchId);
    // Each side names the other; the retry keeps the original's threshold; its execution is started.
    const original = (await call('GET', `/onboarding-batches/${batchId}`)).body;
    expect(original['retries']).toEqual([retryId]);
    const view = (await call('GET', `/onboarding-batches/${retryId}`)).body;
    expect(view).toMatchObject({ retryOf: batchId, maxFailedPercentage: 10, total: 40 });
    expect(batchStarts().map((c) => c.args[0].input.name)).toEqual([batchId, retryId]);
  });

  it('with include ABORTED its ABORTED items too; the original lists every retry', async () => {
    const { batchId, items } = await stoppedBatch();
    const first = await retry(batchId, {});
    const second = await retry(batchId, { include: ['ABORTED'] });
    expect([first.status, second.status]).toEqual([202, 202]);
    const origin = [...range(0, 10), ...range(25, 60)];
    expect(second.body['total']).toBe(origin.length);
    expect(await storedItems(String(second.body['batchId']))).toEqual(origin.map((i) => items[i]));
    expect((await getBatch(batchId))!.retries).toEqual([first.body['batchId'], second.body['batchId']]);
  });

  it('a CANCELLED batch: its items never started and those it cancelled, not the ones that ended first', async () => {
    const items = links(60, 100);
    const batchId = await submit(items);
    await startOneSlice(batchId);
    await end(batchId, [0], 'SUCCEEDED');
    await end(batchId, [1], 'FAILED');
    expect((await call('DELETE', `/onboarding-batches/${batchId}`)).status).toBe(202);
    expect(await starter({ batchId, action: 'cancel' })).toMatchObject({ status: 'CANCELLED' });
    const answer = await retry(batchId);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body['total']).toBe(59);
    expect(await storedItems(String(answer.body['batchId']))).toEqual(range(1, 60).map((i) => items[i]));
  });

  it('an item cancelled on its own in a batch that was not cancelled stays out', async () => {
    const batchId = await submit(links(3, 200));
    await startOneSlice(batchId);
    const listed = await itemsOf(batchId);
    expect((await call('DELETE', `/onboardings/${listed[0]!.onboardingId}`)).status).toBe(200);
    await end(batchId, [1], 'FAILED');
    await end(batchId, [2], 'SUCCEEDED');
    expect(await starter({ batchId, action: 'check' })).toMatchObject({ status: 'DONE' });
    const answer = await retry(batchId);
    expect(answer.body['total']).toBe(1);
    expect((await reportOf(String(answer.body['batchId']))).items.map((i) => i.retryOfItem)).toEqual([1]);
  });

  it('a CSV batch: the retry keeps the file lines, and its CSV report names each item in the original', async () => {
    const csv = [
      'customerId,managementType,accessType,services',
      '2200000301,JointlyManaged,FullAccess,KnoxMobileEnrollment',
      '',
      '2200000302,JointlyManaged,FullAccess,KnoxMobileEnrollment',
      '2200000303,JointlyManaged,FullAccess,KnoxMobileEnrollment',
    ].join('\n');
    const posted = await call('POST', '/onboarding-batches', { body: csv, headers: { 'Content-Type': 'text/csv' } });
    const batchId = String(posted.body['batchId']);
    await startOneSlice(batchId);
    await end(batchId, [0, 2], 'SUCCEEDED');
    await end(batchId, [1], 'FAILED');
    expect(await starter({ batchId, action: 'check' })).toMatchObject({ status: 'DONE' });
    const retryId = String((await retry(batchId)).body['batchId']);
    expect((await reportOf(retryId)).items).toEqual([expect.objectContaining({ item: 0, line: 4, retryOfItem: 1 })]);
    const text = await handler(
      apiEvent('GET', `/onboarding-batches/${retryId}/report`, { headers: { Accept: 'text/csv' } }),
    );
    const [header, row] = text.body.split('\r\n');
    expect(header).toBe('item,retryOf item,customer,onboarding id,status,Knox code,message,hint');
    expect(row).toMatch(/^4,1,,onb-[0-9a-f]{16},REQUESTED,,,$/);
  });
});

describe('what a retry refuses', () => {
  it('409 while the batch may still change: STARTING, STOPPED with items open, FAILED', async () => {
    const starting = await submit(links(2, 400));
    expect(await retry(starting)).toMatchObject({ status: 409, body: { status: 'STARTING' } });

    const items = links(30, 500);
    const open = await submit(items, 10);
    await startOneSlice(open);
    await end(open, range(0, 5), 'FAILED');
    expect(await startOneSlice(open)).toMatchObject({ status: 'STOPPED', next: 'items' });
    const stopped = await retry(open);
    expect(stopped.status).toBe(409);
    expect(stopped.body['message']).toMatch(/STOPPED with 20 items still open/);
    await end(open, range(5, BATCH_SLICE_ITEMS), 'SUCCEEDED');
    expect((await retry(open)).status).toBe(202);

    const failing = await submit(links(2, 600));
    expect(await failBatch((await getBatch(failing))!, 'the workflow failed')).toBe(true);
    const failed = await retry(failing);
    expect(failed).toMatchObject({ status: 409, body: { status: 'FAILED' } });
    expect(failed.body['message']).toMatch(/redrive/);
  });

  it('409 when nothing is left to retry, saying what there was (and that ABORTED ones need include)', async () => {
    const batchId = await submit(links(3, 700));
    await startOneSlice(batchId);
    await end(batchId, [0, 1], 'SUCCEEDED');
    await end(batchId, [2], 'ABORTED');
    expect(await starter({ batchId, action: 'check' })).toMatchObject({ status: 'DONE' });
    const nothing = await retry(batchId);
    expect(nothing.status).toBe(409);
    expect(nothing.body['message']).toMatch(
      /^Nothing to retry: .*\(2 SUCCEEDED, 1 ABORTED\).*"include": \["ABORTED"\]/,
    );
    expect((await retry(batchId, { include: ['ABORTED'] })).body).toMatchObject({ total: 1, retryOf: batchId });
  });

  it('404 for an unknown or malformed batch; 400 for unknown keys or values; 415 for a body that is not JSON', async () => {
    expect((await retry('bat-0000000000000000')).status).toBe(404);
    expect((await retry('nope')).status).toBe(404);
    const { batchId } = await stoppedBatch();
    const unknownKey = await retry(batchId, { include: ['ABORTED'], colour: 'red' });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body['issues']).toEqual([expect.objectContaining({ message: expect.stringMatching(/colour/) })]);
    const unknownValue = await retry(batchId, { include: ['FAILED'] });
    expect(unknownValue.status).toBe(400);
    expect(unknownValue.body['issues']).toEqual([expect.objectContaining({ path: 'include.0' })]);
    expect((await retry(batchId, { include: ['ABORTED', 'ABORTED'] })).status).toBe(400);
    expect((await retry(batchId, [])).status).toBe(400);
    const text = await call('POST', `/onboarding-batches/${batchId}/retries`, {
      body: '{"include":[]}',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const badKey = await retry(batchId, undefined, 'not a key!');
    expect(badKey).toMatchObject({ status: 400, body: { issues: [{ path: 'Idempotency-Key' }] } });
    // Nothing of these made a batch; an empty body is {}.
    expect((await getBatch(batchId))!.retries).toBeUndefined();
    const empty = await call('POST', `/onboarding-batches/${batchId}/retries`, { body: '' });
    expect(empty).toMatchObject({ status: 202, body: { total: 40 } });
  });
});

describe('idempotency', () => {
  it('the same key answers the same batch (200); another include 422; the key is apart from batch keys', async () => {
    const { batchId } = await stoppedBatch();
    const first = await retry(batchId, {}, 'retry-1');
    const again = await retry(batchId, undefined, 'retry-1');
    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body).toEqual(first.body);
    expect(first.body['batchId']).toBe(retryBatchIdFor(batchId, 'retry-1'));
    expect(first.body['batchId']).not.toBe(batchIdFor('retry-1'));
    const other = await retry(batchId, { include: ['ABORTED'] }, 'retry-1');
    expect(other.status).toBe(422);
    expect((await getBatch(batchId))!.retries).toEqual([first.body['batchId']]);
    expect(batchStarts()).toHaveLength(2); // the original's and the retry's, once
  });

  it('a retry whose execution could not be started is started by the same request again', async () => {
    const { batchId } = await stoppedBatch();
    let calls = 0;
    harness.sfn
      .on(StartExecutionCommand, { stateMachineArn: BATCH_ARN })
      .callsFake((input: { stateMachineArn: string; name: string }) => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' });
        return { executionArn: executionArnOf(input.stateMachineArn, input.name), startDate: new Date() };
      });
    const refused = await retry(batchId, undefined, 'flaky');
    expect(refused.status).toBe(503);
    const retryId = String(refused.body['batchId']);
    expect((await getBatch(retryId))!.executionArn).toBeUndefined();
    const again = await retry(batchId, undefined, 'flaky');
    expect(again).toMatchObject({ status: 200, body: { batchId: retryId, retryOf: batchId } });
    expect((await getBatch(retryId))!.executionArn).toMatch(new RegExp(`:${retryId}$`));
    expect((await getBatch(batchId))!.retries).toEqual([retryId]);
  });

  it('two retries sent at the same time with one key make exactly one batch', async () => {
    const { batchId } = await stoppedBatch();
    const retryId = retryBatchIdFor(batchId, 'twice');
    // Forced: neither request goes on past its look-up of the retry's id until both have found it absent, so both go
    // on to write it, and the conditional write lets one of them win.
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothLooked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const barrier = (next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
      const result = await next(args);
      if (context.commandName === 'GetItemCommand' && JSON.stringify(args.input).includes(retryId)) {
        arrived += 1;
        if (arrived === 2) release();
        if (arrived <= 2) await bothLooked;
      }
      return result;
    };
    db().middlewareStack.add(barrier, { step: 'initialize', name: 'retryRaceBarrier' });
    let answers: Answer[];
    try {
      answers = await Promise.all([retry(batchId, {}, 'twice'), retry(batchId, {}, 'twice')]);
    } finally {
      db().middlewareStack.remove('retryRaceBarrier');
    }
    expect(arrived).toBeGreaterThanOrEqual(2);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
    expect(answers.map((a) => a.body['batchId'])).toEqual([retryId, retryId]);
    const batches = (await harness.dynamo.items(harness.table)).filter(
      (i) => i['kind'] === BATCH_KIND && i['retryOf'] === batchId,
    );
    expect(batches).toHaveLength(1);
    expect((await getBatch(batchId))!.retries).toEqual([retryId]);
  });
});
