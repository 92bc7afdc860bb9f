/**
 * The local Step Functions service on its own (no template, no servers): Lambda errors surface by name as in AWS,
 * StartExecution is idempotent, StopExecution and the execution timeout end a run (and are delivered as status
 * changes), a stopped run never calls its Task again, and a run interrupted by shutdown resumes where it was.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { LocalExecutions } from '#local/stepfunctions/engine';
import type { ExecutionRecord } from '#local/stepfunctions/execution-store';
import { executionPath } from '#local/stepfunctions/execution-path';
import { LambdaRuntime } from '#local/lambda/lambda-runtime';
import { prepareMachine } from '#local/stepfunctions/prepare-machine';
import { localStateMachineArn, type AslDefinition, type LocalStateMachine } from '#local/template/template';
import { eventually, tempDataDir } from '#testkit/test-stack';
import { stepFunction } from './support/sfn-walls-support';

const STEP = stepFunction({ timeoutSeconds: 5 });

function definition(overrides: { waitSeconds?: number; timeoutSeconds?: number } = {}): AslDefinition {
  return {
    StartAt: 'Step',
    ...(overrides.timeoutSeconds !== undefined ? { TimeoutSeconds: overrides.timeoutSeconds } : {}),
    States: {
      Step: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: STEP.arn, Payload: { 'id.$': '$.id', 'executionName.$': '$$.Execution.Name' } },
        ResultPath: '$.step',
        ResultSelector: { 'value.$': '$.Payload.value' },
        Retry: [{ ErrorEquals: ['Knox.Retry'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 50 }],
        Catch: [{ ErrorEquals: ['Knox.Abort'], ResultPath: '$.error', Next: 'Aborted' }],
        Next: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: overrides.waitSeconds ?? 1, Next: 'Done' },
      Done: { Type: 'Succeed' },
      Aborted: { Type: 'Pass', End: true },
    },
  };
}

function setUp(options: {
  handler: (event: unknown, context: Context) => unknown;
  timeScale?: number;
  definition?: AslDefinition;
  dataDir?: string;
}): { executions: LocalExecutions; closed: ExecutionRecord[]; arn: string; dataDir: string } {
  const runtime = new LambdaRuntime([STEP], '/nowhere');
  runtime.use('step', options.handler);
  const machine: LocalStateMachine = {
    workflow: 'onboarding',
    logicalId: 'Machine',
    name: 'onboarding',
    arn: localStateMachineArn('onboarding'),
    definition: options.definition ?? definition(),
  };
  const closed: ExecutionRecord[] = [];
  const dataDir = options.dataDir ?? tempDataDir();
  const executions = new LocalExecutions({
    machines: [prepareMachine(machine, options.timeScale ?? 0.001, runtime)],
    runtime,
    dataDir,
    onClosed: async (record) => {
      closed.push(structuredClone(record));
    },
  });
  return { executions, closed, arn: machine.arn, dataDir };
}

/** A promise and the function that resolves it: lets a test wait for "the handler was called". */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

