/**
 * The set-up the API handler suites share: a real in-memory dynalite (a fresh table per test), Step Functions mocked
 * with aws-sdk-client-mock (StartExecution answers an execution ARN, StopExecution succeeds), and the environment the
 * api handler reads. Call `useApiHarness()` at the top of a test file; its fields are filled in by the hooks. And the
 * events the handler is called with.
 */
import 'aws-sdk-client-mock-vitest/extend';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { ENV } from '#domain/configuration';
import { logger } from '#lambdas/commons/powertools';
import { resetStoreClient } from '#lambdas/store/index';
import { resetWorkflowClient } from '#lambdas/intake/executions';
import { setAwsTestEnvironment, startLocalDynamo, type LocalDynamo } from './handlers-support';

export const TEST_STATE_MACHINE_ARNS = {
  onboarding: 'arn:aws:states:us-east-1:123456789012:stateMachine:Onboarding',
  offboarding: 'arn:aws:states:us-east-1:123456789012:stateMachine:Offboarding',
  change: 'arn:aws:states:us-east-1:123456789012:stateMachine:Change',
};

/** The ARN Step Functions gives an execution `name` of a state machine. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const newSfnMock = () => mockClient(SFNClient);

export interface ApiHarness {
  readonly sfn: ReturnType<typeof newSfnMock>;
  dynamo: LocalDynamo;
  /** This test's table. */
  table: string;
  /** Nothing in the table and no execution started: what a refused request leaves behind. */
  expectNothingRecorded(): Promise<void>;
}

export function useApiHarness(): ApiHarness {
  const harness = {
    sfn: newSfnMock(),
    async expectNothingRecorded() {
      expect(await harness.dynamo.items(harness.table)).toEqual([]);
      expect(harness.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    },
  } as ApiHarness;
  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    harness.dynamo = await startLocalDynamo();
    setAwsTestEnvironment(harness.dynamo.endpoint);
    process.env[ENV.onboardingStateMachineArn] = TEST_STATE_MACHINE_ARNS.onboarding;
    process.env[ENV.offboardingStateMachineArn] = TEST_STATE_MACHINE_ARNS.offboarding;
    process.env[ENV.changeStateMachineArn] = TEST_STATE_MACHINE_ARNS.change;
    process.env[ENV.waitDeadlineSeconds] = '3600';
    resetStoreClient();
    resetWorkflowClient();
  });
  afterAll(async () => {
    harness.sfn.restore();
    await harness.dynamo?.stop();
  });
  beforeEach(async () => {
    harness.table = await harness.dynamo.newTable();
    harness.sfn.reset();
    harness.sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
      executionArn: executionArnOf(input.stateMachineArn, input.name),
      startDate: new Date(),
    }));
    harness.sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  });
  return harness;
}

/** API Gateway's proxy event for `method path`, as the HTTP API hands it to the api handler. */
export function apiEvent(
  method: string,
  path: string,
  options: { body?: string | null; headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    body: options.body ?? null,
    isBase64Encoded: false,
    headers: options.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

/** A 400 whose issues name (at least) each of `paths`, dotted as the API names them; every path it names. */
export function expectIssuesAt(answer: { status: number; body: Record<string, any> }, paths: string[]): string[] {
  expect(answer.status).toBe(400);
  const named = (answer.body.issues as { path: string }[]).map((i) => i.path);
  expect(named).toEqual(expect.arrayContaining(paths));
  return named;
}
