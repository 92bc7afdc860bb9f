/**
 * What a record is: the shape of one onboarding, offboarding or change as the table holds it, its id rules, its
 * history words and the customer lock item beside it. The store (lambdas/store/), the API's views, the local stack's
 * recovery and the tests read records through these schemas; the table layout itself is TABLE in ./workflow.ts.
 */
import * as z from 'zod';
import {
  RECORD_KINDS,
  STATUSES,
  historyEntrySchema,
  lastErrorSchema,
  type RecordKind,
  type RecordStatus,
} from './api-schemas';
import { batchIdSchema } from './batch-schemas';
import { ID_PREFIX } from './table-layout';

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
  /** The poller found the execution no longer waiting on the record's task token (stopped, timed out). */
  callbackGone: 'callback-gone',
  finished: 'finished',
} as const;

/** Record ids: a kind prefix (ID_PREFIX) and 16 hex characters. */
export const recordIdSchema = z
  .string()
  .regex(new RegExp(`^(${Object.values(ID_PREFIX).join('|')})-[0-9a-f]{16}$`), 'not a record id');

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
  /** Set while a step rides out transient failures: when the current run of them began (the retry window's start). */
  retrySince: z.string().optional(),
  attempts: z.record(z.string(), z.number()).default({}),
  executionName: z.string(),
  executionArn: z.string().optional(),
  deadline: z.string(),
  /**
   * While the record waits on the customer: the task token of "Wait for customer answer", which the poller hands
   * back to Step Functions with the answer, and when it was stored. Absent on records written before callbacks.
   */
  taskToken: z.string().optional(),
  waitingSince: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
  history: z.array(historyEntrySchema).default([]),
  kindStatus: z.string(),
  /** The bulk onboarding batch the record was started for (records written before batches have none). */
  batchId: batchIdSchema.optional(),
});
export type WorkflowRecord = z.infer<typeof recordSchema>;

/** The lock item that keeps one open workflow per customer (its key: customerLockKey in ./workflow.ts). */
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

/** The by-status GSI's partition key of a record (TABLE.byStatusPartitionKey). */
export function kindStatusOf(kind: RecordKind, status: RecordStatus): string {
  return `${kind}#${status}`;
}
