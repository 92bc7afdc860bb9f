/**
 * Measurement 5: the Knox budget shared by every Lambda (lib/budget). Several independent client instances, each with
 * its own DynamoDB client and budget object (as separate Lambda containers have), one call at a time each, draw from
 * one budget item in one dynalite and call the Knox simulator, whose own rate limit (POST /_sim/rate-limit) plays
 * Knox's. The floor of each figure is Knox's limit: the calls it would answer.
 *
 *   at the budget:  Knox limits at the configured budget; 1,000 calls: no 429, and >= 90% of the budget used
 *   AIMD:           Knox limits at 60% of the configured budget; after the first 10 s, 429s <= 2% of the calls and
 *                   >= 80% of Knox's real limit used
 *   latency:        one instance, sequential calls, budget far from binding: the shared budget (one conditional
 *                   write per call) against the in-process token bucket: what the budget adds to a Knox call
 *
 * A call the budget refuses (KNOX_BUDGET_EXHAUSTED) never reaches Knox; the worker then pauses like the state
 * machine's first retry would (2 s). A 429 makes the worker sleep its Retry-After, as the step runner does.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoBudgetStore, SharedBudget, budgetSettings, type BudgetEvent } from '#budget/index';
import { KnoxError } from '#domain/knox-answer';
import { KNOX_BUDGET_KEY, TABLE } from '#domain/table-layout';
import { createKnoxClient } from '#knox/client';
import type { RateLimiter } from '#knox/rate-limiter';
import { TokenBucket } from '#knox/rate-limiter';
import { KnoxSimControl } from '#knox-sim/control';
import { FIXTURES, SIM_DEFAULT_CREDENTIALS, startKnoxSimulator, type RunningKnoxSimulator } from '#knox-sim/server';
import { localDynamoClient, startDynamo, type RunningDynamo } from '#local/dynamodb/dynamodb';
import { tempDataDir } from '#testkit/test-stack';
import { figure, type Figure } from '../kit/figures';
import { median, round } from '../kit/stats';

export const BUDGET_TARGETS = {
  usedAtBudget: 0.9,
  aimdThrottledShare: 0.02,
  aimdUsedOfLimit: 0.8,
  aimdWarmupSeconds: 10,
} as const;
const EXHAUSTED_PAUSE_MS = 2_000;
const LATENCY_CALLS = 300;
const WARMUP_SECONDS = 5;

interface Call {
  at: number;
  outcome: 'ok' | 'throttled' | 'exhausted' | 'error';
}

export interface BudgetRun {
  instances: number;
  budget: number;
  knoxLimit: number;
  seconds: number;
  calls: Call[];
  claims: number;
  decreases: number;
}

export interface BudgetMeasurement {
  atBudget: BudgetRun;
  aimd: BudgetRun;
  latency: { sharedMs: number; localMs: number; addedMs: number; writesPerCall: number };
  figures: Figure[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A new table, once ACTIVE (dynalite answers CreateTable with CREATING, and ResourceNotFound until it is ACTIVE). */
