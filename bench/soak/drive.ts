/**
 * Drives the soak's workload through the local HTTP API, as an operator's tools would: for each case, the customer
 * is put in the simulator (with its script), the request is POSTed, and the record is read until it is terminal.
 * At most `concurrency` workflows are open at once. Every answer body the API gives is kept (the secret scan reads
 * them).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KnoxSimControl } from '#knox-sim/control';
import { isTerminal } from '#domain/api-schemas';
import { KIND_PATHS } from '#testkit/test-stack';
import type { SoakCase } from './soak-scenarios';

export interface CaseRun {
  case: SoakCase;
  /** The POST's HTTP status (0: the request itself failed). */
  postStatus: number;
  recordId?: string;
  executionName?: string;
  /** The last status the API showed. */
  status?: string;
  /** Why the case could not be followed to its end (an API refusal, the time bound). */
  problem?: string;
}

export interface DriveOptions {
  apiUrl: string;
  control: KnoxSimControl;
  cases: SoakCase[];
  concurrency: number;
  /** Pause before the first read of a record; it grows by half at each read, up to maxPollMs. */
  pollMs: number;
  maxPollMs: number;
  /** Stop following records at this time (epoch ms); open ones are reported. */
  deadline: number;
  /** Called with every answer body received. */
  onBody: (text: string) => void;
  /** Called once a case has an outcome. */
  onDone?: (run: CaseRun) => void;
}

const ID_FIELD = { onboarding: 'onboardingId', offboarding: 'offboardingId' } as const;

interface Answer {
  status: number;
  json: Record<string, unknown> | undefined;
}

async function call(options: DriveOptions, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${options.apiUrl}${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  options.onBody(text);
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: reported through the status below.
  }
  return { status: response.status, json };
}

async function runCase(options: DriveOptions, soakCase: SoakCase): Promise<CaseRun> {
  const run: CaseRun = { case: soakCase, postStatus: 0 };
  if (soakCase.simCustomer) await options.control.addCustomer(soakCase.simCustomer);
  const posted = await call(options, 'POST', KIND_PATHS[soakCase.kind], soakCase.body);
  run.postStatus = posted.status;
  const recordId = posted.json?.[ID_FIELD[soakCase.kind]];
  if (posted.status !== 202 || typeof recordId !== 'string') {
    run.problem = `POST ${KIND_PATHS[soakCase.kind]} answered ${posted.status}`;
    return run;
  }
  run.recordId = recordId;
  if (typeof posted.json?.['executionName'] === 'string') run.executionName = posted.json['executionName'];
  run.status = String(posted.json?.['status']);

  // Reading every record often would make the harness, not the workflows, the main load on the stack.
  let pause = options.pollMs;
  while (!isTerminal(run.status ?? '')) {
    if (Date.now() > options.deadline) {
      run.problem = `still ${run.status} when the soak's time bound was reached`;
      return run;
    }
    await sleep(pause);
    pause = Math.min(options.maxPollMs, pause * 1.5);
    const read = await call(options, 'GET', `${KIND_PATHS[soakCase.kind]}/${encodeURIComponent(recordId)}`);
    if (read.status !== 200) {
      run.problem = `GET answered ${read.status}`;
      return run;
    }
    run.status = String(read.json?.['status']);
  }
  return run;
}

/** Runs every case, at most `concurrency` at a time, in order of the workload. */
export async function driveWorkload(options: DriveOptions): Promise<CaseRun[]> {
  const runs: CaseRun[] = new Array(options.cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.cases.length) {
      const position = next++;
      const soakCase = options.cases[position]!;
      let run: CaseRun;
      if (Date.now() > options.deadline) {
        run = { case: soakCase, postStatus: 0, problem: "not started: the soak's time bound was reached" };
        runs[position] = run;
        options.onDone?.(run);
        continue;
      }
      try {
        run = await runCase(options, soakCase);
      } catch (error) {
        run = {
          case: soakCase,
          postStatus: 0,
          problem: `the harness could not follow it: ${(error as Error).message}`,
        };
      }
      runs[position] = run;
      options.onDone?.(run);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return runs;
}
