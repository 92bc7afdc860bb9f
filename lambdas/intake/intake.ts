/**
 * Registering a request (POST /onboardings, /offboardings, /changes): one record per request, one open workflow per
 * customer, and an execution per record, with every step safe to repeat.
 *
 * 1. The record id comes from the Idempotency-Key (or is random). A record with that id already there is the same
 *    request again: its answer is repeated (a record still REQUESTED is started once more, an idempotent start, so a
 *    crash between the write and the start loses nothing).
 * 2. The customer's lock: held by an open workflow of the same kind -> that workflow is the answer; of another kind
 *    -> conflict. A stale lock (its record missing for a while, or terminal) is released and taken once more.
 * 3. The record is written (REQUESTED, deadline) and the execution started (its name is deterministic, so
 *    ExecutionAlreadyExists means it is already running); its first step moves the record on.
 */
import { isTerminal, type RecordKind } from '#domain/api-schemas';
import { itemIdempotencyKey } from '#domain/batch-schemas';
import { idFor, type KeyNamespace } from '#domain/ids';
import { ID_PREFIX } from '#domain/table-layout';
import type { WorkflowInput } from '#domain/payloads';
import type { ApiConfig } from '../commons/config';
import { describeError, logger } from '../commons/powertools';
import {
  acquireCustomerLock,
  createRecord,
  getRecord,
  releaseLock,
  type CustomerLock,
  type WorkflowRecord,
} from '../store';
import { startWorkflow } from './executions';

/** A lock whose record is not written yet may belong to a request still being registered: leave it this long. */
export const LOCK_GRACE_MS = 60_000;

export interface Submission {
  kind: RecordKind;
  /** The validated API body (what the steps read back). */
  request: Record<string, unknown>;
  customerId?: string;
  customerKey: string;
  path?: 'link' | 'create';
  idempotencyKey?: string;
  /** Whose key it is: a client's (the default) or one we made for a batch's item (ids.ts: they never meet). */
  keyNamespace?: KeyNamespace;
  /** The bulk onboarding batch the request is an item of. */
  batchId?: string;
}

/** What the intake needs: the state machine of the kind it registers, and the customer's deadline. */
export interface IntakeConfig {
  stateMachineArns: Partial<ApiConfig['stateMachineArns']>;
  waitDeadlineSeconds: number;
}

export type IntakeResult =
  /** A new record, its execution started: 202. */
  | { outcome: 'started'; record: WorkflowRecord }
  /** The same request again, or the same kind already open for the customer: 200 with that record. */
  | { outcome: 'existing'; record: WorkflowRecord }
  /** Another kind of workflow is open for the customer: 409. */
  | { outcome: 'conflict'; openId: string; kind: RecordKind }
  /** The Idempotency-Key was used before for a different request (`otherCustomer`: about another customer): 422. */
  | { outcome: 'keyReused'; record: WorkflowRecord; otherCustomer: boolean }
  /** The record is written but its execution could not be started: 503, the same request again resumes it. */
  | { outcome: 'notStarted'; record: WorkflowRecord };

/** With an Idempotency-Key: the kind's prefix + the first 16 hex of sha256(kind + key) (ids.ts); without: random. */
export function recordIdFor(
  kind: RecordKind,
  idempotencyKey: string | undefined,
  namespace: KeyNamespace = 'client',
): string {
  return idFor(ID_PREFIX[kind], kind, idempotencyKey, namespace);
}

/** The onboarding record id of a batch's item: from the key `<batchId>#<item>` in the batch items' own namespace. */
export function batchItemRecordId(batchId: string, item: number): string {
  return recordIdFor('onboarding', itemIdempotencyKey(batchId, item), 'batch-item');
}

/** `${customerId ?? 'new'}-${recordId}`: at most 41 characters of [0-9a-z-]. */
export function executionNameFor(customerId: string | undefined, recordId: string): string {
  return `${customerId ?? 'new'}-${recordId}`;
}

