/**
 * One poll round at a time without reserved concurrency (lambdas/store/round-lease.ts), against dynalite: the real
 * poller handler twice at once, the first held inside its Knox call by a gate the test opens, so the overlap is
 * forced, never left to timing. The second round exits at once without a Knox call; once the first ends, the next
 * round runs. A lease whose holder died ends on its own at its time.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KnoxError } from '#domain/knox-answer';
import { kindStatusOf } from '#domain/record';
import { POLLER_STATE_KEY, TABLE } from '#domain/table-layout';
import { db, resetStoreClient } from '#lambdas/store/table-client';
import { ROUND_LEASE_FIELDS, acquireRoundLease, releaseRoundLease } from '#lambdas/store/round-lease';
import { setAwsTestEnvironment, startLocalDynamo, type LocalDynamo } from './support/handlers-support';

/** The Knox client the poller gets: every read waits for the gate, and is counted. */
const knox = vi.hoisted(() => {
  const state = {
    calls: 0,
    gate: Promise.resolve(),
    open: (): void => undefined,
    called: Promise.resolve(),
    markCalled: (): void => undefined,
    arm() {
      state.gate = new Promise<void>((resolve) => {
        state.open = resolve;
      });
      state.called = new Promise<void>((resolve) => {
        state.markCalled = resolve;
      });
    },
  };
  return state;
});

vi.mock('../lambdas/steps/knox', () => {
  const read = async (): Promise<never> => {
    knox.calls += 1;
    knox.markCalled();
    await knox.gate;
    throw KnoxError.of('FAILURE', { message: 'Knox is down (test)' });
  };
  return { knoxClient: () => ({ getCustomer: read, listCustomers: read }) };
});

const { handler } = await import('#lambdas/poller');

let dynamo: LocalDynamo;
let table: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  setAwsTestEnvironment(dynamo.endpoint);
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  table = await dynamo.newTable();
  resetStoreClient();
  knox.calls = 0;
  knox.arm();
  const now = new Date().toISOString();
  // One onboarding waiting on its customer, so that a round asks Knox.
  await db().send(
    new PutCommand({
      TableName: table,
      Item: {
        [TABLE.partitionKey]: 'onb-00000000000000a1',
        kind: 'onboarding',
        status: 'WAITING',
        customerId: '1000000001',
        customerKey: 'customer#1000000001',
        request: {},
        path: 'link',
        attempts: {},
        pollCount: 0,
        executionName: 'onb-00000000000000a1',
        deadline: new Date(Date.now() + 86_400_000).toISOString(),
        taskToken: 'token-1',
        waitingSince: now,
        createdAt: now,
        updatedAt: now,
        version: 1,
        history: [],
        [TABLE.byStatusPartitionKey]: kindStatusOf('onboarding', 'WAITING'),
      },
    }),
  );
});

const lambdaContext = { getRemainingTimeInMillis: () => 60_000 };

describe('one poll round at a time', () => {
  it('a round that starts while another runs exits at once without calling Knox; the next one runs', async () => {
    const first = handler({}, lambdaContext);
    await knox.called; // the first round holds the lease and is inside its Knox call
    const second = await handler({}, lambdaContext);
    expect(second).toEqual({ skipped: true, reason: 'another round holds the round lease' });
    expect(knox.calls).toBe(1);

    knox.open();
    const firstSummary = await first;
    expect(firstSummary).not.toHaveProperty('skipped');
    expect(firstSummary).toMatchObject({ waiting: 1, unfinished: 1, complete: false });
    const items = await dynamo.items(table);
    const state = items.find((i) => i[TABLE.partitionKey] === POLLER_STATE_KEY);
    expect(state?.[ROUND_LEASE_FIELDS.until]).toBeUndefined(); // given back

    const third = await handler({}, lambdaContext);
    expect(third).toMatchObject({ waiting: 1, unfinished: 1 });
    expect(knox.calls).toBe(2);
  });

  it('a lease whose round died ends at its time: refused before, taken after, and the late holder cannot free the new one', async () => {
    const t0 = 1_900_000_000_000;
    const dead = await acquireRoundLease(t0, t0 + 60_000);
    expect(dead).toBeDefined();
    expect(await acquireRoundLease(t0 + 59_999, t0 + 120_000)).toBeUndefined();
    const next = await acquireRoundLease(t0 + 60_000, t0 + 120_000);
    expect(next).toBeDefined();
    await releaseRoundLease(dead!); // the old holder wakes up late: the new lease stays
    expect(await acquireRoundLease(t0 + 60_001, t0 + 180_000)).toBeUndefined();
    await releaseRoundLease(next!);
    expect(await acquireRoundLease(t0 + 60_002, t0 + 180_000)).toBeDefined();
  });
});
