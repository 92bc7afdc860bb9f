/**
 * The shared Knox budget in DynamoDB, against dynalite over the wire: the store's conditional writes, the race of two
 * instances writing the item at once (forced with a gate, not found by chance), and the steps' wiring of the budget
 * into the records table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoBudgetStore,
  SharedBudget,
  backlogMs,
  budgetSettings,
  type BudgetItem,
  type BudgetStore,
} from '#budget/index';
import { ENV } from '#domain/configuration';
import { KNOX_BUDGET_KEY, TABLE } from '#domain/table-layout';
import { knoxBudget } from '#lambdas/steps/knox';
import { logger } from '#lambdas/commons/powertools';
import { resetStoreClient } from '#lambdas/store/index';
import { setAwsTestEnvironment, startLocalDynamo, type LocalDynamo } from './support/handlers-support';

let dynamo: LocalDynamo;
let documents: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  dynamo = await startLocalDynamo();
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );
});

afterAll(async () => {
  documents.destroy();
  await dynamo.stop();
});

beforeEach(async () => {
  tableName = await dynamo.newTable();
});

function store(): DynamoBudgetStore {
  return new DynamoBudgetStore({ client: documents, tableName, key: { [TABLE.partitionKey]: KNOX_BUDGET_KEY } });
}

/** A clock that stands still: every claim in a test happens at the same instant, so `tat` is exact. */
const NOW = 1_700_000_000_000;
const stillClock = { now: () => NOW, sleep: async () => undefined };

describe('DynamoBudgetStore', () => {
  it('starts the schedule when idle, advances it while busy within maxTat, and refuses beyond', async () => {
    const s = store();
    expect(await s.read()).toBeUndefined();
    expect(await s.restart(100, NOW, 100)).toEqual({ tat: NOW + 100, due: 100 });
    // Busy now: a restart at the same instant loses, an advance wins.
    expect(await s.restart(100, NOW, 100)).toBeUndefined();
    expect(await s.advance(100, NOW, NOW + 500, 100)).toEqual({ tat: NOW + 200, due: 200 });
    expect(await s.advance(100, NOW, NOW + 150, 100)).toBeUndefined();
    expect(await s.read()).toEqual({ tat: NOW + 200, due: 200 });
    // Idle again later: the schedule restarts from the new now.
    expect(await s.restart(100, NOW + 1_000, 100)).toEqual({ tat: NOW + 1_100, due: 300 });
  });

  it('knows its backlog: callers asleep for a full schedule announce their calls once, and the backlog drains', async () => {
    const s = store();
    await s.restart(400, NOW, 400);
    // A `due` left from long ago counts for nothing: the backlog is the schedule's.
    expect(backlogMs(await s.read(), NOW)).toBe(400);
    // Two callers find the schedule full and announce 300 ms and 200 ms of calls: due = max(due, tat) + cost.
    expect(await s.announce(300)).toEqual({ tat: NOW + 400, due: NOW + 700 });
    expect(await s.announce(200)).toEqual({ tat: NOW + 400, due: NOW + 900 });
    expect(backlogMs(await s.read(), NOW)).toBe(900);
    // The first of them claims its slot later without counting itself again (dueMs 0); a new caller adds its own.
    await s.advance(300, NOW + 200, NOW + 800, 0);
    expect(backlogMs(await s.read(), NOW + 200)).toBe(700);
    await s.advance(100, NOW + 200, NOW + 1_000, 100);
    expect(await s.read()).toEqual({ tat: NOW + 800, due: NOW + 1_000 });
    // Nobody comes back: the backlog drains with time, nothing is left behind.
    expect(backlogMs(await s.read(), NOW + 1_000)).toBe(0);
  });

  it('records a decrease once per cooldown and answers it with every write', async () => {
    const s = store();
    await s.restart(100, NOW, 0);
    expect(await s.decrease(7, NOW, 1_000)).toEqual({ tat: NOW + 100, due: 0, floorRate: 7, decreasedAt: NOW });
    expect(await s.decrease(4.9, NOW + 999, 1_000)).toBeUndefined();
    expect(await s.advance(100, NOW, NOW + 500, 0)).toEqual({
      tat: NOW + 200,
      due: 0,
      floorRate: 7,
      decreasedAt: NOW,
    });
    expect(await s.decrease(4.9, NOW + 1_000, 1_000)).toMatchObject({ floorRate: 4.9, decreasedAt: NOW + 1_000 });
  });
});

