/**
 * Measurement 1: each Lambda bundle's size (from the synthesized assets) and its cold import time against a baseline
 * that imports only the same AWS SDK modules, bundled with the same options in the same run. Each repetition spawns a
 * fresh `node` for the bundle and one for its baseline, back to back, so that both see the same machine noise; the
 * figure is the median of the per-pair ratios of CPU time (see summarize()).
 *
 * Lambda runs the function with its Environment's NODE_OPTIONS (`--enable-source-maps` here, which reads the source
 * map at load): the figure uses them, as a cold start would; the same runs without them are in the raw results.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_DIR } from '#local/template/synth';
import {
  buildBaseline,
  bundleComposition,
  checkBundleOptions,
  sizeWithNamespaceZod,
  type BaselineBundle,
} from './baseline-bundle';
import { functionBundles, type FunctionBundle } from './bundle-assets';
import { figure, type Figure } from '../kit/figures';
import { median, round } from '../kit/stats';

const run = promisify(execFile);
const PROBE = join(PROJECT_DIR, 'bench', 'bundles', 'import-probe.mjs');

/**
 * 600 KB: the functions bundle the AWS SDK the tests ran (about 350 KB of each bundle; README "The SDK the functions
 * run with"). 2x: the baseline is that bundled SDK alone, which loads in about 60 ms of CPU against 120 ms or more from
 * node_modules, so the same 30-40 ms our code adds is a larger share of it than when the SDK was external (1.5x then).
 */
export const BUNDLE_TARGETS = { maxKb: 600, maxImportRatio: 2 } as const;

interface ProbeAnswer {
  importMs: number;
  cpuMs: number;
  network: string[];
  exportsHandler: boolean;
}

/** One cold import in a fresh process, with only the environment a Lambda would have at load (no AWS session). */
async function probe(bundle: string, nodeOptions: string): Promise<ProbeAnswer> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'knox-onboarding',
    NODE_OPTIONS: nodeOptions,
    NODE_NO_WARNINGS: '1',
  };
  const { stdout } = await run(process.execPath, [PROBE, bundle], { env, cwd: PROJECT_DIR });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeAnswer;
}

/** One repetition: the bundle and its baseline imported back to back, so that both meet the same machine load. */
interface ImportPair {
  bundle: { wallMs: number; cpuMs: number };
  baseline: { wallMs: number; cpuMs: number };
}

interface ImportTimes {
  pairs: ImportPair[];
  network: string[];
  exportsHandler: boolean;
}

async function importTimes(
  fn: FunctionBundle,
  baseline: BaselineBundle,
  runs: number,
  nodeOptions: string,
): Promise<ImportTimes> {
  const out: ImportTimes = { pairs: [], network: [], exportsHandler: true };
  for (let i = 0; i < runs; i++) {
    // Alternate which one goes first, so that neither always runs right after the other's page-cache warm-up.
    const first = i % 2 === 0 ? fn.path : baseline.path;
    const second = first === fn.path ? baseline.path : fn.path;
    const a = await probe(first, nodeOptions);
    const b = await probe(second, nodeOptions);
    const [mine, base] = first === fn.path ? [a, b] : [b, a];
    out.pairs.push({
      bundle: { wallMs: mine.importMs, cpuMs: mine.cpuMs },
      baseline: { wallMs: base.importMs, cpuMs: base.cpuMs },
    });
    out.network.push(...mine.network);
    out.exportsHandler &&= mine.exportsHandler;
  }
  return out;
}

/**
 * Medians, and the median of the per-pair ratios: each pair ran back to back, so its ratio cancels the load the
 * machine had at that moment. CPU time (user + system, all of the process's threads) is the figure: it is what a
 * cold start spends on a vCPU of its own, and is far less inflated than wall time on a shared machine.
 */
function summarize(t: ImportTimes): ImportSummary {
  const m = (pick: (p: ImportPair) => number) => round(median(t.pairs.map(pick)), 1);
  return {
    cpuMs: { bundle: m((p) => p.bundle.cpuMs), baseline: m((p) => p.baseline.cpuMs) },
    wallMs: { bundle: m((p) => p.bundle.wallMs), baseline: m((p) => p.baseline.wallMs) },
    cpuRatio: round(median(t.pairs.map((p) => p.bundle.cpuMs / p.baseline.cpuMs)), 3),
    wallRatio: round(median(t.pairs.map((p) => p.bundle.wallMs / p.baseline.wallMs)), 3),
  };
}

export interface ImportSummary {
  cpuMs: { bundle: number; baseline: number };
  wallMs: { bundle: number; baseline: number };
  cpuRatio: number;
  wallRatio: number;
}

