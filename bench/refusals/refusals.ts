/**
 * Bad input stays cheap (product.md): what refusing a hostile 4 MB body costs through the local stack's HTTP API, and
 * whether other requests are served meanwhile. Two bodies: a CSV batch whose header is 4 MB of commas, and a JSON
 * batch of 4 MB of unknown keys. For each: the time from sending to the 400 (the 4 MB upload over loopback included),
 * the answer's size, the heap's growth and the process's peak RSS growth across the refusal, and the latency of a
 * `GET /onboardings` sent while the refusal is under way, beside the same GET on an idle stack.
 *
 *   npx tsx bench/refusals/refusals.ts        (also part of `npm run bench`, BENCH_ONLY=refusals)
 */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { LocalStack } from '#local/stack/local-stack';
import { startBenchStack } from '../kit/bench-stack';
import { figure, renderTable, type Figure } from '../kit/figures';
import { median } from '../kit/stats';

const FOUR_MB = 4 * 1024 * 1024;

export interface RefusalRun {
  body: string;
  status: number;
  refusalMs: number;
  answerBytes: number;
  heapGrowthMb: number;
  peakRssGrowthMb: number;
  concurrentGetMs: number;
  concurrentGetStatus: number;
}

function send(
  apiUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; bytes: number; ms: number }> {
  const url = new URL(apiUrl);
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - began }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function hostileBodies(): { name: string; contentType: string; text: string }[] {
  const keys: string[] = [];
  for (let i = 0; keys.length * 12 < FOUR_MB; i++) keys.push(`"k${i}":0`);
  return [
    { name: 'CSV header of 4 MB of commas', contentType: 'text/csv', text: ','.repeat(FOUR_MB) },
    { name: 'JSON of 4 MB of unknown keys', contentType: 'application/json', text: `{${keys.join(',')}}` },
  ];
}

async function refuse(stack: LocalStack, body: ReturnType<typeof hostileBodies>[number]): Promise<RefusalRun> {
  const heapBefore = process.memoryUsage().heapUsed;
  const rssPeakBefore = process.resourceUsage().maxRSS;
  const refusal = send(stack.apiUrl, 'POST', '/onboarding-batches', { 'content-type': body.contentType }, body.text);
  // Sent once the upload is under way: it waits behind whatever the refusal holds the event loop for.
  const concurrent = send(stack.apiUrl, 'GET', '/onboardings');
  const [refused, get] = await Promise.all([refusal, concurrent]);
  return {
    body: body.name,
    status: refused.status,
    refusalMs: refused.ms,
    answerBytes: refused.bytes,
    heapGrowthMb: Math.max(0, process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024,
    peakRssGrowthMb: Math.max(0, process.resourceUsage().maxRSS - rssPeakBefore) / 1024,
    concurrentGetMs: get.ms,
    concurrentGetStatus: get.status,
  };
}

/** The figures taken at the largest of the runs: what, from a run, its unit and the most it may be. */
const LARGEST: readonly [string, (r: RefusalRun) => number, string, number][] = [
  ['answer size', (r) => r.answerBytes, 'bytes', 4096],
  ['heap growth', (r) => r.heapGrowthMb, 'MB', 64],
  ['peak RSS growth', (r) => r.peakRssGrowthMb, 'MB', 64],
];

export async function measureRefusals(
  options: { runs?: number; log?: (line: string) => void } = {},
): Promise<{ figures: Figure[]; runs: RefusalRun[]; idleGetMs: number }> {
  const log = options.log ?? (() => undefined);
  const runs = options.runs ?? 5;
  const stack = await startBenchStack({ timeScale: 1 });
  const all: RefusalRun[] = [];
  let idleGetMs: number;
  try {
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push((await send(stack.apiUrl, 'GET', '/onboardings')).ms);
    idleGetMs = median(idle);
    for (const body of hostileBodies()) {
      log(`refusals: ${body.name}, ${runs} runs`);
      for (let i = 0; i < runs; i++) {
        const run = await refuse(stack, body);
        if (run.status !== 400 || run.concurrentGetStatus !== 200)
          throw new Error(`${body.name}: answered ${run.status}, the GET ${run.concurrentGetStatus}`);
        all.push(run);
      }
    }
  } finally {
    await stack.stop();
  }
  const figures: Figure[] = [figure('refusals', 'GET /onboardings on an idle stack (median)', idleGetMs, 'ms')];
  for (const name of new Set(all.map((r) => r.body))) {
    const of = all.filter((r) => r.body === name);
    figures.push(
      figure('refusals', `${name}: 400 after (median, upload included)`, median(of.map((r) => r.refusalMs)), 'ms', {
        below: 1000,
      }),
      ...LARGEST.map(([what, pick, unit, max]) =>
        figure('refusals', `${name}: ${what} (largest)`, Math.max(...of.map(pick)), unit, { max }),
      ),
      figure(
        'refusals',
        `${name}: a GET sent meanwhile answered after (median)`,
        median(of.map((r) => r.concurrentGetMs)),
        'ms',
        { below: 1000 },
        'the local stack is one process: the GET waits for whatever the refusal holds the event loop for',
      ),
    );
  }
  return { figures, runs: all, idleGetMs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = await measureRefusals({ log: (l) => console.error(`[bench] ${l}`) });
  console.log(renderTable(m.figures));
}
