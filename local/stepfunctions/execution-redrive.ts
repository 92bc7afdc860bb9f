/**
 * RedriveExecution for the local Step Functions (aws-local-stepfunctions has none), with AWS's rules (Step Functions
 * API Reference, "RedriveExecution"; Developer Guide, "Redriving executions"):
 * - only an execution that did not succeed (FAILED, TIMED_OUT, ABORTED) and closed within the last 14 days;
 * - it continues from the unsuccessful step, with that step's input, in the same execution (same name and ARN, the
 *   same definition): the states that succeeded are not run again. The stored history says which state that is: the
 *   last top-level state the execution entered (`position`, recorded from StateEntered), which did not exit
 *   successfully since the execution ended in it. A failure caught into a Fail state makes the Fail state that step
 *   (the workflows catch no failure for this reason: lib/infra/workflow-kit.ts);
 * - redriveCount counts the redrives; the history continues with an `ExecutionRedriven` event.
 * The retry counters of the redriven state start over, and the execution's TimeoutSeconds is counted from the
 * redrive (the run's timer starts at `redriveDate`).
 */
import { AwsServiceError } from '../protocol/aws-json-server';
import type { ExecutionRecord } from './execution-store';

/** AWS redrives executions that closed within the last 14 days. */
export const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
/** AWS: an execution can be redriven at most 1,000 times. */
export const MAX_REDRIVES = 1000;
/** AWS: an execution whose history holds 24,999 events or more cannot be redriven (its 25,000-event cap). */
export const MAX_REDRIVE_HISTORY_EVENTS = 24_999;

/** Why an execution cannot be redriven now, in AWS's words where it has them; undefined when it can. */
export function notRedrivableReason(record: ExecutionRecord, now = Date.now()): string | undefined {
  if (record.status === 'RUNNING') return 'Execution is RUNNING and cannot be redriven';
  if (record.status === 'SUCCEEDED') return 'Execution is SUCCEEDED and cannot be redriven';
  const stopped = Date.parse(record.stopDate ?? record.startDate);
  if (now - stopped > REDRIVE_WINDOW_MS) return 'Execution was closed more than 14 days ago';
  if ((record.redriveCount ?? 0) >= MAX_REDRIVES) return `Execution was redriven ${MAX_REDRIVES} times`;
  if (record.events.length >= MAX_REDRIVE_HISTORY_EVENTS) return 'Execution history event limit exceeded';
  return undefined;
}

/**
 * Opens the execution again for a redrive (or throws ExecutionNotRedrivable): RUNNING, redriveCount + 1, its close
 * (stopDate, error, cause) forgotten. The caller appends ExecutionRedriven and runs it from `position`.
 */
export function reopenForRedrive(record: ExecutionRecord, now = Date.now()): void {
  const reason = notRedrivableReason(record, now);
  if (reason !== undefined) throw new AwsServiceError('ExecutionNotRedrivable', reason);
  record.status = 'RUNNING';
  record.redriveCount = (record.redriveCount ?? 0) + 1;
  record.redriveDate = new Date(now).toISOString();
  delete record.stopDate;
  delete record.error;
  delete record.cause;
  delete record.output;
}

/** DescribeExecution's redrive fields, as AWS shows them. */
export function redriveFields(record: ExecutionRecord, now = Date.now()): Record<string, unknown> {
  const reason = notRedrivableReason(record, now);
  return {
    redriveCount: record.redriveCount ?? 0,
    ...(record.redriveDate ? { redriveDate: Date.parse(record.redriveDate) / 1000 } : {}),
    redriveStatus: reason === undefined ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
    ...(reason !== undefined ? { redriveStatusReason: reason } : {}),
  };
}
