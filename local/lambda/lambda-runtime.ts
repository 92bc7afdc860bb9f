/**
 * Runs the functions of the template the way Lambda does, in this process:
 * - each function is its own instance: its handler module is bundled as Lambda's bundle is (function-bundles.ts) and
 *   imported on its own at its first invocation, so no two functions share module state (Knox client and token,
 *   secret cache, budget, SDK clients, Powertools logger), and `coldStart()` gives every function a fresh instance,
 *   as new containers would;
 * - the event and the result go through JSON (as they would over the wire), within Lambda's 6 MB synchronous
 *   payload limits (lambda-limits.ts);
 * - a function's ReservedConcurrentExecutions caps its concurrent invocations: one more is throttled
 *   (`Lambda.TooManyRequestsException`) without running;
 * - the context has the function's name, a request id and the remaining time of the function's own Timeout, and a
 *   thrown error surfaces as Lambda surfaces it to Step Functions: the error's `name` is the `Error` that Retry/Catch
 *   match (errorType), and its message is the JSON Cause `{"errorType","errorMessage","trace"}`. A handler that
 *   outlives its Timeout fails with `Sandbox.Timedout` (and frees its concurrency, as the environment is reset);
 * - asynchronous invocations (EventBridge Scheduler's) go through the function's event queue (async-invoke.ts).
 *
 * Instances are created after the stack has set process.env (handlers read their settings and create their SDK
 * clients from it).
 */
import { lambdaInvokeLatency } from '../latency/aws-latency';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { LocalFunction } from '../template/template';
import { runAsFunction } from '../iam/function-identity';
import { AsyncInvokeQueue, type AsyncOutcome } from './async-invoke';
import { buildFunctionBundles, importFunctionInstance } from './function-bundles';
import { LAMBDA_TIMEOUT_ERROR, LambdaInvocationError, asInvocationError } from './lambda-errors';
import {
  MAX_SYNC_REQUEST_BYTES,
  MAX_SYNC_RESPONSE_BYTES,
  requestTooLarge,
  responseTooLarge,
  throttled,
} from './lambda-limits';

export { LAMBDA_TIMEOUT_ERROR, LambdaInvocationError };

export type LambdaHandler = (event: unknown, context: Context) => unknown;

export function handlerModulePath(lambdasDir: string, handler: string): string {
  return join(lambdasDir, `${handler}.ts`);
}

/** IAM on the invokes other services make (local/iam/access-gate.ts): a state machine's role, the scheduler's. */
export interface InvokeGate {
  authorizeStateMachineInvoke(stateMachineArn: string, executionName: string, functionName: string): void;
  authorizeScheduledInvoke(functionArn: string): void;
}

export interface LambdaRuntimeOptions {
  /** Scales the async queue's delays and event ages (the stack's TIME_SCALE; default 1). */
  timeScale?: number;
  /** Where the bundles are written (default: the folder above `lambdasDir`, the project). */
  projectDir?: string;
  log?: (line: string) => void;
}

export class LambdaRuntime {
  /** Set by the local stack: who may invoke what (absent: no IAM, e.g. unit tests of the engine). */
  gate?: InvokeGate;
  /** Handlers set by `use()` (tests): they run in place of the function's own instance. */
  private readonly overrides = new Map<string, LambdaHandler>();
  /** Each function's current instance's handler (created on its first invocation). */
  private readonly instances = new Map<string, Promise<LambdaHandler>>();
  private bundles = new Map<string, string>();
  private readonly functions = new Map<string, LocalFunction>();
  /** Invocations running, per function (its concurrency). */
  private readonly running = new Map<string, number>();
  /** Invocations still running (a stopped execution's Task finishes like a Lambda that was already invoked). */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly queue: AsyncInvokeQueue;
  /** Throttled synchronous invocations so far, per function. */
  readonly throttles = new Map<string, number>();

  constructor(
    functions: LocalFunction[],
    private readonly lambdasDir: string,
    private readonly options: LambdaRuntimeOptions = {},
  ) {
    for (const fn of functions) this.functions.set(fn.handler, fn);
    this.queue = new AsyncInvokeQueue(this, options.timeScale ?? 1, options.log);
  }

  /** The functions this runtime runs, by handler name. */
  get functionNames(): string[] {
    return [...this.functions.keys()];
  }

  /** The functions that have an instance now (invoked since their last cold start), by handler name. */
  get warmFunctions(): string[] {
    return [...this.instances.keys()];
  }

  /** A function's ARN (unqualified), by handler name. */
  functionArnOf(handler: string): string | undefined {
    return this.functions.get(handler)?.arn;
  }

  has(handler: string): boolean {
    return this.functions.has(handler);
  }

  /** The function of a handler name. */
  functionOf(handler: string): LocalFunction | undefined {
    return this.functions.get(handler);
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
    this.overrides.set(handler, fn);
  }

  /** Puts a function's own instance back in place of a `use()` handler. */
  restore(handler: string): void {
    this.overrides.delete(handler);
  }

