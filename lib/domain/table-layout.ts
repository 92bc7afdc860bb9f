/** The records table's layout: keys, the by-status index, and the items that are not records. */
import type { RecordKind } from './api-schemas';

export const TABLE = {
  partitionKey: 'pk',
  /** GSI that lists records by kind and status, newest last. */
  byStatusIndex: 'byKindStatus',
  byStatusPartitionKey: 'kindStatus',
  byStatusSortKey: 'createdAt',
} as const;

/** The poller's own item in the table: when rounds ran and what Knox's list looked like (not a record). */
export const POLLER_STATE_KEY = 'poller#state';

/** Record ids: a short kind prefix and 16 hex characters. */
export const ID_PREFIX: Record<RecordKind, string> = { onboarding: 'onb', offboarding: 'off', change: 'chg' };

/**
 * The item of the Knox request budget shared by every Lambda (lib/budget). It has no `kindStatus`, so it never shows
 * in the by-status index that lists records.
 */
export const KNOX_BUDGET_KEY = 'budget#knox';

/** The lock item that keeps one open workflow per customer. */
export function customerLockKey(customerKey: string): string {
  return `lock#customer#${customerKey}`;
}
