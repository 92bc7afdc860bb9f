/**
 * The table layout of a batch (no transactions, no Streams: dynalite runs the same code):
 *
 *   pk = bat-<16 hex>                 the batch record: status, total, started, counts, pacing (batchRecordSchema)
 *   pk = bat-<16 hex>#slice#0000 ...  its items, BATCH_SLICE_ITEMS per item, as accepted, and what became of each
 *
 * A page of `GET .../items` is one or two slice reads and one BatchGetItem of the onboardings; counts are kept on the
 * batch record by the batch workflow, so `GET /onboarding-batches/{id}` is one read. Slices are written before the
 * batch record: the record is the commit point (a POST that stops half way leaves unreachable slices, never half a
 * batch). Each write is a single conditional item write.
 */
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RecordStatus } from '../../lib/domain/api-schemas';
import {
  BATCH_KIND,
  BATCH_SLICE_ITEMS,
  OPEN_BATCH_STATUSES,
  batchRecordSchema,
  batchSliceKey,
  batchSliceSchema,
  emptyCounts,
  type BatchCounts,
  type BatchRecord,
  type BatchSlice,
  type BatchStatus,
  type StartedItem,
} from '../../lib/domain/batch-schemas';
import { TABLE } from '../../lib/domain/workflow';
import { db, isConditionFailure, nowIso, putIfAbsent, tableName } from '../store/client';

/** The by-status GSI key of a batch: batches are listed beside records (`batch#RUNNING`). */
export function batchKindStatus(status: BatchStatus): string {
  return `${BATCH_KIND}#${status}`;
}

export interface NewBatch {
  id: string;
  items: Record<string, unknown>[];
  itemsHash: string;
  knoxCalls: number;
  executionName: string;
}

/** Writes the slices, then the batch record (only if absent); false when a batch with this id exists already. */
export async function createBatch(input: NewBatch, now = nowIso()): Promise<boolean> {
  const slices = Math.ceil(input.items.length / BATCH_SLICE_ITEMS);
  for (let slice = 0; slice < slices; slice++) {
    const first = slice * BATCH_SLICE_ITEMS;
    const item: BatchSlice = {
      pk: batchSliceKey(input.id, slice),
      batchId: input.id,
      slice,
      first,
      count: Math.min(BATCH_SLICE_ITEMS, input.items.length - first),
      items: input.items.slice(first, first + BATCH_SLICE_ITEMS),
      started: {},
      done: {},
    };
    // Same id, same items (the id comes from the key, and a key reused with other items is refused): a rewrite is harmless.
    await db()
      .send(
        new PutCommand({ TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(claimed)' }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }
  const record: BatchRecord = {
    pk: input.id,
    kind: BATCH_KIND,
    status: 'STARTING',
    total: input.items.length,
    started: 0,
    slicesStarted: 0,
    slices,
    counts: { ...emptyCounts(), REQUESTED: input.items.length },
    knoxCalls: input.knoxCalls,
    checkWaitSeconds: 0,
    pacingCarrySeconds: 0,
    itemsHash: input.itemsHash,
    executionName: input.executionName,
    createdAt: now,
    updatedAt: now,
    kindStatus: batchKindStatus('STARTING'),
  };
  return putIfAbsent(record);
}

function parseBatch(item: Record<string, unknown> | undefined): BatchRecord | undefined {
  if (item === undefined) return undefined;
  const parsed = batchRecordSchema.safeParse(item);
  if (!parsed.success)
    throw new Error(`Batch ${String(item[TABLE.partitionKey])} in the table does not have the expected shape`);
  return parsed.data;
}

export async function getBatch(id: string): Promise<BatchRecord | undefined> {
  const result = await db().send(
    new GetCommand({ TableName: tableName(), Key: { [TABLE.partitionKey]: id }, ConsistentRead: true }),
  );
  return parseBatch(result.Item);
}

export async function getSlice(batchId: string, slice: number): Promise<BatchSlice | undefined> {
  const result = await db().send(
    new GetCommand({
      TableName: tableName(),
      Key: { [TABLE.partitionKey]: batchSliceKey(batchId, slice) },
      ConsistentRead: true,
    }),
  );
  return result.Item === undefined ? undefined : batchSliceSchema.parse(result.Item);
}

/** BatchGetItem of up to 100 keys a call, repeating unprocessed keys (with a short pause) until all are read. */
export async function batchGet(keys: string[], projection?: string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let at = 0; at < keys.length; at += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
      [tableName()]: { Keys: [...new Set(keys.slice(at, at + 100))].map((k) => ({ [TABLE.partitionKey]: k })) },
    };
    for (let round = 0; request && Object.keys(request).length > 0; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** round)));
      const names = projection ? Object.fromEntries(projection.map((p, i) => [`#p${i}`, p])) : undefined;
      const table = tableName();
      const result = await db().send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: request[table]!.Keys,
              ConsistentRead: true,
              ...(names
                ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names }
                : {}),
            },
          },
        }),
      );
      out.push(...(result.Responses?.[table] ?? []));
      request = result.UnprocessedKeys as typeof request;
    }
  }
  return out;
}

/** What the counts read of a slice: everything but the items' bodies. */
const PROGRESS_ATTRIBUTES = [
  TABLE.partitionKey,
  'batchId',
  'slice',
  'first',
  'count',
  'started',
  'done',
  'claimed',
  'cancelled',
];

