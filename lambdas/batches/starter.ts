/**
 * The batch workflow's steps. "Start next slice": the next BATCH_SLICE_ITEMS items become onboardings through the same
 * intake as `POST /onboardings` (an item whose customer has an open onboarding joins it), then the workflow waits until
 * the Knox budget has room for the calls they need; before each slice, maxFailedPercentage may stop the batch. "Wait
 * for items" stores the callback's token; "Check items" counts, DONE once all are terminal; "Cancel items" carries out
 * a DELETE.
 *
 * Safe to repeat at every point (a retried step, a restart of the local stack in the middle of a slice): an item's
 * onboarding is registered with the key `<batchId>#<item>` in the batch items' own namespace (no client's
 * Idempotency-Key reaches it: lib/domain/ids.ts), so its record id and execution name are
 * deterministic and a second start finds them; an item already marked started is skipped; the batch advances by a
 * conditional write on the slice number, so a slice is never counted twice.
 */
import type { LastError } from '#domain/api-schemas';
import {
  BATCH_SLICE_ITEMS,
  KNOX_CALLS_PER_ITEM,
  customerKeyOf,
  itemIdempotencyKey,
  type BatchRecord,
  type BatchStepResult,
  type StartedItem,
} from '#domain/batch-schemas';
import { onboardingRequestSchema } from '#domain/api-schemas';
import type { BatchConfig } from '../commons/config';
import { logger } from '../commons/powertools';
import { batchItemRecordId, submit, type IntakeResult } from '../intake/intake';
import { cancelRound, pool } from './cancel';
import { refreshProgress, type Progress } from './progress';
import { getSlice, markItemsStarted, takeSlice } from './slices';
import { advanceBatch, getBatch } from './batch-store';
import { wakeBatch } from './batch-callback';
import { reviveBatch, stopBatch, storeBatchToken } from './batch-transitions';

/** Items of a slice registered at the same time (each is a handful of DynamoDB calls and a StartExecution). */
const START_CONCURRENCY = 10;

export class BatchNotFoundError extends Error {
  override readonly name = 'Batch.NotFound';
}

/** What the item records about its start. */
function startedItemOf(result: IntakeResult, plannedId: string): StartedItem {
  switch (result.outcome) {
    case 'started':
    case 'existing':
      return {
        onboardingId: result.record.pk,
        ...(result.record.customerId !== undefined ? { customerId: result.record.customerId } : {}),
      };
    case 'conflict': {
      const lastError: LastError = {
        code: 'CUSTOMER_HAS_OPEN_WORKFLOW',
        errorCode: '0',
        message: `The customer has an open ${result.kind} (${result.openId}); onboard it again once that ends`,
        disposition: 'abort',
      };
      return { onboardingId: plannedId, lastError };
    }
    case 'keyReused': {
      // Not reachable through the API (batch items' keys live in their own namespace: ids.ts), and never a success
      // pointing at another customer's record.
      const lastError: LastError = {
        code: 'IDEMPOTENCY_KEY_REUSED',
        errorCode: '0',
        message: `The item's key found a record of ${result.otherCustomer ? 'another customer' : 'another request'}; it was not registered`,
        disposition: 'abort',
      };
      return { onboardingId: plannedId, lastError };
    }
    case 'notStarted':
      // Step Functions could not be reached: the step fails and its retry starts the item (the record is written).
      throw new Error(`The onboarding ${result.record.pk} is recorded but its execution could not be started`);
  }
}

/**
 * Pacing: the next slice starts once the budget has had time for this slice's calls, less the time the slice took to
 * start. A Wait counts whole seconds: what rounding leaves over (at most a second either way) is carried to the next
 * slice, so the batch as a whole keeps to the budget.
 */
export function pacedWait(
  knoxCalls: number,
  requestsPerSecond: number,
  elapsedMs: number,
  carrySeconds: number,
): { paced: number; carry: number } {
  const exact = knoxCalls / requestsPerSecond - elapsedMs / 1000 + carrySeconds;
  const paced = Math.max(0, Math.round(exact));
  return { paced, carry: Math.max(-1, Math.min(1, exact - paced)) };
}

async function load(batchId: string): Promise<BatchRecord> {
  const batch = await getBatch(batchId);
  if (batch === undefined) throw new BatchNotFoundError(`No batch ${batchId}`);
  return batch;
}

/** A FAILED batch whose workflow runs a step again (a redrive, a restart) takes up where it was. */
async function loadLive(batchId: string): Promise<BatchRecord> {
  const batch = await load(batchId);
  if (batch.status !== 'FAILED') return batch;
  if (await reviveBatch(batch)) logger.info('Batch continued after its workflow failed', { batchId });
  return load(batchId);
}

function resultOf(batchId: string, progress: Progress, waitSeconds = 0): BatchStepResult {
  return { batchId, status: progress.status, next: progress.next, waitSeconds };
}

/** maxFailedPercentage: the reason to stop, once more than that share of the items started FAILED. */
export function stopReason(batch: BatchRecord): string | undefined {
  const max = batch.maxFailedPercentage;
  if (max === undefined || batch.started === 0 || (batch.failed * 100) / batch.started <= max) return undefined;
  const [code, count] = Object.entries(batch.failedCodes).sort((a, b) => b[1] - a[1])[0] ?? ['UNKNOWN', batch.failed];
  return `${batch.failed} of ${batch.started} items started FAILED (more than ${max} %); most often ${code} (${count})`;
}

