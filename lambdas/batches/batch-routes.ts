/**
 * The bulk onboarding routes (README.md, "Bulk onboarding"): POST a batch (JSON or CSV, all or nothing), read it,
 * page its items, cancel it. The batch workflow (lambdas/batch-starter.ts) starts the items; these only record the
 * batch and start, read or stop its execution.
 */
import { createHash } from 'node:crypto';
import {
  BATCH_SLICE_ITEMS,
  batchIdFor,
  batchIdSchema,
  batchItemsQuerySchema,
  maxFailedPercentageSchema,
  type BatchRecord,
  type BatchRequest,
} from '#domain/batch-schemas';
import { logger } from '../commons/powertools';
import { parseBatchCsv } from '#domain/batch-csv';
import { MAX_BATCH_BODY_BYTES } from '#domain/routes';
import { wakeBatch } from './batch-callback';
import { requestCancel } from './batch-transitions';
import { currentCounts, itemStates } from './progress';
import { getSlices } from './slices';
import { createBatch, getBatch } from './batch-store';
import { canonical, idempotencyKeyOf, notStarted, startBatch } from './batch-submission';
import { acceptedBatchView, batchView, itemView } from './batch-views';
import { readBatch } from './batch-input';
import {
  HttpError,
  badRequest,
  bodyBytes,
  describeFailure,
  isCsvContentType,
  json,
  repeatedParameterIssues,
  type RouteHandler,
} from '../commons/http';
import { batchItemRecordId } from '../intake/intake';

/** The file line of each item of a batch sent as CSV (the report names them); undefined for JSON. */
function csvLinesOf(event: Parameters<RouteHandler>[0]['event'], headers: Map<string, string>): number[] | undefined {
  if (!isCsvContentType(headers.get('content-type'))) return undefined;
  const csv = parseBatchCsv(bodyBytes(event, MAX_BATCH_BODY_BYTES).toString('utf8'));
  return 'lines' in csv ? csv.lines : undefined;
}

/** POST /onboarding-batches. */
export const submitBatch: RouteHandler = async ({ event, headers }) => {
  const { key, issues } = idempotencyKeyOf(event, headers);
  let batch: BatchRequest;
  try {
    batch = readBatch(event, headers);
  } catch (error) {
    if (error instanceof HttpError && error.statusCode === 400 && issues.length > 0) {
      throw badRequest({ message: error.body.message, issues: [...issues, ...(error.body.issues as typeof issues)] });
    }
    throw error;
  }
  // CSV has no place for it in the body: `?maxFailedPercentage=n` (a JSON body's own field wins).
  const threshold = event.queryStringParameters?.['maxFailedPercentage'];
  if (threshold !== undefined && batch.maxFailedPercentage === undefined) {
    const parsed = maxFailedPercentageSchema.safeParse(threshold);
    if (parsed.success) batch = { ...batch, maxFailedPercentage: parsed.data };
    else issues.push({ path: 'maxFailedPercentage', message: 'a number from 0 to 100' });
  }
  if (issues.length > 0) throw badRequest({ message: 'The batch is not valid: nothing was recorded', issues });

  const items = batch.items as Record<string, unknown>[];
  const itemsHash = createHash('sha256').update(canonical(items)).digest('hex');
  const id = batchIdFor(key);
  const existing = key !== undefined ? await getBatch(id) : undefined;
  if (existing) {
    if (existing.itemsHash !== itemsHash) {
      return json(422, {
        message: 'This Idempotency-Key was used for a different batch; use a new key for a new batch',
        batchId: id,
      });
    }
    return (await startBatch(existing))
      ? json(200, acceptedBatchView((await getBatch(id)) ?? existing))
      : notStarted(existing);
  }
  const lines = csvLinesOf(event, headers);
  const created = await createBatch({
    id,
    items,
    itemsHash,
    executionName: id,
    ...(lines !== undefined ? { lines } : {}),
    ...(batch.maxFailedPercentage !== undefined ? { maxFailedPercentage: batch.maxFailedPercentage } : {}),
  });
  const record = await getBatch(id);
  if (record === undefined) throw new Error(`Batch ${id} vanished right after it was written`);
  const started = await startBatch(record);
  logger.info('Batch registered', { batchId: id, total: record.total, created, started });
  if (!started) return notStarted(record);
  return json(created ? 202 : 200, acceptedBatchView(record));
};