async function freshTable(dynamo: RunningDynamo, name: string): Promise<string> {
  await dynamo.client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }],
    }),
  );
  for (let i = 0; i < 500; i += 1) {
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return name;
    await sleep(10);
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

/** One instance: its own DynamoDB client, budget object and Knox client. */
function instance(
  dynamo: RunningDynamo,
  tableName: string,
  budget: number,
  sim: RunningKnoxSimulator,
  onEvent: (e: BudgetEvent) => void,
) {
  const documents = DynamoDBDocumentClient.from(localDynamoClient(dynamo.endpoint));
  const limiter = new SharedBudget({
    store: new DynamoBudgetStore({ client: documents, tableName, key: { [TABLE.partitionKey]: KNOX_BUDGET_KEY } }),
    settings: budgetSettings(budget),
    onEvent,
  });
  const knox = createKnoxClient({
    baseUrl: sim.url,
    credentials: async () => ({ ...SIM_DEFAULT_CREDENTIALS }),
    limiter,
  });
  return { knox, limiter, close: () => documents.destroy() };
}

/** `instances` workers, one call at a time each, until `stop(calls)` says so. */
async function drive(options: {
  dynamo: RunningDynamo;
  sim: RunningKnoxSimulator;
  tableName: string;
  instances: number;
  budget: number;
  knoxLimit: number;
  stop: (calls: Call[], elapsedMs: number) => boolean;
}): Promise<BudgetRun> {
  const control = new KnoxSimControl(options.sim.url);
  await control.reset();
  await control.rateLimit({ requestsPerSecond: options.knoxLimit });
  let claims = 0;
  let decreases = 0;
  const onEvent = (e: BudgetEvent) => {
    if (e.type === 'claim') claims += e.attempts;
    if (e.type === 'decrease') decreases += 1;
  };
  const clients = Array.from({ length: options.instances }, () =>
    instance(options.dynamo, options.tableName, options.budget, options.sim, onEvent),
  );
  // Tokens first (not counted by Knox's limit, but drawn from the budget): the timed part is the MSP calls.
  await Promise.all(clients.map((c) => c.knox.listCustomers({ pageSize: 1 }).catch(() => undefined)));
  await sleep(1_000);
  await control.rateLimit({ requestsPerSecond: options.knoxLimit });
  const calls: Call[] = [];
  const started = performance.now();
  const worker = async (c: (typeof clients)[number]) => {
    while (!options.stop(calls, performance.now() - started)) {
      const at = performance.now() - started;
      try {
        await c.knox.getCustomer(FIXTURES.ownedActive);
        calls.push({ at, outcome: 'ok' });
      } catch (error) {
        const code = error instanceof KnoxError ? error.code : 'other';
        if (code === 'TOO_MANY_REQUESTS') {
          calls.push({ at, outcome: 'throttled' });
          await sleep(((error as KnoxError).retryAfterSeconds ?? 1) * 1000);
        } else if (code === 'KNOX_BUDGET_EXHAUSTED') {
          calls.push({ at, outcome: 'exhausted' });
          await sleep(EXHAUSTED_PAUSE_MS);
        } else {
          calls.push({ at, outcome: 'error' });
        }
      }
    }
  };
  await Promise.all(clients.map(worker));
  const seconds = (performance.now() - started) / 1000;
  for (const c of clients) c.close();
  return {
    instances: options.instances,
    budget: options.budget,
    knoxLimit: options.knoxLimit,
    seconds,
    calls,
    claims,
    decreases,
  };
}

/** Mean latency of sequential Knox calls through `limiter` (the first calls, token included, are left out). */
async function meanLatency(sim: RunningKnoxSimulator, limiter: RateLimiter): Promise<number> {
  const knox = createKnoxClient({
    baseUrl: sim.url,
    credentials: async () => ({ ...SIM_DEFAULT_CREDENTIALS }),
    limiter,
  });
  for (let i = 0; i < 20; i += 1) await knox.getCustomer(FIXTURES.ownedActive);
  const times: number[] = [];
  for (let i = 0; i < LATENCY_CALLS; i += 1) {
    const t = performance.now();
    await knox.getCustomer(FIXTURES.ownedActive);
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function measureBudget(options: {
  budget: number;
  instances: number;
  calls: number;
  aimdSeconds: number;
  log: (line: string) => void;
}): Promise<BudgetMeasurement> {
  const { budget, instances, log } = options;
  const dataDir = tempDataDir('knox-bench-budget-');
  const dynamo = await startDynamo({ dataDir });
  const sim = await startKnoxSimulator({ port: 0 });
  // One run: the instances against a Knox that limits at `knoxLimit`, on a budget table of its own, until `stop`.
  const run = async (knoxLimit: number, table: string, stop: (calls: Call[], elapsedMs: number) => boolean) =>
    drive({ dynamo, sim, instances, budget, knoxLimit, tableName: await freshTable(dynamo, table), stop });
  const forSeconds = (seconds: number) => (_calls: Call[], elapsedMs: number) => elapsedMs >= seconds * 1000;
  try {
    // A first run warms the JIT of the SDK, the client and dynalite (its first seconds ran at half the budget on
    // cold code); what the figures measure is the budget's steady state.
    log(`budget: warm-up, ${instances} instances for ${WARMUP_SECONDS} s`);
    await run(budget * 10, 'budget-warmup', forSeconds(WARMUP_SECONDS));
    log(`budget: ${instances} instances, budget ${budget}/s, Knox limiting at ${budget}/s, ${options.calls} calls`);
    const atBudget = await run(
      budget,
      'budget-at-limit',
      (calls) => calls.filter((c) => c.outcome !== 'exhausted').length >= options.calls,
    );
    const limit = round(budget * 0.6, 2);
    log(`budget: ${instances} instances, budget ${budget}/s, Knox limiting at ${limit}/s, ${options.aimdSeconds} s`);
    const aimd = await run(limit, 'budget-aimd', forSeconds(options.aimdSeconds));
    log('budget: added latency per Knox call (shared budget against the in-process bucket)');
    await new KnoxSimControl(sim.url).reset();
    let writes = 0;
    const shared = new SharedBudget({
      store: new DynamoBudgetStore({
        client: DynamoDBDocumentClient.from(localDynamoClient(dynamo.endpoint)),
        tableName: await freshTable(dynamo, 'budget-latency'),
        key: { [TABLE.partitionKey]: KNOX_BUDGET_KEY },
      }),
      settings: budgetSettings(1_000_000),
      onEvent: (e) => {
        if (e.type === 'claim') writes += e.attempts;
      },
    });
    const sharedMs = await meanLatency(sim, shared);
    const localMs = await meanLatency(sim, new TokenBucket(1_000_000));
    const latency = {
      sharedMs: round(sharedMs, 2),
      localMs: round(localMs, 2),
      addedMs: round(sharedMs - localMs, 2),
      writesPerCall: round(writes / (LATENCY_CALLS + 20), 2),
    };
    return { atBudget, aimd, latency, figures: budgetFigures(atBudget, aimd, latency) };
  } finally {
    await sim.stop();
    await dynamo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function count(calls: Call[], outcome: Call['outcome']): number {
  return calls.filter((c) => c.outcome === outcome).length;
}

function budgetFigures(atBudget: BudgetRun, aimd: BudgetRun, latency: BudgetMeasurement['latency']): Figure[] {
  const T = BUDGET_TARGETS;
  const sent = (calls: Call[]) => calls.filter((c) => c.outcome === 'ok' || c.outcome === 'throttled').length;
  const what = (run: BudgetRun) => `${run.instances} instances, budget ${run.budget}/s, Knox limit ${run.knoxLimit}/s`;
  const okAt = count(atBudget.calls, 'ok');
  const late = aimd.calls.filter((c) => c.at >= T.aimdWarmupSeconds * 1000);
  const lateSeconds = aimd.seconds - T.aimdWarmupSeconds;
  const lateThrottled = count(late, 'throttled');
  const atLimit = 'shared budget, Knox limiting at the budget';
  const atSixty = 'AIMD, Knox limit at 60% of the budget';
  return [
    figure(
      'budget',
      `${atLimit}: 429s in ${sent(atBudget.calls)} calls`,
      count(atBudget.calls, 'throttled'),
      '',
      { max: 0 },
      `${what(atBudget)}; ${count(atBudget.calls, 'exhausted')} refused by the budget (KNOX_BUDGET_EXHAUSTED), ` +
        `${atBudget.decreases} decreases`,
    ),
    figure(
      'budget',
      `${atLimit}: budget used (answered calls/s / budget)`,
      round(okAt / (atBudget.seconds * atBudget.budget), 3),
      '×',
      { min: T.usedAtBudget },
      `${okAt} answered in ${round(atBudget.seconds, 1)} s; ${atBudget.claims} budget writes (failed ones included)`,
    ),
    figure(
      'budget',
      `${atSixty}: 429s / calls after the first ${T.aimdWarmupSeconds} s`,
      round(lateThrottled / Math.max(1, sent(late)), 4),
      '×',
      { max: T.aimdThrottledShare },
      `${what(aimd)}; ${lateThrottled} of ${sent(late)} calls; ${aimd.decreases} decreases in ${round(aimd.seconds, 1)} s`,
    ),
    figure(
      'budget',
      `${atSixty}: Knox's limit used after the first ${T.aimdWarmupSeconds} s`,
      round(count(late, 'ok') / (lateSeconds * aimd.knoxLimit), 3),
      '×',
      { min: T.aimdUsedOfLimit },
      `${count(late, 'ok')} answered in ${round(lateSeconds, 1)} s against ${aimd.knoxLimit}/s; ` +
        `429s in the first ${T.aimdWarmupSeconds} s: ${count(aimd.calls, 'throttled') - lateThrottled}`,
    ),
    figure(
      'budget',
      'shared budget: added latency per Knox call (median, local dynalite)',
      latency.addedMs,
      'ms',
      undefined,
      `median ${latency.sharedMs} ms with the DynamoDB budget, ${latency.localMs} ms with the in-process bucket; ` +
        `${latency.writesPerCall} budget writes per call`,
    ),
  ];
}
