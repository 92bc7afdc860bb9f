/**
 * One lock item per customer with an open workflow: a conditional put takes it, a conditional delete releases it
 * (only by the record that holds it). No transactions, so dynalite runs the same code.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RecordKind } from '#domain/api-schemas';
import { lockSchema, type CustomerLock } from '#domain/record';
import { TABLE, customerLockKey } from '#domain/table-layout';
import { db, getItem, isConditionFailure, nowIso, tableName } from './table-client';

export type LockResult = { acquired: true } | { acquired: false; holder: CustomerLock | undefined };

/** Takes the customer's lock for a record; when someone holds it, says who (undefined if it vanished meanwhile). */
export async function acquireCustomerLock(
  customerKey: string,
  recordId: string,
  kind: RecordKind,
  now = nowIso(),
): Promise<LockResult> {
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: { [TABLE.partitionKey]: customerLockKey(customerKey), recordId, kind, createdAt: now },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
      }),
    );
    return { acquired: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { acquired: false, holder: await readLock(customerKey) };
  }
}

export async function readLock(customerKey: string): Promise<CustomerLock | undefined> {
  const item = await getItem(customerLockKey(customerKey));
  if (item === undefined) return undefined;
  const parsed = lockSchema.safeParse(item);
  if (!parsed.success) throw new Error(`The lock item of a customer does not have the expected shape`);
  return parsed.data;
}

/** Releases the customer's lock if this record holds it; false when it did not (already released, or another's). */
export async function releaseLock(customerKey: string, recordId: string): Promise<boolean> {
  try {
    await db().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: { [TABLE.partitionKey]: customerLockKey(customerKey) },
        ConditionExpression: '#recordId = :recordId',
        ExpressionAttributeNames: { '#recordId': 'recordId' },
        ExpressionAttributeValues: { ':recordId': recordId },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
