/**
 * Cancelling a batch (DELETE /onboarding-batches/{id}): the batch becomes CANCELLED first (the starter reads it after
 * each slice), its execution is stopped, every slice the starter has not taken is closed (its items never start), and
 * the open onboardings the batch started itself are cancelled like `DELETE /onboardings/{id}`. An item that joined a
 * customer's onboarding started elsewhere is left alone: that onboarding is someone else's request.
 */
import { isTerminal } from '#domain/api-schemas';
import type { BatchRecord, BatchSlice } from '#domain/batch-schemas';
import { describeError, logger } from '../commons/powertools';
import { executionArnFor, stopWorkflow } from '../intake/executions';
import { finish, getRecord, releaseLock } from '../store';
import { getSlice, takeSlice } from './slices';
import { cancelBatchRecord, getBatch } from './batch-store';

/** Cancels the open onboardings of `slice` that this batch started; answers how many it cancelled. */
export async function cancelSliceItems(batchId: string, slice: BatchSlice, onboardingArn: string): Promise<number> {
  let cancelled = 0;
  const ids = Object.values(slice.started).map((s) => s.onboardingId);
  await pool(ids, 8, async (id) => {
    const record = await getRecord(id);
    if (record === undefined || record.batchId !== batchId || isTerminal(record.status)) return;
    const { changed } = await finish(record.pk, 'CANCELLED', { detail: `batch ${batchId} cancelled through the API` });
    if (!changed) return;
    cancelled += 1;
    try {
      await stopWorkflow(
        record.executionArn ?? executionArnFor(onboardingArn, record.executionName),
        `Batch ${batchId} cancelled`,
      );
    } catch (error) {
      // The record is CANCELLED: the execution's next step meets a closed record and ends.
      logger.error('Could not stop the execution of a cancelled batch item', {
        recordId: record.pk,
        ...describeError(error),
      });
    }
    await releaseLock(record.customerKey, record.pk);
  });
  return cancelled;
}

/** DELETE: false when the batch was already DONE or CANCELLED. */
export async function cancelBatch(batch: BatchRecord, arns: { batch: string; onboarding: string }): Promise<boolean> {
  if (!(await cancelBatchRecord(batch.pk))) return false;
  try {
    await stopWorkflow(
      batch.executionArn ?? executionArnFor(arns.batch, batch.executionName),
      'Cancelled through the API',
    );
  } catch (error) {
    logger.error('Could not stop the batch execution', { batchId: batch.pk, ...describeError(error) });
  }
  let cancelled = 0;
  for (let s = 0; s < batch.slices; s++) {
    if (await takeSlice(batch.pk, s, 'cancelled')) continue;
    const slice = await getSlice(batch.pk, s);
    if (slice) cancelled += await cancelSliceItems(batch.pk, slice, arns.onboarding);
  }
  logger.info('Batch cancelled', { batchId: batch.pk, cancelledItems: cancelled });
  return (await getBatch(batch.pk))?.status === 'CANCELLED';
}

/** Runs `work` over `items`, at most `size` at a time. */
export async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}
