/**
 * The load both throughput runs share: `count` jobs at a fixed concurrency, each timed from its start to its end,
 * with the process's memory and CPU watched meanwhile.
 */
import { performance } from 'node:perf_hooks';
import { percentile, round } from './stats';

export interface LoadResult {
  count: number;
  concurrency: number;
  wallMs: number;
  perSecond: number;
  latencyMs: { p50: number; p95: number; max: number };
  failures: number;
  /** First few failure messages (no request data in them). */
  failureSamples: string[];
  /** RSS sampled every 20 ms during the load, and the process's lifetime peak (getrusage maxrss). */
  peakRssMb: { sampled: number; lifetime: number };
  cpuMs: { user: number; system: number };
  /** Share of the wall time the event loop was busy (1 = CPU-bound on one core). */
  eventLoopUtilization: number;
}

const SAMPLE_MS = 20;
const MB = 1024 * 1024;

/** Runs `job(i)` for i in 0..count-1, `concurrency` at a time. A job that throws counts as a failure. */
export async function runLoad(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<LoadResult> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, SAMPLE_MS);
  const latencies: number[] = [];
  const failureSamples: string[] = [];
  let failures = 0;
  let next = 0;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const t = performance.now();
      try {
        await job(i);
        latencies.push(performance.now() - t);
      } catch (error) {
        failures += 1;
        if (failureSamples.length < 5)
          failureSamples.push(`${(error as Error).name}: ${(error as Error).message}`.slice(0, 300));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => worker()));
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  peak = Math.max(peak, process.memoryUsage.rss());
  return {
    count,
    concurrency,
    wallMs: round(wallMs, 1),
    perSecond: round(((count - failures) * 1000) / wallMs, 2),
    latencyMs: {
      p50: round(percentile(latencies, 0.5), 1),
      p95: round(percentile(latencies, 0.95), 1),
      max: round(percentile(latencies, 1), 1),
    },
    failures,
    failureSamples,
    peakRssMb: { sampled: round(peak / MB, 1), lifetime: round((process.resourceUsage().maxRSS * 1024) / MB, 1) },
    cpuMs: { user: round(cpu.user / 1000, 0), system: round(cpu.system / 1000, 0) },
    eventLoopUtilization: round(elu.utilization, 3),
  };
}
