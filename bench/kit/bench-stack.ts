/**
 * How the bench starts the local stack: quiet, on free ports, in a fresh DATA_DIR, at a TIME_SCALE, with the shared
 * Knox budget scaled by the same factor.
 *
 * Why the budget: TIME_SCALE compresses every wait of the schedule (an hour of polling becomes 36 ms at 1e-5), but
 * the shared Knox budget (KNOX_REQUESTS_PER_SECOND, 10/s for the whole system) paces in real time. Left as is, it
 * stretches compressed polls back to 100 ms each (a 14-day wait then makes a third of its polls) and caps local
 * throughput at 10 onboardings/s whatever the orchestration costs. Scaling it by 1/TIME_SCALE keeps the ratio of calls
 * to schedule that AWS would see; at TIME_SCALE 1 the throughput run lifts it explicitly (the budget stays in the
 * path: every Knox call still claims its slot from the DynamoDB item).
 */
import { rmSync } from 'node:fs';
import { ENV, DEFAULTS } from '#domain/configuration';
import { startLocalStack, type LocalStack } from '#local/stack/local-stack';
import { ensureTemplate } from '#local/template/synth';
import { readTemplate, resolveModel } from '#local/template/template';
import { tempDataDir } from '#testkit/test-stack';

/** The Knox budget of throughput runs: high enough never to be the bottleneck. */
export const LIFTED_KNOX_RATE = 1_000_000;

/** The Knox budget the synthesized functions get (their KNOX_REQUESTS_PER_SECOND). */
export async function deployedKnoxRate(): Promise<number> {
  const model = resolveModel(readTemplate(await ensureTemplate()));
  const values = model.functions.map((f) => Number(f.environment[ENV.knoxRequestsPerSecond])).filter((v) => v > 0);
  return values.length > 0 ? Math.min(...values) : DEFAULTS.knoxRequestsPerSecond;
}

export interface BenchStackOptions {
  timeScale: number;
  /** The shared Knox budget (requests per second); default: the deployed budget / timeScale. */
  knoxRequestsPerSecond?: number;
  /** 'aws': AWS's typical latencies on the local services and Knox's on the simulator (LATENCY=aws). */
  latency?: 'aws' | 'none';
}

/** A stack in a temporary DATA_DIR, which its stop() removes. */
export async function startBenchStack(options: BenchStackOptions): Promise<LocalStack> {
  const rate = options.knoxRequestsPerSecond ?? (await deployedKnoxRate()) / options.timeScale;
  const dataDir = tempDataDir('knox-bench-');
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port: 0,
      dataDir,
      timeScale: options.timeScale,
      ...(options.latency ? { latency: options.latency } : {}),
      quiet: true,
      env: { [ENV.knoxRequestsPerSecond]: String(rate) },
      // The bench measures the stack behind the API: the stage's throttle (10/s) would cap every run, as the Knox
      // budget would.
      apiGateway: { throttle: 'none' },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stop = stack.stop;
  return {
    ...stack,
    stop: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
