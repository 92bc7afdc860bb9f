/**
 * The store's DynamoDB client (the instance's one, from commons/aws-clients) and the few helpers every store module
 * shares.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { recordSchema, type WorkflowRecord } from '#domain/record';
import { TABLE } from '#domain/table-layout';
import { dynamoDocumentClient, resetAwsClients } from '../commons/aws-clients';
import { tableConfig } from '../commons/config';

export function db(): DynamoDBDocumentClient {
  return dynamoDocumentClient();
}

/** Tests: drop the clients so that the next call builds them from the current environment. */
export function resetStoreClient(): void {
  resetAwsClients();
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

/** Writes an item only if no item has its key; false when one has (nothing is changed then). */
export async function putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** One item by its key, read consistently; undefined when there is none. */
export async function getItem(key: string): Promise<Record<string, unknown> | undefined> {
  const result = await db().send(
    new GetCommand({ TableName: tableName(), Key: { [TABLE.partitionKey]: key }, ConsistentRead: true }),
  );
  return result.Item;
}

/** The UpdateItem of one item under a condition (no ExpressionAttributeValues when there are none). */
/** What a conditional update names: the item's key, the update, its condition, and the names and values they use. */
export type ConditionalUpdateArgs = [
  key: string,
  update: string,
  condition: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
];

export function conditionalInput(
  key: string,
  update: string,
  condition: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
): UpdateCommandInput {
  return {
    TableName: tableName(),
    Key: { [TABLE.partitionKey]: key },
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** One UpdateItem under a condition; false when the condition failed (nothing is changed then). */
export async function conditionalUpdate(...args: ConditionalUpdateArgs): Promise<boolean> {
  try {
    await db().send(new UpdateCommand(conditionalInput(...args)));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
