/**
 * The intake has its own room (lambdas/intake/): the API's routes (lambdas/api/) and the batches (lambdas/batches/)
 * both use it, and neither imports the other.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function importsOf(folder: string): { file: string; from: string }[] {
  const dir = join(ROOT, 'lambdas', folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(dir, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => ({
        file: `${folder}/${file}`,
        from: m[1]!,
      })),
    );
}

describe('the intake room', () => {
  it('lambdas/api and lambdas/batches do not import each other', () => {
    const api = importsOf('api');
    const batches = importsOf('batches');
    expect(api.length).toBeGreaterThan(0);
    expect(batches.length).toBeGreaterThan(0);
    expect(api.filter((i) => /(?:^|\/)batches\//.test(i.from))).toEqual([]);
    expect(batches.filter((i) => /(?:^|\/)api(?:\/|$)/.test(i.from))).toEqual([]);
  });

  it('both use the intake from lambdas/intake', () => {
    expect(importsOf('api').some((i) => i.from === '../intake/intake')).toBe(true);
    expect(importsOf('batches').some((i) => i.from === '../intake/intake')).toBe(true);
    expect(importsOf('intake').filter((i) => /(?:^|\/)(?:api|batches)\//.test(i.from))).toEqual([]);
  });
});
