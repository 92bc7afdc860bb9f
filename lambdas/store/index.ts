/**
 * The record store: one DynamoDB table (layout: TABLE in lib/domain/workflow.ts; the record's shape:
 * lib/domain/record.ts) holding one record per onboarding, offboarding or change, and one lock item per customer with
 * an open workflow. One module per concern; this index is what the handlers import.
 */
export {
  HISTORY_EVENTS,
  STEP_KEYS,
  kindOfId,
  kindStatusOf,
  lockSchema,
  recordIdSchema,
  recordSchema,
  type CustomerLock,
  type StepKey,
  type WorkflowRecord,
} from '#domain/record';
export { resetStoreClient } from './table-client';
export { RecordUpdate, apply, type WriteCondition } from './record-update';
export * from './records';
export * from './lists';
export * from './locks';
export * from './waits';
export * from './poller-state';
