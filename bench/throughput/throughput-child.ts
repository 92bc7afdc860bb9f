/**
 * One throughput run, in a process of its own (its memory is the run's): `stack` pushes create onboardings through
 * the local stack's HTTP API (from a worker thread: the client is not the stack) and times each to the end of its
 * execution; `floor` makes the same Knox calls (a token, then one create per customer) with a bare loop over the Knox
 * client against a fresh simulator. Both at the same concurrency against a zero-latency simulator, with the same
 * client rate limit (lifted: see local-stack.ts). CPU figures are the whole process's, the worker thread included.
 *
 *   node --import tsx bench/throughput/throughput-child.ts <stack|floor> <result.json> <count> <concurrency>
 */
import '#local/stepfunctions/polyfills';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { onboardingRequestSchema } from '#domain/api-schemas';
import { KIND_PATHS } from '#domain/routes';
import { createKnoxClient } from '#knox/client';
import { KnoxSimControl } from '#knox-sim/control';
import { SIM_DEFAULT_CREDENTIALS, startKnoxSimulator } from '#knox-sim/server';
import { newCustomerBody } from '#lambdas/steps/requests';
import { localExecutionArn } from '#local/template/template';
import { getRecord } from '#testkit/test-stack';
import { countCalls, type KnoxCallCount } from '../kit/knox-log';
import { runLoad, type LoadResult } from '../kit/load';
import { LIFTED_KNOX_RATE, startBenchStack } from '../kit/bench-stack';
import { createBody } from '../transitions/transition-scenarios';

export interface ThroughputRun {
  mode: 'stack' | 'floor';
  load: LoadResult;
  knox: KnoxCallCount;
  /** stack: DynamoDB requests made during the load, by command (what each onboarding costs the table). */
  dynamoCalls?: Record<string, number>;
  /** stack: final record statuses and execution statuses, checked after the timed part. */
  recordStatuses?: Record<string, number>;
  executionStatuses?: Record<string, number>;
}

/** Counts every DynamoDB command any client in this process sends (the handlers' document clients included). */
function countDynamoCalls(): { counts: Record<string, number>; on: (v: boolean) => void } {
  const counts: Record<string, number> = {};
  let counting = false;
  // The document client sends its commands through its own send(), not the wrapped client's: count both.
  for (const client of [DynamoDBClient, DynamoDBDocumentClient] as {
    prototype: { send: (...args: unknown[]) => unknown };
  }[]) {
    const original = client.prototype.send;
    client.prototype.send = function send(this: unknown, command: unknown, ...rest: unknown[]) {
      const name = (command as { constructor: { name: string } }).constructor.name;
      if (counting) counts[name] = (counts[name] ?? 0) + 1;
      return original.call(this, command, ...rest);
    };
  }
  return { counts, on: (v) => (counting = v) };
}

/**
 * BENCH_CPU_PROFILE=<file.cpuprofile>: a CPU profile of the timed part only (startup left out), for where the time
 * goes when the rate is short of its target. Open it in Chrome DevTools or read it with any .cpuprofile tool.
 */
async function startProfile(): Promise<{ stop(): Promise<void> }> {
  const file = process.env['BENCH_CPU_PROFILE'];
  if (!file) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** POSTs made from a worker thread (bench/throughput/post-worker.mjs): the client's CPU on a core other than the stack's. */
function workerPoster(): { post: (url: string, body: unknown) => Promise<PostAnswer>; stop: () => Promise<number> } {
  const worker = new Worker(new URL('./post-worker.mjs', import.meta.url));
  const waiting = new Map<number, (answer: PostAnswer) => void>();
  let seq = 0;
  worker.on('message', (message: PostAnswer & { seq: number }) => {
    waiting.get(message.seq)?.(message);
    waiting.delete(message.seq);
  });
  return {
    post: (url, body) =>
      new Promise((resolve) => {
        seq += 1;
        waiting.set(seq, resolve);
        worker.postMessage({ seq, url, body: JSON.stringify(body) });
      }),
    stop: () => worker.terminate(),
  };
}

type PostAnswer = { status: number; text: string; error?: undefined } | { error: string };

async function stackRun(count: number, concurrency: number): Promise<ThroughputRun> {
  const dynamo = countDynamoCalls();
  // BENCH_LATENCY=aws: the same run with AWS's and Knox's typical latencies (bench/aws-latency/).
  const latency = process.env['BENCH_LATENCY'] === 'aws' ? 'aws' : 'none';
  const stack = await startBenchStack({ timeScale: 1, knoxRequestsPerSecond: LIFTED_KNOX_RATE, latency });
  try {
    const control = new KnoxSimControl(stack.knoxUrl);
    await control.clearRequests();
    const machine = stack.executions.machineOf('onboarding');
    const tag = Date.now().toString(36);
    const bodies = Array.from({ length: count }, (_, i) => createBody(`${tag}${i}`));
    const ids: string[] = [];
    dynamo.on(true);
    const profile = await startProfile();
    const poster = workerPoster();
    const load = await runLoad(count, concurrency, async (i) => {
      const answer = await poster.post(`${stack.apiUrl}${KIND_PATHS.onboarding}`, bodies[i]);
      if (answer.error !== undefined) throw new Error(`POST /onboardings failed: ${answer.error}`);
      if (answer.status !== 202) throw new Error(`POST /onboardings answered ${answer.status}`);
      const body = JSON.parse(answer.text) as Record<string, unknown>;
      ids[i] = String(body['onboardingId']);
      await stack.executions.waitUntilSettled(localExecutionArn(machine.name, String(body['executionName'])));
    });
    await poster.stop();
    dynamo.on(false);
    await profile.stop();
    const knox = countCalls(await control.requests());
    // Checked after the clock stopped: every onboarding must have ended SUCCEEDED, or the rate means nothing.
    const statuses: string[] = [];
    await runLoad(ids.length, concurrency, async (i) => {
      if (ids[i] === undefined) return;
      statuses.push((await getRecord(stack.apiUrl, 'onboarding', ids[i])).body.status);
    });
    return {
      mode: 'stack',
      load,
      knox,
      dynamoCalls: dynamo.counts,
      recordStatuses: tally(statuses),
      executionStatuses: tally(stack.executions.list({ stateMachineArn: machine.arn }).map((e) => e.status)),
    };
  } finally {
    await stack.stop();
  }
}

async function floorRun(count: number, concurrency: number): Promise<ThroughputRun> {
  const sim = await startKnoxSimulator({ host: '127.0.0.1', port: 0 });
  try {
    const client = createKnoxClient({
      baseUrl: sim.url,
      credentials: async () => ({ ...SIM_DEFAULT_CREDENTIALS }),
      requestsPerSecond: LIFTED_KNOX_RATE,
    });
    const tag = Date.now().toString(36);
    const bodies = Array.from({ length: count }, (_, i) =>
      newCustomerBody(onboardingRequestSchema.parse(createBody(`${tag}${i}`))),
    );
    const load = await runLoad(count, concurrency, async (i) => {
      await client.createCustomer(bodies[i]!);
    });
    return { mode: 'floor', load, knox: countCalls(await new KnoxSimControl(sim.url).requests()) };
  } finally {
    await sim.stop();
  }
}

const [mode, out, count, concurrency] = process.argv.slice(2);
if ((mode !== 'stack' && mode !== 'floor') || !out) {
  throw new Error('usage: throughput-child.ts <stack|floor> <result.json> <count> <concurrency>');
}
const run = mode === 'stack' ? stackRun : floorRun;
writeFileSync(out, JSON.stringify(await run(Number(count), Number(concurrency))));
