/**
 * Helpers for end-to-end tests on the local stack, through real HTTP only: start a quiet stack on free ports with a
 * fast clock, call the API, and wait for a record or an execution to reach a status (polling, never timing).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { STATUSES, isTerminal, type RecordKind, type RecordStatus } from '#domain/api-schemas';
import { KIND_PATHS } from '#domain/routes';
import type { ExecutionDetail, ExecutionSummary } from '#local/stepfunctions/execution-path';
import type { ExecutionStatus } from '#local/stepfunctions/execution-store';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '#local/stack/local-stack';
import { eventually } from './eventually';

export { eventually } from './eventually';

/** The collection path of each kind: `/onboardings`, `/offboardings`, `/changes`. */
export { KIND_PATHS };

/** A fresh temporary DATA_DIR. */
export function tempDataDir(prefix = 'knox-local-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A stack for tests: port 0 everywhere, a temporary DATA_DIR, TIME_SCALE 0.001 (a 60 s poll takes 60 ms, the
 * 1-hour poll cap 3.6 s), quiet, and no stage throttle (the helpers poll every 50 ms, faster than the stage's real-time
 * rate; test/e2e-apigw-walls.test.ts tests the throttle). Anything can be overridden; pass the same `dataDir` and
 * `stack.ports` to restart.
 */
export function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    dataDir: tempDataDir(),
    timeScale: 0.001,
    quiet: true,
    ...options,
    apiGateway: { throttle: 'none', ...options.apiGateway },
  });
}

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** One HTTP call; the body is parsed as JSON when it is JSON, else returned as text. */
export async function api<T = unknown>(
  apiUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** The part of a record answer the helpers rely on; the rest passes through. */
export const recordAnswerSchema = z
  .object({
    status: z.enum(STATUSES),
    history: z.array(z.object({ event: z.string(), status: z.string().optional() }).passthrough()).optional(),
  })
  .passthrough();
export type RecordAnswer = z.infer<typeof recordAnswerSchema> & Record<string, unknown>;

/** `POST /onboardings` (or offboardings, changes): the 202/200 answer's body, typed loosely. */
export async function startRecord(
  apiUrl: string,
  kind: RecordKind,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<Record<string, unknown>>> {
  return api<Record<string, unknown>>(apiUrl, 'POST', KIND_PATHS[kind], body, headers);
}

export async function getRecord(apiUrl: string, kind: RecordKind, id: string): Promise<ApiAnswer<RecordAnswer>> {
  const answer = await api(apiUrl, 'GET', `${KIND_PATHS[kind]}/${encodeURIComponent(id)}`);
  return {
    ...answer,
    body: (answer.status === 200 ? recordAnswerSchema.parse(answer.body) : answer.body) as RecordAnswer,
  };
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `GET /<kind>s/{id}` until its status is one of `statuses`; throws with the last answer on timeout. */
export async function waitForStatus(
  apiUrl: string,
  kind: RecordKind,
  id: string,
  statuses: RecordStatus | readonly RecordStatus[],
  options: WaitOptions = {},
): Promise<RecordAnswer> {
  const wanted = typeof statuses === 'string' ? [statuses] : statuses;
  let last: ApiAnswer<RecordAnswer> | undefined;
  return eventually(
    async () => {
      last = await getRecord(apiUrl, kind, id);
      return last.status === 200 && wanted.includes(last.body.status) ? last.body : undefined;
    },
    {
      ...options,
      // A terminal status never changes again: no point waiting for another one.
      stop: () => (last?.status === 200 && isTerminal(last.body.status) ? `it is ${last.body.status}` : undefined),
      what: () =>
        `${kind} ${id} did not reach ${wanted.join('|')}; last answer ${last?.status}: ${JSON.stringify(last?.body).slice(0, 2000)}`,
    },
  );
}

export async function listExecutions(apiUrl: string): Promise<ExecutionSummary[]> {
  const answer = await api<{ executions: ExecutionSummary[] }>(apiUrl, 'GET', '/executions');
  if (answer.status !== 200) throw new Error(`GET /executions answered ${answer.status}`);
  return answer.body.executions;
}

export async function getExecution(apiUrl: string, name: string): Promise<ExecutionDetail | undefined> {
  const answer = await api<ExecutionDetail>(apiUrl, 'GET', `/executions/${encodeURIComponent(name)}`);
  return answer.status === 200 ? answer.body : undefined;
}

/** Polls `GET /executions/{name}` until the execution's status is one of `statuses`. */
export async function waitForExecution(
  apiUrl: string,
  name: string,
  statuses: ExecutionStatus | readonly ExecutionStatus[],
  options: WaitOptions = {},
): Promise<ExecutionDetail> {
  const wanted: readonly string[] = typeof statuses === 'string' ? [statuses] : statuses;
  let last: ExecutionDetail | undefined;
  return eventually(
    async () => {
      last = await getExecution(apiUrl, name);
      return last && wanted.includes(last.status) ? last : undefined;
    },
    {
      ...options,
      stop: () => (last && last.status !== 'RUNNING' ? `it ended ${last.status}` : undefined),
      what: () => `execution ${name} did not reach ${wanted.join('|')}; last status ${last?.status ?? 'none'}`,
    },
  );
}

/** The state names an execution went through, in order. */
export function statePath(execution: ExecutionDetail): string[] {
  return execution.path.map((step) => step.state);
}

/** The error names a state failed with, in order (one per failed attempt). */
export function stateErrors(execution: ExecutionDetail, state: string): string[] {
  return execution.path.filter((s) => s.state === state).flatMap((s) => s.errors.map((e) => e.error));
}
