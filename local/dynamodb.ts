/**
 * The local DynamoDB: an embedded dynalite (the real wire protocol) keeping its LevelDB files under DATA_DIR, so that
 * records survive a restart, and the table created from the template's definition (GSI included) when missing.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import dynalite from 'dynalite';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_REGION } from './intrinsics';
import type { LocalTable } from './template';

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

/** Starts dynalite on 127.0.0.1 (`port` 0 picks a free one), data kept under `dataDir`. */
export async function startDynamo(options: { dataDir: string; port?: number }): Promise<RunningDynamo> {
  const path = dynamoPath(options.dataDir);
  mkdirSync(path, { recursive: true });
  // Table changes are immediate: the local stack creates its table at start and uses it at once.
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  return {
    endpoint,
    port,
    path,
    client,
    stop: async () => {
      client.destroy();
      // close() waits for in-flight requests, then closes LevelDB (which releases its lock for the next start).
      await new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections?.();
      });
    },
  };
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
