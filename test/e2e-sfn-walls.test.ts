/**
 * The local Step Functions refuses what AWS refuses (local/stepfunctions/quotas.ts): the 25,000-event history cap,
 * the 256 KiB payload limit (States.DataLimitExceeded), AWS's execution-name rules, and TIME_SCALE on every kind of
 * Wait. Each wall is shown twice where that is possible: refusing with the wall, and the same run going through with
 * the wall switched off (`awsQuotas: false`), so that a removed wall makes the first assertion fail.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { awsHistoryEvents } from '#local/stepfunctions/history-events';
import { MAX_HISTORY_EVENTS } from '#local/stepfunctions/quotas';
import { scaledWaitMs } from '#local/stepfunctions/time-scale';
import type { AslDefinition } from '#local/template/template';
import { tempDataDir } from '#testkit/test-stack';
import { awsSfn, countingLoop, STEP, sfnCall, startWalls, type Walls } from './support/sfn-walls-support';
import { useTestStack } from './support/stack-support';

let walls: Walls | undefined;
afterEach(async () => {
  await walls?.stop();
  walls = undefined;
});

async function runToEnd(w: Walls, workflow: 'onboarding' | 'offboarding', input: unknown, name = 'run-1') {
  const { executionArn } = w.executions.startExecution({
    stateMachineArn: w.arnOf(workflow),
    name,
    input: JSON.stringify(input),
  });
  return w.executions.waitUntilSettled(executionArn);
}

describe('history: 25,000 events, counted as AWS counts them', () => {
  it('fails an execution whose history would pass 25,000 events: States.Runtime, delivered as a status change', async () => {
    // 1 + 4 a round + the end: counting to 6,250 needs 25,004 events.
    walls = await startWalls({ definitions: [countingLoop(6250)] });
    const record = await runToEnd(walls, 'onboarding', { count: 0 });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.Runtime');
    expect(record.cause).toBe('The execution reached the maximum number of history events (25000).');
    const history = awsHistoryEvents(record.events, walls.executions.machineOf('onboarding').definition);
    expect(history.total).toBe(MAX_HISTORY_EVENTS);
    expect(record.events.at(-1)?.type).toBe('ExecutionFailed');
    expect(walls.closed.map((r) => [r.name, r.status, r.error])).toEqual([['run-1', 'FAILED', 'States.Runtime']]);
    const described = await awsSfn(walls.endpoint.port, ['describe-execution', '--execution-arn', record.executionArn]);
    expect(described).toMatchObject({ ok: true, json: { status: 'FAILED', error: 'States.Runtime' } });
    // GetExecutionHistory answers the same 25,000 events, the last one ExecutionFailed (pages of 1,000).
    let count = 0;
    let last: unknown;
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await sfnCall(walls.endpoint.port, 'GetExecutionHistory', {
        executionArn: record.executionArn,
        maxResults: 1000,
        ...(token ? { nextToken: token } : {}),
      });
      const events = page['events'] as { type: string }[];
      count += events.length;
      last = events.at(-1)?.type;
      token = page['nextToken'] as string | undefined;
    }
    expect([count, last]).toEqual([MAX_HISTORY_EVENTS, 'ExecutionFailed']);
  });

  it('lets event 25,000 be ExecutionSucceeded', async () => {
    walls = await startWalls({ definitions: [countingLoop(6249)] });
    const record = await runToEnd(walls, 'onboarding', { count: 0 });
    expect(record.status).toBe('SUCCEEDED');
    expect(awsHistoryEvents(record.events, walls.executions.machineOf('onboarding').definition).total).toBe(25_000);
  });

  it('without the wall the same run succeeds (what the cap changes)', async () => {
    walls = await startWalls({ definitions: [countingLoop(6250)], awsQuotas: false });
    const record = await runToEnd(walls, 'onboarding', { count: 0 });
    expect(record.status).toBe('SUCCEEDED');
    expect(awsHistoryEvents(record.events, walls.executions.machineOf('onboarding').definition).total).toBe(25_004);
  });
});

/** A Task whose Lambda answers `{ blob }` of `chars` characters, caught by `catchOn`. */
function bigResult(catchOn: string[]): AslDefinition {
  return {
    StartAt: 'Step',
    States: {
      Step: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: STEP.arn, 'Payload.$': '$' },
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2 }],
        Catch: [{ ErrorEquals: catchOn, ResultPath: '$.error', Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };
}
const blobOf = (event: unknown): { blob: string } => ({ blob: 'x'.repeat((event as { chars: number }).chars) });