/** The store with every call written down, and restarts held at a gate until the test opens it. */
class GatedStore implements BudgetStore {
  readonly calls: string[] = [];
  private gate: Promise<void> | undefined;
  private arrivedResolve: (() => void) | undefined;
  readonly arrived: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly inner: BudgetStore,
    gate: Promise<void>,
  ) {
    this.gate = gate;
    this.arrived = new Promise((resolve) => (this.arrivedResolve = resolve));
  }

  private async log<T extends BudgetItem | undefined>(op: string, result: Promise<T>): Promise<T> {
    const value = await result;
    this.calls.push(`${this.name} ${op} ${value === undefined ? 'refused' : 'ok'}`);
    return value;
  }

  read() {
    return this.log('read', this.inner.read());
  }

  advance(costMs: number, now: number, maxTat: number, dueMs: number) {
    return this.log('advance', this.inner.advance(costMs, now, maxTat, dueMs));
  }

  announce(costMs: number) {
    return this.log('announce', this.inner.announce(costMs));
  }

  async restart(costMs: number, now: number, dueMs: number) {
    const gate = this.gate;
    this.gate = undefined;
    if (gate) {
      this.arrivedResolve?.();
      await gate;
    }
    return this.log('restart', this.inner.restart(costMs, now, dueMs));
  }

  decrease(floorRate: number, now: number, cooldownMs: number) {
    return this.log('decrease', this.inner.decrease(floorRate, now, cooldownMs));
  }
}

describe('two instances writing the budget at once', () => {
  it('the one whose conditional write fails re-reads the item and takes the next slot: both go, none twice', async () => {
    const settings = budgetSettings(10);
    let openA!: () => void;
    let openB!: () => void;
    const a = new GatedStore('A', store(), new Promise((resolve) => (openA = resolve)));
    const b = new GatedStore('B', store(), new Promise((resolve) => (openB = resolve)));
    const budgetA = new SharedBudget({ store: a, settings, clock: stillClock });
    const budgetB = new SharedBudget({ store: b, settings, clock: stillClock });

    // Both see an idle budget and decide to restart the schedule; neither has written yet.
    const takeA = budgetA.take();
    const takeB = budgetB.take();
    await Promise.all([a.arrived, b.arrived]);
    // A writes first and wins; then B writes the same restart, which its condition refuses.
    openA();
    await takeA;
    openB();
    await takeB;

    expect([...a.calls, ...b.calls]).toEqual(['A restart ok', 'B restart refused', 'B read ok', 'B advance ok']);
    // Two slots of 100 ms each at 10/s, one after the other: A's restart and B's advance, not two restarts.
    // Each counted once in the backlog too (`due` grows by 100 ms a claim).
    expect(await store().read()).toEqual({ tat: NOW + 200, due: 200 });
  });
});

describe('the steps’ budget', () => {
  it('lives in the records table under KNOX_BUDGET_KEY, outside the index that lists records', async () => {
    setAwsTestEnvironment(dynamo.endpoint);
    process.env[ENV.tableName] = tableName;
    resetStoreClient();
    const budget = knoxBudget(50);
    expect(await budget.take()).toBeGreaterThanOrEqual(0);
    const items = await dynamo.items(tableName);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ [TABLE.partitionKey]: KNOX_BUDGET_KEY, tat: expect.any(Number) });
    expect(items[0]).not.toHaveProperty(TABLE.byStatusPartitionKey);
  });
});
