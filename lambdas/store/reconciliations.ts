/**
 * The lookup cursor of a create that is being reconciled across invocations (lib/domain/reconciling.ts): one item
 * per record, written when an invocation's time is up, deleted when the lookup ends. It holds where the lookup stands
 * (customer ids and digests, never the e-mail) and when it began. Single-item reads and writes (RECORD_ACTIONS).
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { reconciliationKey } from '#domain/reconciling';
import { TABLE } from '#domain/table-layout';
import type { LookupCursor } from '#knox/find-customer';
import { db, getItem, nowIso, tableName } from './table-client';

export interface Reconciliation {
  recordId: string;
  cursor: LookupCursor;
  /** When the lookup began (its first page). */
  startedAt: string;
  updatedAt: string;
  /** Invocations that have paged it so far. */
  invocations: number;
}

export async function readReconciliation(recordId: string): Promise<Reconciliation | undefined> {
  const item = await getItem(reconciliationKey(recordId));
  if (item === undefined || typeof item['cursor'] !== 'object' || typeof item['startedAt'] !== 'string')
    return undefined;
  return {
    recordId,
    cursor: item['cursor'] as LookupCursor,
    startedAt: item['startedAt'],
    updatedAt: String(item['updatedAt']),
    invocations: Number(item['invocations'] ?? 0),
  };
}

export async function saveReconciliation(
  recordId: string,
  cursor: LookupCursor,
  startedAt: string,
  invocations: number,
): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        [TABLE.partitionKey]: reconciliationKey(recordId),
        recordId,
        cursor,
        startedAt,
        updatedAt: nowIso(),
        invocations,
      },
    }),
  );
}

export async function deleteReconciliation(recordId: string): Promise<void> {
  await db().send(
    new DeleteCommand({ TableName: tableName(), Key: { [TABLE.partitionKey]: reconciliationKey(recordId) } }),
  );
}
