/**
 * `npm run demo`: starts the local stack on a temporary DATA_DIR with the built-in Knox simulator and a fast clock
 * (TIME_SCALE, default 0.001), plays the scenarios of demo-scenarios.ts (linked after approval, aborted, retried,
 * waited, created, completed by a change, offboarded, changed), prints a line per scenario and a table of outcomes
 * with each execution's path through the diagram, and stops. Exits 1 when a scenario did not end as expected.
 */
import { rmSync } from 'node:fs';
import * as z from 'zod';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/world';
import { DEMO_SCENARIOS, formatOutcomes, runDemo } from './demo-scenarios';
import { startLocalStack } from '../stack/local-stack';
import { tempDataDir } from '#testkit/test-stack';

const envSchema = z.object({
  TIME_SCALE: z.coerce.number().positive().max(1).default(0.001),
});

async function main(): Promise<number> {
  const parsed = envSchema.safeParse(
    Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    console.error(
      `Invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
    return 2;
  }
  const timeScale = parsed.data.TIME_SCALE;
  if (process.env.KNOX_BASE_URL) {
    // The scenarios play Knox's part through the simulator's control surface: a real Knox cannot be scripted.
    console.log(`KNOX_BASE_URL is ignored: the demo runs on the built-in Knox simulator.`);
    delete process.env.KNOX_BASE_URL;
  }

  const dataDir = tempDataDir('knox-demo-');
  console.log(`Starting the local stack (TIME_SCALE ${timeScale}, data in ${dataDir})...`);
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    timeScale,
    quiet: true,
    knoxCredentials: { ...SIM_DEFAULT_CREDENTIALS },
    // The driver compresses time and polls faster than the stage's real-time throttle allows.
    apiGateway: { throttle: 'none' },
  });
  try {
    console.log(`HTTP API ${stack.apiUrl}, Knox simulator ${stack.knoxUrl}: ${DEMO_SCENARIOS.length} scenarios\n`);
    // A 60 s poll takes 60 s × TIME_SCALE; give each scenario room for a few hours of scaled waiting.
    const outcomes = await runDemo(stack, {
      onProgress: (line) => console.log(line),
      timeoutMs: Math.max(30_000, 4 * 3600_000 * timeScale),
    });
    console.log(`\n${formatOutcomes(outcomes)}\n`);
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      console.error(`${failed.length} scenario(s) did not end as expected: ${failed.map((o) => o.title).join('; ')}`);
      return 1;
    }
    console.log(`All ${outcomes.length} scenarios ended as expected.`);
    return 0;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`The demo failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
