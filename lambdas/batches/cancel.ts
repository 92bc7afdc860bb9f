/**
 * Cancelling a batch (DELETE /onboarding-batches/{id} answers 202 once the batch is CANCELLING): the batch's own
 * workflow closes every slice the starter has not taken (its items never start) and cancels the open onboardings the
 * batch started itself like `DELETE /onboardings/{id}`, then the batch is CANCELLED. An item that joined a customer's
 * onboarding started elsewhere is left alone: that onboarding is someone else's request.
 */
import { isTerminal } from '#domain/api-schemas';
import type { BatchRecord, BatchSlice } from '#domain/batch-schemas';
import { describeError, logger } from '../commons/powertools';
import { recordExecutionArn, stopWorkflow } from '../intake/executions';
import { finish, getRecord, releaseLock } from '../store';
import { closeSlice, getSlice, takeSlice } from './slices';
import { advanceCancel } from './batch-transitions';

/**
 * Cancels the open onboardings of `slice` that this batch started; answers how many it cancelled. Each is written
 * CANCELLED, then its execution stopped. A step that ended between the two (a crash, a stop that failed) is run again
 * over the same slice: an item already CANCELLED has its stop sent again (StopExecution of a closed execution changes
 * nothing), so no execution is left parked in its callback. A stop that fails fails the step once the slice is done,
 * before the slice counts as cancelled: the step's retry sends it again.
 */
export async function cancelSliceItems(batchId: string, slice: BatchSlice, onboardingArn: string): Promise<number> {
  let cancelled = 0;
  let failedStops = 0;
  const ids = Object.values(slice.started).map((s) => s.onboardingId);
  await pool(ids, 8, async (id) => {
    const record = await getRecord(id);
    if (record === undefined || record.batchId !== batchId) return;
    const closed = isTerminal(record.status)
      ? { changed: false, record }
      : await finish(record.pk, 'CANCELLED', { detail: `batch ${batchId} cancelled through the API` });
    if (closed.changed) cancelled += 1;
    // Only a CANCELLED item is stopped: one that ended on its own is left alone.
    if (closed.record?.status !== 'CANCELLED') return;
    try {
      await stopWorkflow(recordExecutionArn(record, onboardingArn), `Batch ${batchId} cancelled`);
    } catch (error) {
      logger.error('Could not stop the execution of a cancelled batch item', {
        recordId: record.pk,
        ...describeError(error),
      });
      failedStops += 1;
    }
    await releaseLock(record.customerKey, record.pk);
  });
  if (failedStops > 0)
    throw new Error(`${failedStops} cancelled item(s) of ${batchId} not stopped yet: the step runs again`);
  return cancelled;
}

/** What one "Cancel items" step may spend before it hands over to the next (the Lambda's timeout is 60 s). */
const CANCEL_STEP_MS = 20_000;

/**
 * "Cancel items" (the batch's workflow, after a DELETE made it CANCELLING): slice by slice from where the last step
 * stopped, a slice the starter has not taken is closed (its items never start), the open onboardings of the others are
 * cancelled; the progress is kept on the batch record (`cancelSlices`), so a restart or a retry resumes and an item is
 * cancelled once (its stop sent again if the run before ended between the two). Answers true once every slice is done.
 */
export async function cancelRound(batch: BatchRecord, onboardingArn: string): Promise<boolean> {
  const began = Date.now();
  let s = batch.cancelSlices;
  let cancelled = 0;
  try {
    while (s < batch.slices && Date.now() - began < CANCEL_STEP_MS) {
      if (!(await takeSlice(batch.pk, s, 'cancelled'))) {
        const slice = await getSlice(batch.pk, s);
        if (slice) {
          cancelled += await cancelSliceItems(batch.pk, slice, onboardingArn);
          // Items start a few at a time: the rest of a slice the starter had begun never start.
          if (Object.keys(slice.started).length < slice.count) await closeSlice(batch.pk, s);
        }
      }
      s += 1;
    }
  } catch (error) {
    // The slices before this one are done: the step's retry goes on from this one.
    await advanceCancel(batch.pk, batch.cancelSlices, s);
    throw error;
  }
  if (!(await advanceCancel(batch.pk, batch.cancelSlices, s)))
    logger.info('The cancellation was advanced by an earlier run of this step', { batchId: batch.pk });
  logger.info('Batch items cancelled', { batchId: batch.pk, cancelledItems: cancelled, slicesDone: s });
  return s >= batch.slices;
}

/** Runs `work` over `items`, at most `size` at a time. */
export async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}
