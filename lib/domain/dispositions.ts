/**
 * What a Knox answer means for the workflow, and the error name a step throws for it.
 *
 * The state machine's Retry and Catch match these names, so this module is the only place
 * where the vocabulary between the Lambda steps and the CDK definition is spelled.
 */
export const DISPOSITIONS = ['retry', 'wait', 'alreadyDone', 'abort', 'invalidRequest', 'operator'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** The `name` of the error a step throws for each disposition (what Retry/Catch `ErrorEquals` match). */
export const STEP_ERROR_NAMES = {
  retry: 'Knox.Retry',
  wait: 'Knox.Wait',
  alreadyDone: 'Knox.AlreadyDone',
  abort: 'Knox.Abort',
  invalidRequest: 'Knox.InvalidRequest',
  operator: 'Knox.Operator',
} as const satisfies Record<Disposition, string>;
export type StepErrorName = (typeof STEP_ERROR_NAMES)[Disposition];

/**
 * What a step throws instead of Knox.Retry once transient failures have lasted the whole retry window (the step
 * measures it from the record's `retrySince`): no retrier matches it, so the workflow is FAILED at once, and the
 * record keeps the transient error as its lastError. The retrier's MaxAttempts is only the backstop.
 */
export const RETRY_WINDOW_EXCEEDED_ERROR = 'Knox.RetryWindowExceeded';

/** Human sentences for each disposition: README, API answers and logs use them. */
export const DISPOSITION_MEANING: Record<Disposition, string> = {
  retry: 'transient: retried with capped exponential backoff and full jitter for the retry window, then FAILED',
  wait: 'the customer or Knox must act first: asked again on the polling schedule until the deadline',
  alreadyDone: 'our own earlier request went through: continue as if it had succeeded',
  abort: 'a business fact that no retry changes: ABORTED, the operator decides what to do',
  invalidRequest: 'the request itself is wrong: refused at the API where we can know, ABORTED where only Knox can',
  operator: 'our own set-up is wrong: FAILED and alarmed',
};

/** The disposition an error name stands for (the inverse of STEP_ERROR_NAMES). */
export function dispositionOfErrorName(name: string): Disposition | undefined {
  return DISPOSITIONS.find((d) => STEP_ERROR_NAMES[d] === name);
}
