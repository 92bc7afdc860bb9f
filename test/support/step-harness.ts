/**
 * The Knox steps' harness, shared by the suites that run the step handlers in-process: a dynalite table per test,
 * a Knox server (the simulator, or a liar of the test's own) named by URL, the Knox secret mocked at the SDK, and a
 * fresh Knox client per test.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ENV } from '../../lib/domain/workflow';
import { SIM_DEFAULT_CREDENTIALS } from '../../knox-sim/world';
import { logger } from '../../lambdas/commons/powertools';
import { resetKnoxClient } from '../../lambdas/steps/knox';
import { resetStoreClient } from '../../lambdas/store';
import { setAwsTestEnvironment, startLocalDynamo, type LocalDynamo } from './handlers-support';

export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:knox-AbCdEf';

export interface StepHarness {
  /** The Secrets Manager mock: a test may answer the Knox secret otherwise. */
  secrets: AwsStub<object, any, any>;
  /** Set once beforeAll has run. */
  dynamo: LocalDynamo;
}

/** Registers the hooks; `startKnox` starts the Knox server the steps talk to and says how to stop it. */
export function useStepHarness(
  startKnox: () => Promise<{ url: string; stop(): Promise<void> }>,
  hooks: { beforeEach?: () => Promise<void> } = {},
): StepHarness {
  const harness = { secrets: mockClient(SecretsManagerClient) } as StepHarness;
  let knox: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    [knox, harness.dynamo] = await Promise.all([startKnox(), startLocalDynamo()]);
    setAwsTestEnvironment(harness.dynamo.endpoint);
    process.env[ENV.knoxBaseUrl] = knox.url;
    process.env[ENV.knoxSecretArn] = SECRET_ARN;
    process.env[ENV.knoxTimeoutMs] = '5000';
    process.env[ENV.knoxRequestsPerSecond] = '1000';
    resetStoreClient();
  });
  afterAll(async () => {
    harness.secrets.restore();
    await Promise.all([knox?.stop(), harness.dynamo?.stop()]);
  });
  beforeEach(async () => {
    await harness.dynamo.newTable();
    await hooks.beforeEach?.();
    harness.secrets.reset();
    harness.secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SIM_DEFAULT_CREDENTIALS) });
    resetKnoxClient();
  });
  return harness;
}
