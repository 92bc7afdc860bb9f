/** How a failed invocation surfaces, as Lambda surfaces it to its callers. */

/** The error a failed invocation rethrows: `name` is Lambda's errorType, `message` the Cause Step Functions shows. */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    trace: string[],
  ) {
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }
}

/** What a Lambda timeout looks like in Step Functions. */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

export function asInvocationError(error: unknown): LambdaInvocationError {
  if (error instanceof LambdaInvocationError) return error;
  if (error instanceof Error) {
    return new LambdaInvocationError(
      error.name || 'Error',
      error.message,
      (error.stack ?? '')
        .split('\n')
        .slice(1)
        .map((l) => l.trim()),
    );
  }
  return new LambdaInvocationError('Error', String(error), []);
}
