/**
 * POST /onboarding-batches/{batchId}/retries (README.md, "Retry what failed"): a new batch of the original's items
 * that did not get through (./retry-selection.ts), with the very bodies the original accepted, in its order. The new
 * batch carries `retryOf`, keeps the original's maxFailedPercentage and each item's original index (and CSV line) for
 * its report; the original lists it in `retries`. Its items register through the same intake as any batch item, with
 * keys in the new batch's own namespace: an item whose customer still has an open onboarding joins it (or is refused),
 * so no customer is ever linked twice.
 *
 * 409 unless the original has settled: STARTING, RUNNING and CANCELLING may still change, a STOPPED batch with items
 * still open too, and a FAILED one is continued by a redrive or a restart (which would start the items a retry took).
 * 409 as well when nothing is left to retry. With an Idempotency-Key the new batch's id comes from (original, key):
 * the same key answers the same batch (200), with another include list 422; a batch written whose execution could not
 * be started is started by the same request again.
 */
import { createHash } from 'node:crypto';
import {
  RETRY_INCLUDABLE,
  batchRetryRequestSchema,
  retryBatchIdFor,
  type BatchRecord,
  type BatchRetryRequest,
} from '#domain/batch-schemas';
import { TABLE } from '#domain/table-layout';
import { shapeIssues } from '../commons/body-bounds';
import { logger } from '../commons/powertools';
import {
  HttpError,
  badRequest,
  bodyBytes,
  describeFailure,
  json,
  readJsonBody,
  unfitTextIssues,
  MAX_BODY_BYTES,
  type RouteHandler,
} from '../commons/http';
import { conditionalUpdate } from '../store/table-client';
import { batchOf } from './batch-routes';
import { createBatch, getBatch } from './batch-store';
import { canonical, idempotencyKeyOf, notStarted, startBatch, type Issue } from './batch-submission';
import { acceptedBatchView } from './batch-views';
import { selectRetryItems, type RetrySelection } from './retry-selection';

const INVALID = 'The retry request is not valid: nothing was recorded';

/** The body: none (or an empty one) is `{}`; anything else is JSON checked like every POST body (415, 413, 400). */
function readRetryBody(event: Parameters<RouteHandler>[0]['event'], headers: Map<string, string>, issues: Issue[]) {
  if (bodyBytes(event, MAX_BODY_BYTES).length === 0) {
    if (issues.length > 0) throw badRequest({ message: INVALID, issues });
    return {};
  }
  const body = readJsonBody(event, headers);
  const shape = shapeIssues(body);
  if (shape.length > 0) throw badRequest({ message: INVALID, issues: [...issues, ...shape] });
  const parsed = batchRetryRequestSchema.safeParse(body);
  const all = [
    ...issues,
    ...(parsed.success ? [] : describeFailure(parsed.error, body).issues),
    ...unfitTextIssues(body),
  ];
  if (!parsed.success || all.length > 0) throw badRequest({ message: INVALID, issues: all });
  return parsed.data;
}

/** The include list as stored and compared: each outcome once, in a fixed order. */
function normalInclude(request: BatchRetryRequest): (typeof RETRY_INCLUDABLE)[number][] {
  return RETRY_INCLUDABLE.filter((o) => request.include?.includes(o));
}

/** Why the original cannot be retried now, if it cannot. */
function notSettled(original: BatchRecord, selection?: RetrySelection): string | undefined {
  switch (original.status) {
    case 'STARTING':
    case 'RUNNING':
    case 'CANCELLING':
      return `The batch is ${original.status}: retry it once it has ended`;
    case 'FAILED':
      return 'The batch FAILED (its own workflow): redrive it, or restart the stack, to let it continue; retry it once it has ended';
    case 'STOPPED':
      return selection !== undefined && selection.open > 0
        ? `The batch is STOPPED with ${selection.open} items still open: retry it once they have ended`
        : undefined;
    default:
      return undefined;
  }
}

