/**
 * The errors the Lambda steps throw besides the Knox dispositions' (STEP_ERROR_NAMES), and the record's view of a
 * Knox error. Step Functions matches an error by its `name` (the Lambda runtime reports it as the error type).
 */
import type { LastError } from '#domain/api-schemas';
import type { Disposition } from '#domain/dispositions';
import type { KnoxError } from '#domain/knox-answer';
import { KNOX_ERRORS } from '#domain/knox-errors';

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
 * How much of Knox's own texts a record keeps. Knox (or a proxy) can send a code or message of megabytes: kept whole,
 * it would make the record's write fail (DynamoDB items stop at 400 KB) and the step crash instead of throwing its
 * disposition's error.
 */
export const RECORDED_TEXT_LIMITS = { code: 200, errorCode: 40, message: 1000 } as const;

/** `text` cut to at most `max` UTF-16 units, marked with an ellipsis, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** The record's view of a Knox error (Knox's own code name and message), bounded in size. */
export function lastErrorOf(error: KnoxError, disposition: Disposition = error.disposition): LastError {
  return {
    code: clip(error.code, RECORDED_TEXT_LIMITS.code),
    errorCode: clip(error.errorCode, RECORDED_TEXT_LIMITS.errorCode),
    message: clip(error.message, RECORDED_TEXT_LIMITS.message),
    disposition,
  };
}

/** The operator hint of the table row for this error, if the row has one. */
export function hintOf(error: KnoxError): string | undefined {
  const row =
    KNOX_ERRORS.find((e) => e.code === error.code) ??
    KNOX_ERRORS.find((e) => e.errorCode !== '0' && e.errorCode === error.errorCode);
  return row?.hint;
}
