/**
 * The record's view of a Knox error (Knox's own code name and message, bounded in size) and the table's operator
 * hint for it: what a step writes as `lastError` and puts in a history entry.
 */
import type { LastError } from './api-schemas';
import type { Disposition } from './dispositions';
import type { KnoxErrorFields } from './knox-answer';
import { KNOX_ERRORS } from './knox-errors';

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

/** The Knox error's fields a record keeps. */
export type RecordedFields = Pick<KnoxErrorFields, 'code' | 'errorCode' | 'message' | 'disposition'>;

/** The record's view of a Knox error (Knox's own code name and message), bounded in size. */
export function lastErrorOf(error: RecordedFields, disposition: Disposition = error.disposition): LastError {
  return {
    code: clip(error.code, RECORDED_TEXT_LIMITS.code),
    errorCode: clip(error.errorCode, RECORDED_TEXT_LIMITS.errorCode),
    message: clip(error.message, RECORDED_TEXT_LIMITS.message),
    disposition,
  };
}

/** The operator hint of the table row for this error, if the row has one. */
export function hintOf(error: Pick<KnoxErrorFields, 'code' | 'errorCode'>): string | undefined {
  const row =
    KNOX_ERRORS.find((e) => e.code === error.code) ??
    KNOX_ERRORS.find((e) => e.errorCode !== '0' && e.errorCode === error.errorCode);
  return row?.hint;
}
