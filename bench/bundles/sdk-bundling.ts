/**
 * The SDK the functions run with: each Knox-calling function built twice with the stack's esbuild options, once with
 * `@aws-sdk/*` left to the Lambda runtime (externalModules: the runtime's own, older SDK) and once with the SDK the
 * tests ran bundled in; size of each, and its cold import CPU time in a fresh `node` (median of paired runs, the
 * external one importing the SDK from node_modules as the runtime imports its own from /var/runtime).
 *
 *   npx tsx bench/bundles/sdk-bundling.ts       (also part of `npm run bench`, BENCH_ONLY=sdk)
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { PROJECT_DIR } from '#local/template/synth';
import { figure, renderTable, type Figure } from '../kit/figures';
import { median, round } from '../kit/stats';
import { BASELINE_DIR, STACK_BUNDLE_OPTIONS } from './baseline-bundle';

const run = promisify(execFile);
const PROBE = join(PROJECT_DIR, 'bench', 'bundles', 'import-probe.mjs');
export const SDK_BUNDLING_HANDLERS = ['create-customer', 'poller', 'api'] as const;

export interface SdkBundlingRun {
  handler: string;
  externalKb: number;
  bundledKb: number;
  externalCpuMs: number;
  bundledCpuMs: number;
}

async function bundle(handler: string, sdk: 'external' | 'bundled'): Promise<{ path: string; kb: number }> {
  const dir = join(BASELINE_DIR, 'sdk', handler, sdk);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  const result = await build({
    ...STACK_BUNDLE_OPTIONS,
    external: sdk === 'bundled' ? [] : ['@aws-sdk/*'],
    entryPoints: [join(PROJECT_DIR, 'lambdas', `${handler}.ts`)],
    outfile,
    metafile: true,
  });
  const bytes = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('index.mjs'))?.[1].bytes ?? 0;
  return { path: outfile, kb: round(bytes / 1024, 1) };
}

async function cpuMs(path: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--enable-source-maps', PROBE, path], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
  });
  return (JSON.parse(stdout.trim()) as { cpuMs: number }).cpuMs;
}

export async function measureSdkBundling(
  options: { runs?: number; log?: (line: string) => void } = {},
): Promise<{ figures: Figure[]; runs: SdkBundlingRun[] }> {
  const runs: SdkBundlingRun[] = [];
  for (const handler of SDK_BUNDLING_HANDLERS) {
    options.log?.(`sdk bundling: ${handler}`);
    const external = await bundle(handler, 'external');
    const bundled = await bundle(handler, 'bundled');
    const ext: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < (options.runs ?? 9); i += 1) {
      ext.push(await cpuMs(external.path));
      own.push(await cpuMs(bundled.path));
    }
    runs.push({
      handler,
      externalKb: external.kb,
      bundledKb: bundled.kb,
      externalCpuMs: round(median(ext), 1),
      bundledCpuMs: round(median(own), 1),
    });
  }
  const figures = runs.flatMap((r) => [
    figure(
      'sdk',
      `${r.handler}: bundle with the SDK bundled (KB)`,
      r.bundledKb,
      'KB',
      undefined,
      `external: ${r.externalKb} KB`,
    ),
    figure(
      'sdk',
      `${r.handler}: cold import CPU, SDK bundled ÷ SDK from node_modules`,
      round(r.bundledCpuMs / r.externalCpuMs, 2),
      '×',
      undefined,
      `${r.bundledCpuMs} ms against ${r.externalCpuMs} ms (median of paired fresh processes)`,
    ),
  ]);
  return { figures, runs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { figures, runs } = await measureSdkBundling({ log: (l) => console.error(`[bench] ${l}`) });
  console.log(renderTable(figures));
  console.log(JSON.stringify(runs, null, 2));
}
