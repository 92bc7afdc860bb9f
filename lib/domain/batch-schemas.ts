/**
 * Bulk onboarding (README.md, "Bulk onboarding"): the batch body, its limits, the batch's status words and
 * the shapes the table holds for a batch. Each item is exactly a `POST /onboardings` body (onboardingRequestSchema:
 * one source of truth); the CSV form is turned into the same items by ./batch-csv.ts.
 */
import * as z from 'zod';
import { idFor } from './ids';
import {
  STATUSES,
  TERMINAL_STATUSES,
  lastErrorSchema,
  onboardingRequestSchema,
  type OnboardingRequest,
} from './api-schemas';

/** At most this many items in one batch. */
export const MAX_BATCH_ITEMS = 1000;
/** Items started per round of the batch workflow; also the items one slice item of the table holds. */
export const BATCH_SLICE_ITEMS = 25;
/** A 400 lists at most this many problems, then says how many more there are. */
export const MAX_LISTED_ISSUES = 100;

export {
  BATCH_STATUSES,
  ENDED_BATCH_STATUSES,
  LIVE_BATCH_STATUSES,
  OPEN_BATCH_STATUSES,
  type BatchStatus,
} from './batch-statuses';
import { BATCH_STATUSES, type BatchStatus } from './batch-statuses';

/** The record kind of a batch in the table (batches are not workflows of a customer: not a RecordKind). */
export const BATCH_KIND = 'batch';
export const BATCH_ID_PREFIX = 'bat';
export const batchIdSchema = z.string().regex(new RegExp(`^${BATCH_ID_PREFIX}-[0-9a-f]{16}$`), 'not a batch id');

/** With an Idempotency-Key: the first 16 hex of sha256("batch" + key); without: random. */
export function batchIdFor(idempotencyKey: string | undefined): string {
  return idFor(BATCH_ID_PREFIX, BATCH_KIND, idempotencyKey);
}

/**
 * The id of a retry of batch `originalId` (`POST /onboarding-batches/{id}/retries`): with an Idempotency-Key, derived
 * from the original's id and the key in a namespace of its own (ids.ts), so a client's batch key never names a retry
 * and the same key on two originals names two retries; without a key, random.
 */
export function retryBatchIdFor(originalId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return idFor(BATCH_ID_PREFIX, BATCH_KIND, undefined);
  return idFor(BATCH_ID_PREFIX, BATCH_KIND, `${originalId}#${idempotencyKey}`, 'batch-retry');
}

/** The outcomes a retry takes only when asked (`include`): ABORTED items are Knox's business answers. */
export const RETRY_INCLUDABLE = ['ABORTED'] as const;
/** `POST /onboarding-batches/{batchId}/retries`: an empty body (or none) is `{}`. */
export const batchRetryRequestSchema = z.strictObject({
  include: z
    .array(z.enum(RETRY_INCLUDABLE))
    .max(RETRY_INCLUDABLE.length)
    .refine((list) => new Set(list).size === list.length, 'names an outcome twice')
    .optional(),
});
export type BatchRetryRequest = z.infer<typeof batchRetryRequestSchema>;

/** The key an item's onboarding is registered with, in the batch items' own namespace (ids.ts, intake.ts). */
export function itemIdempotencyKey(batchId: string, item: number): string {
  return `${batchId}#${item}`;
}

/** The customer an onboarding body is about: its Knox id, or the contact e-mail of a create (case-insensitive). */
export function customerKeyOf(request: OnboardingRequest): string {
  return 'customerId' in request ? request.customerId : `email:${request.customer.contact.email.toLowerCase()}`;
}

/** `maxFailedPercentage`: stop starting items once more than this share of the started ones FAILED. */
export const maxFailedPercentageSchema = z.coerce.number().min(0).max(100);

/** `POST /onboarding-batches` as JSON: 1 to 1,000 onboarding bodies, no customer or e-mail twice. */
export const batchRequestSchema = z
  .strictObject({
    items: z.array(onboardingRequestSchema).min(1).max(MAX_BATCH_ITEMS),
    maxFailedPercentage: z.number().min(0).max(100).optional(),
  })
  .superRefine((batch, ctx) => {
    const first = new Map<string, number>();
    for (const [i, item] of batch.items.entries()) {
      const key = customerKeyOf(item);
      const seen = first.get(key);
      if (seen === undefined) {
        first.set(key, i);
        continue;
      }
      const email = key.startsWith('email:');
      ctx.addIssue({
        code: 'custom',
        path: email ? ['items', i, 'customer', 'contact', 'email'] : ['items', i, 'customerId'],
        message: `the same ${email ? 'e-mail' : 'customer'} as item ${seen}: a batch names each customer once`,
      });
    }
  });
export type BatchRequest = z.infer<typeof batchRequestSchema>;

/** `GET /onboarding-batches/{batchId}/items?limit&cursor`. */
export const batchItemsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,4}$/, 'cursor is not one this API gave out')
    .optional(),
});

// --- What the table holds --------------------------------------------------------------------------------------------

/** The status counts of a batch's items. */
export const countsSchema = z.object(
  Object.fromEntries(STATUSES.map((s) => [s, z.number().int().min(0)])) as Record<
    (typeof STATUSES)[number],
    z.ZodNumber
  >,
);
export type BatchCounts = z.infer<typeof countsSchema>;

export function emptyCounts(): BatchCounts {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as BatchCounts;
}

