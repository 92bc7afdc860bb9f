/**
 * The batch record's status changes beside the slice rounds (./batch-store.ts): a DELETE asks for the cancellation
 * (CANCELLING; the batch's own workflow carries it out), the watch's callback token, an item's end counted down,
 * STOPPED by maxFailedPercentage, FAILED when the batch's own workflow failed and back when it is continued. Every
 * one is a single conditional UpdateItem (no transactions: dynalite runs the same code).
 */
import { BATCH_STATUSES, type BatchRecord, type BatchStatus, LIVE_BATCH_STATUSES } from '#domain/batch-schemas';
import { TABLE } from '#domain/table-layout';
import { conditionalUpdate, nowIso } from '../store/table-client';
import { BASE_NAMES, batchKindStatus, parseBatch } from './batch-store';
import { updateReturning } from './table';

function statusIn(statuses: readonly BatchStatus[], prefix: string): { condition: string; values: object } {
  return {
    condition: `#status IN (${statuses.map((_, i) => `:${prefix}${i}`).join(', ')})`,
    values: Object.fromEntries(statuses.map((s, i) => [`:${prefix}${i}`, s])),
  };
}

/** The statuses a DELETE cancels from (a STOPPED batch still has open items). */
const CANCELLABLE: readonly BatchStatus[] = ['STARTING', 'RUNNING', 'STOPPED'];
/** The statuses in which the workflow waits for the items on a callback. */
export const WATCHED: readonly BatchStatus[] = ['RUNNING', 'STOPPED'];

/** DELETE: the batch becomes CANCELLING (the record after it), or undefined when it was not cancellable. */
export async function requestCancel(batchId: string): Promise<BatchRecord | undefined> {
  const open = statusIn(CANCELLABLE, 'c');
  const item = await updateReturning(
    batchId,
    'SET #status = :status, #kindStatus = :kindStatus, #updatedAt = :now, #cancel = :true',
    open.condition,
    { ...BASE_NAMES, '#cancel': 'cancelRequested' },
    {
      ...open.values,
      ':status': 'CANCELLING',
      ':kindStatus': batchKindStatus('CANCELLING'),
      ':now': nowIso(),
      ':true': true,
    },
  );
  return parseBatch(item);
}

/** The cancellation has done slices `from` to `to - 1`; false when another run did them already. */
export function advanceCancel(batchId: string, from: number, to: number): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #cancelSlices = :to, #updatedAt = :now',
    '#cancelSlices = :from AND #status = :cancelling',
    { '#cancelSlices': 'cancelSlices', '#status': 'status', '#updatedAt': 'updatedAt' },
    { ':from': from, ':to': to, ':cancelling': 'CANCELLING', ':now': nowIso() },
  );
}

/** "Wait for items": the callback's token on the record, while the batch is watched (the record after it). */
export async function storeBatchToken(batchId: string, token: string): Promise<BatchRecord | undefined> {
  const watched = statusIn(WATCHED, 'w');
  const item = await updateReturning(
    batchId,
    'SET #token = :token, #updatedAt = :now',
    watched.condition,
    { '#status': 'status', '#token': 'taskToken', '#updatedAt': 'updatedAt' },
    { ...watched.values, ':token': token, ':now': nowIso() },
  );
  return parseBatch(item);
}

/**
 * One of the batch's own items ended: one open item less (and, FAILED, one failure more by its Knox code). The caller
 * makes sure each item is counted once (item-ended.ts). Answers the record after it.
 */
export async function countItemEnd(batchId: string, failedCode?: string): Promise<BatchRecord | undefined> {
  const names: Record<string, string> = { '#pk': TABLE.partitionKey, '#open': 'open' };
  const values: Record<string, unknown> = { ':minus': -1 };
  let add = '#open :minus';
  if (failedCode !== undefined) {
    Object.assign(names, { '#failed': 'failed', '#codes': 'failedCodes', '#code': failedCode });
    values[':one'] = 1;
    add += ', #failed :one';
  }
  // failedCodes is a map that exists from the start (createBatch): a nested ADD needs its parent.
  const update =
    failedCode === undefined ? `ADD ${add}` : `ADD ${add} SET #codes.#code = if_not_exists(#codes.#code, :zero) + :one`;
  if (failedCode !== undefined) values[':zero'] = 0;
  return parseBatch(await updateReturning(batchId, update, 'attribute_exists(#pk)', names, values));
}

/** maxFailedPercentage reached: a STARTING batch starts no more items. */
export function stopBatch(batchId: string, reason: string): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #status = :status, #kindStatus = :kindStatus, #reason = :reason, #updatedAt = :now',
    '#status = :starting',
    { ...BASE_NAMES, '#reason': 'stoppedReason' },
    {
      ':starting': 'STARTING',
      ':status': 'STOPPED',
      ':kindStatus': batchKindStatus('STOPPED'),
      ':reason': reason,
      ':now': nowIso(),
    },
  );
}

/** The batch's own workflow failed: FAILED with the reason, remembering where it was (a live batch only). */
export function failBatch(batch: BatchRecord, reason: string): Promise<boolean> {
  if (!(LIVE_BATCH_STATUSES as readonly string[]).includes(batch.status)) return Promise.resolve(false);
  return conditionalUpdate(
    batch.pk,
    'SET #status = :status, #kindStatus = :kindStatus, #reason = :reason, #from = :from, #updatedAt = :now',
    '#status = :from',
    { ...BASE_NAMES, '#reason': 'failedReason', '#from': 'failedFrom' },
    {
      ':status': 'FAILED',
      ':kindStatus': batchKindStatus('FAILED'),
      ':reason': reason.slice(0, 1000),
      ':from': batch.status,
      ':now': nowIso(),
    },
  );
}

/** A step of the batch's workflow runs again (a redrive, a restart): a FAILED batch takes up where it was. */
export async function reviveBatch(batch: BatchRecord): Promise<boolean> {
  if (batch.status !== 'FAILED') return false;
  const back: BatchStatus =
    batch.failedFrom !== undefined && (BATCH_STATUSES as readonly string[]).includes(batch.failedFrom)
      ? batch.failedFrom
      : batch.started < batch.total
        ? 'STARTING'
        : 'RUNNING';
  return conditionalUpdate(
    batch.pk,
    'SET #status = :status, #kindStatus = :kindStatus, #updatedAt = :now REMOVE #reason, #from',
    '#status = :failed',
    { ...BASE_NAMES, '#reason': 'failedReason', '#from': 'failedFrom' },
    { ':failed': 'FAILED', ':status': back, ':kindStatus': batchKindStatus(back), ':now': nowIso() },
  );
}
