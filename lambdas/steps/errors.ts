/**
 * The errors the Lambda steps throw besides the Knox dispositions' (STEP_ERROR_NAMES), and the record's view of a
 * Knox error. Step Functions matches an error by its `name` (the Lambda runtime reports it as the error type).
 */
import type { RecordStatus } from '#domain/api-schemas';
import { RECORD_CANCELLED_ERROR, RECORD_CLOSED_ERROR } from '#domain/state-names';

/** The payload names no record we have: a wiring bug, which the States.ALL catcher ends as FAILED. */
export const RECORD_NOT_FOUND_ERROR = 'Workflow.RecordNotFound';
/** The payload is not what the function takes. */
export const INVALID_PAYLOAD_ERROR = 'Workflow.InvalidPayload';
/** A record whose stored request or fields do not fit what the step needs: a bug or a schema drift, never Knox's. */
export const INVALID_RECORD_ERROR = 'Workflow.InvalidRecord';

/** An Error with the `name` Step Functions' Retry and Catch match. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * A step met its record closed: Workflow.RecordCancelled for a CANCELLED one (the workflow ends in its "cancelled"
 * state), Workflow.RecordClosed for any other (the execution fails in the step). `message` says what was not done.
 */
export function recordClosedError(id: string, status: RecordStatus, message: string): Error {
  return namedError(
    status === 'CANCELLED' ? RECORD_CANCELLED_ERROR : RECORD_CLOSED_ERROR,
    `Record ${id} is ${status}: ${message}`,
  );
}

// The record's view of a Knox error lives beside the decision that uses it (lib/domain); the steps import it here.
export { RECORDED_TEXT_LIMITS, clip, hintOf, lastErrorOf } from '#domain/recorded-error';
