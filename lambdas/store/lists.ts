/**
 * Lists of records by kind and status, newest first, through the GSI (never a Scan), with opaque cursors that only
 * this API gives out.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { RecordKind, RecordStatus } from '../../lib/domain/api-schemas';
import { kindStatusOf, recordIdSchema, recordSchema, type WorkflowRecord } from '../../lib/domain/record';
import { TABLE } from '../../lib/domain/workflow';
import { logger } from '../commons/powertools';
import { db, tableName } from './client';

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

const cursorKeySchema = z.strictObject({
  [TABLE.partitionKey]: recordIdSchema,
  [TABLE.byStatusPartitionKey]: z.string(),
  [TABLE.byStatusSortKey]: z.string(),
});

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string, kindStatus: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('cursor is not one this API gave out');
  }
  const parsed = cursorKeySchema.safeParse(key);
  if (!parsed.success || parsed.data[TABLE.byStatusPartitionKey] !== kindStatus) {
    throw new CursorError('cursor is not one this API gave out for this status');
  }
  return parsed.data;
}

export interface RecordPage {
  items: WorkflowRecord[];
  /** Present when there is more: pass it back to read the next page. */
  cursor?: string;
}

/** One page of the records of a kind in a status, newest first, through the GSI (never a Scan). */
export async function listByStatus(
  kind: RecordKind,
  status: RecordStatus,
  options: { limit?: number; cursor?: string } = {},
): Promise<RecordPage> {
  const kindStatus = kindStatusOf(kind, status);
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: TABLE.byStatusIndex,
      KeyConditionExpression: '#kindStatus = :kindStatus',
      ExpressionAttributeNames: { '#kindStatus': TABLE.byStatusPartitionKey },
      ExpressionAttributeValues: { ':kindStatus': kindStatus },
      ScanIndexForward: false,
      Limit: options.limit ?? 50,
      ...(options.cursor ? { ExclusiveStartKey: decodeCursor(options.cursor, kindStatus) } : {}),
    }),
  );
  const items: WorkflowRecord[] = [];
  for (const item of result.Items ?? []) {
    const parsed = recordSchema.safeParse(item);
    // An index is eventually consistent and a bad item must not hide the good ones: skip it and say so.
    if (parsed.success && parsed.data.status === status) items.push(parsed.data);
    else if (!parsed.success)
      logger.warn('Skipped a record that does not have the expected shape', {
        recordId: String(item[TABLE.partitionKey]),
      });
  }
  return {
    items,
    ...(result.LastEvaluatedKey ? { cursor: encodeCursor(result.LastEvaluatedKey) } : {}),
  };
}
