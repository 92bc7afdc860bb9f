/**
 * Which items of a batch a retry takes (`POST /onboarding-batches/{id}/retries`, README.md "Retry what failed"), in
 * the original's item order, with the very bodies the original accepted:
 * - every item whose outcome is FAILED (an operator problem: credentials, Knox down past the retries, ...);
 * - every item the batch never started: a STOPPED batch's slices not reached, a CANCELLED batch's slices closed by the
 *   DELETE;
 * - in a CANCELLED batch, its CANCELLED items: the operator cancelled the batch, not these customers (an item whose
 *   own onboarding was cancelled by `DELETE /onboardings/{id}` in a batch that was not cancelled stays out);
 * - with `include: ["ABORTED"]`, its ABORTED items (Knox's business answers: the customer refused, is unknown, ...).
 * SUCCEEDED items, and any item still open, stay out.
 */
import { isTerminal, type RecordStatus } from '#domain/api-schemas';
import type { BatchRecord, BatchRetryRequest, BatchSlice } from '#domain/batch-schemas';
import { itemStates } from './progress';
import { getSlices } from './slices';

export interface RetrySelection {
  /** The items to retry, as the original accepted them, in its order. */
  items: Record<string, unknown>[];
  /** The original's index of each item. */
  origin: number[];
  /** The CSV file line of each item, when the original was sent as CSV. */
  lines?: number[];
  /** The original's outcomes, counted (the 409 of an empty selection says what there was). */
  outcomes: Partial<Record<RecordStatus | 'NOT_STARTED', number>>;
  /** Items the batch started whose onboarding is still open. */
  open: number;
}

/** Whether one item is retried, from its state, whether its slice started it, and the batch's status. */
export function isRetried(
  status: RecordStatus,
  startedByBatch: boolean,
  batch: Pick<BatchRecord, 'status'>,
  include: BatchRetryRequest['include'],
): boolean {
  if (!startedByBatch) return true;
  if (status === 'FAILED') return true;
  if (status === 'CANCELLED') return batch.status === 'CANCELLED';
  if (status === 'ABORTED') return include?.includes('ABORTED') === true;
  return false;
}

/** The items of `batch` a retry with `include` takes (reads its slices with their bodies and its items' records). */
export async function selectRetryItems(
  batch: BatchRecord,
  include: BatchRetryRequest['include'],
): Promise<RetrySelection> {
  const slices = await getSlices(batch.pk, batch.slices);
  const states = await itemStates(slices);
  const stored = new Map<number, { body: Record<string, unknown>; line?: number; slice: BatchSlice }>();
  for (const slice of slices) {
    slice.items.forEach((body, offset) => {
      const line = slice.lines?.[offset];
      stored.set(slice.first + offset, { body, slice, ...(line !== undefined ? { line } : {}) });
    });
  }
  const selection: RetrySelection = { items: [], origin: [], outcomes: {}, open: 0 };
  const lines: number[] = [];
  for (const state of states) {
    const item = stored.get(state.item);
    if (item === undefined) throw new Error(`Batch ${batch.pk} has no stored body for item ${state.item}`);
    const startedByBatch = item.slice.started[String(state.item)] !== undefined;
    const outcome = startedByBatch ? state.status : 'NOT_STARTED';
    selection.outcomes[outcome] = (selection.outcomes[outcome] ?? 0) + 1;
    if (startedByBatch && !isTerminal(state.status)) selection.open += 1;
    if (!isRetried(state.status, startedByBatch, batch, include)) continue;
    selection.items.push(item.body);
    selection.origin.push(state.item);
    if (item.line !== undefined) lines.push(item.line);
  }
  if (lines.length === selection.items.length && lines.length > 0) selection.lines = lines;
  return selection;
}
