/**
 * Produces cdk.out/<stack>.template.json for the local stack: reuses it when it is newer than every source file the
 * CDK app reads (bin/, lib/, lambdas/), and otherwise runs `npx cdk synth --quiet` (offline, a few seconds here).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STACK_NAME } from './template';

const run = promisify(execFile);

/** The project root (the folder above local/). */
export const PROJECT_DIR = fileURLToPath(new URL('../..', import.meta.url));

const SOURCE_DIRS = ['bin', 'lib', 'lambdas'];

export function templatePath(projectDir = PROJECT_DIR): string {
  return join(projectDir, 'cdk.out', `${STACK_NAME}.template.json`);
}

/** Newest modification time (ms) of any file under `dir`, 0 when it does not exist. */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/** True when the template exists and no file in bin/, lib/, lambdas/ (or cdk.json) changed after it. */
export function templateIsFresh(projectDir = PROJECT_DIR): boolean {
  const path = templatePath(projectDir);
  if (!existsSync(path)) return false;
  const built = statSync(path).mtimeMs;
  const sources = Math.max(
    ...SOURCE_DIRS.map((d) => newestMtime(join(projectDir, d))),
    statSync(join(projectDir, 'cdk.json')).mtimeMs,
  );
  return built >= sources;
}

export interface SynthOptions {
  projectDir?: string;
  /** Synthesize even when the template looks fresh. */
  force?: boolean;
  log?: (line: string) => void;
}

/** A lock older than this belongs to a process that died mid-synth. */
const STALE_LOCK_MS = 5 * 60_000;

/**
 * Test files run in parallel processes and each may start a stack: one synthesizes while the others wait for it
 * (mkdir is atomic), then find the template fresh.
 */
async function withSynthLock<T>(projectDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(projectDir, '.local', 'synth.lock');
  mkdirSync(join(projectDir, '.local'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Returns the template's path, synthesizing first when needed. */
export async function ensureTemplate(options: SynthOptions = {}): Promise<string> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const path = templatePath(projectDir);
  if (!options.force && templateIsFresh(projectDir)) return path;
  return withSynthLock(projectDir, async () => {
    if (!options.force && templateIsFresh(projectDir)) return path;
    await synthesize(projectDir, options);
    return path;
  });
}

async function synthesize(projectDir: string, options: SynthOptions): Promise<void> {
  const path = templatePath(projectDir);
  options.log?.('Synthesizing the CDK app (npx cdk synth --quiet)...');
  try {
    await run('npx', ['cdk', 'synth', '--quiet'], {
      cwd: projectDir,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`cdk synth failed: ${(e.stderr ?? e.message).trim().slice(-4000)}`);
  }
  if (!existsSync(path)) throw new Error(`cdk synth did not write ${path}`);
}
