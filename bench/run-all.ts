/**
 * `npm run bench`: what the workflow costs and how fast the local stack runs it, measured, each figure against a
 * baseline taken in the same run (so ratios hold on a noisy machine). Prints one table; writes bench/results.json
 * (the same rows, the raw measurements and the machine).
 *
 *   1. Lambda bundles: size of each synthesized asset, cold import time against an AWS-SDK-only baseline (bundles.ts)
 *   2. State transitions, AWS history events and dollars per onboarding, from executed histories, each beside the
 *      superseded polling design and the job-poller pattern; the poller's Knox reads per round (transitions.ts,
 *      designs.ts, poller-reads.ts)
 *   3. Knox calls per onboarding against the minimum, token requests per 1,000 calls (transitions.ts, throughput.ts)
 *   4. Local throughput: 1,000 create onboardings at concurrency 50 against the bare Knox client's floor (throughput.ts);
 *      the same with LATENCY=aws, AWS's and Knox's typical latencies (throughput-aws: aws-latency/latency-throughput.ts)
 *   5. The local console in headless Chromium: the list of 1,000 records, a 300-event execution, the assets (console.ts)
 *   6. The shared Knox budget: instances against a Knox that limits at the budget, and at 60% of it (budget.ts)
 *   7. Bulk onboarding: three 1,000-item batches (creates, links, a mix) against a Knox limiting at the budget, each
 *      against the time its Knox calls need at the budget, and the DELETE of 1,000 waiting items (batch-bench.ts); the
 *      batch execution's history events answered at once, over 1 and 14 days, beside the design before
 *      (batch-history-model.ts)
 *   8. Knox calls, invocations and time one reconciliation costs (a lost create answer), 1,000 to 50,000 customers
 *      (reconciliation.ts)
 *   9. A one-hour Knox outage: transitions and Knox calls per workflow, from the synthesized retriers, beside the fast
 *      retrier alone (outage.ts)
 *  10. Refusing a 4 MB hostile CSV and a 4 MB JSON of unknown keys through the HTTP API: time, answer size, memory,
 *      and a GET served meanwhile (refusals/refusals.ts)
 *  11. The SDK the functions run with: bundled against left to the runtime, size and cold import (sdk-bundling.ts)
 *  12. The batch report of a 1,000-item batch: time and size against API Gateway's 29 s and 10 MB (report.ts)
 *
 * Knobs (environment): BENCH_ONLY (comma list of bundles, transitions, throughput, throughput-aws, console, budget,
 * batch, batch-history, reconciliation, outage, refusals, sdk, report), BENCH_LATENCY_ONBOARDINGS (300),
 * BENCH_REPORT_ITEMS (1000),
 * BENCH_IMPORT_RUNS (11), BENCH_TIME_SCALE (1/6000), BENCH_DEADLINE_TIME_SCALE (1/10080), BENCH_ONBOARDINGS (1000),
 * BENCH_CONCURRENCY (50), BENCH_BUDGET (50), BENCH_BUDGET_INSTANCES (8), BENCH_BUDGET_CALLS (1000),
 * BENCH_AIMD_SECONDS (40), BENCH_BATCH_ITEMS (1000), BENCH_BATCH_RPS (20: the batches' Knox budget, and
 * Knox's own limit), BENCH_BATCH_TIME_SCALE (1/100).
 */
import '#local/stepfunctions/polyfills';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensureTemplate, PROJECT_DIR, templatePath } from '#local/template/synth';
import { readTemplate, resolveModel } from '#local/template/template';
import { measureBatch } from './batch/batch-bench';
import { measureBudget, type BudgetRun } from './budget/budget-bench';
import { measureBundles } from './bundles/bundles';
import { measureConsole } from './console/console-bench';
import { renderTable, verdict, type Figure } from './kit/figures';
import { measureBatchHistory } from './models/batch-history-model';
import { measureOutage } from './models/outage-model';
import { measureReport } from './report/report-bench';
import { measureReconciliation } from './reconciliation/reconciliation';
import { measureRefusals } from './refusals/refusals';
import { measureSdkBundling } from './bundles/sdk-bundling';
import { measureThroughput } from './throughput/throughput';
import { measureLatencyThroughput } from './aws-latency/latency-throughput';
import { measureTransitions } from './transitions/transitions';

const PARTS = [
  'bundles',
  'transitions',
  'throughput',
  'throughput-aws',
  'console',
  'budget',
  'batch',
  'batch-history',
  'reconciliation',
  'outage',
  'refusals',
  'sdk',
  'report',
] as const;
type Part = (typeof PARTS)[number];

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  // Fractions are allowed for time scales: "1/25200".
  const [a, b] = raw.split('/').map(Number);
  const value = b === undefined ? a! : a! / b;
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function partsFromEnv(): Part[] {
  const raw = process.env['BENCH_ONLY'];
  if (!raw) return [...PARTS];
  const parts = raw.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')} (known: ${PARTS.join(', ')})`);
  return parts as Part[];
}

/** What one part measured: its figures for the table and its raw data for results.json (under its name, or rawKey). */
interface Measured {
  figures: Figure[];
  raw: unknown;
  rawKey?: string;
}
type PartRun = (log: (line: string) => void) => Promise<Measured> | Measured;

/** A measurement's figures, and all else it returns as its raw data. */
function split<T extends { figures: Figure[] }>(m: T): Measured {
  return { figures: m.figures, raw: withoutFigures(m) };
}

