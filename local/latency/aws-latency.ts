/**
 * LATENCY=aws: AWS's typical latencies, put on the local services at the service side (the local endpoints, the
 * engine's Task invocations and Wait states), so that code that would time out on AWS times out locally. One module
 * holds every figure and says where it comes from; the README's latency table repeats them. These are *typical*
 * figures for one region, client and service in the same region, not guarantees: AWS publishes few latency numbers,
 * and where it publishes none the figure is an assumption from published measurements, said so below.
 *
 * Hooks (each one line, so that other changes to those files keep them):
 * - Step Functions API: every operation of local/stepfunctions/sfn-server.ts (`withAwsLatency`).
 * - State transitions and Lambda invokes: local/stepfunctions/task-bindings.ts (before a Task's function runs) and
 *   engine-run.ts (a Wait state's time); Pass and Choice states are not delayed (the engine offers no hook there).
 * - Lambda: local/lambda/lambda-runtime.ts `invoke` (before the handler; the function's timeout does not include
 *   it, as Lambda's does not include its init).
 * - DynamoDB: inside the dynalite child (local/dynamodb/dynalite-process.mjs), per X-Amz-Target, from the table
 *   `dynamoDelays()` hands it when it starts.
 * - Secrets Manager: local/secretsmanager/secrets.ts, GetSecretValue.
 * - Knox (not AWS): the simulator's own switch, knox-sim/latency.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const LATENCY_MODES = ['none', 'aws'] as const;
export type LatencyMode = (typeof LATENCY_MODES)[number];

export interface LatencyFigure {
  ms: number;
  source: string;
}

/** The figures, in ms, per service and operation (`*`: any other operation of the service). */
export const AWS_LATENCY = {
  stepfunctions: {
    '*': {
      ms: 30,
      source:
        'Step Functions API call (StartExecution, SendTask*, Describe*): typical tens of ms; assumed 30 ms (AWS publishes no figure)',
    },
  },
  transition: {
    '*': {
      ms: 25,
      source:
        'Standard workflow state transition: AWS publishes no figure; published measurements of Standard workflows show tens of ms between states; assumed 25 ms',
    },
  },
  lambda: {
    invoke: {
      ms: 15,
      source: 'Lambda synchronous Invoke overhead of a warm function: typical 10-20 ms (assumed 15 ms)',
    },
    coldStart: {
      ms: 300,
      source:
        'Lambda cold start, Node.js, small bundle: "from under 100 ms to over 1 second" (AWS Compute Blog, Operating Lambda: Performance optimization); assumed 300 ms on the first invoke of each function',
    },
  },
  dynamodb: {
    GetItem: {
      ms: 5,
      source: 'DynamoDB: "single-digit millisecond performance at any scale" (Amazon DynamoDB developer guide)',
    },
    PutItem: { ms: 5, source: 'DynamoDB single-digit ms (as GetItem)' },
    UpdateItem: { ms: 6, source: 'DynamoDB single-digit ms (a conditional write: a little more)' },
    DeleteItem: { ms: 5, source: 'DynamoDB single-digit ms (as GetItem)' },
    Query: { ms: 10, source: 'DynamoDB Query of a page: typical ~10 ms (single-digit per item read, a page more)' },
    Scan: {
      ms: 20,
      source: 'DynamoDB Scan of a page: assumed 20 ms (local tools only; the deployed code never scans)',
    },
    BatchWriteItem: { ms: 10, source: 'DynamoDB batch: assumed 10 ms' },
    BatchGetItem: { ms: 10, source: 'DynamoDB batch: assumed 10 ms' },
    '*': { ms: 5, source: 'DynamoDB control-plane and other calls: assumed 5 ms' },
  },
  secretsmanager: {
    '*': {
      ms: 40,
      source: 'Secrets Manager GetSecretValue: typical 20-50 ms (assumed 40 ms); Powertools caches the value',
    },
  },
} as const satisfies Record<string, Record<string, LatencyFigure>>;

export type AwsLatencyService = keyof typeof AWS_LATENCY;

let mode: LatencyMode = 'none';
const warm = new Set<string>();

/** Turns AWS latency on or off for this process (the local stack sets it at start and clears it at stop). */
export function setAwsLatency(next: LatencyMode): void {
  mode = next;
  warm.clear();
}

export function awsLatencyMode(): LatencyMode {
  return mode;
}

/** The delay of one call, in ms (0 unless LATENCY=aws). */
export function awsLatencyMs(service: AwsLatencyService, operation = '*'): number {
  if (mode !== 'aws') return 0;
  const table = AWS_LATENCY[service] as Record<string, LatencyFigure>;
  return (table[operation] ?? table['*'])?.ms ?? 0;
}

/** Waits the typical latency of one call to `service` (nothing unless LATENCY=aws). */
export async function awsLatency(service: AwsLatencyService, operation = '*'): Promise<void> {
  const ms = awsLatencyMs(service, operation);
  if (ms > 0) await sleep(ms);
}

/** A Lambda invoke: a cold start on the first invoke of each function in this stack, the warm overhead after. */
export async function lambdaInvokeLatency(functionName: string): Promise<void> {
  if (mode !== 'aws') return;
  const cold = !warm.has(functionName);
  warm.add(functionName);
  await awsLatency('lambda', cold ? 'coldStart' : 'invoke');
}

/** The per-operation DynamoDB delays the dynalite child applies (X-Amz-Target operation -> ms); empty when off. */
export function dynamoDelays(): Record<string, number> {
  if (mode !== 'aws') return {};
  return Object.fromEntries(Object.entries(AWS_LATENCY.dynamodb).map(([op, figure]) => [op, figure.ms]));
}

/** Wraps every operation of an AWS JSON endpoint so that it answers after the service's latency. */
export function withAwsLatency<T extends Record<string, (input: Record<string, unknown>) => unknown>>(
  service: AwsLatencyService,
  operations: T,
): T {
  return Object.fromEntries(
    Object.entries(operations).map(([name, op]) => [
      name,
      async (input: Record<string, unknown>) => {
        await awsLatency(service, name);
        return op(input);
      },
    ]),
  ) as T;
}
