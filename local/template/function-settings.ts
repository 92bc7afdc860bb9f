/**
 * The settings of a function that the local Lambda enforces, read from the template as Lambda reads them:
 * - `ReservedConcurrentExecutions` of the AWS::Lambda::Function (none: the account's unreserved pool, which the local
 *   stack treats as unlimited);
 * - its asynchronous invocation settings, the AWS::Lambda::EventInvokeConfig whose FunctionName is the function
 *   (MaximumRetryAttempts, MaximumEventAgeInSeconds), or AWS's defaults when there is none: 2 retries, 6 hours
 *   ("How Lambda handles errors and retries with asynchronous invocation", AWS Lambda Developer Guide).
 */
import type { CfnTemplate } from './template';

/** AWS's defaults for asynchronous invocation without an EventInvokeConfig. */
export const ASYNC_INVOKE_DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 6 * 3600 } as const;

export interface AsyncInvokeSettings {
  /** Retries after a function error (0 to 2). */
  maximumRetryAttempts: number;
  /** How long an event may wait in the queue (throttles, retries) before it is dropped (60 to 21,600 s). */
  maximumEventAgeSeconds: number;
}

export interface FunctionLimits {
  /** Reserved concurrency (undefined: unreserved). */
  reservedConcurrency?: number;
  asyncInvoke: AsyncInvokeSettings;
}

function refOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && typeof (value as { Ref?: unknown }).Ref === 'string')
    return (value as { Ref: string }).Ref;
  return undefined;
}

/** The limits of the function with logical id `logicalId`. */
export function functionLimits(template: CfnTemplate, logicalId: string): FunctionLimits {
  const props = template.Resources[logicalId]?.Properties ?? {};
  const reserved = props['ReservedConcurrentExecutions'];
  const config = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && refOf(r.Properties?.['FunctionName']) === logicalId,
  )?.Properties;
  const retries = config?.['MaximumRetryAttempts'];
  const age = config?.['MaximumEventAgeInSeconds'];
  return {
    ...(typeof reserved === 'number' ? { reservedConcurrency: reserved } : {}),
    asyncInvoke: {
      maximumRetryAttempts: typeof retries === 'number' ? retries : ASYNC_INVOKE_DEFAULTS.maximumRetryAttempts,
      maximumEventAgeSeconds: typeof age === 'number' ? age : ASYNC_INVOKE_DEFAULTS.maximumEventAgeSeconds,
    },
  };
}