describe('LocalExecutions', () => {
  it('invokes the Task like Lambda and runs to the end', async () => {
    const seen: { event: unknown; functionName: string; remaining: number }[] = [];
    const { executions, arn } = setUp({
      handler: (event, context) => {
        seen.push({ event, functionName: context.functionName, remaining: context.getRemainingTimeInMillis() });
        return { value: 42 };
      },
    });
    const started = executions.startExecution({ stateMachineArn: arn, name: 'run-1', input: '{"id":"onb-1"}' });
    const record = await executions.waitUntilSettled(started.executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.output!)).toEqual({ id: 'onb-1', step: { value: 42 } });
    expect(seen).toEqual([
      { event: { id: 'onb-1', executionName: 'run-1' }, functionName: 'step', remaining: expect.any(Number) },
    ]);
    expect(seen[0]!.remaining).toBeGreaterThan(0);
    expect(executionPath(record.events).map((s) => s.state)).toEqual(['Step', 'Pause', 'Done']);
  });

  it("surfaces a handler's error by its name, with Lambda's JSON cause, so Catch matches it", async () => {
    const { executions, arn } = setUp({
      handler: () => {
        throw Object.assign(new Error('ADD_EC_ALREADY_MANAGED (4002103)'), { name: 'Knox.Abort' });
      },
    });
    const { executionArn } = executions.startExecution({
      stateMachineArn: arn,
      name: 'run-2',
      input: '{"id":"onb-2"}',
    });
    const record = await executions.waitUntilSettled(executionArn);
    expect(record.status).toBe('SUCCEEDED');
    const output = JSON.parse(record.output!) as { error: { Error: string; Cause: string } };
    expect(output.error.Error).toBe('Knox.Abort');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'Knox.Abort',
      errorMessage: 'ADD_EC_ALREADY_MANAGED (4002103)',
    });
    const [step] = executionPath(record.events);
    expect(step).toMatchObject({
      state: 'Step',
      errors: [{ error: 'Knox.Abort', message: 'ADD_EC_ALREADY_MANAGED (4002103)' }],
      caught: { next: 'Aborted' },
    });
  });

  it('answers a repeated StartExecution like AWS: same name and input while running is the same execution', async () => {
    const called = signal();
    const { executions, arn } = setUp({
      handler: () => {
        called.fire();
        return new Promise(() => undefined);
      },
    });
    const first = executions.startExecution({ stateMachineArn: arn, name: 'run-3', input: '{"id":"onb-3"}' });
    expect(executions.startExecution({ stateMachineArn: arn, name: 'run-3', input: '{ "id": "onb-3" }' })).toEqual({
      ...first,
      alreadyRunning: true,
    });
    expect(() => executions.startExecution({ stateMachineArn: arn, name: 'run-3', input: '{"id":"other"}' })).toThrow(
      expect.objectContaining({ type: 'ExecutionAlreadyExists' }),
    );
    expect(() => executions.startExecution({ stateMachineArn: arn, name: 'bad name!' })).toThrow(
      expect.objectContaining({ type: 'InvalidName' }),
    );
    expect(() => executions.startExecution({ stateMachineArn: `${arn}x`, name: 'x' })).toThrow(
      expect.objectContaining({ type: 'StateMachineDoesNotExist' }),
    );
    expect(() => executions.startExecution({ stateMachineArn: arn, name: 'y', input: '[1]' })).toThrow(
      expect.objectContaining({ type: 'InvalidExecutionInput' }),
    );
    await called.promise;
    await executions.stopExecution(first.executionArn);
    // Closed: the name is taken, whatever the input.
    expect(() => executions.startExecution({ stateMachineArn: arn, name: 'run-3', input: '{"id":"onb-3"}' })).toThrow(
      expect.objectContaining({ type: 'ExecutionAlreadyExists' }),
    );
  });

  it('stops a run that waits to retry: ABORTED, delivered, and the Task is never called again', async () => {
    let calls = 0;
    const called = signal();
    // TIME_SCALE 1: the retry waits a real second, during which we stop the execution.
    const { executions, closed, arn } = setUp({
      timeScale: 1,
      handler: () => {
        calls += 1;
        called.fire();
        throw Object.assign(new Error('Knox is down'), { name: 'Knox.Retry' });
      },
    });
    const { executionArn } = executions.startExecution({
      stateMachineArn: arn,
      name: 'run-4',
      input: '{"id":"onb-4"}',
    });
    await called.promise;
    await executions.stopExecution(executionArn, { error: 'Cancelled', cause: 'the operator cancelled it' });
    const record = executions.describe(executionArn)!;
    expect(record).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'the operator cancelled it' });
    expect(record.events.at(-1)?.type).toBe('ExecutionAborted');
    // The engine resolves the retry's sleep on abort and runs the Task again at once, MaxAttempts times within a turn
    // of the event loop: the guard makes that a single refused attempt that never reaches the handler.
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(calls).toBe(1);
    await executions.shutdown();
    expect(closed.map((r) => [r.name, r.status])).toEqual([['run-4', 'ABORTED']]);
  });

  it('times out with the scaled TimeoutSeconds: TIMED_OUT, delivered as a status change', async () => {
    const { executions, closed, arn } = setUp({
      timeScale: 0.001,
      definition: definition({ timeoutSeconds: 50 }),
      handler: () => new Promise(() => undefined),
    });
    const { executionArn } = executions.startExecution({
      stateMachineArn: arn,
      name: 'run-5',
      input: '{"id":"onb-5"}',
    });
    const record = await executions.waitUntilSettled(executionArn);
    expect(record).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(record.events.at(-1)?.type).toBe('ExecutionTimeout');
    await executions.shutdown();
    expect(closed.map((r) => r.status)).toEqual(['TIMED_OUT']);
  });

  it('leaves a run interrupted by shutdown RUNNING on disk, and resumes it where it was', async () => {
    let calls = 0;
    const handler = (): unknown => {
      calls += 1;
      return { value: calls };
    };
    // A 100 s Wait at TIME_SCALE 0.01: one real second to shut down in.
    const def = definition({ waitSeconds: 100 });
    const first = setUp({ handler, timeScale: 0.01, definition: def });
    const { executionArn } = first.executions.startExecution({
      stateMachineArn: first.arn,
      name: 'run-6',
      input: '{"id":"onb-6"}',
    });
    await eventually(() => (first.executions.describe(executionArn)?.position?.state === 'Pause' ? true : undefined), {
      intervalMs: 5,
      what: 'the execution in its Pause state',
    });
    await first.executions.shutdown();
    expect(first.executions.describe(executionArn)?.status).toBe('RUNNING');
    expect(first.closed).toEqual([]);

    const second = setUp({ handler, timeScale: 0.01, definition: def, dataDir: first.dataDir });
    expect(second.executions.interrupted().map((r) => r.name)).toEqual(['run-6']);
    second.executions.resume(executionArn);
    const record = await second.executions.waitUntilSettled(executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.runs).toBe(2);
    // The Task ran once: the resumed run started at the Wait, with the input the Wait had.
    expect(calls).toBe(1);
    expect(JSON.parse(record.output!)).toEqual({ id: 'onb-6', step: { value: 1 } });
    expect(record.events.map((e) => e.type)).toContain('ExecutionInterrupted');
    expect(executionPath(record.events).map((s) => s.state)).toEqual(['Step', 'Pause', 'Pause', 'Done']);
  });
});
