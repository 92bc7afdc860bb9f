/**
 * A local stack that a test stops and starts again on the same DATA_DIR and ports, with Knox outside it (as in
 * production), so that the simulator's state outlives the restart. The simulator runs for the describe block; the
 * stack running at its end is stopped.
 */
import { afterAll, beforeAll } from 'vitest';
import { startKnoxSimulator, type RunningKnoxSimulator } from '#knox-sim/server';
import type { LocalStack, LocalStackOptions } from '#local/stack/local-stack';
import { startTestStack, tempDataDir } from '#testkit/test-stack';

export interface Restartable {
  /** The simulator every stack calls (started before the first test). */
  readonly knox: RunningKnoxSimulator;
  /** The DATA_DIR of the last start. */
  readonly dataDir: string;
  /** Starts a stack on a new DATA_DIR with the simulator as its Knox (and `options`, which restarts keep). */
  start(options?: LocalStackOptions): Promise<LocalStack>;
  /**
   * Stops the stack, runs `whileDown` (to look at what it left on disk), and starts another on the same DATA_DIR,
   * options and ports.
   */
  restart(whileDown?: () => void): Promise<LocalStack>;
}

export function useRestartableStack(): Restartable {
  let knox: RunningKnoxSimulator | undefined;
  let stack: LocalStack | undefined;
  let options: LocalStackOptions & { dataDir: string } = { dataDir: '' };

  beforeAll(async () => {
    knox = await startKnoxSimulator({ host: '127.0.0.1' });
  });
  afterAll(async () => {
    await stack?.stop();
    await knox?.stop();
  });

  const running = (): LocalStack => {
    if (!stack) throw new Error('no stack is running: start one first');
    return stack;
  };
  return {
    get knox() {
      if (!knox) throw new Error('the simulator starts before the first test');
      return knox;
    },
    get dataDir() {
      return options.dataDir;
    },
    async start(more = {}) {
      options = { dataDir: tempDataDir(), knoxBaseUrl: this.knox.url, ...more };
      stack = await startTestStack(options);
      return stack;
    },
    async restart(whileDown) {
      const { ports } = running();
      await running().stop();
      stack = undefined;
      whileDown?.();
      stack = await startTestStack({
        ...options,
        port: ports.api,
        dynamoPort: ports.dynamo,
        sfnPort: ports.sfn,
        secretsPort: ports.secrets,
      });
      return stack;
    },
  };
}
