/**
 * A small synthetic world for the Step Functions walls: the local engine (LocalExecutions) with one or more
 * hand-written state machines, its AWS JSON endpoint, and the real AWS CLI pointed at it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Context } from 'aws-lambda';
import { LocalExecutions } from '#local/stepfunctions/engine';
import type { ExecutionRecord } from '#local/stepfunctions/execution-store';
import { LambdaRuntime } from '#local/lambda/lambda-runtime';
import { prepareMachine } from '#local/stepfunctions/prepare-machine';
import { startSfnEndpoint } from '#local/stepfunctions/sfn-server';
import type { RunningAwsJsonServer } from '#local/protocol/aws-json-server';
import {
  localFunctionArn,
  localStateMachineArn,
  type AslDefinition,
  type LocalFunction,
  type LocalWorkflow,
} from '#local/template/template';
import { tempDataDir } from '#testkit/test-stack';

const run = promisify(execFile);

/** A function `step` (handler `step`) as the template would give it, with these fields changed. */
export function stepFunction(overrides: Partial<LocalFunction> = {}): LocalFunction {
  return {
    logicalId: 'Step',
    handler: 'step',
    name: 'step',
    arn: localFunctionArn('step'),
    timeoutSeconds: 30,
    memoryMb: 128,
    environment: {},
    ...overrides,
  };
}

export const STEP: LocalFunction = stepFunction();

export interface Walls {
  executions: LocalExecutions;
  endpoint: RunningAwsJsonServer;
  /** Executions delivered as status changes (EventBridge). */
  closed: ExecutionRecord[];
  arnOf(workflow: LocalWorkflow): string;
  stop(): Promise<void>;
}

const WORKFLOWS: LocalWorkflow[] = ['onboarding', 'offboarding', 'change', 'batch'];

/** Up to four machines (named after the workflows, which only name them here), one Lambda handler for all Tasks. */
export async function startWalls(options: {
  definitions: AslDefinition[];
  handler?: (event: unknown, context: Context) => unknown;
  timeScale?: number;
  awsQuotas?: boolean;
}): Promise<Walls> {
  const runtime = new LambdaRuntime([STEP], '/nowhere');
  runtime.use('step', options.handler ?? (() => ({})));
  const machines = options.definitions.map((definition, i) => {
    const workflow = WORKFLOWS[i] as LocalWorkflow;
    return prepareMachine(
      { workflow, logicalId: `Machine${i}`, name: workflow, arn: localStateMachineArn(workflow), definition },
      options.timeScale ?? 1,
      runtime,
    );
  });
  const closed: ExecutionRecord[] = [];
  const executions = new LocalExecutions({
    machines,
    runtime,
    dataDir: tempDataDir('knox-walls-'),
    onClosed: async (record) => {
      closed.push(structuredClone(record));
    },
    ...(options.awsQuotas !== undefined ? { awsQuotas: options.awsQuotas } : {}),
  });
  const endpoint = await startSfnEndpoint(executions, { port: 0 });
  return {
    executions,
    endpoint,
    closed,
    arnOf: (workflow) => localStateMachineArn(workflow),
    stop: async () => {
      await executions.shutdown();
      await endpoint.stop();
    },
  };
}

/** The AWS CLI against a local Step Functions endpoint: its JSON answer, or its error text. */
export async function awsSfn(
  port: number,
  args: string[],
): Promise<{ ok: true; json: Record<string, unknown> } | { ok: false; stderr: string }> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
  };
  try {
    const { stdout } = await run(
      'aws',
      ['stepfunctions', ...args, '--endpoint-url', `http://127.0.0.1:${port}`, '--output', 'json'],
      { env, maxBuffer: 64 * 1024 * 1024 },
    );
    return { ok: true, json: stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {} };
  } catch (error) {
    return { ok: false, stderr: String((error as { stderr?: string }).stderr ?? error) };
  }
}

/** A Pass/Choice loop that counts to `until` (4 AWS history events a round), then succeeds. */
export function countingLoop(until: number): AslDefinition {
  return {
    StartAt: 'Count',
    States: {
      Count: { Type: 'Pass', Parameters: { 'count.$': 'States.MathAdd($.count, 1)' }, Next: 'Check' },
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.count', NumericGreaterThanEquals: until, Next: 'Done' }],
        Default: 'Count',
      },
      Done: { Type: 'Succeed' },
    },
  };
}

/** One call of the AWS JSON 1.0 protocol to a local Step Functions endpoint (faster than the CLI for many pages). */
export async function sfnCall(port: number, operation: string, input: unknown): Promise<Record<string, unknown>> {
  const answer = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${operation}` },
    body: JSON.stringify(input),
  });
  const body = (await answer.json()) as Record<string, unknown>;
  if (!answer.ok) throw new Error(`${operation} answered ${answer.status}: ${JSON.stringify(body)}`);
  return body;
}
