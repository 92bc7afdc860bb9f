/**
 * The records a round asks about: every onboarding and offboarding that is WAITING with a callback's task token,
 * read through the by-status index, every page. (WAITING records without a token wait on Knox itself and are
 * retried by their own step.)
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RecordKind } from '../../lib/domain/api-schemas';
import { kindStatusOf, recordSchema, type WorkflowRecord } from '../../lib/domain/record';
import { TABLE } from '../../lib/domain/workflow';
import { logger } from '../commons/powertools';
import { db, tableName } from '../store/client';

/** The kinds whose workflow waits on the customer's answer. */
export const WAITING_KINDS = ['onboarding', 'offboarding'] as const satisfies readonly RecordKind[];

/** A record waiting on the customer, with the token to answer it. */
export type WaitingRecord = WorkflowRecord & { taskToken: string; customerId: string };

export async function waitingRecords(): Promise<WaitingRecord[]> {
  const out: WaitingRecord[] = [];
  for (const kind of WAITING_KINDS) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db().send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: TABLE.byStatusIndex,
          KeyConditionExpression: '#kindStatus = :kindStatus',
          ExpressionAttributeNames: { '#kindStatus': TABLE.byStatusPartitionKey },
          ExpressionAttributeValues: { ':kindStatus': kindStatusOf(kind, 'WAITING') },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = recordSchema.safeParse(item);
        if (!parsed.success) {
          logger.warn('Skipped a record that does not have the expected shape', {
            recordId: String(item[TABLE.partitionKey]),
          });
          continue;
        }
        const record = parsed.data;
        if (record.status === 'WAITING' && record.taskToken !== undefined && record.customerId !== undefined) {
          out.push(record as WaitingRecord);
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return out;
}