function nothingLeft(original: BatchRecord, selection: RetrySelection, include: string[]): string {
  const counted = Object.entries(selection.outcomes)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const aborted = (selection.outcomes.ABORTED ?? 0) > 0 && !include.includes('ABORTED');
  return `Nothing to retry: no item of batch ${original.pk} FAILED, was left unstarted or was cancelled with it (${counted})${
    aborted ? '; ABORTED items are retried only with {"include": ["ABORTED"]}' : ''
  }`;
}

/**
 * The original lists its retry, once: a repeat finds it there already. One UpdateItem: `list_append` with
 * `if_not_exists` (DynamoDB Developer Guide, "Using update expressions") under `contains` on the list (a List
 * attribute "contains" an element: "Condition and filter expressions, operators, and functions").
 */
export function linkRetry(originalId: string, retryId: string): Promise<boolean> {
  return conditionalUpdate(
    originalId,
    'SET #retries = list_append(if_not_exists(#retries, :empty), :new)',
    'attribute_exists(#pk) AND (attribute_not_exists(#retries) OR NOT contains(#retries, :id))',
    { '#pk': TABLE.partitionKey, '#retries': 'retries' },
    { ':empty': [], ':new': [retryId], ':id': retryId },
  );
}

/** A retry that exists already: the same request again (200, started if it was not), or the key reused (422). */
async function repeated(existing: BatchRecord, original: BatchRecord, include: string[]) {
  if (existing.retryOf !== original.pk || canonical(existing.retryInclude ?? []) !== canonical(include)) {
    return json(422, {
      message: 'This Idempotency-Key was used for a different retry; use a new key for a new retry',
      batchId: existing.pk,
    });
  }
  await linkRetry(original.pk, existing.pk);
  if (!(await startBatch(existing))) return notStarted(existing);
  return json(200, acceptedBatchView((await getBatch(existing.pk)) ?? existing));
}

/** POST /onboarding-batches/{batchId}/retries. */
export const retryBatchRoute: RouteHandler = async ({ event, headers, id }) => {
  const { key, issues } = idempotencyKeyOf(event, headers);
  const request = readRetryBody(event, headers, issues);
  const include = normalInclude(request);
  const original = await batchOf(id);
  const retryId = retryBatchIdFor(original.pk, key);
  const existing = key !== undefined ? await getBatch(retryId) : undefined;
  if (existing !== undefined) return repeated(existing, original, include);

  const early = notSettled(original);
  if (early !== undefined) throw new HttpError(409, { message: early, status: original.status });
  const selection = await selectRetryItems(original, include);
  const late = notSettled(original, selection);
  if (late !== undefined) throw new HttpError(409, { message: late, status: original.status });
  if (selection.items.length === 0)
    throw new HttpError(409, { message: nothingLeft(original, selection, include), status: original.status });

  const created = await createBatch({
    id: retryId,
    items: selection.items,
    itemsHash: createHash('sha256').update(canonical(selection.items)).digest('hex'),
    executionName: retryId,
    origin: selection.origin,
    retryOf: original.pk,
    retryInclude: include,
    ...(selection.lines !== undefined ? { lines: selection.lines } : {}),
    ...(original.maxFailedPercentage !== undefined ? { maxFailedPercentage: original.maxFailedPercentage } : {}),
  });
  const record = await getBatch(retryId);
  if (record === undefined) throw new Error(`Batch ${retryId} vanished right after it was written`);
  // A concurrent request with the same key wrote it first: answer as its repeat. Both may start the execution: its name
  // is the batch id, and StartExecution with the name and input of a running execution answers that execution (Step
  // Functions API Reference, StartExecution).
  if (!created) return repeated(record, original, include);
  await linkRetry(original.pk, retryId);
  const started = await startBatch(record);
  logger.info('Batch retry registered', { batchId: retryId, retryOf: original.pk, total: record.total, started });
  if (!started) return notStarted(record);
  return json(202, acceptedBatchView(record));
};
