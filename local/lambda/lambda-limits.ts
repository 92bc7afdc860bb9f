/**
 * Lambda's walls, with AWS's figures and names:
 * - synchronous payloads (Lambda quotas, "Invocation payload (request and response): 6 MB each for synchronous"),
 *   measured on the JSON as sent: a request over 6,291,456 bytes is refused before the function runs
 *   (`RequestTooLargeException`, HTTP 413: "Request must be smaller than 6291456 bytes for the InvokeFunction
 *   operation"); a response over 6,291,556 bytes (6 MiB + 100, the figure in Lambda's own message) fails the
 *   invocation with errorType `Function.ResponseSizeTooLarge` after the function ran;
 * - reserved concurrency: an invocation beyond it is throttled (`TooManyRequestsException`, HTTP 429, Reason
 *   `ReservedFunctionConcurrentInvocationLimitExceeded`). Step Functions reports Lambda's service errors as
 *   `Lambda.<name>` ("Handle Lambda service exceptions", Step Functions Developer Guide: "When Lambda hits the
 *   maximum number of invocations, the error is Lambda.TooManyRequestsException").
 */
import { LambdaInvocationError } from './lambda-errors';

export const MAX_SYNC_REQUEST_BYTES = 6_291_456;
export const MAX_SYNC_RESPONSE_BYTES = 6_291_556;

export const THROTTLED_ERROR = 'Lambda.TooManyRequestsException';
export const REQUEST_TOO_LARGE_ERROR = 'Lambda.RequestTooLargeException';
export const RESPONSE_TOO_LARGE_ERROR = 'Function.ResponseSizeTooLarge';

/** An error of the Lambda service itself (the function did not run): Step Functions names it `Lambda.<code>`. */
export class LambdaServiceError extends LambdaInvocationError {
  constructor(
    errorType: string,
    message: string,
    readonly statusCode: number,
  ) {
    const code = errorType.replace(/^Lambda\./, '');
    super(
      errorType,
      `${message} (Service: Lambda, Status Code: ${statusCode}, Error Code: ${code}, Request ID: local)`,
      [],
    );
  }
}

export function throttled(functionName: string): LambdaServiceError {
  return new LambdaServiceError(
    THROTTLED_ERROR,
    `Rate Exceeded. Reason: ReservedFunctionConcurrentInvocationLimitExceeded (function ${functionName})`,
    429,
  );
}

export function requestTooLarge(bytes: number): LambdaServiceError {
  return new LambdaServiceError(
    REQUEST_TOO_LARGE_ERROR,
    `Request must be smaller than ${MAX_SYNC_REQUEST_BYTES} bytes for the InvokeFunction operation (got ${bytes})`,
    413,
  );
}

export function responseTooLarge(bytes: number): LambdaInvocationError {
  return new LambdaInvocationError(
    RESPONSE_TOO_LARGE_ERROR,
    `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${MAX_SYNC_RESPONSE_BYTES} bytes).`,
    [],
  );
}

export function isThrottle(error: unknown): boolean {
  return error instanceof LambdaServiceError && error.statusCode === 429;
}
