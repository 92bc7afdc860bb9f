/**
 * The baseline a function bundle's cold import is compared with: a bundle that imports exactly the AWS SDK modules
 * (and names) the function's bundle imports, and nothing else, built by esbuild in the same run with the options the
 * stack bundles with. Its import time is what the AWS SDK alone costs; the ratio is what our code adds on top.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { PROJECT_DIR } from '#local/template/synth';

/**
 * The options lib/infra/handler-function.ts gives NodejsFunction (`bundling`), as esbuild options: ESM, minified,
 * source map, Node.js 22, the AWS SDK bundled in (nothing external), the createRequire banner. Kept in step by
 * checkBundleOptions(), which rebuilds a handler with them and compares the size with the synthesized asset.
 */
export const STACK_BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  external: [],
  banner: {
    js: "import { createRequire as __knoxCreateRequire } from 'node:module'; const require = __knoxCreateRequire(import.meta.url);",
  },
  logLevel: 'silent',
};

/**
 * Where baselines are written: inside the project, so that their `@aws-sdk/*` imports resolve to the project's
 * node_modules as the synthesized bundles' do (cdk.out/asset.x/ -> ../../node_modules); node_modules/.cache is
 * ignored by git.
 */
export const BASELINE_DIR = join(PROJECT_DIR, 'node_modules', '.cache', 'knox-bench');

/** Every static import of an `@aws-sdk/*` module in a (minified) ESM bundle: module -> imported names. */
export function awsSdkImports(source: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (module: string, names: string[]): void => {
    const set = out.get(module) ?? new Set<string>();
    for (const n of names) set.add(n);
    out.set(module, set);
  };
  // import{A as b,C}from"@aws-sdk/x"  |  import*as n from"@aws-sdk/x"  |  import d from"@aws-sdk/x"  |  import"@aws-sdk/x"
  const statement =
    /import\s*(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s*as\s+[\w$]+)?\s*(?:from)?\s*["'](@aws-sdk\/[^"']+)["']/g;
  for (const m of source.matchAll(statement)) {
    const names = (m[2] ?? '')
      .split(',')
      .map((part) => part.trim().split(/\s+as\s+/)[0]!)
      .filter((n) => n !== '');
    if (m[1] !== undefined) names.push('default');
    add(m[3]!, names);
  }
  // A dynamic import is loaded when called, not at cold start: listed for the report, not in the baseline.
  return out;
}

/** The baseline's source: the same imports, each name kept alive (esbuild drops unused imports of externals). */
export function baselineSource(imports: Map<string, Set<string>>): string {
  const lines: string[] = [];
  const kept: string[] = [];
  let i = 0;
  for (const [module, names] of [...imports].sort(([a], [b]) => a.localeCompare(b))) {
    const named = [...names].filter((n) => n !== 'default').sort();
    const aliases = named.map((n) => `${n} as i${i++}`);
    const def = names.has('default') ? `i${i++}` : undefined;
    const clause = [def, aliases.length > 0 ? `{ ${aliases.join(', ')} }` : undefined].filter(Boolean).join(', ');
    lines.push(clause ? `import ${clause} from '${module}';` : `import '${module}';`);
    if (def) kept.push(def);
    kept.push(...aliases.map((a) => a.split(' as ')[1]!));
  }
  lines.push(`export const handler = async () => [${kept.join(', ')}].length;`);
  return `${lines.join('\n')}\n`;
}

export interface BaselineBundle {
  path: string;
  bytes: number;
  imports: Record<string, string[]>;
}

/**
 * Builds the baseline of one function into BASELINE_DIR/<handler>/index.mjs. The SDK modules and names it imports are
 * read from a build of the handler that leaves `@aws-sdk/*` external (the stack's bundle has them inlined); the
 * baseline itself bundles them as the stack does.
 */
export async function buildBaseline(handler: string): Promise<BaselineBundle> {
  const withSdkExternal = await build({
    ...STACK_BUNDLE_OPTIONS,
    external: ['@aws-sdk/*'],
    entryPoints: [join(PROJECT_DIR, 'lambdas', `${handler}.ts`)],
    outfile: join(BASELINE_DIR, 'imports', `${handler}.mjs`),
    write: false,
    sourcemap: false,
  });
  const source = withSdkExternal.outputFiles.find((f) => f.path.endsWith('.mjs'))?.text ?? '';
  const imports = awsSdkImports(source);
  const dir = join(BASELINE_DIR, handler);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, baselineSource(imports));
  const outfile = join(dir, 'index.mjs');
  const result = await build({ ...STACK_BUNDLE_OPTIONS, entryPoints: [entry], outfile, metafile: true });
  const bytes = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('index.mjs'))?.[1].bytes ?? 0;
  return { path: outfile, bytes, imports: Object.fromEntries([...imports].map(([m, n]) => [m, [...n].sort()])) };
}

/**
 * Rebuilds `handler` from lambdas/ with STACK_BUNDLE_OPTIONS: the size should match the synthesized asset's. A
 * difference means the options above drifted from the stack's (the baseline would then not be "the same options").
 */
export async function checkBundleOptions(handler: string): Promise<number> {
  return (await bundleOutput(handler))?.bytes ?? 0;
}

/** The bundle of `handler` built in memory with the stack's options, and what went into it. */
async function bundleOutput(handler: string, plugins: Plugin[] = []) {
  const result = await build({
    ...STACK_BUNDLE_OPTIONS,
    entryPoints: [join(PROJECT_DIR, 'lambdas', `${handler}.ts`)],
    outfile: join(BASELINE_DIR, 'check', `${handler}.mjs`),
    write: false,
    metafile: true,
    plugins,
  });
  return Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
}

/** Bytes per package in a bundle of `handler` (what to shrink when a bundle is too big). */
export async function bundleComposition(handler: string): Promise<Record<string, number>> {
  const output = await bundleOutput(handler);
  const byPart: Record<string, number> = {};
  for (const [file, info] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)(?:\/(v4\/(?:locales|core|classic)))?/.exec(file);
    const part = pkg ? (pkg[2] ? `${pkg[1]}/${pkg[2]}` : pkg[1]!) : file.split('/').slice(0, 2).join('/');
    byPart[part] = (byPart[part] ?? 0) + info.bytesInOutput;
  }
  return Object.fromEntries(Object.entries(byPart).sort(([, a], [, b]) => b - a));
}

/**
 * What-if: the size of `handler`'s bundle if every `import { z } from 'zod'` were `import * as z from 'zod'`.
 * zod's index re-exports its API as a namespace object (`export { z }`), which esbuild cannot tree-shake: the named
 * import keeps every locale. A namespace import of the module itself lets esbuild drop what is never used. Measured,
 * not applied: the source files are the handlers' owners' to change.
 */
export async function sizeWithNamespaceZod(handler: string): Promise<number> {
  const rewrite: Plugin = {
    name: 'zod-namespace-import',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes('node_modules')) return undefined;
        const source = await readFile(args.path, 'utf8');
        return { loader: 'ts', contents: source.replace(/import \{ z \} from 'zod';/g, "import * as z from 'zod';") };
      });
    },
  };
  return (await bundleOutput(handler, [rewrite]))?.bytes ?? 0;
}
