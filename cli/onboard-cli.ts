/**
 * `npm run onboard -- customers.csv` (or `.json`): sends a bulk onboarding batch and shows a live progress bar of its
 * counts until every item is terminal.
 *
 *   npm run onboard -- <file.csv|file.json> [--api <ApiUrl>] [--key <Idempotency-Key>] [--dry-run]
 *   npm run onboard -- --follow <batchId> [--api <ApiUrl>]
 *   npm run onboard -- --retry <batchId> [--include-aborted] [--key <Idempotency-Key>] [--report <file>] [--api <ApiUrl>]
 *
 * --retry sends a new batch of the items of an ended batch that did not get through (FAILED, never started, cancelled
 * with it; --include-aborted its ABORTED ones too) and follows it like any batch; its report (with each item's index in
 * the original) goes to --report, by default `<new batch id>.report.csv` in the current directory.
 * Without --api it talks to the local stack (http://127.0.0.1:${PORT:-3000}); with --api to the deployed API, each
 * request signed with SigV4 from the caller's AWS credentials. --dry-run validates the file with the API's own checks
 * and reports every problem, starting nothing. Exit codes: 0 all items terminal and none FAILED; 1 an item FAILED;
 * 2 the file or the request was refused; 3 the batch STOPPED (maxFailedPercentage reached: its reason is printed);
 * 4 the batch's own workflow FAILED (redrive it); 5 the batch was CANCELLED; 130 Ctrl-C (the batch keeps running: the
 * CLI prints how to follow it).
 *
 * --api must be https:// (plain http:// only to a loopback host); a redirect is refused, never followed with the
 * signed headers and the body; every line printed is stripped of control characters and ANSI escapes (server text and
 * the file's text may hold them).
 * When the batch ends, its report (every item's outcome, CSV) is written next to the input file:
 * `customers.report.csv` for `customers.csv` or `customers.json`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { TERMINAL_STATUSES, type ValidationFailure } from '#domain/api-schemas';
import { validateBatchCsv, validateBatchJson } from '#lambdas/batches/batch-input';
import { BatchClient, batchSettled, plainSend, type BatchAnswer, type BatchBody } from './batch-client';
import { DEFAULT_PORT } from '#local/stack/defaults';
import { signedSend } from './signed-fetch';
import { terminalText } from './terminal-text';

export const EXIT = {
  ok: 0,
  failedItems: 1,
  refused: 2,
  stopped: 3,
  batchFailed: 4,
  cancelled: 5,
  interrupted: 130,
} as const;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The progress bar's stream (a TTY redraws in place; anything else gets a line per update). */
  stream: NodeJS.WriteStream;
}

const USAGE =
  'usage: npm run onboard -- <customers.csv|customers.json> [--api <ApiUrl>] [--key <Idempotency-Key>] [--dry-run]\n' +
  '       npm run onboard -- --follow <batchId> [--api <ApiUrl>]\n' +
  '       npm run onboard -- --retry <batchId> [--include-aborted] [--key <Idempotency-Key>] [--report <file>] [--api <ApiUrl>]';

/** The batch body a file stands for: CSV by its extension, else JSON (`{"items": [...]}` or a bare array). */
export function readBatchFile(
  file: string,
): { body: BatchBody; validation: ReturnType<typeof validateBatchCsv> } | { error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { error: `cannot read ${file}: ${(error as Error).message}` };
  }
  if (extname(file).toLowerCase() === '.csv') return { body: { csv: text }, validation: validateBatchCsv(text) };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `${file} is not JSON: ${(error as Error).message}` };
  }
  const body = Array.isArray(json) ? { items: json } : json;
  return { body: { json: body as { items: unknown[] } }, validation: validateBatchJson(body) };
}

/** Where the report of a batch sent from `file` goes: `customers.report.csv` beside `customers.csv`/`.json`. */
export function reportPathFor(file: string): string {
  return join(dirname(file), `${basename(file, extname(file))}.report.csv`);
}

function printFailure(
  io: CliIo,
  failure: ValidationFailure | { message?: string; issues?: { path: string; message: string }[] },
): void {
  io.err(failure.message ?? 'The batch was refused');
  for (const issue of failure.issues ?? []) io.err(`  ${issue.path || '(body)'}: ${issue.message}`);
}

const terminalOf = (b: BatchAnswer) => TERMINAL_STATUSES.reduce((n, s) => n + b.counts[s], 0);

function progressBar(io: CliIo): SingleBar {
  return new SingleBar(
    {
      format:
        '{bar} {percentage}% | {value}/{total} done | {status} | started {started} | ok {SUCCEEDED} | waiting {WAITING} | running {IN_PROGRESS} | aborted {ABORTED} | failed {FAILED} | cancelled {CANCELLED}',
      stream: io.stream,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
    },
    Presets.shades_classic,
  );
}

/** The longest wait between two GETs while a followed batch stands still (customers answer in hours or days). */
export const FOLLOW_MAX_INTERVAL_MS = 30_000;