/** The batch record (pk = batch id). Its items live in slice items beside it (batchSliceKey). */
export const batchRecordSchema = z.object({
  pk: batchIdSchema,
  kind: z.literal(BATCH_KIND),
  status: z.enum(BATCH_STATUSES),
  total: z.number().int().min(1).max(MAX_BATCH_ITEMS),
  /** Items whose onboarding was started: items start in order, so these are items 0 to started - 1. */
  started: z.number().int().min(0),
  /** Slices whose every item is started. */
  slicesStarted: z.number().int().min(0),
  slices: z.number().int().min(1),
  counts: countsSchema,
  /**
   * Items this batch started itself whose onboarding has not ended yet, as the items' ends count it down
   * (lambdas/batches/item-ended.ts): added when a slice is started, one off when an item's record ends.
   */
  open: z.number().int().default(0),
  /** The watch's callback token while the workflow waits for its items (ItemsEnded sends SendTaskSuccess with it). */
  taskToken: z.string().optional(),
  /** Items started by this batch that ended FAILED, and by Knox code (maxFailedPercentage, stoppedReason). */
  failed: z.number().int().min(0).default(0),
  failedCodes: z.record(z.string(), z.number().int()).default({}),
  maxFailedPercentage: z.number().min(0).max(100).optional(),
  /** STOPPED: the code that failed most and how many (`"KNOX_... failed 7 of 20 items started"`). */
  stoppedReason: z.string().optional(),
  /** FAILED: why the batch's own workflow failed. */
  failedReason: z.string().optional(),
  /** FAILED: the status the batch had when its workflow failed (a redrive or restart continues from it). */
  failedFrom: z.enum(BATCH_STATUSES).optional(),
  /** A DELETE came: the workflow cancels the open items (slices below cancelSlices are done). */
  cancelRequested: z.boolean().optional(),
  cancelSlices: z.number().int().min(0).default(0),
  /** sha256 of the canonical items: a repeated Idempotency-Key with other items is refused. */
  itemsHash: z.string(),
  executionName: z.string(),
  executionArn: z.string().optional(),
  /** A retry: the batch whose items it retries, and the outcomes it was asked to include beyond FAILED. */
  retryOf: batchIdSchema.optional(),
  retryInclude: z.array(z.enum(RETRY_INCLUDABLE)).optional(),
  /** The retries of this batch, oldest first (appended by a conditional write). */
  retries: z.array(batchIdSchema).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  kindStatus: z.string(),
});
export type BatchRecord = z.infer<typeof batchRecordSchema>;

/** What became of one item once its slice was started. */
export const startedItemSchema = z.object({
  /** The onboarding the item is (its own, or the customer's open one it joined). */
  onboardingId: z.string(),
  customerId: z.string().optional(),
  /** Set when the item could not start: the customer has another kind of workflow open. */
  lastError: lastErrorSchema.optional(),
});
export type StartedItem = z.infer<typeof startedItemSchema>;

/** One slice of a batch's items (BATCH_SLICE_ITEMS of them), as accepted, and what became of each. */
export const batchSliceSchema = z.object({
  pk: z.string(),
  batchId: batchIdSchema,
  slice: z.number().int().min(0),
  /** Index of the first item of the slice in the batch, and how many items it holds. */
  first: z.number().int().min(0),
  count: z.number().int().min(1).max(BATCH_SLICE_ITEMS),
  /** The items as accepted (left out when only the progress is read). */
  items: z.array(z.record(z.string(), z.unknown())).default([]),
  /** For a batch sent as CSV: the file line of each item of the slice (the report names it). */
  lines: z.array(z.number().int().min(1)).optional(),
  /** For a retry: the index of each item of the slice in the batch it retries (the report names it). */
  origin: z.array(z.number().int().min(0)).optional(),
  /** By item index (as a string): set once the item's onboarding is started. */
  started: z.record(z.string(), startedItemSchema).default({}),
  /** By item index: the terminal status of an item's onboarding once seen (never read again for the counts). */
  done: z.record(z.string(), z.enum(TERMINAL_STATUSES)).default({}),
  /** The starter took the slice: a DELETE from now on cancels its items instead of skipping them. */
  claimed: z.boolean().optional(),
  /** DELETE reached the slice before the starter (its items never start), or after it had begun (those not started by then never are). */
  cancelled: z.boolean().optional(),
});
export type BatchSlice = z.infer<typeof batchSliceSchema>;

/** The table key of a batch's slice. */
export function batchSliceKey(batchId: string, slice: number): string {
  return `${batchId}#slice#${String(slice).padStart(4, '0')}`;
}

/** The batch workflow's execution input. */
export interface BatchWorkflowInput {
  batchId: string;
}

/** Payload of the batch workflow's steps, and what they answer (the Choice reads `status`, the Wait `waitSeconds`). */
export const BATCH_STEP_ACTIONS = ['start', 'check', 'await', 'cancel'] as const;
export interface BatchStepPayload {
  batchId: string;
  action: (typeof BATCH_STEP_ACTIONS)[number];
  /** "Wait for items" (a callback): the token ItemsEnded answers. */
  taskToken?: string;
}
/** Where the workflow goes next: start the next slice (after waitSeconds), wait for the items, cancel them, end. */
export const BATCH_NEXT = ['slice', 'items', 'cancel', 'end'] as const;
export type BatchNext = (typeof BATCH_NEXT)[number];
export interface BatchStepResult {
  batchId: string;
  status: BatchStatus;
  next: BatchNext;
  waitSeconds: number;
}
