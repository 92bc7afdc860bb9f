/**
 * The record store: one DynamoDB table (layout in design.md and lib/domain/workflow.ts TABLE) holding one record per
 * onboarding, offboarding or change, and one lock item per customer with an open workflow.
 *
 * Every write is a single conditional item write (no transactions, no Scan: dynalite runs the same code locally):
 * records are created only if absent, a terminal status is never left, each write bumps `version` and `updatedAt`
 * and keeps the GSI key `kindStatus` in step with `status`, and history only grows (list_append).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  OPEN_STATUSES,
  RECORD_KINDS,
  STATUSES,
  TERMINAL_STATUSES,
  historyEntrySchema,
  lastErrorSchema,
  type HistoryEntry,
  type LastError,
  type RecordKind,
  type RecordStatus,
  type TerminalStatus,
} from '../../lib/domain/api-schemas';
import { AWAITING_CUSTOMER_STATUSES } from '../../lib/domain/knox-schemas';
import { ID_PREFIX, TABLE, customerLockKey } from '../../lib/domain/workflow';
import { tableConfig } from './config';
import { logger } from './powertools';

// --- What a record is ----------------------------------------------------------------------------------------------

/** The Knox steps, as counted in a record's `attempts` map. */
export const STEP_KEYS = ['link', 'create', 'check', 'delink', 'update'] as const;
export type StepKey = (typeof STEP_KEYS)[number];

/** The words of a history entry's `event`. */
export const HISTORY_EVENTS = {
  requested: 'requested',
  executionStarted: 'execution-started',
  statusChanged: 'status-changed',
  knoxCall: 'knox-call',
  knoxError: 'knox-error',
  alreadyDone: 'already-done',
  finished: 'finished',
} as const;

export const recordIdSchema = z.string().regex(/^(onb|off|chg)-[0-9a-f]{16}$/, 'not a record id');

/** What a record read back from the table must look like; anything else is reported, not trusted. */
export const recordSchema = z.object({
  pk: recordIdSchema,
  kind: z.enum(RECORD_KINDS),
  status: z.enum(STATUSES),
  customerId: z.string().optional(),
  customerKey: z.string(),
  /** The validated API body; each step parses the part it needs with the API schema. */
  request: z.record(z.string(), z.unknown()),
  path: z.enum(['link', 'create']).optional(),
  knoxStatus: z.string().optional(),
  lastError: lastErrorSchema.optional(),
  attempts: z.record(z.string(), z.number()).default({}),
  pollCount: z.number().default(0),
  executionName: z.string(),
  executionArn: z.string().optional(),
  deadline: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
  history: z.array(historyEntrySchema).default([]),
  kindStatus: z.string(),
});
export type WorkflowRecord = z.infer<typeof recordSchema>;

export const lockSchema = z.object({
  pk: z.string(),
  recordId: recordIdSchema,
  kind: z.enum(RECORD_KINDS),
  createdAt: z.string(),
});
export type CustomerLock = z.infer<typeof lockSchema>;

/** The kind a record id stands for (ids carry it in their prefix). */
export function kindOfId(id: string): RecordKind {
  const kind = RECORD_KINDS.find((k) => id.startsWith(`${ID_PREFIX[k]}-`));
  if (kind === undefined) throw new Error(`${id} is not a record id`);
  return kind;
}

export function kindStatusOf(kind: RecordKind, status: RecordStatus): string {
  return `${kind}#${status}`;
}

// --- The client ----------------------------------------------------------------------------------------------------

let documentClient: DynamoDBDocumentClient | undefined;

