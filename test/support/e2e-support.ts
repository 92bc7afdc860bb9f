/**
 * What the end-to-end suites (test/e2e-*.test.ts) share on top of testkit/test-stack.ts: a stack with the simulator's
 * control client and a DynamoDB client on the stack's dynalite endpoint (to read the raw record), request bodies,
 * fresh simulated customers, and the assertions every scenario makes: the terminal status, the record (raw, in the
 * table), the execution's path, and the Knox requests the simulator logged. The paths the scenarios expect and the
 * scenarios of a Knox code are in e2e-scenarios.ts.
 *
 * The suites drive the stack only through its HTTP API and the simulator's control surface; the table is only read.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { TERMINAL_STATUSES, type LastError, type RecordKind, type RecordStatus } from '#domain/api-schemas';
import { RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES, type Disposition } from '#domain/dispositions';
import { specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import { TABLE, customerLockKey } from '#domain/table-layout';
import { ID_FIELD } from '#domain/routes';
import { KnoxSimControl } from '#knox-sim/control';
import type { RequestLogEntry, SimCustomerInput } from '#knox-sim/model';
import { SIM_DEFAULT_CREDENTIALS, TOKEN_PATH } from '#knox-sim/world';
import { HISTORY_EVENTS } from '#lambdas/store/index';
import type { ExecutionDetail, PathStep } from '#local/stepfunctions/execution-path';
import type { LocalStack, LocalStackOptions } from '#local/stack/local-stack';
import { scanAll } from '#local/dynamodb/dynamodb';
import type { AslDefinition } from '#local/template/template';
import { createRequest, linkRequest } from './requests';
import {
  startRecord,
  startTestStack,
  waitForExecution,
  waitForStatus,
  type ApiAnswer,
  type RecordAnswer,
} from '#testkit/test-stack';

// --- The stack ------------------------------------------------------------------------------------------------------

export interface E2e {
  stack: LocalStack;
  control: KnoxSimControl;
  db: DynamoDBDocumentClient;
  tableName: string;
}

/** A test stack (quiet, TIME_SCALE 0.001, temp DATA_DIR) with the built-in simulator, its control and the table. */
export async function startE2e(options: LocalStackOptions = {}): Promise<E2e> {
  // The suites need the built-in simulator (its control surface and its log) with its default client.
  const stack = await startTestStack({ knoxCredentials: { ...SIM_DEFAULT_CREDENTIALS }, ...options });
  if (!stack.simulator) {
    await stack.stop();
    throw new Error('the end-to-end suites need the built-in Knox simulator: unset KNOX_BASE_URL');
  }
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${stack.ports.dynamo}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return { stack, control: new KnoxSimControl(stack.knoxUrl), db, tableName: stack.model.table.name };
}

export async function stopE2e(e2e: E2e | undefined): Promise<void> {
  if (!e2e) return;
  e2e.db.destroy();
  await e2e.stack.stop();
}

/**
 * The hooks most end-to-end files share: one stack for the file, and faults and the request log cleared before each
 * test. The returned object is filled in before the first test runs.
 */
export function useE2e(options: LocalStackOptions = {}): E2e {
  const e2e = {} as E2e;
  beforeAll(async () => {
    Object.assign(e2e, await startE2e(options));
  });
  afterAll(async () => {
    if (e2e.stack) await stopE2e(e2e);
  });
  beforeEach(async () => {
    await e2e.control.clearFaults();
    await e2e.control.clearRequests();
  });
  return e2e;
}

// --- Request bodies -------------------------------------------------------------------------------------------------

export { createRequest, linkRequest };

let emailSequence = 0;
/** A contact e-mail no Knox account has yet, at a work domain of its own. */
export function freshEmail(domain?: string): string {
  emailSequence += 1;
  const tag = `${Date.now().toString(36)}${emailSequence}`;
  return `ada.${tag}@${domain ?? `acme-${tag}.example`}`;
}

/** A new Knox customer in the simulator (fixtures are shared; scenarios that change a customer get their own). */
export async function newCustomer(e2e: E2e, input: SimCustomerInput = {}): Promise<string> {
  return (await e2e.control.addCustomer(input)).customerId;
}

// --- Starting and finishing -----------------------------------------------------------------------------------------

export interface Started {
  kind: RecordKind;
  id: string;
  executionName: string;
  answer: ApiAnswer<Record<string, unknown>>;
}

