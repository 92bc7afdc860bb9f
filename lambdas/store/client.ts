/**
 * The store's DynamoDB client (built once per container, from the SDK's default configuration: region, credentials
 * and AWS_ENDPOINT_URL_DYNAMODB come from the environment) and the few helpers every store module shares.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordSchema, type WorkflowRecord } from '../../lib/domain/record';
import { TABLE } from '../../lib/domain/workflow';
import { tableConfig } from '../commons/config';

let documentClient: DynamoDBDocumentClient | undefined;

export function db(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/** Tests: drop the client so that the next call builds one from the current environment. */
export function resetStoreClient(): void {
  documentClient = undefined;
}

export function tableName(): string {
  return tableConfig().tableName;
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function parseRecord(item: Record<string, unknown> | undefined): WorkflowRecord | undefined {
  if (item === undefined) return undefined;
  const parsed = recordSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(
    `Record ${String(item[TABLE.partitionKey])} in the table does not have the expected shape: ${issues}`,
  );
}

export function nowIso(): string {
  return new Date().toISOString();
}
