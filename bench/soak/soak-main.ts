/**
 * `npm run soak`: the fault soak at full size, once per seed (DEFAULT_SEEDS unless `--seed` or `--seeds` say
 * otherwise), a summary table per seed on stdout, the figures in bench/soak-results.json, and exit code 1 on any
 * violation (2 when it could not run). Every violation is printed with the command that replays its seed.
 *
 *   npm run soak -- --onboardings 100 --offboardings 10 --seed 7 --concurrency 40 --max-minutes 5
 *   npm run soak -- --seeds 3,8,13
 *   SOAK_ONBOARDINGS=100 SOAK_SEEDS=7,9 npm run soak
 *   npm run soak -- --outage        # Knox goes down for a scaled hour during the workload (bench/soak/soak-outage.ts)
 *   SOAK_ONBOARDINGS=100 SOAK_SEED=7 SOAK_OUTAGE=1 npm run soak
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { formatReport } from './report';
import { SOAK_OUTAGE_DEFAULTS } from './soak-outage';
import { DEFAULT_SEEDS, runSoak, SOAK_DEFAULTS, tokenRefusalFor, type SoakReport } from './soak-run';

const RESULTS_FILE = fileURLToPath(new URL('../soak-results.json', import.meta.url));

const count = z.coerce.number().int().min(0).max(100_000);
const settingsSchema = z.object({
  onboardings: count.default(SOAK_DEFAULTS.onboardings),
  offboardings: count.default(SOAK_DEFAULTS.offboardings),
  seeds: z
    .string()
    .regex(/^-?\d+(,-?\d+)*$/, 'a comma-separated list of whole numbers')
    .transform((v) => v.split(',').map(Number))
    .default([...DEFAULT_SEEDS]),
  concurrency: z.coerce.number().int().min(1).max(1000).default(SOAK_DEFAULTS.concurrency),
  maxMinutes: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(SOAK_DEFAULTS.maxWallMs / 60_000),
  outage: z
    .union([z.boolean(), z.enum(['1', 'true', '0', 'false'])])
    .transform((v) => v === true || v === '1' || v === 'true')
    .default(false),
});

function readSettings(): z.infer<typeof settingsSchema> {
  const { values } = parseArgs({
    options: {
      onboardings: { type: 'string' },
      offboardings: { type: 'string' },
      seed: { type: 'string' },
      seeds: { type: 'string' },
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
    seeds: values.seed ?? values.seeds ?? env.SOAK_SEED ?? env.SOAK_SEEDS,
    concurrency: values.concurrency ?? env.SOAK_CONCURRENCY,
    maxMinutes: values['max-minutes'] ?? env.SOAK_MAX_MINUTES,
    outage: values.outage ?? env.SOAK_OUTAGE,
  };
  const parsed = settingsSchema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

type Settings = z.infer<typeof settingsSchema>;

function replayCommand(settings: Settings, seed: number): string {
  return (
    `npm run soak -- --seed ${seed} --onboardings ${settings.onboardings} --offboardings ${settings.offboardings} ` +
    `--concurrency ${settings.concurrency}`
  );
}

async function main(): Promise<number> {
  let settings: Settings;
  try {
    settings = readSettings();
  } catch (error) {
    console.error(`npm run soak: ${(error as Error).message}`);
    return 2;
  }
  console.log(`Seeds: ${settings.seeds.join(', ')} (each replayable alone with --seed).`);
  const reports: SoakReport[] = [];
  for (const seed of settings.seeds) {
    console.log(
      `Starting the local stack for the soak (${settings.onboardings} onboardings, ${settings.offboardings} ` +
        `offboardings, seed ${seed}, dead tokens refused as ${tokenRefusalFor(seed)}${settings.outage ? ', with a Knox outage' : ''})...`,
    );
    const report = await runSoak({
      onboardings: settings.onboardings,
      offboardings: settings.offboardings,
      seed,
      concurrency: settings.concurrency,
      maxWallMs: settings.maxMinutes * 60_000,
      ...(settings.outage ? { outage: SOAK_OUTAGE_DEFAULTS } : {}),
    });
    reports.push(report);
    console.log('');
    console.log(formatReport(report));
    if (report.violations.length > 0) console.log(`Replay this seed: ${replayCommand(settings, seed)}`);
    console.log('');
  }
  const results = reports.length === 1 ? reports[0] : { seeds: settings.seeds, reports };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`Figures written to ${RESULTS_FILE}`);
  const failed = reports.filter((r) => r.violations.length > 0);
  for (const r of failed) {
    const replay = replayCommand(settings, r.settings.seed);
    console.log(`seed ${r.settings.seed}: ${r.violations.length} violation(s); replay: ${replay}`);
  }
  console.log(
    failed.length === 0
      ? `No violations at seeds ${settings.seeds.join(', ')}.`
      : `Violations at ${failed.length} of ${reports.length} seeds.`,
  );
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`The soak could not run: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
