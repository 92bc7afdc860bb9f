/**
 * Lambda as strict as AWS, end to end: each function is its own instance (its own Knox token, its own secret read,
 * its own logger), a function reserved at 1 throttles a second concurrent invocation (synchronously:
 * Lambda.TooManyRequestsException, which a Retry matches; asynchronously: the poller's tick is kept in Lambda's queue
 * for at most one period, then dropped), a failed poll round is not retried, and the 6 MB synchronous payload limits.
 * Each test would fail with its wall removed (noted at each).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { ENV } from '#domain/configuration';
import { OTHER_FUNCTIONS, STEP_FUNCTIONS } from '#domain/function-names';
import { TOKEN_PATH } from '#bench/kit/knox-log';
import { LocalExecutions } from '#local/stepfunctions/engine';
import { executionPath } from '#local/stepfunctions/execution-path';
import { LambdaRuntime } from '#local/lambda/lambda-runtime';
import { MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES, THROTTLED_ERROR } from '#local/lambda/lambda-limits';
import { prepareMachine } from '#local/stepfunctions/prepare-machine';
import { taskHandlerNames } from '#local/stepfunctions/task-bindings';
import { localStateMachineArn, type LocalFunction } from '#local/template/template';
import { eventually, tempDataDir, waitForExecution } from '#testkit/test-stack';
import {
  createRequest,
  freshEmail,
  linkRequest,
  newCustomer,
  reach,
  start,
  startE2e,
  stopE2e,
  type E2e,
} from './support/e2e-support';
import { stepFunction } from './support/sfn-walls-support';

/** The shared bounded wait, asked every 5 ms (the throttle tests watch a handler that is called once). */
const until = <T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> =>
  eventually(probe, { intervalMs: 5 });

/** A handler that blocks until released, and how often it was called. */
function gate(): { handler: () => Promise<unknown>; release: () => void; calls: () => number } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  return {
    handler: async () => {
      calls += 1;
      await released;
      return { waiting: 0 };
    },
    release,
    calls: () => calls,
  };
}

