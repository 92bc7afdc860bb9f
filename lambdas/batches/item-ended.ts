/**
 * An item's onboarding ended (record-outcome, execution-events, a DELETE of the onboarding, the batch's own
 * cancellation): the batch counts it down, and the item that leaves no open one wakes the batch's workflow, which waits
 * on a callback ("Wait for items") instead of polling: its history then grows with its slices, not with its customers'
 * patience (lib/infra/batch-workflow.ts).
 *
 * Once per item: the record is marked `batchCounted` by a conditional write before the batch is counted down. A crash
 * between the two leaves the batch one too high: the poller's sweep (./batch-sweep.ts) finds such a batch within one
 * poll period. Never throws: the item's own outcome is what its caller records; the batch is told on a best effort.
 */
import { isTerminal, TERMINAL_STATUSES } from '#domain/api-schemas';
import type { WorkflowRecord } from '#domain/record';
import { TABLE } from '#domain/table-layout';
import { describeError, logger } from '../commons/powertools';
import { conditionalUpdate } from '../store/table-client';
import { wakeBatch } from './batch-callback';
import { countItemEnd, WATCHED } from './batch-transitions';

/** Marks the record counted for its batch; false when it was counted already (or is not terminal). */
function markCounted(record: WorkflowRecord): Promise<boolean> {
  const terminal = TERMINAL_STATUSES.map((_, i) => `:t${i}`).join(', ');
  return conditionalUpdate(
    record.pk,
    'SET #counted = :true',
    `attribute_exists(#pk) AND attribute_not_exists(#counted) AND #status IN (${terminal})`,
    { '#pk': TABLE.partitionKey, '#counted': 'batchCounted', '#status': 'status' },
    { ':true': true, ...Object.fromEntries(TERMINAL_STATUSES.map((s, i) => [`:t${i}`, s])) },
  );
}

export async function itemEnded(record: WorkflowRecord | undefined): Promise<void> {
  if (record?.batchId === undefined || !isTerminal(record.status)) return;
  const batchId = record.batchId;
  try {
    if (!(await markCounted(record))) return;
    const failedCode = record.status === 'FAILED' ? (record.lastError?.code ?? 'UNKNOWN') : undefined;
    const batch = await countItemEnd(batchId, failedCode);
    if (batch === undefined || batch.open > 0 || batch.taskToken === undefined) return;
    if (!WATCHED.includes(batch.status)) return;
    await wakeBatch(batchId, batch.taskToken, `the last open item (${record.pk}) ended ${record.status}`);
  } catch (error) {
    logger.error('Could not count an item end for its batch: the sweep finds it', {
      batchId,
      recordId: record.pk,
      ...describeError(error),
    });
  }
}
