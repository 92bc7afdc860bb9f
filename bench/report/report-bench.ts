/**
 * The batch report (`GET /onboarding-batches/{id}/report`) of a 1,000-item batch that ran to DONE on the local stack:
 * how long the API takes to answer it, as JSON and as CSV, and how big each is, against API Gateway's limits for a
 * REST API (29 s integration timeout, 10 MB response payload:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). The targets are a tenth of those
 * limits: well under, on a busy machine. The local stack's Lambda runs in process; on AWS the handler makes the same
 * DynamoDB reads (one BatchGetItem for the slices, one per 100 onboardings).
 */
import { BatchClient, plainSend } from '#cli/batch-client';
import { createItem } from '#testkit/batch-samples';
import { LIFTED_KNOX_RATE, startBenchStack } from '../kit/bench-stack';
import { figure, type Figure } from '../kit/figures';
import { median, round } from '../kit/stats';

export const REPORT_TARGETS = { maxMs: 2_900, maxBytes: 1024 * 1024 } as const;
const RUNS = 5;

export interface ReportMeasurement {
  items: number;
  batchSeconds: number;
  jsonMs: number[];
  csvMs: number[];
  jsonBytes: number;
  csvBytes: number;
  figures: Figure[];
}

async function timed(url: string, accept: string): Promise<{ ms: number; bytes: number; status: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { accept } });
  const body = Buffer.from(await response.arrayBuffer());
  return { ms: performance.now() - started, bytes: body.length, status: response.status };
}

export async function measureReport(options: {
  items: number;
  timeScale: number;
  log: (line: string) => void;
}): Promise<ReportMeasurement> {
  const stack = await startBenchStack({ timeScale: options.timeScale, knoxRequestsPerSecond: LIFTED_KNOX_RATE });
  try {
    const client = new BatchClient(plainSend(stack.apiUrl));
    const tag = Date.now().toString(36);
    const items = Array.from({ length: options.items }, (_, i) => createItem(`${tag}r${i}`, 'Report'));
    options.log(`report: a ${options.items}-item batch runs to DONE first`);
    const started = Date.now();
    const answer = await client.submit({ json: { items } });
    if (answer.status !== 202) throw new Error(`POST batch answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const { batchId } = answer.body as { batchId: string };
    const done = await client.follow(batchId, { intervalMs: 500, timeoutMs: 20 * 60_000 });
    const batchSeconds = (Date.now() - started) / 1000;
    const url = `${stack.apiUrl}/onboarding-batches/${batchId}/report`;
    const json: Awaited<ReturnType<typeof timed>>[] = [];
    const csv: Awaited<ReturnType<typeof timed>>[] = [];
    for (let run = 0; run < RUNS; run++) {
      json.push(await timed(url, 'application/json'));
      csv.push(await timed(url, 'text/csv'));
    }
    const bad = [...json, ...csv].find((r) => r.status !== 200);
    if (bad) throw new Error(`GET report answered ${bad.status}`);
    const jsonMs = json.map((r) => round(r.ms, 1));
    const csvMs = csv.map((r) => round(r.ms, 1));
    const timing = (format: string, runs: number[], note: string) =>
      figure(
        'report',
        `report of a ${options.items}-item batch, ${format}: median of ${RUNS} (API Gateway: 29 s)`,
        round(median(runs), 0),
        'ms',
        { max: REPORT_TARGETS.maxMs },
        note,
      );
    const figures = [
      timing('JSON', jsonMs, `batch ${done.status} after ${round(batchSeconds, 1)} s; runs ${jsonMs.join(', ')} ms`),
      timing('CSV', csvMs, `runs ${csvMs.join(', ')} ms`),
      figure('report', 'report size, JSON (API Gateway: 10 MB)', json[0]!.bytes, 'bytes', {
        max: REPORT_TARGETS.maxBytes,
      }),
      figure('report', 'report size, CSV (API Gateway: 10 MB)', csv[0]!.bytes, 'bytes', {
        max: REPORT_TARGETS.maxBytes,
      }),
    ];
    return {
      items: options.items,
      batchSeconds,
      jsonMs,
      csvMs,
      jsonBytes: json[0]!.bytes,
      csvBytes: csv[0]!.bytes,
      figures,
    };
  } finally {
    await stack.stop();
  }
}
