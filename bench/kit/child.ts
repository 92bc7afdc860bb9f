/** Runs a bench script in a fresh Node.js process (tsx loader) and reads the JSON it writes to the file it is given. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR } from '#local/template/synth';

export async function runChild<T>(script: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'knox-bench-child-'));
  const out = join(dir, 'result.json');
  try {
    const stderr: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(PROJECT_DIR, 'bench', script), ...args.slice(0, 1), out, ...args.slice(1)],
        {
          cwd: PROJECT_DIR,
          env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      child.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk.toString());
        if (stderr.length > 200) stderr.shift();
      });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0)
      throw new Error(`bench/${script} ${args.join(' ')} exited with ${code}: ${stderr.join('').slice(-3000)}`);
    return JSON.parse(readFileSync(out, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