describe('payloads: 256 KiB, States.DataLimitExceeded', () => {
  it('fails a Task whose result is over 256 KiB; States.ALL neither retries nor catches it', async () => {
    walls = await startWalls({ definitions: [bigResult(['States.ALL'])], handler: blobOf });
    const record = await runToEnd(walls, 'onboarding', { chars: 300_000 });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.DataLimitExceeded');
    expect(record.cause).toBe(
      "The state/task 'Step' returned a result with a size exceeding the maximum number of bytes service limit.",
    );
    expect(record.events.filter((e) => e.type === 'StateRetried')).toEqual([]);
    expect(walls.closed.map((r) => r.error)).toEqual(['States.DataLimitExceeded']);
  });

  it('lets a Catch that names States.DataLimitExceeded catch it, and keeps a result just under the limit', async () => {
    walls = await startWalls({ definitions: [bigResult(['States.DataLimitExceeded'])], handler: blobOf });
    const caught = await runToEnd(walls, 'onboarding', { chars: 300_000 }, 'big');
    expect(caught.status).toBe('SUCCEEDED');
    expect(JSON.parse(caught.output ?? '{}')).toMatchObject({ error: { Error: 'States.DataLimitExceeded' } });
    // The integration's answer {"Payload":{"blob":"..."},"StatusCode":200,"ExecutedVersion":"$LATEST"} is 68 bytes
    // more than the blob: exactly 262,144 bytes passes.
    const fits = await runToEnd(walls, 'onboarding', { chars: 262_144 - 68 }, 'fits');
    expect(fits.status).toBe('SUCCEEDED');
    expect(JSON.parse(fits.output ?? '{}')).not.toHaveProperty('error');
  });

  it('without the wall the 300 KB result goes through (what the limit changes)', async () => {
    walls = await startWalls({ definitions: [bigResult(['States.ALL'])], handler: blobOf, awsQuotas: false });
    const record = await runToEnd(walls, 'onboarding', { chars: 300_000 });
    expect([record.status, record.error, record.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
  });

  it("fails the execution when a state's output is over 256 KiB", async () => {
    const doubling: AslDefinition = {
      StartAt: 'Double',
      States: { Double: { Type: 'Pass', Parameters: { 'a.$': '$.blob', 'b.$': '$.blob' }, End: true } },
    };
    walls = await startWalls({ definitions: [doubling] });
    const record = await runToEnd(walls, 'onboarding', { blob: 'y'.repeat(200_000) });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.DataLimitExceeded');
    await walls.stop();
    walls = await startWalls({ definitions: [doubling], awsQuotas: false });
    expect((await runToEnd(walls, 'onboarding', { blob: 'y'.repeat(200_000) })).status).toBe('SUCCEEDED');
  });

  it('SendTaskSuccess: over 262,144 characters is a ValidationException; over 256 KiB of UTF-8 fails the Task', async () => {
    const callback: AslDefinition = {
      StartAt: 'Wait for the answer',
      States: {
        'Wait for the answer': {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: STEP.arn, Payload: { 'token.$': '$$.Task.Token' } },
          TimeoutSeconds: 60,
          End: true,
        },
      },
    };
    const tokens: string[] = [];
    walls = await startWalls({
      definitions: [callback],
      handler: (event) => {
        tokens.push((event as { token: string }).token);
        return {};
      },
    });
    const { executionArn } = walls.executions.startExecution({ stateMachineArn: walls.arnOf('onboarding') });
    for (let i = 0; i < 400 && tokens.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    const token = tokens[0] as string;
    const dir = tempDataDir('knox-walls-output-');
    const port = walls.endpoint.port;
    /** SendTaskSuccess through the AWS CLI, the output read from a file (`file://`) as an operator would. */
    const sendTaskSuccess = (fileName: string, output: unknown) => {
      const file = join(dir, fileName);
      writeFileSync(file, JSON.stringify(output));
      return awsSfn(port, ['send-task-success', '--task-token', token, '--task-output', `file://${file}`]);
    };
    const refused = await sendTaskSuccess('too-long.json', 'z'.repeat(262_144));
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.stderr).toContain('ValidationException');
    // 140,000 characters of 3 bytes each: within the API's bound, over the payload quota.
    const accepted = await sendTaskSuccess('too-heavy.json', '€'.repeat(140_000));
    expect(accepted).toEqual({ ok: true, json: {} });
    const record = await walls.executions.waitUntilSettled(executionArn);
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.DataLimitExceeded');
  });
});

describe('execution names as AWS allows them', () => {
  const refused = [
    'has space',
    'tab\there',
    'a<b',
    'a>b',
    'a{b',
    'a}b',
    'a[b',
    'a]b',
    'what?',
    'star*',
    'quote"d',
    'hash#',
    'per%cent',
    'back\\slash',
    'caret^',
    'pipe|',
    'tilde~',
    'back`tick',
    'dollar$',
    'amp&',
    'comma,',
    'semi;',
    'colon:',
    'slash/',
    'bell\u0007',
    'del\u007f',
    'c1\u0085',
    'a'.repeat(81),
  ];

  it('StartExecution answers InvalidName for each name AWS refuses, and takes the names AWS takes', async () => {
    walls = await startWalls({ definitions: [countingLoop(1)] });
    const stateMachineArn = walls.arnOf('onboarding');
    for (const name of refused) {
      expect(() => walls?.executions.startExecution({ stateMachineArn, name, input: '{"count":0}' })).toThrow(
        expect.objectContaining({ name: 'InvalidName', message: `Invalid Name: '${name}'` }),
      );
    }
    for (const name of ['a'.repeat(80), 'onboarding.é-1(ok)@x!', '顧客-42', 'plus+equals=']) {
      expect(walls.executions.startExecution({ stateMachineArn, name, input: '{"count":0}' }).executionArn).toContain(
        name,
      );
    }
    // The answer on the wire, as the AWS CLI reads it (one refused, one taken: the CLI is slow to start).
    const answer = await awsSfn(walls.endpoint.port, [
      'start-execution',
      '--state-machine-arn',
      stateMachineArn,
      '--name',
      'has space',
    ]);
    expect(answer.ok ? 'accepted' : answer.stderr).toContain(
      "An error occurred (InvalidName) when calling the StartExecution operation: Invalid Name: 'has space'",
    );
    const taken = await awsSfn(walls.endpoint.port, [
      'start-execution',
      '--state-machine-arn',
      stateMachineArn,
      '--name',
      'onboarding.é-2',
      '--input',
      '{"count":0}',
    ]);
    expect(taken).toMatchObject({ ok: true, json: { executionArn: expect.stringContaining('onboarding.é-2') } });
  });

  it('without the wall a name with a space is taken (what the rule changes)', async () => {
    walls = await startWalls({ definitions: [countingLoop(1)], awsQuotas: false });
    const answer = await awsSfn(walls.endpoint.port, [
      'start-execution',
      '--state-machine-arn',
      walls.arnOf('onboarding'),
      '--name',
      'has space',
      '--input',
      '{"count":0}',
    ]);
    expect(answer.ok).toBe(true);
  });
});

describe('TIME_SCALE on every Wait', () => {
  it('scales SecondsPath, Timestamp and TimestampPath waits (each an hour: the run ends in the test timeout)', async () => {
    // Unscaled, each of these waits lasts an hour and this test times out (vitest's 60 s): the scaling is the
    // difference. At TIME_SCALE 0.0001 each lasts 0.36 s.
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const waits: AslDefinition = {
      StartAt: 'By seconds path',
      States: {
        'By seconds path': { Type: 'Wait', SecondsPath: '$.delay', Next: 'By timestamp' },
        'By timestamp': { Type: 'Wait', Timestamp: inAnHour, Next: 'By timestamp path' },
        'By timestamp path': { Type: 'Wait', InputPath: '$.later', TimestampPath: '$.until', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    walls = await startWalls({ definitions: [waits], timeScale: 0.0001 });
    const record = await runToEnd(walls, 'onboarding', { delay: 3600, later: { until: inAnHour } });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.events.filter((e) => e.type === 'StateExited').map((e) => e.state)).toEqual([
      'By seconds path',
      'By timestamp',
      'By timestamp path',
      'Done',
    ]);
  });

  it('leaves every Wait to the engine at TIME_SCALE 1 (the synthesized semantics), and bad values to the engine', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const secondsPath = { Type: 'Wait', SecondsPath: '$.delay' };
    const timestampPath = { Type: 'Wait', InputPath: '$.a', TimestampPath: '$.b[0]' };
    expect(scaledWaitMs(secondsPath, { delay: 60 }, 1, now)).toBeUndefined();
    expect(scaledWaitMs(secondsPath, { delay: 60 }, 0.01, now)).toBe(600);
    expect(scaledWaitMs(secondsPath, { delay: -1 }, 0.01, now)).toBeUndefined();
    expect(scaledWaitMs(secondsPath, { delay: 1.5 }, 0.01, now)).toBeUndefined();
    expect(scaledWaitMs(secondsPath, {}, 0.01, now)).toBeUndefined();
    expect(scaledWaitMs(timestampPath, { a: { b: ['2026-01-01T01:00:00Z'] } }, 0.001, now)).toBe(3600);
    expect(scaledWaitMs(timestampPath, { a: { b: ['2025-12-31T00:00:00Z'] } }, 0.001, now)).toBe(0);
    expect(scaledWaitMs(timestampPath, { a: { b: ['not a time'] } }, 0.001, now)).toBeUndefined();
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$$.Execution.Input.delay' }, {}, 0.001, now)).toBeUndefined();
  });
});

describe('the walls in the real stack', () => {
  const local = useTestStack();

  it("refuses an onboarding execution named against AWS's rules through the stack's Step Functions endpoint", async () => {
    const machine = local.stack.executions.machineOf('onboarding');
    const answer = await awsSfn(local.stack.ports.sfn, [
      'start-execution',
      '--state-machine-arn',
      machine.arn,
      '--name',
      'onb 1',
      '--input',
      '{}',
    ]);
    expect(answer.ok ? 'accepted' : answer.stderr).toContain('(InvalidName)');
    expect(local.stack.executions.findByName('onb 1')).toBeUndefined();
  });
});
