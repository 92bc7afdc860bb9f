/**
 * One bundle per function, as Lambda runs it: each handler module under lambdas/ is bundled with esbuild the way the
 * CDK's NodejsFunction bundles it for AWS (lib/infra/handler-function.ts: ESM, `module` before `main`, a `require`
 * for CommonJS dependencies, the AWS SDK v3 left out because the runtime provides it), so every function carries its
 * own copy of the project's modules and of Powertools: its own module scope (Knox client and token, secret cache,
 * budget, SDK clients, logger), as each function has its own execution environment on AWS.
 *
 * The bundles are plain JavaScript under `.local/functions/<build id>/`, imported with Node's own loader (not through
 * tsx's hooks or Vitest's module runner, so the mechanism is the same under `npm start`, the bench and the tests), and
 * each import carries an instance number in its URL: a new number is a new module instance, i.e. a cold start.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** Where the bundles go (inside the project, so that `@aws-sdk/*` resolves to the project's node_modules). */
export function bundleRoot(projectDir: string): string {
  return join(projectDir, '.local', 'functions');
}

/** Bundles older than this are removed when a new build is written. */
const STALE_BUILD_MS = 24 * 3600 * 1000;

/**
 * `import()` that Node's loader runs itself: Vitest rewrites the `import()` calls of the code it transforms into its
 * module runner's, which would transform (and share) the bundles again. A CommonJS file loaded by require() keeps
 * Node's own.
 */
const nativeImport = createRequire(import.meta.url)('./native-import.cjs') as (url: string) => Promise<unknown>;

/** Builds every handler's bundle (one esbuild run) and answers the path of each, by handler name. */
export async function buildFunctionBundles(
  lambdasDir: string,
  handlers: string[],
  projectDir: string,
): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: Object.fromEntries(handlers.map((h) => [h, join(lambdasDir, `${h}.ts`)])),
    outdir: 'out',
    write: false,
    bundle: true,
    splitting: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __knoxCreateRequire } from 'node:module'; const require = __knoxCreateRequire(import.meta.url);",
    },
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  const hash = createHash('sha256');
  for (const file of result.outputFiles) hash.update(file.path).update(file.contents);
  const buildId = hash.digest('hex').slice(0, 16);
  const root = bundleRoot(projectDir);
  const dir = join(root, buildId);
  if (!existsSync(dir)) {
    // Written beside and renamed: a concurrent start (another test file) sees the whole build or none.
    const temp = join(root, `.tmp-${buildId}-${process.pid}-${Date.now()}`);
    mkdirSync(temp, { recursive: true });
    for (const file of result.outputFiles) writeFileSync(join(temp, basename(file.path)), file.contents);
    try {
      renameSync(temp, dir);
    } catch {
      rmSync(temp, { recursive: true, force: true });
      if (!existsSync(dir)) throw new Error(`could not write the function bundles to ${dir}`);
    }
    removeStaleBuilds(root, buildId);
  }
  return new Map(handlers.map((h) => [h, join(dir, `${h}.mjs`)]));
}

function removeStaleBuilds(root: string, keep: string): void {
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    try {
      if (entry === keep || Date.now() - statSync(path).mtimeMs < STALE_BUILD_MS) continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

let instances = 0;

/** Imports a bundle as a new module instance (a cold start): its own module scope, shared with no other import. */
export async function importFunctionInstance(bundlePath: string): Promise<{ handler?: unknown }> {
  instances += 1;
  const url = `${pathToFileURL(bundlePath).href}?instance=${instances}`;
  return (await nativeImport(url)) as { handler?: unknown };
}
