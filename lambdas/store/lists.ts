/**
 * Lists of records by kind and status, newest first, through the GSI (never a Scan), with opaque cursors that only
 * this API gives out.
 */
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { RecordKind, RecordStatus } from '#domain/api-schemas';
import { kindStatusOf, recordIdSchema, recordSchema, type WorkflowRecord } from '#domain/record';
import { TABLE } from '#domain/table-layout';
import { logger } from '../commons/powertools';
import { db, tableName } from './table-client';

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

/** One page of the by-status index's items under one partition value (a record's or a batch's kind and status). */
export async function queryStatusIndex(
  kindStatus: string,
  options: { startKey?: Record<string, unknown>; limit?: number; newestFirst?: boolean } = {},
): Promise<QueryCommandOutput> {
  return db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: TABLE.byStatusIndex,
      KeyConditionExpression: '#kindStatus = :kindStatus',
      ExpressionAttributeNames: { '#kindStatus': TABLE.byStatusPartitionKey },
      ExpressionAttributeValues: { ':kindStatus': kindStatus },
      ...(options.newestFirst ? { ScanIndexForward: false } : {}),
      ...(options.limit !== undefined ? { Limit: options.limit } : {}),
      ...(options.startKey ? { ExclusiveStartKey: options.startKey } : {}),
    }),
  );
}

/**
 * One page of the by-status index: the records of a kind in a status (an index is eventually consistent, so a record
 * that has moved on since is left out) and the key to read on from. An item that does not parse is skipped and
 * logged: a bad item must not hide the good ones.
 */
export async function queryByStatus(
  kind: RecordKind,
  status: RecordStatus,
  options: { startKey?: Record<string, unknown>; limit?: number; newestFirst?: boolean } = {},
): Promise<{ records: WorkflowRecord[]; lastKey?: Record<string, unknown> }> {
  const result = await queryStatusIndex(kindStatusOf(kind, status), options);
  const records: WorkflowRecord[] = [];
  for (const item of result.Items ?? []) {
    const parsed = recordSchema.safeParse(item);
    if (parsed.success && parsed.data.status === status) records.push(parsed.data);
    else if (!parsed.success)
      logger.warn('Skipped a record that does not have the expected shape', {
        recordId: String(item[TABLE.partitionKey]),
      });
  }
  return { records, ...(result.LastEvaluatedKey ? { lastKey: result.LastEvaluatedKey } : {}) };
}

/** One page of the records of a kind in a status, newest first, through the GSI (never a Scan). */
export async function listByStatus(
  kind: RecordKind,
  status: RecordStatus,
  options: { limit?: number; cursor?: string } = {},
): Promise<RecordPage> {
  const page = await queryByStatus(kind, status, {
    newestFirst: true,
    limit: options.limit ?? 50,
    ...(options.cursor ? { startKey: decodeCursor(options.cursor, kindStatusOf(kind, status)) } : {}),
  });
  return { items: page.records, ...(page.lastKey ? { cursor: encodeCursor(page.lastKey) } : {}) };
}