/** Every part, in the order they run (the knobs are read only when the part runs). */
const RUNS: Record<Part, PartRun> = {
  bundles: async (log) => {
    const m = await measureBundles({ runs: Math.round(numberFromEnv('BENCH_IMPORT_RUNS', 11)), log });
    return { figures: m.figures, raw: { results: m.results } };
  },
  transitions: async (log) =>
    split(
      await measureTransitions({
        timeScale: numberFromEnv('BENCH_TIME_SCALE', 1 / 6000),
        deadlineTimeScale: numberFromEnv('BENCH_DEADLINE_TIME_SCALE', 1 / 10080),
        log,
      }),
    ),
  throughput: async (log) =>
    split(
      await measureThroughput({
        count: Math.round(numberFromEnv('BENCH_ONBOARDINGS', 1000)),
        concurrency: Math.round(numberFromEnv('BENCH_CONCURRENCY', 50)),
        log,
      }),
    ),
  'throughput-aws': async (log) =>
    split(
      await measureLatencyThroughput({
        count: Math.round(numberFromEnv('BENCH_LATENCY_ONBOARDINGS', 300)),
        concurrency: Math.round(numberFromEnv('BENCH_CONCURRENCY', 50)),
        log,
      }),
    ),
  outage: () => {
    const m = measureOutage(resolveModel(readTemplate(templatePath())));
    return { figures: m.figures, raw: { schedule: m.schedule, fastRetrier: m.fastRetrier, deployed: m.deployed } };
  },
  console: async (log) => {
    const m = await measureConsole({ log });
    return { figures: m.figures, raw: m.raw };
  },
  budget: async (log) => {
    const m = await measureBudget({
      budget: numberFromEnv('BENCH_BUDGET', 50),
      instances: Math.round(numberFromEnv('BENCH_BUDGET_INSTANCES', 8)),
      calls: Math.round(numberFromEnv('BENCH_BUDGET_CALLS', 1000)),
      aimdSeconds: numberFromEnv('BENCH_AIMD_SECONDS', 40),
      log,
    });
    return {
      figures: m.figures,
      raw: { atBudget: summarizeRun(m.atBudget), aimd: summarizeRun(m.aimd), latency: m.latency },
    };
  },
  batch: async (log) => {
    const m = await measureBatch({
      items: Math.round(numberFromEnv('BENCH_BATCH_ITEMS', 1000)),
      rps: numberFromEnv('BENCH_BATCH_RPS', 20),
      timeScale: numberFromEnv('BENCH_BATCH_TIME_SCALE', 1 / 100),
      log,
    });
    return { figures: m.figures, raw: { runs: m.runs, cancel: m.cancel } };
  },
  sdk: async (log) => {
    const m = await measureSdkBundling({ runs: Math.round(numberFromEnv('BENCH_IMPORT_RUNS', 11)), log });
    return { figures: m.figures, raw: { runs: m.runs } };
  },
  'batch-history': () => {
    const m = measureBatchHistory(Math.round(numberFromEnv('BENCH_BATCH_ITEMS', 1000)));
    return { figures: m.figures, raw: m.raw, rawKey: 'batchHistory' };
  },
  reconciliation: async (log) => {
    const m = await measureReconciliation({ log });
    return { figures: m.figures, raw: { runs: m.runs } };
  },
  refusals: async (log) => {
    const m = await measureRefusals({ log });
    return { figures: m.figures, raw: { runs: m.runs, idleGetMs: m.idleGetMs } };
  },
  report: async (log) =>
    split(
      await measureReport({
        items: Math.round(numberFromEnv('BENCH_REPORT_ITEMS', 1000)),
        timeScale: 1 / 100,
        log,
      }),
    ),
};

async function main(): Promise<void> {
  const log = (line: string): void => console.error(`[bench] ${line}`);
  const parts = partsFromEnv();
  const started = new Date();
  log('synthesizing the CDK app if the template is stale');
  await ensureTemplate({ log });

  const figures: Figure[] = [];
  const raw: Record<string, unknown> = {};
  for (const [part, run] of Object.entries(RUNS) as [Part, PartRun][]) {
    if (!parts.includes(part)) continue;
    const m = await run(log);
    figures.push(...m.figures);
    raw[m.rawKey ?? part] = m.raw;
  }

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  const results = {
    startedAt: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine,
    parts,
    figures: figures.map((f) => ({ ...f, verdict: verdict(f) })),
    raw,
  };
  const file = join(PROJECT_DIR, 'bench', 'results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderTable(figures));
  console.log(
    `\n${machine.cpus} CPUs (${machine.cpuModel}), Node.js ${machine.node}; ${results.durationSeconds} s; raw measurements in bench/results.json`,
  );
}

/** A measurement's raw data: all it returns but the figures, which go to the table. */
function withoutFigures<T extends { figures: Figure[] }>({ figures: _figures, ...rest }: T): Omit<T, 'figures'> {
  return rest;
}

/** A budget run without its per-call list, but with answered and refused calls per second (the AIMD's shape). */
function summarizeRun(run: BudgetRun): Record<string, unknown> {
  const perSecond: Record<string, number>[] = [];
  for (const call of run.calls) {
    const second = Math.floor(call.at / 1000);
    perSecond[second] ??= {};
    perSecond[second]![call.outcome] = (perSecond[second]![call.outcome] ?? 0) + 1;
  }
  const { calls: _calls, ...rest } = run;
  return { ...rest, perSecond: Array.from(perSecond, (s) => s ?? {}) };
}

await main();
