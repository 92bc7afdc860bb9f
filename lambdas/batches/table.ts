/**
 * The DynamoDB operations a batch is made of, beside the store's single-item writes and its conditional update
 * (`conditionalUpdate` in store/table-client.ts: the batch record and its slices change only under a condition, never
 * by a transaction): a conditional update answering the item after it, and a BatchGetItem that reads every key it is
 * given.
 */
import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '#domain/table-layout';
import { conditionalInput, db, isConditionFailure, tableName, type ConditionalUpdateArgs } from '../store/table-client';

/** One UpdateItem under a condition answering the item after it (ALL_NEW); undefined when the condition failed. */
export async function updateReturning(...args: ConditionalUpdateArgs): Promise<Record<string, unknown> | undefined> {
  try {
    const result = await db().send(new UpdateCommand({ ...conditionalInput(...args), ReturnValues: 'ALL_NEW' }));
    return result.Attributes;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** BatchGetItem of up to 100 keys a call, repeating unprocessed keys (with a short pause) until all are read. */
export async function batchGet(keys: string[], projection?: string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let at = 0; at < keys.length; at += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
      [tableName()]: { Keys: [...new Set(keys.slice(at, at + 100))].map((k) => ({ [TABLE.partitionKey]: k })) },
    };
    for (let round = 0; request && Object.keys(request).length > 0; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** round)));
      const names = projection ? Object.fromEntries(projection.map((p, i) => [`#p${i}`, p])) : undefined;
      const table = tableName();
      const result = await db().send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: request[table]!.Keys,
              ConsistentRead: true,
              ...(names
                ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names }
                : {}),
            },
          },
        }),
      );
      out.push(...(result.Responses?.[table] ?? []));
      request = result.UnprocessedKeys as typeof request;
    }
  }
  return out;
}
