/**
 * `npm run onboard` against the local stack (real HTTP): a dry run reports every problem and starts nothing; a small
 * CSV batch runs to DONE with the progress bar; an item that FAILED makes the exit code non-zero. And the SigV4
 * signing of `--api` (the SDK's own signer) as a server receives it.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnoxSimControl } from '#knox-sim/control';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchClient, batchSettled, plainSend } from '#cli/batch-client';
import { sampleItems } from '#testkit/batch-samples';
import { EXIT, FOLLOW_MAX_INTERVAL_MS, main, type CliIo } from '#cli/onboard-cli';
import { signedSend } from '#cli/signed-fetch';
import type { LocalStack } from '#local/stack/local-stack';
import { startTestStack, tempDataDir } from '#testkit/test-stack';

function captureIo(): CliIo & { lines: string[]; bar: () => string } {
  const lines: string[] = [];
  const stream = new PassThrough();
  let bar = '';
  stream.on('data', (chunk: Buffer) => (bar += chunk.toString()));
  return {
    lines,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    stream: stream as unknown as NodeJS.WriteStream,
    bar: () => bar,
  };
}

function toCsv(items: Record<string, unknown>[]): string {
  const rows = items.map((item) => {
    const c = (item.customer ?? {}) as Record<string, unknown> & { contact?: Record<string, string> };
    return [
      item.customerId ?? '',
      c.companyName ?? '',
      c.companySize ?? '',
      c.industry ?? '',
      c.country ?? '',
      c.street1 ?? '',
      c.city ?? '',
      c.contact?.firstName ?? '',
      c.contact?.lastName ?? '',
      c.contact?.email ?? '',
      'JointlyManaged',
      'FullAccess',
      'KnoxMobileEnrollment',
    ].join(',');
  });
  return [
    'customerId,companyName,companySize,industry,country,street1,city,firstName,lastName,email,managementType,accessType,services',
    ...rows,
  ].join('\n');
}

describe('npm run onboard against the local stack', () => {
  let stack: LocalStack;
  let control: KnoxSimControl;
  const dir = tempDataDir('knox-cli-');

  beforeAll(async () => {
    stack = await startTestStack();
    control = new KnoxSimControl(stack.knoxUrl);
    await control.auto({ approveLinksAfterMs: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('--dry-run lists every problem with its line and starts nothing', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(
      file,
      'customerId,managementType,accessType,services\n12a,JointlyManaged,FullAccess,KnoxMobileEnrollment\n1000000001,Jointly,FullAccess,KnoxMobileEnrollment\n',
    );
    const io = captureIo();
    const code = await main([file, '--dry-run'], io, { PORT: String(stack.ports.api) });
    expect(code).toBe(EXIT.refused);
    expect(io.lines).toContainEqual(expect.stringMatching(/^ {2}line 2: customerId: /));
    expect(io.lines).toContainEqual(expect.stringMatching(/^ {2}line 3: managementType: /));
    const executions = stack.executions.list().filter((e) => e.workflow === 'batch');
    expect(executions).toHaveLength(0);
  });

  it('sends a CSV batch, shows the progress bar and exits 0 when every item ended without FAILED', async () => {
    const file = join(dir, 'customers.csv');
    writeFileSync(file, toCsv(await sampleItems(control, { links: 2, creates: 2 })));
    const io = captureIo();
    const code = await main([file, '--interval', '100'], io, { PORT: String(stack.ports.api) });
    expect(code, io.lines.join('\n')).toBe(EXIT.ok);
    expect(io.lines.find((l) => l.startsWith('Batch bat-'))).toMatch(/4 items/);
    expect(io.lines).toContainEqual(expect.stringMatching(/DONE: 4 SUCCEEDED, 0 ABORTED, 0 FAILED, 0 CANCELLED/));
    expect(io.bar()).toMatch(/4\/4 done \| DONE/);
    // The report beside the input file: one row per item, in order, each with its CSV line.
    const reportFile = join(dir, 'customers.report.csv');
    expect(io.lines).toContain(`Report: ${reportFile}`);
    const rows = parse(readFileSync(reportFile, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.item, r.status])).toEqual([
      ['2', 'SUCCEEDED'],
      ['3', 'SUCCEEDED'],
      ['4', 'SUCCEEDED'],
      ['5', 'SUCCEEDED'],
    ]);
  });

  it('Ctrl-C stops following, leaves the batch running and says how to follow it', async () => {
    await control.auto({}); // the link waits on its customer
    const file = join(dir, 'waiting.json');
    writeFileSync(file, JSON.stringify({ items: await sampleItems(control, { links: 1, creates: 0 }) }));
    const io = captureIo();
    // The first drawing of the bar is the moment to press Ctrl-C (a SIGINT delivered to the CLI's handler).
    io.stream.once('data', () => process.emit('SIGINT'));
    const code = await main([file, '--interval', '50'], io, { PORT: String(stack.ports.api) });
    expect(code).toBe(EXIT.interrupted);
    const hint = io.lines.find((l) => l.includes('npm run onboard -- --follow bat-'));
    expect(hint).toBeDefined();
    const batchId = /--follow (bat-[0-9a-f]{16})/.exec(hint!)![1]!;
    expect(stack.executions.findByName(batchId)?.status).toBe('RUNNING');
    await control.auto({ approveLinksAfterMs: 0 });
  });

  it('exits 1 when an item FAILED', async () => {
    // Knox refuses our credentials for every create: an operator error, FAILED.
    await control.setClientAuthorized('sim-client', false);
    try {
      const file = join(dir, 'failing.json');
      writeFileSync(file, JSON.stringify({ items: await sampleItems(control, { links: 0, creates: 1 }) }));
      const io = captureIo();
      const code = await main([file, '--interval', '100'], io, { PORT: String(stack.ports.api) });
      expect(code).toBe(EXIT.failedItems);
      expect(io.lines).toContainEqual(expect.stringMatching(/item 0 FAILED onb-[0-9a-f]{16}: AUTHORIZATION_FAIL/));
    } finally {
      await control.setClientAuthorized('sim-client', true);
    }
  });

  it('follows a batch that stands still less and less often (up to a cap), and as often as before once it moves', async () => {
    await control.auto({}); // links stay Pending: the batch waits on its customers and its counts stand still
    try {
      const client = new BatchClient(plainSend(stack.apiUrl));
      const submitted = await client.submit({ json: { items: await sampleItems(control, { links: 3, creates: 0 }) } });
      const batchId = (submitted.body as { batchId: string }).batchId;
      await client.follow(batchId, { intervalMs: 20, timeoutMs: 30_000, done: (b) => b.counts.WAITING === 3 });

      const waits: number[] = [];
      const last = await client.follow(batchId, {
        intervalMs: 10,
        maxIntervalMs: 80,
        timeoutMs: 30_000,
        sleep: async (ms) => {
          waits.push(ms);
          await sleep(ms);
          // Six waits of standing still; then the batch moves (a DELETE: CANCELLING, then CANCELLED).
          if (waits.length === 6) expect((await client.cancel(batchId)).status).toBe(202);
        },
        // At least one wait after the change, whatever the next answer says (CANCELLING, or CANCELLED already).
        done: (b) => batchSettled(b) && waits.length > 6,
      });
      expect(last.status).toBe('CANCELLED');
      expect(waits.slice(0, 7)).toEqual([10, 20, 40, 80, 80, 80, 10]);
      // The CLI follows with a cap of 30 s: a batch that waits days on its customers costs 120 GETs an hour, not 3,600.
      expect(FOLLOW_MAX_INTERVAL_MS).toBe(30_000);
    } finally {
      await control.auto({ approveLinksAfterMs: 0 });
    }
  });
});

describe('--api: requests signed with SigV4', () => {
  it('signs each request for execute-api with the given credentials', async () => {
    const seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
      const client = new BatchClient(
        signedSend(url, {
          region: 'eu-west-1',
          credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        }),
      );
      await client.items('bat-0123456789abcdef');
      expect(seen[0]?.url).toBe('/v1/onboarding-batches/bat-0123456789abcdef/items?limit=100');
      expect(seen[0]?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(seen[0]?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    } finally {
      server.close();
    }
  });
});
