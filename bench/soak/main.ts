/**
 * `npm run soak`: the fault soak at full size (500 onboardings + 50 offboardings by default), a summary table on
 * stdout, the figures in bench/soak-results.json, and exit code 1 on any violation (2 when it could not run).
 *
 *   npm run soak -- --onboardings 100 --offboardings 10 --seed 7 --concurrency 40 --max-minutes 5
 *   npm run soak -- --outage        # Knox goes down for a scaled hour during the workload (bench/soak/outage.ts)
 *   SOAK_ONBOARDINGS=100 SOAK_SEED=7 SOAK_OUTAGE=1 npm run soak
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { formatReport } from './report';
import { SOAK_OUTAGE_DEFAULTS } from './outage';
import { runSoak, SOAK_DEFAULTS } from './run';

const RESULTS_FILE = fileURLToPath(new URL('../soak-results.json', import.meta.url));

const count = z.coerce.number().int().min(0).max(100_000);
const settingsSchema = z.object({
  onboardings: count.default(SOAK_DEFAULTS.onboardings),
  offboardings: count.default(SOAK_DEFAULTS.offboardings),
  seed: z.coerce.number().int().default(SOAK_DEFAULTS.seed),
  concurrency: z.coerce.number().int().min(1).max(1000).default(SOAK_DEFAULTS.concurrency),
  maxMinutes: z.coerce.number().positive().max(24 * 60).default(SOAK_DEFAULTS.maxWallMs / 60_000),
  outage: z.union([z.boolean(), z.enum(['1', 'true', '0', 'false'])]).transform((v) => v === true || v === '1' || v === 'true').default(false),
});

function readSettings(): z.infer<typeof settingsSchema> {
  const { values } = parseArgs({
    options: {
      onboardings: { type: 'string' },
      offboardings: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      'max-minutes': { type: 'string' },
      outage: { type: 'boolean' },
    },
    strict: true,
  });
  const env = process.env;
  const raw = {
    onboardings: values.onboardings ?? env.SOAK_ONBOARDINGS,
    offboardings: values.offboardings ?? env.SOAK_OFFBOARDINGS,
    seed: values.seed ?? env.SOAK_SEED,
    concurrency: values.concurrency ?? env.SOAK_CONCURRENCY,
    maxMinutes: values['max-minutes'] ?? env.SOAK_MAX_MINUTES,
    outage: values.outage ?? env.SOAK_OUTAGE,
  };
  const parsed = settingsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

async function main(): Promise<number> {
  let settings: z.infer<typeof settingsSchema>;
  try {
    settings = readSettings();
  } catch (error) {
    console.error(`npm run soak: ${(error as Error).message}`);
    return 2;
  }
  console.log(`Starting the local stack for the soak (${settings.onboardings} onboardings, ${settings.offboardings} offboardings, seed ${settings.seed}${settings.outage ? ', with a Knox outage' : ''})...`);
  const report = await runSoak({
    onboardings: settings.onboardings,
    offboardings: settings.offboardings,
    seed: settings.seed,
    concurrency: settings.concurrency,
    maxWallMs: settings.maxMinutes * 60_000,
    ...(settings.outage ? { outage: SOAK_OUTAGE_DEFAULTS } : {}),
  });
  console.log('');
  console.log(formatReport(report));
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Figures written to ${RESULTS_FILE}`);
  return report.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`The soak could not run: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
