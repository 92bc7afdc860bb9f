/**
 * `npm run onboard -- --retry <batchId>` against the local stack (real HTTP): a batch whose items FAILED (Knox refused
 * our credentials) is retried once they are set right; the CLI follows the new batch to DONE, exits 0 and writes its
 * report with each item's index in the original. Nothing left to retry exits 2 and says so; --include-aborted takes
 * the ABORTED items too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import { EXIT, main, type CliIo } from '#cli/onboard-cli';
import { linkItem, sampleItems } from '#testkit/batch-samples';
import { tempDataDir } from '#testkit/test-stack';
import { useBatchStack } from './support/stack-support';

function captureIo(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.resume();
  return {
    lines,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    stream: stream as unknown as NodeJS.WriteStream,
  };
}

const batchIdIn = (lines: string[]) =>
  /^Batch (bat-[0-9a-f]{16})/.exec(lines.find((l) => l.startsWith('Batch bat-'))!)![1]!;

describe('npm run onboard -- --retry', () => {
  const local = useBatchStack((ready) => ready.control.auto({ approveLinksAfterMs: 0 }));
  const dir = tempDataDir('knox-cli-retry-');
  const env = () => ({ PORT: String(local.stack.ports.api) });

  it('retries the FAILED items once Knox is set right, follows the new batch and writes its report', async () => {
    const file = join(dir, 'customers.json');
    writeFileSync(file, JSON.stringify({ items: await sampleItems(local.control, { links: 2, creates: 1 }) }));
    await local.control.setClientAuthorized('sim-client', false);
    const first = captureIo();
    try {
      expect(await main([file, '--interval', '100'], first, env())).toBe(EXIT.failedItems);
    } finally {
      await local.control.setClientAuthorized('sim-client', true);
    }
    const originalId = batchIdIn(first.lines);

    const io = captureIo();
    const report = join(dir, 'retry.report.csv');
    const code = await main(['--retry', originalId, '--report', report, '--interval', '100'], io, env());
    expect(code, io.lines.join('\n')).toBe(EXIT.ok);
    expect(io.lines[0]).toMatch(new RegExp(`^Batch bat-[0-9a-f]{16}: 3 items retried from ${originalId}$`));
    expect(io.lines).toContainEqual(expect.stringMatching(/DONE: 3 SUCCEEDED, 0 ABORTED, 0 FAILED, 0 CANCELLED/));
    expect(io.lines).toContain(`Report: ${report}`);
    const rows = parse(readFileSync(report, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.item, r['retryOf item'], r.status])).toEqual([
      ['0', '0', 'SUCCEEDED'],
      ['1', '1', 'SUCCEEDED'],
      ['2', '2', 'SUCCEEDED'],
    ]);

    // The retry's items all SUCCEEDED: nothing is left to retry of it.
    const nothing = captureIo();
    expect(await main(['--retry', batchIdIn(io.lines)], nothing, env())).toBe(EXIT.refused);
    expect(nothing.lines).toContainEqual(expect.stringMatching(/answered 409/));
    expect(nothing.lines).toContainEqual(expect.stringMatching(/^Nothing to retry/));
  });

  it('--include-aborted retries ABORTED items, which are left out without it', async () => {
    const file = join(dir, 'unknown.json');
    writeFileSync(file, JSON.stringify({ items: [linkItem(UNKNOWN_CUSTOMER_ID)] }));
    const first = captureIo();
    expect(await main([file, '--interval', '100'], first, env())).toBe(EXIT.ok);
    const originalId = batchIdIn(first.lines);

    const without = captureIo();
    expect(await main(['--retry', originalId], without, env())).toBe(EXIT.refused);
    expect(without.lines).toContainEqual(expect.stringMatching(/ABORTED items are retried only with/));

    const io = captureIo();
    const report = join(dir, 'aborted.report.csv');
    const code = await main(
      ['--retry', originalId, '--include-aborted', '--report', report, '--interval', '100'],
      io,
      env(),
    );
    expect(code, io.lines.join('\n')).toBe(EXIT.ok);
    expect(io.lines[0]).toMatch(/: 1 items retried from /);
    expect(io.lines).toContainEqual(expect.stringMatching(/item 0 ABORTED onb-[0-9a-f]{16}: ADD_EC_CUSTOMER_INVALID/));
  });
});
