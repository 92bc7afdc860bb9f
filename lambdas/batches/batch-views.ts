/** What the API shows of a batch and of its items (the stored items, which hold contact details, stay out). */
import type { BatchRecord } from '#domain/batch-schemas';
import type { ItemState } from './progress';

export function batchView(batch: BatchRecord): Record<string, unknown> {
  return {
    batchId: batch.pk,
    status: batch.status,
    total: batch.total,
    started: batch.started,
    counts: batch.counts,
    ...(batch.maxFailedPercentage !== undefined ? { maxFailedPercentage: batch.maxFailedPercentage } : {}),
    ...(batch.stoppedReason !== undefined ? { stoppedReason: batch.stoppedReason } : {}),
    ...(batch.failedReason !== undefined ? { failedReason: batch.failedReason } : {}),
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
}

export function acceptedBatchView(batch: BatchRecord): Record<string, unknown> {
  return { batchId: batch.pk, status: batch.status, total: batch.total };
}

export function itemView(state: ItemState, plannedId: string): Record<string, unknown> {
  return {
    item: state.item,
    onboardingId: state.onboardingId ?? plannedId,
    ...(state.customerId !== undefined ? { customerId: state.customerId } : {}),
    status: state.status,
    ...(state.lastError !== undefined ? { lastError: state.lastError } : {}),
  };
}
