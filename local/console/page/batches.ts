/**
 * Batches through the public API (`GET /onboarding-batches/{id}` and `/items`, README.md, "Bulk onboarding"). Until
 * bulk onboarding exists the local API has no such route (404 "No route"): the console then shows what the records
 * themselves say about their batch (their `batchId`) and says so.
 */
import type { BatchGroup, BatchItem, BatchStatus, BatchSummary } from '../console-model';
import { getJson, isMissingRoute } from './api-client';

/** The batch status words (lib/domain/batch-schemas.ts BATCH_STATUSES: the page bundle does not carry zod). */
export const BATCH_STATUSES: BatchStatus[] = [
  'STARTING',
  'RUNNING',
  'DONE',
  'CANCELLING',
  'CANCELLED',
  'STOPPED',
  'FAILED',
];

/** Whether the batch routes exist: unknown until asked; a missing route is asked again after a while. */
let routes: { available: boolean; checkedAt: number } | undefined;
const RECHECK_MS = 30_000;

export function batchRoutesMissing(): boolean {
  return routes?.available === false;
}

/** The batch as the API answers it, or undefined when the routes do not exist (yet). */
export async function batchSummary(batchId: string): Promise<BatchSummary | undefined> {
  if (routes?.available === false && Date.now() - routes.checkedAt < RECHECK_MS) return undefined;
  try {
    const { body } = await getJson<BatchSummary>(`/onboarding-batches/${encodeURIComponent(batchId)}`);
    routes = { available: true, checkedAt: Date.now() };
    return body;
  } catch (error) {
    if (!isMissingRoute(error)) throw error;
    routes = { available: false, checkedAt: Date.now() };
    return undefined;
  }
}

export async function batchItems(
  batchId: string,
  cursor?: string,
): Promise<{ items: BatchItem[]; cursor?: string } | undefined> {
  const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
  try {
    const { body } = await getJson<{ items: BatchItem[]; cursor?: string }>(
      `/onboarding-batches/${encodeURIComponent(batchId)}/items?${query}`,
    );
    return body;
  } catch (error) {
    if (isMissingRoute(error)) return undefined;
    throw error;
  }
}

/** A batch summary from its records alone, when the API has no batch routes. */
export function summaryFromGroup(group: BatchGroup, terminal: readonly string[]): BatchSummary {
  const open = Object.entries(group.counts).some(([status, n]) => !terminal.includes(status) && (n ?? 0) > 0);
  return {
    batchId: group.batchId,
    status: open ? 'RUNNING' : 'DONE',
    total: group.records,
    started: group.records,
    counts: group.counts,
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
  };
}

/** Items that reached a terminal status. */
export function finishedCount(summary: BatchSummary, terminal: readonly string[]): number {
  return Object.entries(summary.counts).reduce(
    (sum, [status, n]) => sum + (terminal.includes(status) ? (n ?? 0) : 0),
    0,
  );
}