/** Follows a batch to its end with the bar; answers the exit code. Ctrl-C leaves the batch running. */
export async function follow(
  client: BatchClient,
  batchId: string,
  io: CliIo,
  options: { intervalMs?: number; followHint: string; reportPath?: string },
): Promise<number> {
  const bar = progressBar(io);
  let started = false;
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);
  try {
    const last = await client.follow(batchId, {
      intervalMs: options.intervalMs ?? 1000,
      maxIntervalMs: FOLLOW_MAX_INTERVAL_MS,
      done: (b) => interrupted || batchSettled(b),
      onBatch: (b) => {
        const payload = { status: b.status, started: b.started, ...b.counts };
        if (!started) bar.start(b.total, terminalOf(b), payload);
        else bar.update(terminalOf(b), payload);
        started = true;
      },
    });
    bar.stop();
    if (interrupted) {
      io.err(`Stopped following; batch ${batchId} keeps running. Follow it again with:\n  ${options.followHint}`);
      return EXIT.interrupted;
    }
    io.out(`Batch ${batchId} ${last.status}: ${TERMINAL_STATUSES.map((s) => `${last.counts[s]} ${s}`).join(', ')}`);
    const items = await client.items(batchId);
    for (const item of items.filter((i) => i.status === 'FAILED' || i.status === 'ABORTED')) {
      io.out(
        `  item ${item.item} ${item.status} ${item.onboardingId}${item.lastError ? `: ${item.lastError.code}: ${item.lastError.message}` : ''}`,
      );
    }
    if (options.reportPath !== undefined) {
      writeFileSync(options.reportPath, await client.reportCsv(batchId));
      io.out(`Report: ${options.reportPath}`);
    }
    const reason = last['stoppedReason'] ?? last['failedReason'];
    if (typeof reason === 'string') io.out(`  ${last.status}: ${reason}`);
    if (last.status === 'STOPPED') return EXIT.stopped;
    if (last.status === 'FAILED') return EXIT.batchFailed;
    if (last.status === 'CANCELLED') return EXIT.cancelled;
    return last.counts.FAILED > 0 ? EXIT.failedItems : EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSigint);
    bar.stop();
  }
}

/** --retry: sends the retry of an ended batch, then follows the new batch and writes its report. */
async function retry(
  client: BatchClient,
  originalId: string,
  io: CliIo,
  options: {
    includeAborted: boolean;
    hint: (id: string) => string;
    key?: string;
    reportPath?: string;
    intervalMs?: number;
  },
): Promise<number> {
  const answer = await client.retry(originalId, {
    includeAborted: options.includeAborted,
    ...(options.key !== undefined ? { idempotencyKey: options.key } : {}),
  });
  if (answer.status !== 202 && answer.status !== 200) {
    io.err(`POST /onboarding-batches/${originalId}/retries answered ${answer.status}`);
    printFailure(io, (answer.body ?? {}) as ValidationFailure);
    return EXIT.refused;
  }
  const { batchId, total } = answer.body as { batchId: string; total: number };
  io.out(
    `Batch ${batchId}: ${total} items retried from ${originalId}${answer.status === 200 ? ' (already sent with this key)' : ''}`,
  );
  return follow(client, batchId, io, {
    followHint: options.hint(batchId),
    reportPath: options.reportPath ?? `${batchId}.report.csv`,
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
  });
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      key: { type: 'string' },
      'dry-run': { type: 'boolean' },
      follow: { type: 'string' },
      retry: { type: 'string' },
      'include-aborted': { type: 'boolean' },
      report: { type: 'string' },
      interval: { type: 'string' },
    },
  });
}

export async function main(argv: string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const safe: CliIo = { out: (l) => io.out(terminalText(l)), err: (l) => io.err(terminalText(l)), stream: io.stream };
  try {
    return await run(argv, safe, env);
  } catch (error) {
    // A refused --api or redirect, a network failure, an answer of an unexpected shape: one line, cleaned.
    safe.err(`onboard: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.refused;
  }
}

async function run(argv: string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  let args: ReturnType<typeof parseOptions>;
  try {
    args = parseOptions(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return EXIT.refused;
  }
  const { values, positionals } = args;
  const apiUrl = values.api ?? `http://127.0.0.1:${env.PORT ?? DEFAULT_PORT}`;
  const client = new BatchClient(values.api ? signedSend(values.api) : plainSend(apiUrl));
  const intervalMs = values.interval !== undefined ? Number(values.interval) : undefined;
  const hint = (id: string) => `npm run onboard -- --follow ${id}${values.api ? ` --api ${values.api}` : ''}`;

  if (values.follow !== undefined)
    return follow(client, values.follow, io, {
      followHint: hint(values.follow),
      ...(intervalMs ? { intervalMs } : {}),
    });
  if (values.retry !== undefined) {
    if (positionals.length > 0) {
      io.err(USAGE);
      return EXIT.refused;
    }
    return retry(client, values.retry, io, {
      includeAborted: values['include-aborted'] === true,
      hint,
      ...(values.key !== undefined ? { key: values.key } : {}),
      ...(values.report !== undefined ? { reportPath: values.report } : {}),
      ...(intervalMs ? { intervalMs } : {}),
    });
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    io.err(USAGE);
    return EXIT.refused;
  }
  const read = readBatchFile(file);
  if ('error' in read) {
    io.err(read.error);
    return EXIT.refused;
  }
  if (values['dry-run']) {
    if (!read.validation.ok) {
      printFailure(io, read.validation.failure);
      return EXIT.refused;
    }
    io.out(`${file}: ${read.validation.batch.items.length} items, all valid; nothing was started (dry run)`);
    return EXIT.ok;
  }
  const answer = await client.submit(read.body, values.key);
  if (answer.status !== 202 && answer.status !== 200) {
    io.err(`POST /onboarding-batches answered ${answer.status}`);
    printFailure(io, (answer.body ?? {}) as ValidationFailure);
    return EXIT.refused;
  }
  const { batchId, total } = answer.body as { batchId: string; total: number };
  io.out(`Batch ${batchId}: ${total} items${answer.status === 200 ? ' (already sent with this key)' : ''}`);
  return follow(client, batchId, io, {
    followHint: hint(batchId),
    reportPath: reportPathFor(file),
    ...(intervalMs ? { intervalMs } : {}),
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2), {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    stream: process.stderr,
  });
  process.exit(code);
}