/** "Start next slice". */
export async function startNextSlice(batchId: string, config: BatchConfig): Promise<BatchStepResult> {
  const began = Date.now();
  const batch = await loadLive(batchId);
  if (batch.status !== 'STARTING' || batch.slicesStarted >= batch.slices) {
    return resultOf(batchId, await refreshProgress(batch));
  }
  const reason = stopReason(batch);
  if (reason !== undefined) {
    if (await stopBatch(batchId, reason)) logger.warn('Batch stopped', { batchId, reason });
    return resultOf(batchId, await refreshProgress(await load(batchId)));
  }
  const n = batch.slicesStarted;
  const slice = await getSlice(batchId, n);
  if (slice === undefined) throw new Error(`Batch ${batchId} has no slice ${n}`);
  if (!(await takeSlice(batchId, n, 'claimed'))) return resultOf(batchId, await refreshProgress(await load(batchId)));

  let knoxCalls = 0;
  const started = new Map<number, StartedItem>();
  const pending = slice.items.map((request, offset) => ({ request, item: slice.first + offset }));
  await pool(pending, START_CONCURRENCY, async ({ request, item }) => {
    const body = onboardingRequestSchema.parse(request);
    knoxCalls += 'customerId' in body ? KNOX_CALLS_PER_ITEM.link : KNOX_CALLS_PER_ITEM.create;
    if (slice.started[String(item)] !== undefined) return;
    const idempotencyKey = itemIdempotencyKey(batchId, item);
    const result = await submit(
      {
        kind: 'onboarding',
        request,
        customerKey: customerKeyOf(body),
        ...('customerId' in body
          ? { customerId: body.customerId, path: 'link' as const }
          : { path: 'create' as const }),
        idempotencyKey,
        keyNamespace: 'batch-item',
        batchId,
      },
      {
        stateMachineArns: { onboarding: config.onboardingStateMachineArn },
        waitDeadlineSeconds: config.waitDeadlineSeconds,
      },
    );
    started.set(item, startedItemOf(result, batchItemRecordId(batchId, item)));
  });
  // One write for the slice: a run that stops before it starts the same items again, and the intake finds them.
  await markItemsStarted(batchId, n, started);

  // A DELETE that came while the slice was starting: the cancellation (next step) cancels these items too.
  const after = await load(batchId);
  if (after.status !== 'STARTING') return resultOf(batchId, await refreshProgress(after));

  // The items this batch started itself are counted open until they end (item-ended.ts); joined ones are not ours.
  const fresh = (await getSlice(batchId, n)) ?? slice;
  const opened = Object.entries(fresh.started).filter(
    ([item, s]) => s.lastError === undefined && s.onboardingId === batchItemRecordId(batchId, Number(item)),
  ).length;
  const { paced, carry } = pacedWait(
    knoxCalls,
    config.knoxRequestsPerSecond,
    Date.now() - began,
    batch.pacingCarrySeconds,
  );
  const last = n + 1 >= batch.slices;
  const advanced = await advanceBatch(
    batchId,
    n,
    Math.min(batch.total, (n + 1) * BATCH_SLICE_ITEMS),
    last ? 'RUNNING' : 'STARTING',
    carry,
    opened,
  );
  if (!advanced) logger.info('The slice was advanced by an earlier run of this step', { batchId, slice: n });
  const progress = await refreshProgress(await load(batchId));
  const waitSeconds = progress.status === 'STARTING' ? paced : 0;
  logger.info('Slice started', { batchId, slice: n, items: slice.items.length, knoxCalls, waitSeconds, ...progress });
  return resultOf(batchId, progress, waitSeconds);
}

/** "Check items": the counts, after the items' callback woke the workflow (or its backstop timed out). */
export async function checkItems(batchId: string): Promise<BatchStepResult> {
  return resultOf(batchId, await refreshProgress(await loadLive(batchId)));
}

/**
 * "Wait for items" (a callback): stores the token, then wakes the workflow at once when there is nothing to wait
 * for (the last item ended before the token was stored, or a DELETE came). Otherwise the end of the last open item
 * (item-ended.ts) or the poller's sweep answers it.
 */
export async function awaitItems(batchId: string, taskToken: string): Promise<void> {
  const stored = await storeBatchToken(batchId, taskToken);
  if (stored === undefined) {
    await wakeBatch(batchId, taskToken, `the batch is ${(await load(batchId)).status}`);
    return;
  }
  if (stored.open > 0) return;
  const progress = await refreshProgress(stored);
  if (progress.next !== 'items') await wakeBatch(batchId, taskToken, `the batch is ${progress.status}`);
}

/** "Cancel items": one round of the cancellation; CANCELLED once every slice is done. */
export async function cancelItems(batchId: string, config: BatchConfig): Promise<BatchStepResult> {
  const batch = await loadLive(batchId);
  if (batch.status !== 'CANCELLING') return resultOf(batchId, await refreshProgress(batch));
  const finished = await cancelRound(batch, config.onboardingStateMachineArn);
  return resultOf(batchId, await refreshProgress(await load(batchId), { final: finished }));
}
