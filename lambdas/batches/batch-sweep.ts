/**
 * The safety net of the batch workflow's callback (item-ended.ts), run by the poller once per round: every batch
 * whose workflow waits for its items (RUNNING or STOPPED, with a stored token) is counted afresh, and one with nothing
 * open any more is woken. So a lost wake-up (a crash between an item's end and the count-down, an item that joined a
 * customer's onboarding started elsewhere, a SendTaskSuccess that failed) delays the batch's end by one poll period
 * at most. A few reads per waiting batch and round; never throws (the poll round is the poller's job).
 */
import { TABLE } from '#domain/table-layout';
import { describeError, logger } from '../commons/powertools';
import { queryStatusIndex } from '../store/lists';
import { wakeBatch } from './batch-callback';
import { batchKindStatus, getBatch } from './batch-store';
import { WATCHED } from './batch-transitions';
import { refreshProgress } from './progress';

export interface SweepSummary {
  watched: number;
  woken: number;
}

async function watchedBatchIds(): Promise<string[]> {
  const ids: string[] = [];
  for (const status of WATCHED) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await queryStatusIndex(batchKindStatus(status), startKey ? { startKey } : {});
      for (const item of page.Items ?? []) ids.push(String(item[TABLE.partitionKey]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return ids;
}

export async function sweepBatches(): Promise<SweepSummary> {
  const summary: SweepSummary = { watched: 0, woken: 0 };
  try {
    for (const id of await watchedBatchIds()) {
      const batch = await getBatch(id);
      if (batch?.taskToken === undefined) continue;
      summary.watched += 1;
      const progress = await refreshProgress(batch);
      if (progress.next === 'items') continue;
      if (await wakeBatch(id, batch.taskToken, `the sweep found it ${progress.status}`)) summary.woken += 1;
    }
  } catch (error) {
    logger.error('The batch sweep failed: the next round tries again', describeError(error));
  }
  return summary;
}
