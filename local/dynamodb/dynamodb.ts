/**
 * The local DynamoDB: dynalite (the real wire protocol) in a child process of its own (local/dynamodb/dynalite-process.mjs),
 * keeping its LevelDB files under DATA_DIR, so that records survive a restart, and the table created from the
 * template's definition (GSI included) when missing. A process of its own puts dynalite's CPU (about a fifth of an
 * onboarding's, LevelDB and request parsing) on the second core: in the handlers' process it capped the local stack
 * at 29-39 onboardings/s on one busy core.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { LOCAL_REGION } from '../template/intrinsics';
import type { LocalTable } from '../template/template';
import type { AccessSnapshot } from '../iam/access-gate';

export interface RunningDynamo {
  endpoint: string;
  port: number;
  /** The folder holding dynalite's files. */
  path: string;
  /** A client bound to this endpoint (for the local stack's own reads; handlers use the env endpoint). */
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** dynalite's LevelDB folder inside DATA_DIR (DATA_DIR also holds the execution histories). */
export function dynamoPath(dataDir: string): string {
  return join(dataDir, 'dynamodb');
}

const CHILD_SCRIPT = fileURLToPath(new URL('./dynalite-process.mjs', import.meta.url));
/** How long stop() lets the child close LevelDB before it is killed. */
const STOP_GRACE_MS = 5_000;

type ChildMessage = { type: 'listening'; port: number } | { type: 'error'; message: string };

export interface StartDynamoOptions {
  dataDir: string;
  /** The proxy's port on 127.0.0.1 (0 picks a free one). */
  port?: number;
  /** IAM on every request: the local stack's AccessGate snapshot; without it every signed caller may do anything. */
  access?: AccessSnapshot;
  /** LATENCY=aws: ms per operation, waited inside the child before dynalite answers (aws-latency.ts dynamoDelays). */
  delays?: Record<string, number>;
}

/**
 * Starts dynalite in a child process on a private Unix socket (data kept under `dataDir`) and, in that same process,
 * the proxy in front of it on 127.0.0.1 (dynamodb-proxy.ts): the endpoint is the proxy's.
 */
export async function startDynamo(options: StartDynamoOptions): Promise<RunningDynamo> {
  const path = dynamoPath(options.dataDir);
  mkdirSync(path, { recursive: true });
  // mkdtemp makes the folder 0700: no other user of the machine can open the socket. A short path (tmpdir): a Unix
  // socket's path is limited to about 100 bytes.
  const socketDir = mkdtempSync(join(tmpdir(), 'knox-dynalite-'));
  // The tsx loader (and nothing of the parent's, vitest's or tsx's own flags): the proxy is TypeScript.
  const child = fork(
    CHILD_SCRIPT,
    [JSON.stringify({ path, socket: join(socketDir, 'dynalite.sock'), delays: options.delays ?? {} })],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopChildAndSocket = async () => {
    await stopChild(child, exited);
    rmSync(socketDir, { recursive: true, force: true });
  };
  let port: number;
  try {
    child.send({ type: 'start', port: options.port ?? 0, ...(options.access ? { access: options.access } : {}) });
    port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: ChildMessage) => {
        if (message.type === 'listening') resolve(message.port);
        else reject(new Error(`dynalite could not start: ${message.message}`));
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`dynalite exited with ${code} before it listened`)));
    });
  } catch (error) {
    await stopChildAndSocket();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  return {
    endpoint,
    port,
    path,
    client,
    stop: async () => {
      client.destroy();
      await stopChildAndSocket();
    },
  };
}

/** Asks the child to close (in-flight requests finish, LevelDB releases its lock), killing it if it hangs. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ type: 'stop' });
  else child.kill();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** A DynamoDB client for the local endpoint with dummy credentials. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

/** Every item a Scan finds, page by page (for the local tools and the tests; the deployed code never scans). */
export async function scanAll(db: DynamoDBDocumentClient, input: ScanCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** What CreateTable gets from the template's definition (PITR, SSE and tags mean nothing locally). */
export function createTableInput(table: LocalTable): CreateTableCommandInput {
  const onDemand = table.billingMode === 'PAY_PER_REQUEST';
  const throughput = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };
  return {
    TableName: table.name,
    KeySchema: table.keySchema,
    AttributeDefinitions: table.attributeDefinitions,
    BillingMode: table.billingMode,
    ...(onDemand ? {} : { ProvisionedThroughput: throughput }),
    ...(table.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((gsi) => ({
            IndexName: gsi.IndexName,
            KeySchema: gsi.KeySchema,
            Projection: {
              ProjectionType: (gsi.Projection.ProjectionType ?? 'ALL') as 'ALL' | 'KEYS_ONLY' | 'INCLUDE',
              ...(gsi.Projection.NonKeyAttributes ? { NonKeyAttributes: gsi.Projection.NonKeyAttributes } : {}),
            },
            ...(onDemand ? {} : { ProvisionedThroughput: throughput }),
          })),
        }
      : {}),
  };
}

/**
 * Creates the table unless it exists (a restart on the same DATA_DIR keeps it and its items), and returns once it is
 * ACTIVE: dynalite answers ResourceNotFound to queries on a CREATING table, even with `createTableMs: 0` (it turns
 * ACTIVE on a timer, after CreateTable has answered).
 */
export async function ensureTable(client: DynamoDBClient, table: LocalTable): Promise<'created' | 'existing'> {
  let outcome: 'created' | 'existing' = 'existing';
  try {
    await client.send(new DescribeTableCommand({ TableName: table.name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(createTableInput(table)));
    outcome = 'created';
  }
  await waitUntilActive(client, table.name);
  return outcome;
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await sleep(10);
  }
  throw new Error(`table ${tableName} did not become ACTIVE in dynalite`);
}
