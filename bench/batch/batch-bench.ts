/**
 * Bulk onboarding on the local stack, paced by the shared Knox budget's backlog (lambdas/batches/pacing.ts): three
 * 1,000-item batches (all creates, all links that customers approve at once, half and half) against a Knox that
 * limits at the budget, each against its own floor: the Knox calls it made (429s apart) at the budget's rate. The batch
 * cannot beat the floor (every call waits for its slot) and should not trail it by more than 15 %, with no more than
 * 2 % of its calls answered 429. Also: no item other than SUCCEEDED, one accepted Knox write per item, the batch
 * execution's history events, the run's peak RSS. Then the DELETE of 1,000 waiting items: the time to answer, and
 * until every item is CANCELLED.
 */
import { loadavg } from 'node:os';
import { runChild } from '../kit/child';
import { figure, type Figure } from '../kit/figures';
import { round } from '../kit/stats';
import type { BatchRun, CancelRun } from './batch-child';

export const BATCH_TARGETS = { maxTimeRatio: 1.15, maxThrottledShare: 0.02, maxRssMb: 600, answerMs: 1_000 } as const;

export interface BatchMeasurement {
  runs: { kind: string; run: BatchRun; floorSeconds: number }[];
  cancel: CancelRun;
  figures: Figure[];
}

const KINDS = [
  { kind: 'creates', links: (_n: number) => 0 },
  { kind: 'links', links: (n: number) => n },
  { kind: 'mix', links: (n: number) => Math.floor(n / 2) },
] as const;

function batchFigures(kind: string, run: BatchRun, floorSeconds: number): Figure[] {
  const seconds = run.wallMs / 1000;
  const answered = run.knox.calls + run.throttled;
  const group = `batch (${kind})`;
  return [
    figure(
      group,
      `${run.total} items (${run.links} links, ${run.creates} creates): time / floor (${run.knox.calls} Knox calls at ${run.rps}/s = ${round(floorSeconds, 1)} s)`,
      round(seconds / floorSeconds, 3),
      'x',
      { max: BATCH_TARGETS.maxTimeRatio },
      `took ${round(seconds, 1)} s; load average ${round(loadavg()[0] ?? 0, 1)} on this machine`,
    ),
    figure(
      group,
      'Knox answers 429 (Knox limits at the budget)',
      round(run.throttled / Math.max(1, answered), 4),
      'share',
      {
        max: BATCH_TARGETS.maxThrottledShare,
      },
      `${run.throttled} of ${answered}`,
    ),
    figure(group, 'items that did not end SUCCEEDED', run.total - run.batch.counts.SUCCEEDED, 'items', { max: 0 }),
    // A second accepted write for an item cannot hide behind an item without one: Knox refuses a repeated link
    // (4002104) or create (4002106) unaccepted, and every item SUCCEEDED (so each had its write).
    figure(group, 'accepted Knox writes per item', round(run.acceptedWrites / run.total, 3), 'writes', { max: 1 }),
    figure(group, 'batch execution history events (AWS limit 25,000)', run.executions.batchEvents, 'events', {
      max: 25_000,
    }),
    figure(group, 'peak RSS of the run', run.peakRssMb, 'MB', { below: BATCH_TARGETS.maxRssMb }),
  ];
}

export async function measureBatch(options: {
  items: number;
  rps: number;
  timeScale: number;
  log: (line: string) => void;
}): Promise<BatchMeasurement> {
  const runs: BatchMeasurement['runs'] = [];
  const figures: Figure[] = [];
  for (const { kind, links } of KINDS) {
    const l = links(options.items);
    const creates = options.items - l;
    options.log(
      `batch (${kind}): ${options.items} items (${l} links, ${creates} creates), Knox and budget ${options.rps}/s`,
    );
    const run = await runChild<BatchRun>('batch/batch-child.ts', [
      'batch',
      String(l),
      String(creates),
      String(options.rps),
      String(options.timeScale),
    ]);
    const floorSeconds = run.knox.calls / options.rps;
    runs.push({ kind, run, floorSeconds });
    figures.push(...batchFigures(kind, run, floorSeconds));
  }
  options.log(`batch (cancel): ${options.items} waiting items, one DELETE`);
  const cancel = await runChild<CancelRun>('batch/batch-child.ts', [
    'cancel',
    String(options.items),
    String(options.timeScale),
  ]);
  figures.push(
    figure(
      'batch (cancel)',
      `DELETE of ${cancel.total} waiting items: time to answer (${cancel.answerStatus})`,
      cancel.answerMs,
      'ms',
      { below: BATCH_TARGETS.answerMs },
      "API Gateway's limit 29 s; the api function's timeout 15 s",
    ),
    figure('batch (cancel)', 'time until every item is CANCELLED', round(cancel.cancelledMs / 1000, 1), 's'),
    figure('batch (cancel)', 'items CANCELLED', cancel.cancelledItems, 'items', { min: cancel.total }),
    figure('batch (cancel)', 'Knox calls after the batch was CANCELLED', cancel.knoxCallsAfter, 'calls', { max: 0 }),
  );
  return { runs, cancel, figures };
}
