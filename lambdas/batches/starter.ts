/**
 * The batch workflow's steps. "Start next slice": the next items become onboardings through the same intake as
 * `POST /onboardings` (an item whose customer has an open onboarding joins it), a few at a time as the shared Knox
 * budget has room (pacing.ts); before each start, maxFailedPercentage may stop the batch. "Wait for items" stores the
 * callback's token; "Check items" counts, DONE once all are terminal; "Cancel items" carries out a DELETE.
 *
 * Safe to repeat at every point (a retried step, a restart of the local stack in the middle of a round): an item's
 * onboarding is registered with the key `<batchId>#<item>` in the batch items' own namespace (no client's
 * Idempotency-Key reaches it: lib/domain/ids.ts), so its record id and execution name are deterministic and a second
 * start finds them; an item already marked started is skipped; items start in order and the batch advances by a
 * conditional write on its count of items started, so an item is never counted twice.
 */
import type { LastError } from '#domain/api-schemas';
import {
  BATCH_SLICE_ITEMS,
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
import { PACING, budgetRoom, nextMove, ownScheduleAfter, type PacingSettings } from './pacing';
import { refreshProgress, type Progress } from './progress';
import { getSlice, markItemsStarted, takeSlice } from './slices';
import { advanceBatch, getBatch } from './batch-store';
import { wakeBatch } from './batch-callback';
import { reviveBatch, stopBatch, storeBatchToken } from './batch-transitions';

/** Items registered at the same time (each is a handful of DynamoDB calls and a StartExecution): a whole round's. */
const START_CONCURRENCY = BATCH_SLICE_ITEMS;

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * "Start next slice": starts the batch's items in order, a few at a time, as the Knox budget has room (pacing.ts), for
 * up to `pacing.workMs`; then hands back to the workflow (its Wait sleeps `waitSeconds`, 0 to go on at once).
 */
export async function startNextSlice(
  batchId: string,
  config: BatchConfig,
  pacing: PacingSettings = PACING,
): Promise<BatchStepResult> {
  const began = Date.now();
  let ownUntil = 0;
  let lastStartMs = 0;
  for (;;) {
    const batch = await loadLive(batchId);
    if (batch.status !== 'STARTING' || batch.started >= batch.total) {
      return resultOf(batchId, await refreshProgress(batch));
    }
    const reason = stopReason(batch);
    if (reason !== undefined) {
      if (await stopBatch(batchId, reason)) logger.warn('Batch stopped', { batchId, reason });
      return resultOf(batchId, await refreshProgress(await load(batchId)));
    }
    const now = Date.now();
    const room = await budgetRoom(config.knoxRequestsPerSecond, now);
    const move = nextMove({ room, ownMs: ownUntil - now, elapsedMs: now - began, lastStartMs }, pacing);
    if ('sleepMs' in move) {
      await sleep(move.sleepMs);
      continue;
    }
    if ('waitSeconds' in move) {
      logger.info('Waiting for the Knox budget', { batchId, backlogMs: room.backlogMs, waitSeconds: move.waitSeconds });
      return resultOf(batchId, await refreshProgress(batch), move.waitSeconds);
    }
    const startedAt = Date.now();
    const chunk = await startItems(batch, move.start, config);
    lastStartMs = Date.now() - startedAt;
    ownUntil = ownScheduleAfter(ownUntil, startedAt, chunk.items, room.rate);
    logger.info('Items started', { batchId, ...chunk, backlogMs: room.backlogMs, rate: room.rate });
    if (chunk.stop || Date.now() - began >= pacing.workMs) {
      return resultOf(batchId, await refreshProgress(await load(batchId)));
    }
  }
}

/**
 * Starts up to `limit` items from `batch.started` on, within its slice; counts them started (and the ones this batch
 * started itself open) by a conditional write on `started`, so a repeat never counts them twice. `stop` when the
 * batch must not go on (its slice was cancelled, a DELETE came, or all are started).
 */
async function startItems(
  batch: BatchRecord,
  limit: number,
  config: BatchConfig,
): Promise<{ items: number; started: number; stop: boolean }> {
  const batchId = batch.pk;
  const n = Math.floor(batch.started / BATCH_SLICE_ITEMS);
  const slice = await getSlice(batchId, n);
  if (slice === undefined) throw new Error(`Batch ${batchId} has no slice ${n}`);
  if (slice.cancelled === true || (slice.claimed !== true && !(await takeSlice(batchId, n, 'claimed')))) {
    return { items: 0, started: batch.started, stop: true };
  }
  const from = batch.started;
  const end = slice.first + slice.count;
  // A rest of the slice shorter than half a round goes with this one (20 then 5 would cost a round for 5).
  const to = end - (from + limit) <= limit / 2 ? end : from + limit;
  const pending = slice.items
    .map((request, offset) => ({ request, item: slice.first + offset }))
    .filter(({ item }) => item >= from && item < to && slice.started[String(item)] === undefined);
  const started = new Map<number, StartedItem>();
  await pool(pending, START_CONCURRENCY, async ({ request, item }) => {
    const body = onboardingRequestSchema.parse(request);
    const result = await submit(
      {
        kind: 'onboarding',
        request,
        customerKey: customerKeyOf(body),
        ...('customerId' in body
          ? { customerId: body.customerId, path: 'link' as const }
          : { path: 'create' as const }),
        idempotencyKey: itemIdempotencyKey(batchId, item),
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
  // One write for the items (a slice is claimed once; its items may start over several rounds): a run that stops
  // before it starts the same items again, and the intake finds them.
  await markItemsStarted(batchId, n, started);

  // A DELETE that came while the items were starting: the cancellation (next step) cancels these too.
  const after = await load(batchId);
  if (after.status !== 'STARTING') return { items: pending.length, started: from, stop: true };

  // The items this batch started itself are counted open until they end (item-ended.ts); joined ones are not ours.
  const fresh = (await getSlice(batchId, n)) ?? slice;
  const opened = Object.entries(fresh.started).filter(
    ([item, s]) =>
      Number(item) >= from &&
      Number(item) < to &&
      s.lastError === undefined &&
      s.onboardingId === batchItemRecordId(batchId, Number(item)),
  ).length;
  const all = to >= batch.total;
  const slicesStarted = all ? batch.slices : Math.floor(to / BATCH_SLICE_ITEMS);
  if (!(await advanceBatch(batchId, from, to, slicesStarted, all ? 'RUNNING' : 'STARTING', opened)))
    logger.info('These items were counted by an earlier run of this step', { batchId, from, to });
  return { items: pending.length, started: to, stop: all };
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
