/** What the API shows of a batch and of its items (the stored items, which hold contact details, stay out). */
import type { LastError } from '#domain/api-schemas';
import type { BatchRecord } from '#domain/batch-schemas';
import { hintOf } from '#domain/recorded-error';
import type { ItemState } from './progress';
import { definedFields } from '#domain/defined-fields';

export function batchView(batch: BatchRecord): Record<string, unknown> {
  return {
    batchId: batch.pk,
    status: batch.status,
    total: batch.total,
    started: batch.started,
    counts: batch.counts,
    ...definedFields(batch, ['maxFailedPercentage', 'stoppedReason', 'failedReason', 'retryOf', 'retries']),
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
}

export function acceptedBatchView(batch: BatchRecord): Record<string, unknown> {
  return { batchId: batch.pk, status: batch.status, total: batch.total, ...definedFields(batch, ['retryOf']) };
}

/** A lastError with the error table's operator hint for it, when the table has one. */
function withHint(error: LastError): LastError & { hint?: string } {
  const hint = hintOf(error);
  return hint !== undefined ? { ...error, hint } : error;
}

export function itemView(state: ItemState, plannedId: string): Record<string, unknown> {
  return {
    item: state.item,
    onboardingId: state.onboardingId ?? plannedId,
    ...(state.customerId !== undefined ? { customerId: state.customerId } : {}),
    status: state.status,
    ...(state.lastError !== undefined ? { lastError: withHint(state.lastError) } : {}),
  };
}
