/**
 * The poller's own item (POLLER_STATE_KEY): when the last round started, the last round that checked every waiting
 * record, when the next one is due, and how many customers Knox listed (to choose GETs or list pages). One write per
 * round, whatever the number of waiting records: the records themselves are written only when their customer
 * answers. The API shows lastCheckedAt and nextCheckAt of a waiting record from it.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { WorkflowRecord } from '#domain/record';
import { POLLER_STATE_KEY, TABLE } from '#domain/table-layout';
import { db, tableName } from './table-client';

export const pollerStateSchema = z.object({
  lastRoundStartedAt: z.string().optional(),
  /** The start of the last round that asked Knox about every waiting record and delivered every answer. */
  lastCompleteRoundAt: z.string().optional(),
  nextRoundAt: z.string().optional(),
  /** How many customers the last full listing returned (undefined until a round has listed). */
  knoxCustomerCount: z.number().int().min(0).optional(),
});
export type PollerState = z.infer<typeof pollerStateSchema>;

export async function readPollerState(): Promise<PollerState> {
  const result = await db().send(
    new GetCommand({ TableName: tableName(), Key: { [TABLE.partitionKey]: POLLER_STATE_KEY } }),
  );
  const parsed = pollerStateSchema.safeParse(result.Item ?? {});
  return parsed.success ? parsed.data : {};
}

/** Sets the given fields (one UpdateItem; the item is created by the first round). */
export async function writePollerState(fields: PollerState & { lastRound?: Record<string, unknown> }): Promise<void> {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return;
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: { [TABLE.partitionKey]: POLLER_STATE_KEY },
      UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
    }),
  );
}

/** When the poller last asked Knox about a waiting record, and when it asks next (absent for other records). */
export function checkTimes(
  record: WorkflowRecord,
  state: PollerState,
): { lastCheckedAt?: string; nextCheckAt?: string } {
  if (record.status !== 'WAITING' || record.taskToken === undefined) return {};
  const since = record.waitingSince ?? record.createdAt;
  const checked =
    state.lastCompleteRoundAt !== undefined && state.lastCompleteRoundAt >= since
      ? state.lastCompleteRoundAt
      : undefined;
  return {
    ...(checked ? { lastCheckedAt: checked } : {}),
    ...(state.nextRoundAt ? { nextCheckAt: state.nextRoundAt } : {}),
  };
}
