/**
 * A batch's status words, in a module with no dependency (the console page's type check reads them).
 *
 * STARTING (items being started), RUNNING (all started, some open), DONE (every item terminal), CANCELLING (a DELETE
 * came: the batch's workflow cancels its open items), CANCELLED, STOPPED (maxFailedPercentage reached: no more items
 * started; those already open go on), FAILED (the batch's own workflow failed: a redrive or a restart continues it).
 */
export const BATCH_STATUSES = ['STARTING', 'RUNNING', 'DONE', 'CANCELLING', 'CANCELLED', 'STOPPED', 'FAILED'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
/** The statuses in which the batch still starts or follows items (its counts and status move on). */
export const OPEN_BATCH_STATUSES = ['STARTING', 'RUNNING'] as const satisfies readonly BatchStatus[];
/** The statuses whose workflow is still at work (resumed by the local recovery; FAILED is continued by it too). */
export const LIVE_BATCH_STATUSES = ['STARTING', 'RUNNING', 'CANCELLING'] as const satisfies readonly BatchStatus[];
/** The statuses a batch ends in: nothing more happens to it. */
export const ENDED_BATCH_STATUSES = ['DONE', 'CANCELLED', 'STOPPED'] as const satisfies readonly BatchStatus[];
