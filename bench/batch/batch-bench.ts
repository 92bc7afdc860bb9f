/**
 * Bulk onboarding on the local stack: a 1,000-item batch (half links that customers approve at once, half creates)
 * against its floor, the time the Knox budget needs for the batch's Knox calls (2 per link, 1 per create, and the
 * token): the batch workflow paces its slices to the budget, so it cannot beat the floor, and should not trail it by
 * much. Also: no item FAILED, exactly one accepted Knox write per item, the run's peak RSS (its own process).
 */
import { loadavg } from 'node:os';
import { runChild } from '../kit/child';
import { figure, type Figure } from '../kit/figures';
import { round } from '../kit/stats';
import type { BatchRun } from './batch-child';

export const BATCH_TARGETS = { maxTimeRatio: 1.15, maxRssMb: 600 } as const;

export interface BatchMeasurement {
  run: BatchRun;
  floorSeconds: number;
  figures: Figure[];
}

export async function measureBatch(options: {
  items: number;
  rps: number;
  timeScale: number;
  log: (line: string) => void;
}): Promise<BatchMeasurement> {
  const links = Math.floor(options.items / 2);
  const creates = options.items - links;
  options.log(
    `batch: ${options.items} items (${links} links approved at once, ${creates} creates), Knox budget ${options.rps}/s`,
  );
  const run = await runChild<BatchRun>('batch/batch-child.ts', [
    'batch',
    String(links),
    String(creates),
    String(options.rps),
    String(options.timeScale),
  ]);
  const neededCalls = 2 * links + creates + 1;
  const floorSeconds = neededCalls / options.rps;
  const seconds = run.wallMs / 1000;
  const failed = run.batch.counts.FAILED;
  const writesPerItem = run.acceptedWrites.total / run.total;
  const figures = [
    figure(
      'batch',
      `${run.total}-item batch: time / floor (${neededCalls} Knox calls at ${options.rps}/s = ${round(floorSeconds, 1)} s)`,
      round(seconds / floorSeconds, 3),
      'x',
      { max: BATCH_TARGETS.maxTimeRatio },
      `took ${round(seconds, 1)} s; ${run.knox.calls} Knox calls made; load average ${round(loadavg()[0] ?? 0, 1)} on this machine`,
    ),
    figure('batch', 'items FAILED', failed, 'items', { max: 0 }),
    figure('batch', 'items that did not end SUCCEEDED', run.total - run.batch.counts.SUCCEEDED, 'items', { max: 0 }),
    // A second accepted write for an item cannot hide behind an item without one: Knox refuses a repeated link
    // (4002104) or create (4002106) unaccepted, and every item SUCCEEDED (so each had its write).
    figure('batch', 'accepted Knox writes per item', round(writesPerItem, 3), 'writes', { max: 1 }),
    figure('batch', 'peak RSS of the run', run.peakRssMb, 'MB', { below: BATCH_TARGETS.maxRssMb }),
    figure('batch', 'batch execution history events (AWS limit 25,000)', run.executions.batchEvents, 'events'),
  ];
  return { run, floorSeconds, figures };
}