/** JSON with sorted keys: DynamoDB does not keep the order of a map's keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export async function submit(submission: Submission, config: IntakeConfig, now = new Date()): Promise<IntakeResult> {
  const id = recordIdFor(submission.kind, submission.idempotencyKey, submission.keyNamespace);

  if (submission.idempotencyKey !== undefined) {
    const existing = await getRecord(id);
    if (existing) {
      // A key that found a record of another customer (or another request) is never that record's success.
      const otherCustomer = existing.customerKey !== submission.customerKey || existing.kind !== submission.kind;
      if (otherCustomer || canonical(existing.request) !== canonical(submission.request))
        return { outcome: 'keyReused', record: existing, otherCustomer };
      return resume(existing, config);
    }
  }

  const blocked = await takeCustomerLock(submission, id, now, config);
  if (blocked) return blocked;

  const created = await createRecord(
    {
      id,
      kind: submission.kind,
      ...(submission.customerId !== undefined ? { customerId: submission.customerId } : {}),
      customerKey: submission.customerKey,
      request: submission.request,
      ...(submission.path !== undefined ? { path: submission.path } : {}),
      executionName: executionNameFor(submission.customerId, id),
      deadline: new Date(now.getTime() + config.waitDeadlineSeconds * 1000).toISOString(),
      ...(submission.batchId !== undefined ? { batchId: submission.batchId } : {}),
    },
    now.toISOString(),
  );
  if (created === undefined) {
    const record = await getRecord(id);
    if (record === undefined) throw new Error(`Record ${id} vanished right after it was written`);
    return resume(record, config);
  }

  const started = await start(created, config);
  return { outcome: started.ok ? 'started' : 'notStarted', record: started.record };
}

/**
 * Takes the customer's lock for `id`; undefined when taken (or already ours), else the answer to give instead.
 * Two tries: the second one follows the release of a stale lock.
 */
async function takeCustomerLock(
  submission: Submission,
  id: string,
  now: Date,
  config: IntakeConfig,
): Promise<IntakeResult | undefined> {
  let holder: CustomerLock | undefined;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const lock = await acquireCustomerLock(submission.customerKey, id, submission.kind, now.toISOString());
    if (lock.acquired) return undefined;
    holder = lock.holder;
    if (holder === undefined) continue; // released between our put and our read: try again
    if (holder.recordId === id) return undefined; // ours, from an attempt that stopped before writing the record

    const open = await getRecord(holder.recordId);
    if (open && !isTerminal(open.status)) {
      if (open.kind === submission.kind) return resume(open, config);
      return { outcome: 'conflict', openId: open.pk, kind: open.kind };
    }
    if (!open && now.getTime() - Date.parse(holder.createdAt) < LOCK_GRACE_MS) {
      // Probably a request being registered right now: its record is on the way.
      return { outcome: 'conflict', openId: holder.recordId, kind: holder.kind };
    }
    logger.info('Released a stale customer lock', {
      staleRecordId: holder.recordId,
      staleStatus: open?.status ?? 'missing',
    });
    await releaseLock(submission.customerKey, holder.recordId);
  }
  return { outcome: 'conflict', openId: holder?.recordId ?? 'unknown', kind: holder?.kind ?? submission.kind };
}

/**
 * The answer for a record that exists: itself, after starting its execution if it is still REQUESTED (a crash or a
 * refused start may have left it without one; StartExecution with the same name and input is idempotent while the
 * execution runs, and ExecutionAlreadyExists counts as started).
 */
async function resume(record: WorkflowRecord, config: IntakeConfig): Promise<IntakeResult> {
  if (record.status !== 'REQUESTED') return { outcome: 'existing', record };
  logger.info('Starting the execution of a record still REQUESTED', { recordId: record.pk });
  const started = await start(record, config);
  return { outcome: started.ok ? 'existing' : 'notStarted', record: started.record };
}

/**
 * Starts the record's execution; a start failure leaves the record REQUESTED for a retry. Nothing is written: the
 * execution's first step records that it runs (its ARN follows from the state machine and the execution name).
 */
async function start(record: WorkflowRecord, config: IntakeConfig): Promise<{ ok: boolean; record: WorkflowRecord }> {
  const input: WorkflowInput = { id: record.pk, ...(record.path !== undefined ? { path: record.path } : {}) };
  const stateMachineArn = config.stateMachineArns[record.kind];
  if (stateMachineArn === undefined) throw new Error(`No ${record.kind} state machine is configured here`);
  try {
    await startWorkflow(stateMachineArn, record.executionName, input);
  } catch (error) {
    logger.error('Could not start the execution', { recordId: record.pk, ...describeError(error) });
    return { ok: false, record };
  }
  return { ok: true, record };
}
