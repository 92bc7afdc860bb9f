import type { LastError, RecordKind, RecordStatus, TerminalStatus } from '#domain/api-schemas';
import { AWAITING_CUSTOMER_STATUSES } from '#domain/knox-schemas';
import { HISTORY_EVENTS, kindStatusOf, type StepKey, type WorkflowRecord } from '#domain/record';
import { TABLE } from '#domain/table-layout';
import { getItem, nowIso, parseRecord, putIfAbsent } from './table-client';
import { RecordUpdate, apply } from './record-update';

export interface NewRecord {
  id: string;
  kind: RecordKind;
  customerId?: string;
  customerKey: string;
  request: Record<string, unknown>;
  path?: 'link' | 'create';
  executionName: string;
  deadline: string;
  batchId?: string;
}

/**
 * Writes a new REQUESTED record and returns it as written (no read back); undefined when a record with this id exists
 * already (nothing is changed then).
 */
export async function createRecord(input: NewRecord, now = nowIso()): Promise<WorkflowRecord | undefined> {
  const item = {
    [TABLE.partitionKey]: input.id,
    kind: input.kind,
    status: 'REQUESTED',
    [TABLE.byStatusPartitionKey]: kindStatusOf(input.kind, 'REQUESTED'),
    customerId: input.customerId,
    customerKey: input.customerKey,
    request: input.request,
    path: input.path,
    attempts: {},
    executionName: input.executionName,
    deadline: input.deadline,
    createdAt: now,
    updatedAt: now,
    version: 1,
    history: [{ at: now, event: HISTORY_EVENTS.requested, status: 'REQUESTED' }],
    batchId: input.batchId,
  };
  return (await putIfAbsent(item)) ? parseRecord(item) : undefined;
}

export async function getRecord(id: string): Promise<WorkflowRecord | undefined> {
  return parseRecord(await getItem(id));
}

/** What `startAttempt` found and left: the record after the attempt was counted, and its status before. */
export interface StartedAttempt {
  record: WorkflowRecord;
  statusBefore: RecordStatus;
}

/**
 * A Knox step is about to call Knox: count the attempt, and move a REQUESTED record to IN_PROGRESS.
 * The first step of an execution is what shows that the execution runs: the promotion also writes the history's
 * "execution started" entry (the API writes nothing after StartExecution; the ARN follows from the execution name).
 * A WAITING record stays WAITING while Knox is asked again: only an answer that moves it on changes that.
 * No read first: the write for a REQUESTED record (a workflow's first attempt, the common case) is tried, and when
 * the record is not REQUESTED, the write that keeps its status (a status never goes back to REQUESTED, so the
 * status it returns is the one it found). One write for a first attempt, two for a later one.
 * Undefined when the record is missing or closed (the step must not call Knox then).
 */
export async function startAttempt(
  id: string,
  step: StepKey,
  options: { executionName?: string } = {},
): Promise<StartedAttempt | undefined> {
  const counted = (): RecordUpdate => new RecordUpdate(id, nowIso()).increment(['attempts', step]);
  const promoted = counted()
    .status('IN_PROGRESS')
    .history({ event: HISTORY_EVENTS.executionStarted, detail: options.executionName })
    .history({ event: HISTORY_EVENTS.statusChanged, status: 'IN_PROGRESS', step });
  const first = await apply(promoted, 'requested');
  if (first) return { record: first, statusBefore: 'REQUESTED' };
  const record = await apply(counted(), 'notTerminal');
  return record && { record, statusBefore: record.status };
}

/**
 * Records a Knox error: `lastError` always; a history entry unless `history` is false (an attempt that met the same
 * waiting answer again); the status when given (WAITING when the step waits); `retrySince` kept (set if absent) while
 * the step retries a transient failure, removed otherwise. Undefined when the record is closed.
 */
export async function recordKnoxError(
  id: string,
  step: StepKey,
  error: LastError,
  options: { status?: RecordStatus; history?: boolean; detail?: string; retrying?: boolean } = {},
): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(id, nowIso()).set('lastError', error);
  if (options.retrying)
    update.set('retrySince', update.now, (name, value) => `${name} = if_not_exists(${name}, ${value})`);
  else update.remove('retrySince');
  if (options.status) update.status(options.status);
  if (options.history ?? true) {
    update.history({ event: HISTORY_EVENTS.knoxError, step, error, status: options.status, detail: options.detail });
  }
  return apply(update, 'notTerminal');
}

export interface SuccessFields {
  knoxStatus?: string;
  customerId?: string;
  /** The Knox error that proved an earlier call of ours went through (already done). */
  alreadyDone?: LastError;
  detail?: string;
}

/**
 * Records a Knox call that moved the record on: knoxStatus and customerId, status IN_PROGRESS (a WAITING record was
 * answered), and `lastError` cleared (the error it describes is behind us; history keeps it).
 */
export async function recordSuccess(
  id: string,
  step: StepKey,
  fields: SuccessFields,
): Promise<WorkflowRecord | undefined> {
  // A link or delink that went through leaves the customer to answer: the record waits on the customer.
  const status: RecordStatus =
    fields.knoxStatus !== undefined && AWAITING_CUSTOMER_STATUSES.includes(fields.knoxStatus)
      ? 'WAITING'
      : 'IN_PROGRESS';
  const update = new RecordUpdate(id, nowIso()).status(status).remove('lastError').remove('retrySince');
  if (fields.knoxStatus !== undefined) update.set('knoxStatus', fields.knoxStatus);
  if (fields.customerId !== undefined) update.set('customerId', fields.customerId);
  const { knoxStatus, alreadyDone, detail } = fields;
  const event = alreadyDone ? HISTORY_EVENTS.alreadyDone : HISTORY_EVENTS.knoxCall;
  update.history({ event, step, status, knoxStatus, error: alreadyDone, detail });
  return apply(update, 'notTerminal');
}

export interface FinishOptions {
  /** Replaces the record's lastError. */
  lastError?: LastError;
  /** Sets lastError only when the record has none (an error a step recorded is the better explanation). */
  lastErrorIfNone?: LastError;
  detail?: string;
}

export interface FinishResult {
  /** The record after the call (undefined if there is no such record). */
  record: WorkflowRecord | undefined;
  /** False when the record was already terminal (or missing): nothing was written. */
  changed: boolean;
}

/** Moves an open record to a terminal status. A terminal record is left alone and reported as unchanged. */
export async function finish(id: string, status: TerminalStatus, options: FinishOptions = {}): Promise<FinishResult> {
  const update = new RecordUpdate(id, nowIso()).status(status);
  if (options.lastError) update.set('lastError', options.lastError);
  else if (options.lastErrorIfNone)
    update.set('lastError', options.lastErrorIfNone, (n, v) => `${n} = if_not_exists(${n}, ${v})`);
  update.history({ event: HISTORY_EVENTS.finished, status, detail: options.detail });
  const record = await apply(update, 'open');
  if (record) return { record, changed: true };
  return { record: await getRecord(id), changed: false };
}