describe('Lambda on the local stack', () => {
  let e2e: E2e;
  const lines: string[] = [];
  const realWrite = process.stdout.write;

  beforeAll(async () => {
    // The handlers' Powertools lines (JSON on stdout) are kept here instead of reaching the terminal.
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      if (callback) queueMicrotask(callback);
      return true;
    }) as typeof process.stdout.write;
    e2e = await startE2e({ quiet: false, log: () => undefined, pollerAutoStart: false });
  });
  afterAll(async () => {
    await stopE2e(e2e);
    process.stdout.write = realWrite;
  });

  const fn = (handler: string): LocalFunction => e2e.stack.model.functions.find((f) => f.handler === handler)!;
  const knoxFunctions = (): Set<string> =>
    new Set(e2e.stack.model.functions.filter((f) => ENV.knoxSecretArn in f.environment).map((f) => f.handler));
  const tokenRequests = async (): Promise<number> =>
    (await e2e.control.requests()).filter((r) => r.path === TOKEN_PATH).length;

  /** The Knox-calling functions an onboarding execution ran. */
  async function knoxFunctionsRun(executionName: string, status: 'SUCCEEDED' | 'RUNNING'): Promise<string[]> {
    const execution = await waitForExecution(e2e.stack.apiUrl, executionName, status);
    const machine = e2e.stack.model.stateMachines.find((m) => m.workflow === 'onboarding')!;
    const handlers = taskHandlerNames(machine.definition, e2e.stack.lambda);
    return execution.path
      .map((s) => handlers[s.state])
      .filter((h): h is string => h !== undefined && knoxFunctions().has(h));
  }

  it('gives each function its own instance: one secret read and one Knox token per function, one more after a cold start', async () => {
    await e2e.control.clearRequests();
    const readsBefore = e2e.stack.secretReads();
    const created = await start(e2e, 'onboarding', createRequest(freshEmail()));
    await reach(e2e, created, 'SUCCEEDED');
    const linked = await start(e2e, 'onboarding', linkRequest(await newCustomer(e2e, { script: { onLink: 'never' } })));
    await reach(e2e, linked, 'WAITING');
    const ran = new Set([
      ...(await knoxFunctionsRun(created.executionName, 'SUCCEEDED')),
      ...(await knoxFunctionsRun(linked.executionName, 'RUNNING')),
    ]);
    expect(ran).toContain(STEP_FUNCTIONS.createCustomer);
    expect(ran).toContain(STEP_FUNCTIONS.linkCustomer);
    // One process with shared module state would read the secret and fetch a token once for all of them.
    expect(await tokenRequests()).toBe(ran.size);
    expect(e2e.stack.secretReads() - readsBefore).toBe(ran.size);

    // A new instance of link-customer (a new container) reads the secret and fetches a token of its own.
    await e2e.stack.lambda.coldStart(STEP_FUNCTIONS.linkCustomer);
    const again = await start(e2e, 'onboarding', linkRequest(await newCustomer(e2e, { script: { onLink: 'never' } })));
    await reach(e2e, again, 'WAITING');
    expect(await tokenRequests()).toBe(ran.size + 1);
    expect(e2e.stack.secretReads() - readsBefore).toBe(ran.size + 1);
  });

  it('logs each function under its own name: the link step`s lines carry link-customer', () => {
    const records = lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const linkLines = records.filter((r) => r['step'] === 'link');
    expect(linkLines.length).toBeGreaterThan(0);
    for (const line of linkLines) expect(line['function_name']).toBe(fn(STEP_FUNCTIONS.linkCustomer).name);
    expect(fn(STEP_FUNCTIONS.linkCustomer).name).toContain('link-customer');
    // The api's lines carry its own name (a shared logger would keep the first context it met).
    expect(records.some((r) => r['function_name'] === fn(OTHER_FUNCTIONS.api).name)).toBe(true);
  });

  /**
   * The stack reserves no concurrency (a round lease keeps the poller's rounds apart, and a reservation fails the
   * deploy in small accounts): these tests reserve 1 for the poller on the running stack, as an operator could.
   */
  function reservePoller(): () => void {
    const poller = fn(OTHER_FUNCTIONS.poller);
    expect(poller.reservedConcurrency).toBeUndefined();
    poller.reservedConcurrency = 1;
    return () => {
      delete poller.reservedConcurrency;
    };
  }

  it('throttles a second concurrent invocation of a function reserved at 1: Lambda.TooManyRequestsException', async () => {
    const unreserve = reservePoller();
    const poller = gate();
    e2e.stack.lambda.use(OTHER_FUNCTIONS.poller, poller.handler);
    try {
      const round = e2e.stack.poller!.round();
      await until(() => (poller.calls() === 1 ? true : undefined));
      // Without the wall the second invocation would run beside the first.
      await expect(e2e.stack.lambda.invoke(OTHER_FUNCTIONS.poller, {})).rejects.toMatchObject({
        name: THROTTLED_ERROR,
      });
      poller.release();
      expect(await round).toMatchObject({ ok: true });
      expect(poller.calls()).toBe(1);
    } finally {
      e2e.stack.lambda.restore(OTHER_FUNCTIONS.poller);
      unreserve();
    }
  });

  it('runs a failing scheduled round once: the poller has no retry after an error (AWS would retry twice)', async () => {
    expect(fn(OTHER_FUNCTIONS.poller).asyncInvoke?.maximumRetryAttempts).toBe(0);
    let calls = 0;
    e2e.stack.lambda.use(OTHER_FUNCTIONS.poller, () => {
      calls += 1;
      throw Object.assign(new Error('Knox is down'), { name: 'KnoxTransientError' });
    });
    const poller = e2e.stack.poller!;
    const before = poller.tickOutcomes.length;
    try {
      poller.tick();
      const outcome = await until(() => poller.tickOutcomes[before]);
      // With Lambda's defaults the event would be tried three times (after 1 and 2 scaled minutes).
      expect(outcome).toEqual({
        kind: 'dropped',
        attempts: 1,
        reason: 'retries exhausted',
        error: 'KnoxTransientError',
      });
      expect(calls).toBe(1);
    } finally {
      e2e.stack.lambda.restore(OTHER_FUNCTIONS.poller);
    }
  });

  it('drops a tick that stays throttled for longer than one period (AWS would keep it for six hours)', async () => {
    const poller = e2e.stack.poller!;
    const periodSeconds = fn(OTHER_FUNCTIONS.poller).asyncInvoke!.maximumEventAgeSeconds;
    expect(periodSeconds).toBe(Number(fn(OTHER_FUNCTIONS.poller).environment[ENV.pollPeriodSeconds]));
    const unreserve = reservePoller();
    const running = gate();
    e2e.stack.lambda.use(OTHER_FUNCTIONS.poller, running.handler);
    const before = poller.tickOutcomes.length;
    try {
      const round = poller.round();
      await until(() => (running.calls() === 1 ? true : undefined));
      poller.tick();
      // The round is released only once the tick has been dropped: its age passed one (scaled) period meanwhile.
      const outcome = await until(() => poller.tickOutcomes[before]);
      expect(outcome).toMatchObject({ kind: 'dropped', reason: 'maximum event age', error: THROTTLED_ERROR });
      expect(outcome.attempts).toBeGreaterThan(1);
      running.release();
      await round;
      expect(running.calls()).toBe(1);
    } finally {
      e2e.stack.lambda.restore(OTHER_FUNCTIONS.poller);
      unreserve();
    }
  });
});

