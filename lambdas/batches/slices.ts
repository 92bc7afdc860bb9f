/**
 * A batch's items, BATCH_SLICE_ITEMS per slice (`pk = bat-<16 hex>#slice#0000 ...`), as accepted, and what became
 * of each: the starter claims a slice before it starts its items, a DELETE cancels the slices not claimed yet, the
 * progress rounds remember the terminal statuses seen.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  BATCH_SLICE_ITEMS,
  batchSliceKey,
  batchSliceSchema,
  type BatchSlice,
  type StartedItem,
} from '#domain/batch-schemas';
import { TABLE } from '#domain/table-layout';
import { conditionalUpdate, db, getItem, isConditionFailure, tableName } from '../store/table-client';
import { batchGet } from './table';

/** The slices the first `items` items reach into (the last of them may be partly started). */
export function slicesReached(items: number): number {
  return Math.ceil(items / BATCH_SLICE_ITEMS);
}

/** Writes the slices of a new batch's items (with their CSV lines, a retry's original indexes); the number of slices. */
export async function writeSlices(
  batchId: string,
  items: Record<string, unknown>[],
  lines?: number[],
  origin?: number[],
): Promise<number> {
  const slices = Math.ceil(items.length / BATCH_SLICE_ITEMS);
  for (let slice = 0; slice < slices; slice++) {
    const first = slice * BATCH_SLICE_ITEMS;
    const item: BatchSlice = {
      pk: batchSliceKey(batchId, slice),
      batchId,
      slice,
      first,
      count: Math.min(BATCH_SLICE_ITEMS, items.length - first),
      items: items.slice(first, first + BATCH_SLICE_ITEMS),
      ...(lines !== undefined ? { lines: lines.slice(first, first + BATCH_SLICE_ITEMS) } : {}),
      ...(origin !== undefined ? { origin: origin.slice(first, first + BATCH_SLICE_ITEMS) } : {}),
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
  return slices;
}

export async function getSlice(batchId: string, slice: number): Promise<BatchSlice | undefined> {
  const item = await getItem(batchSliceKey(batchId, slice));
  return item === undefined ? undefined : batchSliceSchema.parse(item);
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

/** Whoever takes a slice first keeps it: the starter (`claimed`: it starts the items) or a DELETE (`cancelled`). */
const OTHER_TAKER = { claimed: 'cancelled', cancelled: 'claimed' } as const;

/**
 * The starter claims a slice (false when a DELETE reached it first: its items are never started); a DELETE cancels
 * one the starter has not claimed (false when it has: then its items are cancelled one by one).
 */
export function takeSlice(batchId: string, slice: number, as: keyof typeof OTHER_TAKER): Promise<boolean> {
  return conditionalUpdate(
    batchSliceKey(batchId, slice),
    'SET #taken = :true',
    'attribute_exists(#pk) AND attribute_not_exists(#other)',
    { '#pk': TABLE.partitionKey, '#taken': as, '#other': OTHER_TAKER[as] },
    { ':true': true },
  );
}

/** A cancelled batch's slice that the starter had claimed: the items it has not started yet never will. */
export function closeSlice(batchId: string, slice: number): Promise<boolean> {
  return conditionalUpdate(
    batchSliceKey(batchId, slice),
    'SET #cancelled = :true',
    'attribute_exists(#pk)',
    { '#pk': TABLE.partitionKey, '#cancelled': 'cancelled' },
    { ':true': true },
  );
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

/** Remembers the terminal statuses seen for items of a slice (they never change again). */
export async function markItemsDone(batchId: string, slice: number, done: Record<string, string>): Promise<void> {
  await setSliceEntries(batchId, slice, 'done', Object.entries(done));
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