  /** Bundles and instantiates every function (call after process.env is set). Fails loudly when one is missing. */
  async load(): Promise<void> {
    const handlers = this.functionNames.filter((h) => !this.overrides.has(h));
    for (const handler of handlers) {
      const path = handlerModulePath(this.lambdasDir, handler);
      if (!existsSync(path)) throw new Error(`handler module ${path} does not exist (template function "${handler}")`);
    }
    if (handlers.length === 0) return;
    this.bundles = await buildFunctionBundles(
      this.lambdasDir,
      handlers,
      this.options.projectDir ?? dirname(this.lambdasDir),
    );
    this.instances.clear();
  }

  /**
   * A new instance of every function (or of one) at its next invocation: fresh module state, as a new execution
   * environment has. Instances are created on first invocation (a cold start, before the function's timeout starts,
   * as Lambda's init phase), so functions never invoked cost nothing.
   */
  async coldStart(handler?: string): Promise<void> {
    if (handler === undefined) this.instances.clear();
    else this.instances.delete(handler);
  }

  /** The function's current instance, created (its bundle imported anew) when it has none. */
  private instance(name: string): Promise<LambdaHandler> {
    let instance = this.instances.get(name);
    if (instance === undefined) {
      const bundle = this.bundles.get(name);
      if (bundle === undefined) throw new Error(`no bundle for function "${name}" (load() first)`);
      instance = importFunctionInstance(bundle).then((mod) => {
        if (typeof mod.handler !== 'function') throw new Error(`${name} does not export a "handler" function`);
        return mod.handler as LambdaHandler;
      });
      // A failed import is not kept: the next invocation tries again.
      instance.catch(() => this.instances.delete(name));
      this.instances.set(name, instance);
    }
    return instance;
  }

  /** Invocations of a function running now. */
  concurrency(handler: string): number {
    return this.running.get(handler) ?? 0;
  }

  /**
   * Stops the async queue (waiting events are cancelled: the stack is stopping), then resolves when no invocation is
   * running, or after `maxMs` (a handler stuck past its timeout is not waited for).
   */
  async idle(maxMs: number): Promise<void> {
    this.queue.stop();
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
    });
    await Promise.race([Promise.all(this.inFlight), cap]);
    clearTimeout(timer);
  }

  /**
   * Lambda's asynchronous Invoke (InvocationType Event): accepted at once; the event waits in the function's queue,
   * which retries and drops it by the function's async-invoke settings. `onOutcome` hears how it ended.
   */
  invokeAsync(handlerName: string, event: unknown, onOutcome?: (outcome: AsyncOutcome) => void): void {
    const fn = this.functions.get(handlerName);
    if (!fn) throw new LambdaInvocationError('ResourceNotFoundException', `Function not found: ${handlerName}`, []);
    this.queue.enqueue(fn, event, onOutcome);
  }

  /** Invokes a function like Lambda's synchronous Invoke: the result (JSON) or a LambdaInvocationError. */
  async invoke(handlerName: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(handlerName);
    if (!fn || (!this.overrides.has(handlerName) && !this.bundles.has(handlerName)))
      throw new LambdaInvocationError('ResourceNotFoundException', `Function not found: ${handlerName}`, []);
    const request = JSON.stringify(event ?? null);
    const requestBytes = Buffer.byteLength(request);
    if (requestBytes > MAX_SYNC_REQUEST_BYTES) throw requestTooLarge(requestBytes);
    const active = this.concurrency(handlerName);
    if (fn.reservedConcurrency !== undefined && active >= fn.reservedConcurrency) {
      this.throttles.set(handlerName, (this.throttles.get(handlerName) ?? 0) + 1);
      throw throttled(fn.name);
    }
    this.running.set(handlerName, active + 1);
    try {
      const handler =
        this.overrides.get(handlerName) ??
        (await this.instance(handlerName).catch((error: unknown) => {
          throw asInvocationError(error); // an error of the init phase fails the invocation, as on Lambda
        }));
      return await this.run(fn, handler, JSON.parse(request) as unknown);
    } finally {
      this.running.set(handlerName, this.concurrency(handlerName) - 1);
    }
  }

  private async run(fn: LocalFunction, handler: LambdaHandler, payload: unknown): Promise<unknown> {
    await lambdaInvokeLatency(fn.name); // LATENCY=aws: cold start, then warm overhead (local/latency/aws-latency.ts)
    const requestId = randomUUID();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context = fakeContext(fn, requestId, deadline);
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
    // The invocation runs as its function: its AWS calls are signed with the function's own credentials (IAM).
    const running = Promise.resolve().then(() => runAsFunction(fn.name, () => handler(payload, context)));
    const tracked = running.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    let result: unknown;
    try {
      result = await Promise.race([running, timeout]);
    } catch (error) {
      throw asInvocationError(error);
    } finally {
      clearTimeout(timer);
    }
    const response = JSON.stringify(result ?? null);
    const responseBytes = Buffer.byteLength(response);
    if (responseBytes > MAX_SYNC_RESPONSE_BYTES) throw responseTooLarge(responseBytes);
    return JSON.parse(response) as unknown;
  }
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
