/**
 * The README's layout table names every folder of the tree (the house shows its design), and its tests table every
 * suite of test/: a folder or a suite added without a word about it fails here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const AREAS = ['bin', 'lib', 'lambdas', 'local', 'knox-sim', 'cli', 'testkit', 'bench'];

/** The README's section under a `## ` heading, up to the next one. */
function section(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}`);
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

function layoutSection(): string {
  return section('Project layout');
}

/** The names in the first column of the tests table (`| suite | proves |`). */
function suitesNamed(): Set<string> {
  const rows = section('Tests, soak and benchmarks')
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  const firstCells = rows.map((row) => row.split('|')[1] ?? '');
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)));
}

function suites(): string[] {
  const files = execFileSync('git', ['ls-files', 'test/*.test.ts'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
  return files.map((f) => f.slice('test/'.length, -'.test.ts'.length)).sort();
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

describe("the README's tests table", () => {
  it.each(suites())('names the suite %s', (suite) => {
    expect(suitesNamed()).toContain(suite);
  });

  it('names no suite that is not in test/', () => {
    const known = new Set(suites());
    expect([...suitesNamed()].filter((name) => !known.has(name))).toEqual([]);
  });
});
