/**
 * A batch's counts and status, from its items: an item not started yet is REQUESTED; a started one has the status of
 * its onboarding (its own, or the open one it joined); one that could not start (another kind of workflow is open for
 * its customer) is ABORTED with that reason. Read with one BatchGetItem per 100 slices and per 100 onboardings.
 */
import { STATUSES, isTerminal, type LastError, type RecordStatus } from '#domain/api-schemas';
import {
  emptyCounts,
  type BatchCounts,
  type BatchRecord,
  type BatchSlice,
  type BatchStatus,
} from '#domain/batch-schemas';
import { getSlices, markItemsDone } from './slices';
import { onboardingStatuses, writeCancelledCounts, writeProgress } from './batch-store';

/** The next check's delay while RUNNING: short after a change, then growing (bounded history: see batch-workflow.ts). */
export const CHECK_MIN_SECONDS = 1;
export const CHECK_MAX_SECONDS = 900;
const CHECK_GROWTH = 1.5;

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

function sameCounts(a: BatchCounts, b: BatchCounts): boolean {
  return STATUSES.every((s) => a[s] === b[s]);
}

/**
 * Reads the items, writes the counts and moves a batch whose items are all started from RUNNING to DONE once every
 * item is terminal. Answers the batch's status and when to look again.
 */
export async function refreshProgress(
  batch: BatchRecord,
): Promise<{ status: BatchStatus; waitSeconds: number; counts: BatchCounts }> {
  // A cancelled batch: every slice (those DELETE closed count their items CANCELLED).
  const slices = await getSlices(batch.pk, batch.status === 'CANCELLED' ? batch.slices : batch.slicesStarted, {
    bodies: false,
  });
  const states = await itemStates(slices, { details: false });
  await rememberTerminal(batch.pk, slices, states);
  const counts = countsOf(states);
  counts.REQUESTED += batch.total - states.length; // items of slices not started yet
  if (batch.status === 'CANCELLED') {
    await writeCancelledCounts(batch.pk, counts);
    return { status: 'CANCELLED', waitSeconds: 0, counts };
  }
  const allStarted = batch.slicesStarted >= batch.slices;
  const allTerminal = allStarted && states.every((s) => isTerminal(s.status));
  const status: BatchStatus = batch.status === 'DONE' || allTerminal ? 'DONE' : allStarted ? 'RUNNING' : 'STARTING';
  const waitSeconds = sameCounts(counts, batch.counts)
    ? Math.min(CHECK_MAX_SECONDS, Math.max(CHECK_MIN_SECONDS, Math.ceil(batch.checkWaitSeconds * CHECK_GROWTH)))
    : CHECK_MIN_SECONDS;
  const written = await writeProgress(batch.pk, counts, status, waitSeconds);
  // Closed meanwhile (a DELETE): the batch is CANCELLED, whatever this round saw.
  return written ? { status, waitSeconds, counts } : { status: 'CANCELLED', waitSeconds: 0, counts };
}
