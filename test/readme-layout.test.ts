/**
 * The README's layout table names every folder of the tree (the house shows its design): a folder added without a
 * word about it fails here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const AREAS = ['bin', 'lib', 'lambdas', 'local', 'knox-sim', 'cli', 'testkit', 'bench'];

function layoutSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Project layout');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

function folders(): string[] {
  const files = execFileSync('git', ['ls-files', ...AREAS], { cwd: ROOT, encoding: 'utf8' })
    .trim()
    .split('\n');
  return [...new Set(files.map((f) => f.slice(0, f.lastIndexOf('/'))))].sort();
}

describe("the README's project layout", () => {
  it.each(folders())('names %s/', (folder) => {
    const section = layoutSection();
    const last = folder.slice(folder.lastIndexOf('/') + 1);
    // The folder by its path, or (inside its area's row) by its own name.
    expect(section.includes(`\`${folder}/`) || section.includes(`\`${last}/\``)).toBe(true);
  });
});
