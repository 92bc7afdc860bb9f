/**
 * What the API shows of a record. The stored request stays out (it may hold the customer's contact details), and so
 * does anything internal to the table (lock keys, GSI attributes, version).
 */
import { ID_FIELD } from '#domain/routes';
import { checkTimes, type PollerState, type WorkflowRecord } from '../store';

/** The answer to a POST (202 for a new request, 200 for a repeat): id, current status, execution name. */
export function acceptedView(record: WorkflowRecord): Record<string, unknown> {
  return { [ID_FIELD[record.kind]]: record.pk, status: record.status, executionName: record.executionName };
}

/**
 * The answer to a GET (and each item of a list). A record waiting on its customer also shows when the poller last
 * asked Knox about it and when it asks next (from the poller's state: the record is not written every round).
 */
export function recordView(record: WorkflowRecord, poller: PollerState = {}): Record<string, unknown> {
  return {
    [ID_FIELD[record.kind]]: record.pk,
    status: record.status,
    customerId: record.customerId ?? null,
    ...(record.knoxStatus !== undefined ? { knoxStatus: record.knoxStatus } : {}),
    ...(record.lastError !== undefined ? { lastError: record.lastError } : {}),
    // Knox keeps failing: since when (the retry window counts from here); lastError says how.
    ...(record.retrySince !== undefined ? { retrySince: record.retrySince } : {}),
    history: record.history,
    attempts: record.attempts,
    executionName: record.executionName,
    deadline: record.deadline,
    ...(record.waitingSince !== undefined ? { waitingSince: record.waitingSince } : {}),
    ...checkTimes(record, poller),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
