import type { RecordStatus } from '#domain/api-schemas';
import {
  BATCH_KIND,
  OPEN_BATCH_STATUSES,
  batchRecordSchema,
  emptyCounts,
  type BatchCounts,
  type BatchRecord,
  type BatchStatus,
} from '#domain/batch-schemas';
import { TABLE } from '#domain/table-layout';
import { conditionalUpdate, getItem, nowIso, putIfAbsent } from '../store/table-client';
import { writeSlices } from './slices';
import { batchGet } from './table';

/** The by-status GSI key of a batch: batches are listed beside records (`batch#RUNNING`). */
export function batchKindStatus(status: BatchStatus): string {
  return `${BATCH_KIND}#${status}`;
}

export interface NewBatch {
  id: string;
  items: Record<string, unknown>[];
  itemsHash: string;
  executionName: string;
  /** The CSV file line of each item, for a batch sent as CSV. */
  lines?: number[];
  maxFailedPercentage?: number;
  /** A retry: the original's index of each item, the original, and the outcomes asked for beyond FAILED. */
  origin?: number[];
  retryOf?: string;
  retryInclude?: BatchRecord['retryInclude'];
}

/** Writes the slices, then the batch record (only if absent); false when a batch with this id exists already. */
export async function createBatch(input: NewBatch, now = nowIso()): Promise<boolean> {
  const slices = await writeSlices(input.id, input.items, input.lines, input.origin);
  const record: BatchRecord = {
    pk: input.id,
    kind: BATCH_KIND,
    status: 'STARTING',
    total: input.items.length,
    started: 0,
    slicesStarted: 0,
    slices,
    counts: { ...emptyCounts(), REQUESTED: input.items.length },
    open: 0,
    failed: 0,
    failedCodes: {},
    cancelSlices: 0,
    ...(input.maxFailedPercentage !== undefined ? { maxFailedPercentage: input.maxFailedPercentage } : {}),
    ...(input.retryOf !== undefined ? { retryOf: input.retryOf, retryInclude: input.retryInclude ?? [] } : {}),
    itemsHash: input.itemsHash,
    executionName: input.executionName,
    createdAt: now,
    updatedAt: now,
    kindStatus: batchKindStatus('STARTING'),
  };
  return putIfAbsent(record);
}

export function parseBatch(item: Record<string, unknown> | undefined): BatchRecord | undefined {
  if (item === undefined) return undefined;
  const parsed = batchRecordSchema.safeParse(item);
  if (!parsed.success)
    throw new Error(`Batch ${String(item[TABLE.partitionKey])} in the table does not have the expected shape`);
  return parsed.data;
}

export async function getBatch(id: string): Promise<BatchRecord | undefined> {
  return parseBatch(await getItem(id));
}

/** The status, customer and last error of onboardings, by id (missing ones are absent). */
export async function onboardingStatuses(
  ids: string[],
): Promise<Map<string, { status: RecordStatus; customerId?: string; lastError?: unknown; batchId?: string }>> {
  const items = await batchGet(ids, [TABLE.partitionKey, 'status', 'customerId', 'lastError', 'batchId']);
  return new Map(
    items.map((item) => [
      String(item[TABLE.partitionKey]),
      item as { status: RecordStatus; customerId?: string; lastError?: unknown; batchId?: string },
    ]),
  );
}

const OPEN_CONDITION = `#status IN (${OPEN_BATCH_STATUSES.map((_, i) => `:open${i}`).join(', ')})`;
const OPEN_VALUES = Object.fromEntries(OPEN_BATCH_STATUSES.map((s, i) => [`:open${i}`, s]));
export const BASE_NAMES = { '#status': 'status', '#kindStatus': TABLE.byStatusPartitionKey, '#updatedAt': 'updatedAt' };

/**
 * Items `from` to `to - 1` are started (items start in order): `to` is the next, `slicesStarted` slices are started
 * whole, and `opened` more are open; false when another run of the step counted them already, or the batch closed.
 */
export function advanceBatch(
  batchId: string,
  from: number,
  to: number,
  slicesStarted: number,
  status: BatchStatus,
  opened: number,
): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #slicesStarted = :slices, #started = :to, #status = :status, #kindStatus = :kindStatus, #updatedAt = :now ADD #open :opened',
    `#started = :from AND ${OPEN_CONDITION}`,
    { ...BASE_NAMES, '#slicesStarted': 'slicesStarted', '#started': 'started', '#open': 'open' },
    {
      ...OPEN_VALUES,
      ':opened': opened,
      ':from': from,
      ':to': to,
      ':slices': slicesStarted,
      ':status': status,
      ':kindStatus': batchKindStatus(status),
      ':now': nowIso(),
    },
  );
}

/** The counts of a round, and the status they lead to; only while the batch still has the status `from`. */
export function writeProgress(
  batchId: string,
  counts: BatchCounts,
  from: BatchStatus,
  status: BatchStatus,
): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #counts = :counts, #status = :status, #kindStatus = :kindStatus, #updatedAt = :now',
    '#status = :from',
    { ...BASE_NAMES, '#counts': 'counts' },
    { ':from': from, ':counts': counts, ':status': status, ':kindStatus': batchKindStatus(status), ':now': nowIso() },
  );
}

export function setBatchExecution(batchId: string, executionArn: string): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #arn = :arn, #updatedAt = :now',
    'attribute_exists(#pk)',
    { '#pk': TABLE.partitionKey, '#arn': 'executionArn', '#updatedAt': 'updatedAt' },
    { ':arn': executionArn, ':now': nowIso() },
  );
}
