/**
 * Local throughput under LATENCY=aws: the throughput measurement's stack run (create onboardings through the HTTP API
 * at concurrency 50, each timed to the end of its execution) with AWS's typical latencies on the local services and
 * Knox's on the simulator (local/latency/aws-latency.ts, knox-sim/latency.ts). Beside the run without latency
 * (throughput.ts), it says how much of the local rate is owed to instant local calls. No target: on AWS the rate is
 * bounded by these latencies and the concurrency, not by this machine.
 */
import { figure, type Figure } from '../kit/figures';
import { throughputChild, type ThroughputOptions } from '../throughput/throughput';
import type { ThroughputRun } from '../throughput/throughput-child';

export interface LatencyThroughputMeasurement {
  count: number;
  concurrency: number;
  run: ThroughputRun;
  figures: Figure[];
}

export async function measureLatencyThroughput(options: ThroughputOptions): Promise<LatencyThroughputMeasurement> {
  const { count, concurrency, log } = options;
  log(`throughput-aws: local stack with LATENCY=aws, ${count} create onboardings at concurrency ${concurrency}`);
  const run = await throughputChild('stack', count, concurrency, { BENCH_LATENCY: 'aws' });
  const notSucceeded = count - (run.recordStatuses?.['SUCCEEDED'] ?? 0);
  const figures: Figure[] = [
    figure(
      'throughput-aws',
      `local stack, LATENCY=aws: create onboardings/s (${count} at concurrency ${concurrency})`,
      run.load.perSecond,
      '/s',
      undefined,
      'AWS typical latencies on DynamoDB, Step Functions, Lambda (cold start on each first invoke), Secrets Manager; Knox at hundreds of ms a call',
    ),
    figure('throughput-aws', 'local stack, LATENCY=aws: time to terminal status, p50', run.load.latencyMs.p50, 'ms'),
    figure('throughput-aws', 'local stack, LATENCY=aws: time to terminal status, p95', run.load.latencyMs.p95, 'ms'),
    figure(
      'throughput-aws',
      'local stack, LATENCY=aws: onboardings not SUCCEEDED',
      notSucceeded,
      '',
      { max: 0 },
      `records ${JSON.stringify(run.recordStatuses)}, failures ${JSON.stringify(run.load.failureSamples)}`,
    ),
  ];
  return { count, concurrency, run, figures };
}
