/**
 * Shared by the handler suites: an in-memory dynalite on a loopback port with the record table (same key schema and
 * GSI as lib/infra/state-table.ts), the AWS SDK environment that points the handlers at it, and sample requests.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '#domain/configuration';
import { TABLE } from '#domain/table-layout';

export interface LocalDynamo {
  endpoint: string;
  /** A fresh, empty table; its name becomes TABLE_NAME. */
  newTable(): Promise<string>;
  /** Every item of a table (a test-only Scan). */
  items(tableName: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/** Region, dummy credentials and the DynamoDB endpoint, set before any handler builds an SDK client. */
export function setAwsTestEnvironment(dynamoEndpoint: string): void {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint;
}

let tableCount = 0;

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const documents = DynamoDBDocumentClient.from(client);

  return {
    endpoint,
    async newTable() {
      tableCount += 1;
      const tableName = `records-${process.pid}-${tableCount}`;
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
            { AttributeName: TABLE.byStatusPartitionKey, AttributeType: 'S' },
            { AttributeName: TABLE.byStatusSortKey, AttributeType: 'S' },
          ],
          KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [
            {
              IndexName: TABLE.byStatusIndex,
              KeySchema: [
                { AttributeName: TABLE.byStatusPartitionKey, KeyType: 'HASH' },
                { AttributeName: TABLE.byStatusSortKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }),
      );
      process.env[ENV.tableName] = tableName;
      return tableName;
    },
    async items(tableName) {
      const result = await documents.send(new ScanCommand({ TableName: tableName }));
      return result.Items ?? [];
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

// --- Sample requests (valid per lib/domain/api-schemas.ts) -----------------------------------------------------------

export { createRequest, linkRequest } from './requests';