/** Slices `from` to `to - 1` of a batch, in order; with `bodies: false` without the items' bodies (the counts). */
export async function getSlices(
  batchId: string,
  to: number,
  options: { from?: number; bodies?: boolean } = {},
): Promise<BatchSlice[]> {
  const from = options.from ?? 0;
  const keys = Array.from({ length: Math.max(0, to - from) }, (_, s) => batchSliceKey(batchId, from + s));
  const items = await batchGet(keys, options.bodies === false ? PROGRESS_ATTRIBUTES : undefined);
  return items.map((item) => batchSliceSchema.parse(item)).sort((a, b) => a.slice - b.slice);
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

async function conditionalUpdate(
  key: string,
  update: string,
  condition: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { [TABLE.partitionKey]: key },
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Remembers the terminal statuses seen for items of a slice (they never change again). */
export async function markItemsDone(batchId: string, slice: number, done: Record<string, string>): Promise<void> {
  await setSliceEntries(batchId, slice, 'done', Object.entries(done));
}

/** Sets entries of one of a slice's maps (`done`, `started`) in one conditional update; nothing to set, no write. */
async function setSliceEntries(batchId: string, slice: number, map: string, entries: [string, unknown][]) {
  if (entries.length === 0) return;
  const names: Record<string, string> = { '#pk': TABLE.partitionKey, '#map': map };
  const values: Record<string, unknown> = {};
  const sets = entries.map(([item, value], i) => {
    names[`#i${i}`] = item;
    values[`:v${i}`] = value;
    return `#map.#i${i} = :v${i}`;
  });
  await conditionalUpdate(
    batchSliceKey(batchId, slice),
    `SET ${sets.join(', ')}`,
    'attribute_exists(#pk)',
    names,
    values,
  );
}

/** The starter takes a slice; false when a DELETE reached it first (its items are never started). */
export function claimSlice(batchId: string, slice: number): Promise<boolean> {
  return conditionalUpdate(
    batchSliceKey(batchId, slice),
    'SET #claimed = :true',
    'attribute_exists(#pk) AND attribute_not_exists(#cancelled)',
    { '#pk': TABLE.partitionKey, '#claimed': 'claimed', '#cancelled': 'cancelled' },
    { ':true': true },
  );
}

/** A DELETE closes a slice the starter has not taken; false when it has (then its items are cancelled one by one). */
export function cancelSlice(batchId: string, slice: number): Promise<boolean> {
  return conditionalUpdate(
    batchSliceKey(batchId, slice),
    'SET #cancelled = :true',
    'attribute_exists(#pk) AND attribute_not_exists(#claimed)',
    { '#pk': TABLE.partitionKey, '#claimed': 'claimed', '#cancelled': 'cancelled' },
    { ':true': true },
  );
}

/** What became of a slice's items (written once they are started; a repeat writes the same). */
export async function markItemsStarted(
  batchId: string,
  slice: number,
  started: Map<number, StartedItem>,
): Promise<void> {
  await setSliceEntries(
    batchId,
    slice,
    'started',
    [...started].map(([item, value]) => [String(item), value]),
  );
}

const OPEN_CONDITION = `#status IN (${OPEN_BATCH_STATUSES.map((_, i) => `:open${i}`).join(', ')})`;
const OPEN_VALUES = Object.fromEntries(OPEN_BATCH_STATUSES.map((s, i) => [`:open${i}`, s]));
const BASE_NAMES = { '#status': 'status', '#kindStatus': TABLE.byStatusPartitionKey, '#updatedAt': 'updatedAt' };

/** Slice `slice` is started: the next one is due; false when another run advanced it already, or the batch closed. */
export function advanceBatch(
  batchId: string,
  slice: number,
  started: number,
  status: BatchStatus,
  carry: number,
): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #slicesStarted = :next, #started = :started, #status = :status, #kindStatus = :kindStatus, #carry = :carry, #updatedAt = :now',
    `#slicesStarted = :slice AND ${OPEN_CONDITION}`,
    { ...BASE_NAMES, '#slicesStarted': 'slicesStarted', '#started': 'started', '#carry': 'pacingCarrySeconds' },
    {
      ...OPEN_VALUES,
      ':slice': slice,
      ':next': slice + 1,
      ':started': started,
      ':status': status,
      ':kindStatus': batchKindStatus(status),
      ':carry': carry,
      ':now': nowIso(),
    },
  );
}

/** The counts of a round; the status moves from RUNNING to DONE here. A closed batch keeps its status. */
export function writeProgress(
  batchId: string,
  counts: BatchCounts,
  status: BatchStatus,
  checkWaitSeconds: number,
): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #counts = :counts, #status = :status, #kindStatus = :kindStatus, #checkWait = :wait, #updatedAt = :now',
    OPEN_CONDITION,
    { ...BASE_NAMES, '#counts': 'counts', '#checkWait': 'checkWaitSeconds' },
    {
      ...OPEN_VALUES,
      ':counts': counts,
      ':status': status,
      ':kindStatus': batchKindStatus(status),
      ':wait': checkWaitSeconds,
      ':now': nowIso(),
    },
  );
}

/** The final counts of a cancelled batch. */
export function writeCancelledCounts(batchId: string, counts: BatchCounts): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #counts = :counts, #updatedAt = :now',
    '#status = :cancelled',
    { '#counts': 'counts', '#status': 'status', '#updatedAt': 'updatedAt' },
    { ':counts': counts, ':cancelled': 'CANCELLED', ':now': nowIso() },
  );
}

/** DELETE: an open batch becomes CANCELLED; false when it was already DONE or CANCELLED. */
export function cancelBatchRecord(batchId: string): Promise<boolean> {
  return conditionalUpdate(
    batchId,
    'SET #status = :status, #kindStatus = :kindStatus, #updatedAt = :now',
    OPEN_CONDITION,
    BASE_NAMES,
    { ...OPEN_VALUES, ':status': 'CANCELLED', ':kindStatus': batchKindStatus('CANCELLED'), ':now': nowIso() },
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
