/**
 * The batch workflow's two steps. "Start next slice": the next BATCH_SLICE_ITEMS items become onboardings through
 * the same intake as `POST /onboardings` (an item whose customer has an open onboarding joins it), then the workflow
 * waits until the Knox budget has room for the calls they need. "Check items": counts, and DONE once all are terminal.
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
import { cancelSliceItems, pool } from './cancel';
import { refreshProgress } from './progress';
import { getSlice, markItemsStarted, takeSlice } from './slices';
import { advanceBatch, getBatch } from './batch-store';

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

/** "Start next slice". */
export async function startNextSlice(batchId: string, config: BatchConfig): Promise<BatchStepResult> {
  const began = Date.now();
  const batch = await load(batchId);
  if (batch.status !== 'STARTING' || batch.slicesStarted >= batch.slices) {
    const progress = await refreshProgress(batch);
    return { batchId, status: progress.status, waitSeconds: progress.waitSeconds };
  }
  const n = batch.slicesStarted;
  const slice = await getSlice(batchId, n);
  if (slice === undefined) throw new Error(`Batch ${batchId} has no slice ${n}`);
  if (!(await takeSlice(batchId, n, 'claimed')))
    return { batchId, status: (await load(batchId)).status, waitSeconds: 0 };

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

  // A DELETE that came while the slice was starting may have missed these items: cancel them here.
  const after = await load(batchId);
  if (after.status === 'CANCELLED') {
    const fresh = await getSlice(batchId, n);
    if (fresh) await cancelSliceItems(batchId, fresh, config.onboardingStateMachineArn);
    await refreshProgress(after);
    return { batchId, status: 'CANCELLED', waitSeconds: 0 };
  }

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
  );
  if (!advanced) logger.info('The slice was advanced by an earlier run of this step', { batchId, slice: n });
  const progress = await refreshProgress(await load(batchId));
  const waitSeconds = progress.status === 'STARTING' ? paced : progress.waitSeconds;
  logger.info('Slice started', {
    batchId,
    slice: n,
    items: slice.items.length,
    knoxCalls,
    waitSeconds,
    status: progress.status,
  });
  return { batchId, status: progress.status, waitSeconds };
}

/** "Check items". */
export async function checkItems(batchId: string): Promise<BatchStepResult> {
  const progress = await refreshProgress(await load(batchId));
  return { batchId, status: progress.status, waitSeconds: progress.waitSeconds };
}
