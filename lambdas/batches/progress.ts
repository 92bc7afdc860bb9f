/**
 * A batch's counts and status, from its items: an item not started yet is REQUESTED; a started one has the status of
 * its onboarding (its own, or the open one it joined); one that could not start (another kind of workflow is open for
 * its customer) is ABORTED with that reason. Read with one BatchGetItem per 100 slices and per 100 onboardings.
 */
import { isTerminal, type LastError, type RecordStatus } from '#domain/api-schemas';
import {
  emptyCounts,
  type BatchCounts,
  type BatchNext,
  type BatchRecord,
  type BatchSlice,
  type BatchStatus,
} from '#domain/batch-schemas';
import { getSlices, markItemsDone, slicesReached } from './slices';
import { getBatch, onboardingStatuses, writeProgress } from './batch-store';

export interface ItemState {
  item: number;
  onboardingId?: string;
  customerId?: string;
  status: RecordStatus;
  lastError?: LastError;
}

/**
 * The state of every item of `slices` (in item order). With `details: false` (the counts), an item whose terminal
 * status the slice remembers is not read again: a round reads only the onboardings still open.
 */
export async function itemStates(slices: BatchSlice[], options: { details?: boolean } = {}): Promise<ItemState[]> {
  const details = options.details ?? true;
  const ids = slices.flatMap((s) =>
    Object.entries(s.started)
      .filter(([item]) => details || s.done[item] === undefined)
      .map(([, i]) => i.onboardingId),
  );
  const records = await onboardingStatuses(ids);
  return slices.flatMap((slice) =>
    Array.from({ length: slice.count }, (_, offset): ItemState => {
      const item = slice.first + offset;
      const started = slice.started[String(item)];
      if (started === undefined) return { item, status: slice.cancelled ? 'CANCELLED' : 'REQUESTED' };
      const remembered = slice.done[String(item)];
      if (!details && remembered !== undefined) return { item, onboardingId: started.onboardingId, status: remembered };
      const record = records.get(started.onboardingId);
      // An item refused at its start never got a record of its own: whatever its id names is not its status.
      const refused = started.lastError !== undefined;
      const lastError = (refused ? started.lastError : record?.lastError) as LastError | undefined;
      const status: RecordStatus = refused ? 'ABORTED' : (record?.status ?? 'REQUESTED');
      const customerId = refused ? started.customerId : (record?.customerId ?? started.customerId);
      return {
        item,
        onboardingId: started.onboardingId,
        status,
        ...(customerId !== undefined ? { customerId } : {}),
        ...(lastError !== undefined ? { lastError } : {}),
      };
    }),
  );
}

/** Writes the terminal statuses a round saw for the first time into their slices. */
async function rememberTerminal(batchId: string, slices: BatchSlice[], states: ItemState[]): Promise<void> {
  const byItem = new Map(states.map((s) => [s.item, s]));
  for (const slice of slices) {
    const fresh: Record<string, string> = {};
    for (const item of Object.keys(slice.started)) {
      const state = byItem.get(Number(item));
      if (state && isTerminal(state.status) && slice.done[item] === undefined) fresh[item] = state.status;
    }
    await markItemsDone(batchId, slice.slice, fresh);
  }
}

export function countsOf(states: ItemState[]): BatchCounts {
  const counts = emptyCounts();
  for (const s of states) counts[s.status] += 1;
  return counts;
}

/**
 * The counts as they are now, read only (GET /onboarding-batches/{id}): while the workflow waits for the items on a
 * callback nobody rewrites the record's counts, so a batch still at work is counted afresh (one read of its slices'
 * progress, one BatchGetItem per 100 open items). An ended batch answers its recorded counts.
 */
export async function currentCounts(batch: BatchRecord): Promise<BatchCounts> {
  if (batch.status === 'DONE' || batch.status === 'CANCELLED') return batch.counts;
  const cancelling = batch.status === 'CANCELLING';
  const slices = await getSlices(batch.pk, cancelling ? batch.slices : slicesReached(batch.started), { bodies: false });
  const counts = countsOf(await itemStates(slices, { details: false }));
  counts.REQUESTED += batch.total - slices.reduce((sum, s) => sum + s.count, 0);
  return counts;
}

export interface Progress {
  status: BatchStatus;
  next: BatchNext;
  counts: BatchCounts;
}

/** Where the workflow goes from a status (and whether started items are still open). */
export function nextOf(status: BatchStatus, anyOpen: boolean): BatchNext {
  switch (status) {
    case 'STARTING':
      return 'slice';
    case 'RUNNING':
      return 'items';
    case 'STOPPED':
      return anyOpen ? 'items' : 'end';
    case 'CANCELLING':
      return 'cancel';
    default:
      return 'end';
  }
}

/**
 * Reads the items and writes the counts. A batch whose items are all started moves from RUNNING to DONE once every
 * item is terminal; a STOPPED one keeps its status (its items not started stay REQUESTED) and is followed while items
 * it started are open. A CANCELLING batch is counted over all its slices (those a DELETE closed count CANCELLED) and
 * with `final` becomes CANCELLED. Answers the status and where the workflow goes next.
 */
export async function refreshProgress(batch: BatchRecord, options: { final?: boolean } = {}): Promise<Progress> {
  const cancelling = batch.status === 'CANCELLING' || batch.status === 'CANCELLED';
  const slices = await getSlices(batch.pk, cancelling ? batch.slices : slicesReached(batch.started), { bodies: false });
  const states = await itemStates(slices, { details: false });
  await rememberTerminal(batch.pk, slices, states);
  const counts = countsOf(states);
  counts.REQUESTED += batch.total - states.length; // items of slices not started (or never to be)
  const anyOpen = states.some((s) => s.onboardingId !== undefined && !isTerminal(s.status));
  const allStarted = batch.started >= batch.total;
  let status: BatchStatus = batch.status;
  if (batch.status === 'STARTING' || batch.status === 'RUNNING')
    status = allStarted && states.every((s) => isTerminal(s.status)) ? 'DONE' : allStarted ? 'RUNNING' : 'STARTING';
  if (batch.status === 'CANCELLING' && options.final) status = 'CANCELLED';
  const written = await writeProgress(batch.pk, counts, batch.status, status);
  if (!written) {
    // Changed meanwhile (a DELETE, the sweep, a failure): the record says where the batch is.
    const now = await getBatch(batch.pk);
    const current = now?.status ?? batch.status;
    return { status: current, next: nextOf(current, anyOpen), counts: now?.counts ?? counts };
  }
  return { status, next: nextOf(status, anyOpen), counts };
}
