/**
 * The one Powertools Logger of every function, and the few ways handlers add to it.
 *
 * Rules for what goes in a log line: record ids, execution names, Knox codes and dispositions, yes; access tokens,
 * the client secret, request bodies and the customer's contact details, never. Knox errors are logged by
 * `logKnoxError` only, with top-level keys `code`, `errorCode`, `disposition` that the stack's metric filters read
 * (`{ $.disposition = "operator" }`, grouped by `$.code`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { KnoxError } from '#domain/knox-answer';

/** POWERTOOLS_SERVICE_NAME is set per function by the stack; the project name is the fallback. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'knox-onboarding' });

/** Correlation keys a handler may attach to every line of one invocation. */
export interface CorrelationKeys {
  recordId?: string;
  executionName?: string;
  step?: string;
  kind?: string;
}

/**
 * Starts an invocation's logging: drops the keys of the previous invocation (a warm container reuses the logger),
 * adds the Lambda context when there is one (tests and the local stack may pass none) and the correlation keys.
 */
export function startInvocation(context: Partial<Context> | undefined, keys: CorrelationKeys = {}): void {
  logger.resetKeys();
  if (context?.functionName && context.awsRequestId) logger.addContext(context as Context);
  appendCorrelation(keys);
}

/** Adds correlation keys (undefined ones are left out, so a line never says `"recordId": null`). */
export function appendCorrelation(keys: CorrelationKeys): void {
  const defined = Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined && v !== ''));
  if (Object.keys(defined).length > 0) logger.appendKeys(defined);
}

/**
 * One structured line per Knox error. Operator errors are ERROR (they alarm), the rest WARN: they are expected
 * business answers that the workflow handles.
 */
export function logKnoxError(
  error: KnoxError,
  extra: { step?: string; thrownAs?: string; detail?: string } = {},
): void {
  // `message` is the log line's own key: Knox's message goes beside it.
  const { message, ...knoxFields } = error.toJSON();
  const fields = { ...knoxFields, ...extra, knoxMessage: message };
  if (error.disposition === 'operator') logger.error('Knox error', fields);
  else logger.warn('Knox error', fields);
}

/** A short, secret-free description of an unexpected error: its name and message, no stack, no request data. */
export function describeError(error: unknown): { errorName: string; errorMessage: string } {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message.slice(0, 500) };
  return { errorName: typeof error, errorMessage: String(error).slice(0, 500) };
}