/** Default SDK configuration: region, credentials and AWS_ENDPOINT_URL_DYNAMODB come from the environment. */
function db(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/** Tests: drop the client so that the next call builds one from the current environment. */
export function resetStoreClient(): void {
  documentClient = undefined;
}

function tableName(): string {
  return tableConfig().tableName;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function parseRecord(item: Record<string, unknown> | undefined): WorkflowRecord | undefined {
  if (item === undefined) return undefined;
  const parsed = recordSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`Record ${String(item[TABLE.partitionKey])} in the table does not have the expected shape: ${issues}`);
}

// --- Expression pieces ---------------------------------------------------------------------------------------------

const NOT_TERMINAL = `attribute_exists(#pk) AND NOT (#status IN (${TERMINAL_STATUSES.map((_, i) => `:terminal${i}`).join(', ')}))`;
const OPEN_ONLY = `attribute_exists(#pk) AND #status IN (${OPEN_STATUSES.map((_, i) => `:open${i}`).join(', ')})`;
const terminalValues = Object.fromEntries(TERMINAL_STATUSES.map((s, i) => [`:terminal${i}`, s]));
const openValues = Object.fromEntries(OPEN_STATUSES.map((s, i) => [`:open${i}`, s]));

/**
 * Builds one UpdateItem: each write bumps `version` and `updatedAt`, may change the status (with `kindStatus`) and
 * may append history entries. Callers add their own SET/REMOVE/ADD clauses.
 */
class RecordUpdate {
  private readonly sets = ['#updatedAt = :now', '#version = #version + :one'];
  private readonly removes: string[] = [];
  private readonly names: Record<string, string> = { '#pk': TABLE.partitionKey, '#updatedAt': 'updatedAt', '#version': 'version' };
  private readonly values: Record<string, unknown> = { ':one': 1 };
  private readonly entries: HistoryEntry[] = [];

  constructor(
    private readonly id: string,
    readonly now: string,
  ) {
    this.values[':now'] = now;
  }

  set(attribute: string, value: unknown, expression?: (name: string, value: string) => string): this {
    this.names[`#${attribute}`] = attribute;
    this.values[`:${attribute}`] = value;
    this.sets.push(expression ? expression(`#${attribute}`, `:${attribute}`) : `#${attribute} = :${attribute}`);
    return this;
  }

  status(status: RecordStatus): this {
    this.set('status', status);
    return this.set(TABLE.byStatusPartitionKey, kindStatusOf(kindOfId(this.id), status));
  }

  remove(attribute: string): this {
    this.names[`#${attribute}`] = attribute;
    this.removes.push(`#${attribute}`);
    return this;
  }

  /** Adds 1 to a number, possibly inside a map (`attempts.link`), starting from 0 when it is not there yet. */
  increment(path: string[]): this {
    for (const part of path) this.names[`#${part}`] = part;
    this.values[':zero'] = 0;
    const target = path.map((p) => `#${p}`).join('.');
    this.sets.push(`${target} = if_not_exists(${target}, :zero) + :one`);
    return this;
  }

  history(entry: Omit<HistoryEntry, 'at'>): this {
    this.entries.push({ at: this.now, ...entry });
    return this;
  }

  input(condition: 'notTerminal' | 'open' | 'exists'): UpdateCommandInput {
    const sets = [...this.sets];
    const values = { ...this.values };
    const names = { ...this.names };
    if (this.entries.length > 0) {
      names['#history'] = 'history';
      values[':entries'] = this.entries;
      sets.push('#history = list_append(#history, :entries)');
    }
    let conditionExpression = 'attribute_exists(#pk)';
    if (condition !== 'exists') {
      names['#status'] = 'status';
      Object.assign(values, condition === 'open' ? openValues : terminalValues);
      conditionExpression = condition === 'open' ? OPEN_ONLY : NOT_TERMINAL;
    }
    const clauses = [`SET ${sets.join(', ')}`];
    if (this.removes.length > 0) clauses.push(`REMOVE ${this.removes.join(', ')}`);
    return {
      TableName: tableName(),
      Key: { [TABLE.partitionKey]: this.id },
      UpdateExpression: clauses.join(' '),
      ConditionExpression: conditionExpression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    };
  }
}

/** Runs an update; undefined when its condition failed (record missing, or closed for the writes that need it open). */
async function apply(update: RecordUpdate, condition: 'notTerminal' | 'open' | 'exists'): Promise<WorkflowRecord | undefined> {
  try {
    const result = await db().send(new UpdateCommand(update.input(condition)));
    return parseRecord(result.Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

function nowIso(): string {
  return new Date().toISOString();
}

// --- Records -------------------------------------------------------------------------------------------------------

export interface NewRecord {
  id: string;
  kind: RecordKind;
  customerId?: string;
  customerKey: string;
  request: Record<string, unknown>;
  path?: 'link' | 'create';
  executionName: string;
  deadline: string;
}

/** Writes a new REQUESTED record; false when a record with this id exists already (nothing is changed then). */
export async function createRecord(input: NewRecord, now = nowIso()): Promise<boolean> {
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
    pollCount: 0,
    executionName: input.executionName,
    deadline: input.deadline,
    createdAt: now,
    updatedAt: now,
    version: 1,
    history: [{ at: now, event: HISTORY_EVENTS.requested, status: 'REQUESTED' }],
  };
  try {
    await db().send(new PutCommand({
      TableName: tableName(),
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
    }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function getRecord(id: string): Promise<WorkflowRecord | undefined> {
  const result = await db().send(new GetCommand({
    TableName: tableName(),
    Key: { [TABLE.partitionKey]: id },
    ConsistentRead: true,
  }));
  return parseRecord(result.Item);
}

/** Stores the ARN of the execution that runs the record. */
export async function setExecution(id: string, executionArn: string): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(id, nowIso())
    .set('executionArn', executionArn)
    .history({ event: HISTORY_EVENTS.executionStarted, detail: executionArn.slice(executionArn.lastIndexOf(':') + 1) });
  return apply(update, 'exists');
}

/**
 * A Knox step is about to call Knox: count the attempt (and the poll), and move a REQUESTED record to IN_PROGRESS.
 * A WAITING record stays WAITING while it is polled: only an answer that moves it on changes that.
 * Undefined when the record is missing or closed (the step must not call Knox then).
 */
export async function startAttempt(
  id: string,
  step: StepKey,
  options: { currentStatus: RecordStatus; poll?: boolean },
): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(id, nowIso()).increment(['attempts', step]);
  if (options.poll) update.increment(['pollCount']);
  if (options.currentStatus === 'REQUESTED') {
    update.status('IN_PROGRESS').history({ event: HISTORY_EVENTS.statusChanged, status: 'IN_PROGRESS', step });
  }
  return apply(update, 'notTerminal');
}

/**
 * Records a Knox error: `lastError` always; a history entry unless `history` is false (a poll that met the same
 * answer again); the status when given (WAITING when the step waits). Undefined when the record is closed.
 */
export async function recordKnoxError(
  id: string,
  step: StepKey,
  error: LastError,
  options: { status?: RecordStatus; history?: boolean; detail?: string } = {},
): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(id, nowIso()).set('lastError', error);
  if (options.status) update.status(options.status);
  if (options.history ?? true) {
    update.history({
      event: HISTORY_EVENTS.knoxError,
      step,
      error,
      ...(options.status ? { status: options.status } : {}),
      ...(options.detail ? { detail: options.detail } : {}),
    });
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
export async function recordSuccess(id: string, step: StepKey, fields: SuccessFields): Promise<WorkflowRecord | undefined> {
  // A link or delink that went through leaves the customer to answer: the record waits on the customer.
  const status: RecordStatus =
    fields.knoxStatus !== undefined && AWAITING_CUSTOMER_STATUSES.includes(fields.knoxStatus) ? 'WAITING' : 'IN_PROGRESS';
  const update = new RecordUpdate(id, nowIso()).status(status).remove('lastError');
  if (fields.knoxStatus !== undefined) update.set('knoxStatus', fields.knoxStatus);
  if (fields.customerId !== undefined) update.set('customerId', fields.customerId);
  update.history({
    event: fields.alreadyDone ? HISTORY_EVENTS.alreadyDone : HISTORY_EVENTS.knoxCall,
    step,
    status,
    ...(fields.knoxStatus !== undefined ? { knoxStatus: fields.knoxStatus } : {}),
    ...(fields.alreadyDone ? { error: fields.alreadyDone } : {}),
    ...(fields.detail ? { detail: fields.detail } : {}),
  });
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
  else if (options.lastErrorIfNone) update.set('lastError', options.lastErrorIfNone, (n, v) => `${n} = if_not_exists(${n}, ${v})`);
  update.history({ event: HISTORY_EVENTS.finished, status, ...(options.detail ? { detail: options.detail } : {}) });
  const record = await apply(update, 'open');
  if (record) return { record, changed: true };
  return { record: await getRecord(id), changed: false };
}

// --- Lists ---------------------------------------------------------------------------------------------------------

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

const cursorKeySchema = z.strictObject({
  [TABLE.partitionKey]: recordIdSchema,
  [TABLE.byStatusPartitionKey]: z.string(),
  [TABLE.byStatusSortKey]: z.string(),
});

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string, kindStatus: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('cursor is not one this API gave out');
  }
  const parsed = cursorKeySchema.safeParse(key);
  if (!parsed.success || parsed.data[TABLE.byStatusPartitionKey] !== kindStatus) {
    throw new CursorError('cursor is not one this API gave out for this status');
  }
  return parsed.data;
}

export interface RecordPage {
  items: WorkflowRecord[];
  /** Present when there is more: pass it back to read the next page. */
  cursor?: string;
}

/** One page of the records of a kind in a status, newest first, through the GSI (never a Scan). */
export async function listByStatus(
  kind: RecordKind,
  status: RecordStatus,
  options: { limit?: number; cursor?: string } = {},
): Promise<RecordPage> {
  const kindStatus = kindStatusOf(kind, status);
  const result = await db().send(new QueryCommand({
    TableName: tableName(),
    IndexName: TABLE.byStatusIndex,
    KeyConditionExpression: '#kindStatus = :kindStatus',
    ExpressionAttributeNames: { '#kindStatus': TABLE.byStatusPartitionKey },
    ExpressionAttributeValues: { ':kindStatus': kindStatus },
    ScanIndexForward: false,
    Limit: options.limit ?? 50,
    ...(options.cursor ? { ExclusiveStartKey: decodeCursor(options.cursor, kindStatus) } : {}),
  }));
  const items: WorkflowRecord[] = [];
  for (const item of result.Items ?? []) {
    const parsed = recordSchema.safeParse(item);
    // An index is eventually consistent and a bad item must not hide the good ones: skip it and say so.
    if (parsed.success && parsed.data.status === status) items.push(parsed.data);
    else if (!parsed.success) logger.warn('Skipped a record that does not have the expected shape', { recordId: String(item[TABLE.partitionKey]) });
  }
  return {
    items,
    ...(result.LastEvaluatedKey ? { cursor: encodeCursor(result.LastEvaluatedKey) } : {}),
  };
}

// --- Customer locks ------------------------------------------------------------------------------------------------

export type LockResult = { acquired: true } | { acquired: false; holder: CustomerLock | undefined };

/** Takes the customer's lock for a record; when someone holds it, says who (undefined if it vanished meanwhile). */
export async function acquireCustomerLock(customerKey: string, recordId: string, kind: RecordKind, now = nowIso()): Promise<LockResult> {
  try {
    await db().send(new PutCommand({
      TableName: tableName(),
      Item: { [TABLE.partitionKey]: customerLockKey(customerKey), recordId, kind, createdAt: now },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
    }));
    return { acquired: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { acquired: false, holder: await readLock(customerKey) };
  }
}

export async function readLock(customerKey: string): Promise<CustomerLock | undefined> {
  const result = await db().send(new GetCommand({
    TableName: tableName(),
    Key: { [TABLE.partitionKey]: customerLockKey(customerKey) },
    ConsistentRead: true,
  }));
  if (result.Item === undefined) return undefined;
  const parsed = lockSchema.safeParse(result.Item);
  if (!parsed.success) throw new Error(`The lock item of a customer does not have the expected shape`);
  return parsed.data;
}

/** Releases the customer's lock if this record holds it; false when it did not (already released, or another's). */
export async function releaseLock(customerKey: string, recordId: string): Promise<boolean> {
  try {
    await db().send(new DeleteCommand({
      TableName: tableName(),
      Key: { [TABLE.partitionKey]: customerLockKey(customerKey) },
      ConditionExpression: '#recordId = :recordId',
      ExpressionAttributeNames: { '#recordId': 'recordId' },
      ExpressionAttributeValues: { ':recordId': recordId },
    }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