export async function batchOf(id: string | undefined): Promise<BatchRecord> {
  const parsed = batchIdSchema.safeParse(id);
  const batch = parsed.success ? await getBatch(parsed.data) : undefined;
  if (batch === undefined) throw new HttpError(404, { message: `No batch ${String(id).slice(0, 64)}` });
  return batch;
}

/** GET /onboarding-batches/{batchId}. */
export const readBatchRoute: RouteHandler = async ({ id }) => {
  const batch = await batchOf(id);
  return json(200, batchView({ ...batch, counts: await currentCounts(batch) }));
};

const ITEMS_DEFAULT_LIMIT = 50;

/** GET /onboarding-batches/{batchId}/items?limit&cursor: items in order; the cursor is the next item's index. */
export const batchItems: RouteHandler = async ({ event, id }) => {
  const input = event.queryStringParameters ?? {};
  const query = batchItemsQuerySchema.safeParse(input);
  const repeated = repeatedParameterIssues(event);
  if (!query.success || repeated.length > 0) {
    throw badRequest({
      message: 'The query is not valid',
      issues: [...repeated, ...(query.success ? [] : describeFailure(query.error, input).issues)],
    });
  }
  const batch = await batchOf(id);
  const from = Number(query.data.cursor ?? 0);
  const limit = query.data.limit ?? ITEMS_DEFAULT_LIMIT;
  if (from >= batch.total) return json(200, { items: [] });
  const to = Math.min(batch.total, from + limit);
  const first = Math.floor(from / BATCH_SLICE_ITEMS);
  const last = Math.floor((to - 1) / BATCH_SLICE_ITEMS);
  const slices = await getSlices(batch.pk, last + 1, { from: first, bodies: false });
  const states = (await itemStates(slices)).filter((s) => s.item >= from && s.item < to);
  return json(200, {
    items: states.map((s) => itemView(s, batchItemRecordId(batch.pk, s.item))),
    ...(to < batch.total ? { cursor: String(to) } : {}),
  });
};

/**
 * DELETE /onboarding-batches/{batchId}: the batch becomes CANCELLING and the answer is 202 at once; the batch's own
 * workflow stops starting items and cancels the open ones (any number of them, resumable), then the batch is
 * CANCELLED. A repeated DELETE of a CANCELLING or CANCELLED batch answers 202 with it again; DONE, STOPPED with
 * nothing open, or FAILED answers 409.
 */
export const cancelBatchRoute: RouteHandler = async ({ id }) => {
  const batch = await batchOf(id);
  if (batch.status === 'CANCELLING' || batch.status === 'CANCELLED') return json(202, batchView(batch));
  if (batch.status === 'STOPPED') {
    // A STOPPED batch whose started items are all terminal has ended (its workflow with it): nothing to cancel.
    const counts = await currentCounts(batch);
    if (counts.IN_PROGRESS + counts.WAITING === 0 && counts.REQUESTED <= batch.total - batch.started)
      throw new HttpError(409, { message: 'The batch is STOPPED and none of its items is open', status: batch.status });
  }
  const cancelling = await requestCancel(batch.pk);
  if (cancelling === undefined) {
    const now = (await getBatch(batch.pk)) ?? batch;
    if (now.status === 'CANCELLING' || now.status === 'CANCELLED') return json(202, batchView(now));
    throw new HttpError(409, { message: `The batch is already ${now.status}`, status: now.status });
  }
  // The workflow may be waiting for the items: wake it so that it cancels them now (a STARTING one comes to it after
  // its budget wait, at the latest: its next "Start next slice" sees CANCELLING).
  if (cancelling.taskToken !== undefined) await wakeBatch(batch.pk, cancelling.taskToken, 'cancelled through the API');
  logger.info('Batch cancellation requested', { batchId: batch.pk });
  return json(202, batchView(cancelling));
};