/** `POST` a request and expect it accepted (202): its id and execution name. */
export async function start(
  e2e: E2e,
  kind: RecordKind,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Started> {
  const answer = await startRecord(e2e.stack.apiUrl, kind, body, headers);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  const id = String(answer.body[ID_FIELD[kind]]);
  return { kind, id, executionName: String(answer.body['executionName']), answer };
}

/** Waits for a status (the open ones too) through `GET /<kind>s/{id}`. */
export function reach(
  e2e: E2e,
  started: Started,
  statuses: RecordStatus | readonly RecordStatus[],
): Promise<RecordAnswer> {
  return waitForStatus(e2e.stack.apiUrl, started.kind, started.id, statuses, { timeoutMs: 40_000 });
}

export interface Finished {
  answer: RecordAnswer;
  raw: Record<string, unknown>;
  execution: ExecutionDetail;
  requests: RequestLogEntry[];
}

/**
 * Waits for a terminal status through the API, then reads what the scenario asserts on: the raw record, the
 * execution once it has ended, and the simulator's request log.
 */
export async function finish(e2e: E2e, started: Started): Promise<Finished> {
  const answer = await reach(e2e, started, TERMINAL_STATUSES);
  const execution = await waitForExecution(
    e2e.stack.apiUrl,
    started.executionName,
    ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'],
    { timeoutMs: 40_000 },
  );
  return { answer, raw: await rawRecord(e2e, started.id), execution, requests: await e2e.control.requests() };
}

/** A new customer of the simulator (as `customer` says) and an onboarding that links it, once it waits for the answer. */
export async function waitingOnboarding(
  e2e: E2e,
  customer: SimCustomerInput = {},
): Promise<{ customerId: string; started: Started }> {
  const customerId = await newCustomer(e2e, customer);
  const started = await start(e2e, 'onboarding', linkRequest(customerId));
  await reach(e2e, started, 'WAITING');
  return { customerId, started };
}

/** Waits until the request is WAITING, has the customer answer (a control call), then follows it to its end. */
export async function finishAfterAnswer(e2e: E2e, started: Started, answer: () => Promise<unknown>): Promise<Finished> {
  await reach(e2e, started, 'WAITING');
  await answer();
  return finish(e2e, started);
}

// --- The table ------------------------------------------------------------------------------------------------------

/** The record as DynamoDB holds it. */
export async function rawRecord(e2e: E2e, id: string): Promise<Record<string, unknown>> {
  const result = await e2e.db.send(
    new GetCommand({ TableName: e2e.tableName, Key: { [TABLE.partitionKey]: id }, ConsistentRead: true }),
  );
  if (!result.Item) throw new Error(`no item ${id} in the table`);
  return result.Item;
}

/** The customer's lock item, if any (there is one while a workflow of the customer is open). */
export async function lockItem(e2e: E2e, customerKey: string): Promise<Record<string, unknown> | undefined> {
  const key = { [TABLE.partitionKey]: customerLockKey(customerKey) };
  return (await e2e.db.send(new GetCommand({ TableName: e2e.tableName, Key: key, ConsistentRead: true }))).Item;
}

/** Every item's key (records and locks): to prove a refused request wrote nothing. */
export async function tableKeys(e2e: E2e): Promise<string[]> {
  const items = await scanAll(e2e.db, {
    TableName: e2e.tableName,
    ProjectionExpression: '#pk',
    ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
  });
  return items.map((item) => String(item[TABLE.partitionKey])).sort();
}

/** Every record (not lock) whose customerKey is `customerKey`. */
export function recordsOfCustomer(e2e: E2e, customerKey: string): Promise<Record<string, unknown>[]> {
  return scanAll(e2e.db, {
    TableName: e2e.tableName,
    // Lock items carry the customer only in their key: this filter finds records alone.
    FilterExpression: '#customerKey = :customerKey',
    ExpressionAttributeNames: { '#customerKey': 'customerKey' },
    ExpressionAttributeValues: { ':customerKey': customerKey },
    ConsistentRead: true,
  });
}

interface RawHistoryEntry {
  event: string;
  status?: string;
  step?: string;
  error?: LastError;
  detail?: string;
}

export function historyOf(raw: Record<string, unknown>): RawHistoryEntry[] {
  return (raw['history'] as RawHistoryEntry[] | undefined) ?? [];
}

/** The Knox code names the record's history saw, in order (errors and already-done proofs). */
export function historyCodes(raw: Record<string, unknown>): string[] {
  return historyOf(raw).flatMap((h) => (h.error ? [h.error.code] : []));
}

/** The expected `lastError` of a table row, as the record and the API show it. */
export function lastErrorFor(code: KnoxErrorCodeName, disposition?: Disposition): Record<string, unknown> {
  const spec = specFor(code);
  return {
    code: spec.code,
    errorCode: spec.errorCode,
    disposition: disposition ?? spec.disposition,
    message: expect.any(String),
  };
}

/**
 * What holds for every finished record: the raw item agrees with the API answer, the GSI key follows the status,
 * `version` counts every write (at least one per history entry but "execution started"), history starts REQUESTED and ends with the final
 * status, and the customer's lock is released.
 */
export async function expectClosedRecord(e2e: E2e, finished: Finished, status: RecordStatus): Promise<void> {
  const { raw, answer } = finished;
  expect(answer.status, JSON.stringify(answer.history)).toBe(status);
  expect(raw['status']).toBe(status);
  expect(raw['kindStatus']).toBe(`${String(raw['kind'])}#${status}`);
  expect(raw['version']).toEqual(expect.any(Number));
  // The execution's first step writes "execution started" with its own first entry, in one write.
  const entriesWithAWrite = historyOf(raw).filter((h) => h.event !== HISTORY_EVENTS.executionStarted);
  expect(raw['version'] as number).toBeGreaterThanOrEqual(entriesWithAWrite.length);
  const statuses = historyOf(raw)
    .filter((h) => h.status !== undefined)
    .map((h) => h.status);
  expect(statuses[0]).toBe('REQUESTED');
  expect(statuses.at(-1)).toBe(status);
  expect(historyOf(raw).at(-1)?.event).toBe('finished');
  expect(await lockItem(e2e, String(raw['customerKey']))).toBeUndefined();
}

// --- The execution --------------------------------------------------------------------------------------------------

export function stepOf(execution: ExecutionDetail, state: string): PathStep {
  const step = execution.path.find((s) => s.state === state);
  if (!step)
    throw new Error(`the execution never entered "${state}": ${execution.path.map((s) => s.state).join(' -> ')}`);
  return step;
}

/** A Task that failed `count` times with `error` and was retried each time, then went on. */
export function expectRetried(execution: ExecutionDetail, state: string, error: string, count: number): void {
  const step = stepOf(execution, state);
  expect(step.errors.map((e) => e.error)).toEqual(Array(count).fill(error));
  expect(step.retries).toBe(count);
  expect(step.caught).toBeUndefined();
}

/**
 * A Task whose last failure (`error`) a Catch routed to `next`, after `retries` retries. The catcher matched `error`
 * by name, or by States.ALL for errors no other catcher names (Knox.Operator, an exhausted Knox.Retry, the retry
 * window's end).
 */
export function expectCaught(
  execution: ExecutionDetail,
  state: string,
  error: string,
  next: string,
  retries = 0,
): void {
  const step = stepOf(execution, state);
  expect(step.errors.at(-1)?.error).toBe(error);
  expect(step.retries).toBe(retries);
  expect(step.caught?.next).toBe(next);
  const byName = ![STEP_ERROR_NAMES.operator, STEP_ERROR_NAMES.retry, RETRY_WINDOW_EXCEEDED_ERROR].includes(error);
  expect(step.caught?.errorEquals).toContain(byName ? error : 'States.ALL');
}

/** The execution failed in `state` with `error` after `retries` retries: no Catch took it (a redrive continues there). */
export function expectFailedIn(execution: ExecutionDetail, state: string, error: string, retries = 0): void {
  const step = stepOf(execution, state);
  expect(execution.path.at(-1)?.state).toBe(state);
  expect(step.errors.at(-1)?.error).toBe(error);
  expect(step.retries).toBe(retries);
  expect(step.caught).toBeUndefined();
}

/** The definition a workflow runs (as synthesized, unscaled): to read its retriers. */
export function definitionOf(e2e: E2e, kind: RecordKind): AslDefinition {
  const machine = e2e.stack.model.stateMachines.find((m) => m.workflow === kind);
  if (!machine) throw new Error(`no ${kind} state machine`);
  return machine.definition;
}

// --- The Knox request log -------------------------------------------------------------------------------------------

/** Knox calls (the token endpoint left out). */
export function knoxCalls(requests: RequestLogEntry[]): RequestLogEntry[] {
  return requests.filter((r) => r.path !== TOKEN_PATH);
}

export const CALLS = {
  link: (r: RequestLogEntry) => r.method === 'POST' && r.path === '/msp/v1/managedCustomers/link',
  create: (r: RequestLogEntry) => r.method === 'POST' && r.path === '/msp/v1/managedCustomers',
  delink: (r: RequestLogEntry) => r.method === 'POST' && r.path === '/msp/v1/managedCustomers/delink',
  get: (id: string) => (r: RequestLogEntry) => r.method === 'GET' && r.path === `/msp/v1/managedCustomers/${id}`,
  update: (id: string) => (r: RequestLogEntry) => r.method === 'PUT' && r.path === `/msp/v1/managedCustomers/${id}`,
  list: (r: RequestLogEntry) => r.method === 'GET' && r.path.startsWith('/msp/v1/managedCustomers?'),
  token: (r: RequestLogEntry) => r.path === TOKEN_PATH,
} as const;

/** Fault matches for the Knox calls (the simulator matches `path` as a substring, or `/regex/`). */
export const FAULT_MATCH = {
  link: { method: 'POST', path: '/managedCustomers/link' },
  create: { method: 'POST', path: '/\\/managedCustomers$/' },
} as const;
