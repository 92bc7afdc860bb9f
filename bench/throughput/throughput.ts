/**
 * Measurement 4: local throughput. 1,000 create onboardings through the HTTP API at concurrency 50 (each timed to the
 * end of its execution), against the floor: the same Knox calls made by a bare loop over the Knox client. The floor
 * runs before and after the stack (its mean is the baseline, so a machine that slows down mid-run shows in both).
 * Each run is a process of its own (bench/throughput/throughput-child.ts), so its peak RSS is its own. When the rate misses its
 * target, a shorter profiled run says where the CPU goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from '../kit/child';
import { figure, type Figure } from '../kit/figures';
import { SIM_TOKEN_LIFETIME_SECONDS, allowedTokens } from '../kit/knox-log';
import { summarizeProfile } from '../kit/profile-summary';
import { round } from '../kit/stats';
import type { ThroughputRun } from './throughput-child';
import { tokenFigure } from '../transitions/transitions';

export const THROUGHPUT_TARGETS = { minPerSecond: 50, maxRssMb: 400 } as const;
/** Onboardings in the profiled run (shorter: profiling slows the process down). */
const PROFILED_COUNT = 300;

export interface ThroughputMeasurement {
  count: number;
  concurrency: number;
  stack: ThroughputRun;
  floors: ThroughputRun[];
  /** Stack wall time / mean floor wall time. */
  overhead: number;
  /** Share of CPU per part of the local stack (%), from a profiled run, when the rate missed its target. */
  profile?: { count: number; perSecond: number; parts: Record<string, number> };
  figures: Figure[];
}

/** One run of throughput-child.ts: through the local stack, or the bare Knox client's floor. */
export function throughputChild(
  mode: 'stack' | 'floor',
  count: number,
  concurrency: number,
  env: Record<string, string> = {},
): Promise<ThroughputRun> {
  return runChild<ThroughputRun>('throughput/throughput-child.ts', [mode, String(count), String(concurrency)], env);
}

/** How many create onboardings, at what concurrency (the throughput measurements'). */
export interface ThroughputOptions {
  count: number;
  concurrency: number;
  log: (line: string) => void;
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputMeasurement> {
  const { count, concurrency, log } = options;
  log(`throughput: floor (bare Knox client), ${count} creates at concurrency ${concurrency}`);
  const before = await throughputChild('floor', count, concurrency);
  log(`throughput: local stack, ${count} create onboardings at concurrency ${concurrency}`);
  const stack = await throughputChild('stack', count, concurrency);
  log('throughput: floor again');
  const after = await throughputChild('floor', count, concurrency);
  const floors = [before, after];
  const floorWall = floors.reduce((a, f) => a + f.load.wallMs, 0) / floors.length;
  const measurement: Omit<ThroughputMeasurement, 'figures'> = {
    count,
    concurrency,
    stack,
    floors,
    overhead: round(stack.load.wallMs / floorWall, 2),
  };
  if (stack.load.perSecond < THROUGHPUT_TARGETS.minPerSecond) {
    log(
      `throughput: ${stack.load.perSecond}/s is short of ${THROUGHPUT_TARGETS.minPerSecond}/s: profiling ${PROFILED_COUNT} onboardings`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'knox-bench-profile-'));
    try {
      const file = join(dir, 'stack.cpuprofile');
      const profiled = await throughputChild('stack', PROFILED_COUNT, concurrency, { BENCH_CPU_PROFILE: file });
      measurement.profile = {
        count: PROFILED_COUNT,
        perSecond: profiled.load.perSecond,
        parts: summarizeProfile(file),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { ...measurement, figures: throughputFigures(measurement) };
}

function throughputFigures(m: Omit<ThroughputMeasurement, 'figures'>): Figure[] {
  const { stack, floors } = m;
  const load = stack.load;
  const floorRate = round(floors.reduce((a, f) => a + f.load.perSecond, 0) / floors.length, 1);
  const cpuPerOnboarding = round((load.cpuMs.user + load.cpuMs.system) / m.count, 1);
  const dynamoPerOnboarding = round(Object.values(stack.dynamoCalls ?? {}).reduce((a, b) => a + b, 0) / m.count, 2);
  const where = m.profile
    ? Object.entries(m.profile.parts)
        .slice(0, 4)
        .map(([part, pct]) => `${part} ${pct}%`)
        .join(', ')
    : '';
  const notSucceeded = m.count - (stack.recordStatuses?.['SUCCEEDED'] ?? 0);
  const figures: Figure[] = [
    figure(
      'throughput',
      `local stack: create onboardings/s (${m.count} at concurrency ${m.concurrency}, POST to end of execution)`,
      load.perSecond,
      '/s',
      { min: THROUGHPUT_TARGETS.minPerSecond },
      `CPU-bound on one core (event loop ${Math.round(load.eventLoopUtilization * 100)}% busy, ${cpuPerOnboarding} ms CPU and ${dynamoPerOnboarding} DynamoDB calls per onboarding); CPU by part: ${where}`,
    ),
    figure('throughput', 'local stack: time to terminal status, p50', load.latencyMs.p50, 'ms'),
    figure('throughput', 'local stack: time to terminal status, p95', load.latencyMs.p95, 'ms'),
    figure(
      'throughput',
      'local stack: peak RSS',
      load.peakRssMb.lifetime,
      'MB',
      { below: THROUGHPUT_TARGETS.maxRssMb },
      `sampled during the load: ${load.peakRssMb.sampled} MB`,
    ),
    figure(
      'throughput',
      'local stack: onboardings not SUCCEEDED',
      notSucceeded,
      '',
      { max: 0 },
      `records ${JSON.stringify(stack.recordStatuses)}, failures ${JSON.stringify(load.failureSamples)}`,
    ),
    figure('throughput', 'local stack: CPU per onboarding', cpuPerOnboarding, 'ms'),
    figure(
      'throughput',
      'local stack: DynamoDB calls per onboarding',
      dynamoPerOnboarding,
      '',
      undefined,
      JSON.stringify(stack.dynamoCalls),
    ),
    figure('throughput', `floor: Knox creates/s, bare client (mean of ${floors.length} runs)`, floorRate, '/s'),
    figure('throughput', 'orchestration overhead (stack wall time / floor wall time)', m.overhead, '×'),
  ];
  const span =
    stack.knox.firstAt && stack.knox.lastAt ? Date.parse(stack.knox.lastAt) - Date.parse(stack.knox.firstAt) : 0;
  figures.push(
    tokenFigure('throughput run', { ...stack.knox, allowedTokens: allowedTokens(span, SIM_TOKEN_LIFETIME_SECONDS) }),
  );
  return figures;
}