export interface BundleResult {
  handler: string;
  bundleBytes: number;
  mapBytes: number;
  baselineBytes: number;
  awsSdkImports: Record<string, string[]>;
  /** Size of the same handler rebuilt with the bench's copy of the stack's bundling options (should equal bundleBytes). */
  rebuiltBytes: number;
  nodeOptions: string;
  /** With the function's NODE_OPTIONS (the figure), and without them. */
  coldImport: ImportSummary;
  withoutNodeOptions: ImportSummary;
  /** Bytes per package in this bundle, largest first. */
  composition: Record<string, number>;
  /** What-if: the bundle's size with `import * as z from 'zod'` everywhere (see sizeWithNamespaceZod). */
  namespaceZodBytes: number;
  networkAtLoad: string[];
  runs: { withNodeOptions: ImportTimes; withoutNodeOptions: ImportTimes };
}

export interface BundlesMeasurement {
  results: BundleResult[];
  figures: Figure[];
}

export async function measureBundles(options: {
  runs: number;
  log: (line: string) => void;
}): Promise<BundlesMeasurement> {
  const results: BundleResult[] = [];
  for (const fn of functionBundles()) {
    const baseline = await buildBaseline(fn.handler);
    const rebuiltBytes = await checkBundleOptions(fn.handler);
    options.log(`bundles: ${fn.handler} (${Math.round(fn.bytes / 1024)} KB), ${options.runs} cold imports each way`);
    const withOptions = await importTimes(fn, baseline, options.runs, fn.nodeOptions);
    const without = await importTimes(fn, baseline, options.runs, '');
    results.push({
      handler: fn.handler,
      bundleBytes: fn.bytes,
      mapBytes: fn.mapBytes,
      baselineBytes: baseline.bytes,
      awsSdkImports: baseline.imports,
      rebuiltBytes,
      nodeOptions: fn.nodeOptions,
      coldImport: summarize(withOptions),
      withoutNodeOptions: summarize(without),
      composition: await bundleComposition(fn.handler),
      namespaceZodBytes: await sizeWithNamespaceZod(fn.handler),
      networkAtLoad: [...new Set([...withOptions.network, ...without.network])],
      runs: { withNodeOptions: withOptions, withoutNodeOptions: without },
    });
  }
  return { results, figures: bundleFigures(results) };
}

function bundleFigures(results: BundleResult[]): Figure[] {
  const top = (r: BundleResult) =>
    Object.entries(r.composition)
      .slice(0, 3)
      .map(([part, bytes]) => `${part} ${Math.round(bytes / 1024)} KB`)
      .join(', ');
  const figures: Figure[] = [];
  for (const r of results) {
    figures.push(
      figure(
        'bundles',
        `bundle ${r.handler}`,
        round(r.bundleBytes / 1024, 1),
        'KB',
        { max: BUNDLE_TARGETS.maxKb },
        `largest parts: ${top(r)}; with \`import * as z from 'zod'\` instead of \`import { z }\` it would be ${Math.round(r.namespaceZodBytes / 1024)} KB`,
      ),
    );
  }
  const smallest = results.reduce((a, b) => (b.namespaceZodBytes < a.namespaceZodBytes ? b : a));
  const largest = results.reduce((a, b) => (b.namespaceZodBytes > a.namespaceZodBytes ? b : a));
  figures.push(
    figure(
      'bundles',
      `what-if: largest bundle with \`import * as z from 'zod'\` everywhere (${largest.handler}; smallest ${smallest.handler} ${Math.round(smallest.namespaceZodBytes / 1024)} KB)`,
      round(largest.namespaceZodBytes / 1024, 1),
      'KB',
      undefined,
    ),
  );
  for (const r of results) {
    const c = r.coldImport;
    figures.push(
      figure(
        'bundles',
        `cold import ${r.handler} / SDK-only baseline (CPU ${c.cpuMs.bundle} vs ${c.cpuMs.baseline} ms)`,
        c.cpuRatio,
        '×',
        { max: BUNDLE_TARGETS.maxImportRatio },
        `with ${r.nodeOptions || 'no NODE_OPTIONS'} (its ${Math.round(r.mapBytes / 1024)} KB source map is read at load): wall-time ratio ${c.wallRatio}×; without NODE_OPTIONS: CPU ${r.withoutNodeOptions.cpuRatio}×, wall ${r.withoutNodeOptions.wallRatio}×`,
      ),
    );
  }
  const drift = results
    .filter((r) => Math.abs(r.rebuiltBytes - r.bundleBytes) > r.bundleBytes * 0.01)
    .map((r) => r.handler);
  figures.push(
    figure(
      'bundles',
      'baseline options drift (handlers whose rebuild differs > 1% from the asset)',
      drift.length,
      '',
      { max: 0 },
      `bench/bundles/baseline-bundle.ts STACK_BUNDLE_OPTIONS no longer match lib/infra/handler-function.ts for: ${drift.join(', ')}`,
    ),
  );
  const loud = results.filter((r) => r.networkAtLoad.length > 0);
  figures.push(
    figure(
      'bundles',
      'handlers that touch the network at module load',
      loud.length,
      '',
      { max: 0 },
      loud.map((r) => `${r.handler}: ${r.networkAtLoad.join(', ')}`).join('; '),
    ),
  );
  return figures;
}