// --- Without a template: one function reserved at 1, and the payload limits -------------------------------------------

const STEP = stepFunction({ timeoutSeconds: 5, reservedConcurrency: 1 });

describe('a Task whose function is reserved at 1', () => {
  it('fails with Lambda.TooManyRequestsException while another execution runs it, and its Retry matches that', async () => {
    const runtime = new LambdaRuntime([STEP], '/nowhere');
    const first = gate();
    let calls = 0;
    runtime.use('step', (_event: unknown, _context: Context) => {
      calls += 1;
      return calls === 1 ? first.handler() : { value: calls };
    });
    const definition = {
      StartAt: 'Step',
      States: {
        Step: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: STEP.arn, Payload: {} },
          Retry: [{ ErrorEquals: [THROTTLED_ERROR], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 1000 }],
          End: true,
        },
      },
    };
    const arn = localStateMachineArn('onboarding');
    const executions = new LocalExecutions({
      machines: [
        prepareMachine({ workflow: 'onboarding', logicalId: 'M', name: 'onboarding', arn, definition }, 0.001, runtime),
      ],
      runtime,
      dataDir: tempDataDir(),
    });
    const a = executions.startExecution({ stateMachineArn: arn, name: 'holds-the-function', input: '{}' });
    await until(() => (calls === 1 ? true : undefined));
    const b = executions.startExecution({ stateMachineArn: arn, name: 'meets-the-throttle', input: '{}' });
    // Without the wall, b would run beside a and never be throttled.
    await until(() => ((runtime.throttles.get('step') ?? 0) >= 2 ? true : undefined));
    first.release();
    const [ra, rb] = await Promise.all([
      executions.waitUntilSettled(a.executionArn),
      executions.waitUntilSettled(b.executionArn),
    ]);
    expect(ra.status).toBe('SUCCEEDED');
    expect(rb.status).toBe('SUCCEEDED');
    const errors = executionPath(rb.events).flatMap((s) => s.errors.map((e) => e.error));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(new Set(errors)).toEqual(new Set([THROTTLED_ERROR]));
    await executions.shutdown();
  });
});

describe('the 6 MB synchronous payload limits', () => {
  const runtime = new LambdaRuntime([{ ...STEP, reservedConcurrency: undefined }], '/nowhere');
  let ran = 0;
  runtime.use('step', (event) => {
    ran += 1;
    return event;
  });

  it('refuses a request over 6,291,456 bytes of JSON before the function runs (escaping counts)', async () => {
    // Under the limit in characters, over it once each quote is escaped.
    const quotes = '"'.repeat(MAX_SYNC_REQUEST_BYTES / 2);
    await expect(runtime.invoke('step', { quotes })).rejects.toMatchObject({ name: 'Lambda.RequestTooLargeException' });
    expect(ran).toBe(0);
    const fits = 'a'.repeat(MAX_SYNC_REQUEST_BYTES - 20);
    await expect(runtime.invoke('step', { s: fits })).resolves.toEqual({ s: fits });
    expect(ran).toBe(1);
  });

  it('fails an invocation whose response is over 6,291,556 bytes: Function.ResponseSizeTooLarge', async () => {
    runtime.use('step', () => ({ s: 'b'.repeat(MAX_SYNC_RESPONSE_BYTES) }));
    await expect(runtime.invoke('step', {})).rejects.toMatchObject({ name: 'Function.ResponseSizeTooLarge' });
  });
});
