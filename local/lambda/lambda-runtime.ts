/**
 * Runs the handler modules under lambdas/ the way Lambda does, in this process: the event and the result go through
 * JSON (as they would over the wire), the context has the function's name, a request id and the remaining time of
 * the function's own Timeout, and a thrown error surfaces as Lambda surfaces it to Step Functions: the error's
 * `name` is the `Error` that Retry/Catch match (errorType), and its message is the JSON Cause
 * `{"errorType","errorMessage","trace"}`. A handler that outlives its Timeout fails with `Sandbox.Timedout`.
 *
 * Modules are imported once, after the stack has set process.env (handlers read their settings and create their SDK
 * clients from it).
 */
import { lambdaInvokeLatency } from '../latency/aws-latency';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { LocalFunction } from '../template/template';

export type LambdaHandler = (event: unknown, context: Context) => unknown;

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

export function handlerModulePath(lambdasDir: string, handler: string): string {
  return join(lambdasDir, `${handler}.ts`);
}

export class LambdaRuntime {
  private readonly handlers = new Map<string, LambdaHandler>();
  private readonly functions = new Map<string, LocalFunction>();
  /** Invocations still running (a stopped execution's Task finishes like a Lambda that was already invoked). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    functions: LocalFunction[],
    private readonly lambdasDir: string,
  ) {
    for (const fn of functions) this.functions.set(fn.handler, fn);
  }

  /** The functions this runtime runs, by handler name. */
  get functionNames(): string[] {
    return [...this.functions.keys()];
  }

  has(handler: string): boolean {
    return this.functions.has(handler);
  }

  /** The handler (module name) of a function ARN or name, qualifier (`:$LATEST`, alias) ignored. */
  handlerOf(functionNameOrArn: string): string | undefined {
    for (const fn of this.functions.values()) {
      if (functionNameOrArn === fn.name || functionNameOrArn === fn.arn || functionNameOrArn.startsWith(`${fn.arn}:`))
        return fn.handler;
    }
    return undefined;
  }

  /** Uses `fn` as the handler of a function instead of its module (tests: a Lambda that fails on purpose). */
  use(handler: string, fn: LambdaHandler): void {
    if (!this.functions.has(handler)) throw new Error(`no function "${handler}" in the template`);
    this.handlers.set(handler, fn);
  }

  /** Imports every handler module (call after process.env is set). Fails loudly when one is missing. */
  async load(): Promise<void> {
    for (const handler of this.functions.keys()) {
      if (this.handlers.has(handler)) continue;
      const path = handlerModulePath(this.lambdasDir, handler);
      if (!existsSync(path)) throw new Error(`handler module ${path} does not exist (template function "${handler}")`);
      const mod = (await import(path)) as { handler?: unknown };
      if (typeof mod.handler !== 'function') throw new Error(`${path} does not export a "handler" function`);
      this.handlers.set(handler, mod.handler as LambdaHandler);
    }
  }

  /** Resolves when no invocation is running, or after `maxMs` (a handler stuck past its timeout is not waited for). */
  async idle(maxMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
    });
    await Promise.race([Promise.all(this.inFlight), cap]);
    clearTimeout(timer);
  }

  /** Invokes a function like Lambda's synchronous Invoke: the result (JSON) or a LambdaInvocationError. */
  async invoke(handlerName: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(handlerName);
    const handler = this.handlers.get(handlerName);
    if (!fn || !handler)
      throw new LambdaInvocationError('ResourceNotFoundException', `Function not found: ${handlerName}`, []);
    await lambdaInvokeLatency(fn.name); // LATENCY=aws: cold start, then warm overhead (local/latency/aws-latency.ts)
    const requestId = randomUUID();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context = fakeContext(fn, requestId, deadline);
    const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new LambdaInvocationError(
              LAMBDA_TIMEOUT_ERROR,
              `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
              [],
            ),
          ),
        fn.timeoutSeconds * 1000,
      );
      timer.unref();
    });
    const running = Promise.resolve().then(() => handler(payload, context));
    const tracked = running.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    try {
      const result = await Promise.race([running, timeout]);
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    } catch (error) {
      throw asInvocationError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function asInvocationError(error: unknown): LambdaInvocationError {
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

function fakeContext(fn: LocalFunction, requestId: string, deadline: number): Context {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `${day}/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
