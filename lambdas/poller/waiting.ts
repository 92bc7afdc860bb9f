/**
 * The records a round asks about: every onboarding and offboarding that is WAITING with a callback's task token,
 * read through the by-status index, every page. (WAITING records without a token wait on Knox itself and are
 * retried by their own step.)
 */
import type { RecordKind } from '#domain/api-schemas';
import type { WorkflowRecord } from '#domain/record';
import { queryByStatus } from '../store/lists';

/** The kinds whose workflow waits on the customer's answer. */
export const WAITING_KINDS = ['onboarding', 'offboarding'] as const satisfies readonly RecordKind[];

/** A record waiting on the customer, with the token to answer it. */
export type WaitingRecord = WorkflowRecord & { taskToken: string; customerId: string };

export async function waitingRecords(): Promise<WaitingRecord[]> {
  const out: WaitingRecord[] = [];
  for (const kind of WAITING_KINDS) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await queryByStatus(kind, 'WAITING', startKey ? { startKey } : {});
      for (const record of page.records) {
        if (record.taskToken !== undefined && record.customerId !== undefined) out.push(record as WaitingRecord);
      }
      startKey = page.lastKey;
    } while (startKey);
  }
  return out;
}
