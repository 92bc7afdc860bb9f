/**
 * The Knox steps' harness, shared by the suites that run the step handlers in-process: a dynalite table per test,
 * a Knox server (the simulator, or a liar of the test's own) named by URL, the Knox secret mocked at the SDK, and a
 * fresh Knox client per test; and the records the steps work on, seeded as the API writes them.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { RecordKind } from '#domain/api-schemas';
import { KnoxError } from '#domain/knox-answer';
import { ENV } from '#domain/configuration';
import type { CustomerAnswer } from '#domain/payloads';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/world';
import { logger } from '#lambdas/commons/powertools';
import { answerOf } from '#lambdas/poller/answer-table';
import { readCustomers, type KnoxReads } from '#lambdas/poller/knox-reads';
import { knoxClient, resetKnoxClient } from '#lambdas/steps/knox';
import {
  acquireCustomerLock,
  createRecord,
  getRecord,
  resetStoreClient,
  type WorkflowRecord,
} from '#lambdas/store/index';
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

let serial = 0;
/** A number no earlier call in this test file got: for ids, customer keys and e-mails that never clash. */
export const nextSerial = (): number => ++serial;

export interface SeedOptions {
  /** The record's customer; default: the request's customerId, if it has one. */
  customerId?: string | undefined;
  path?: 'link' | 'create' | undefined;
  deadline?: string;
  /** The customer lock's key; default: the customer, else a unique e-mail key. */
  customerKey?: string;
}

/** A REQUESTED record as the API writes it (and its customer lock); its id. */
export async function seedRecord(
  kind: RecordKind,
  request: Record<string, unknown>,
  options: SeedOptions = {},
): Promise<string> {
  const n = nextSerial();
  const prefix = { onboarding: 'onb', offboarding: 'off', change: 'chg' }[kind];
  const id = `${prefix}-${n.toString(16).padStart(16, '0')}`;
  const customerId = options.customerId ?? (typeof request.customerId === 'string' ? request.customerId : undefined);
  const customerKey = options.customerKey ?? customerId ?? `email:test-${n}`;
  await createRecord({
    id,
    kind,
    ...(customerId !== undefined ? { customerId } : {}),
    customerKey,
    request,
    ...(options.path ? { path: options.path } : {}),
    executionName: `${customerId ?? 'new'}-${id}`,
    deadline: options.deadline ?? new Date(Date.now() + 3600_000).toISOString(),
  });
  await acquireCustomerLock(customerKey, id, kind);
  return id;
}

/** The record `id` (which must exist). */
export async function recordOf(id: string): Promise<WorkflowRecord> {
  const found = await getRecord(id);
  expect(found).toBeDefined();
  return found!;
}

/** What the poller makes of Knox's view of one waiting record's customer (see pollerAnswer). */
export type PollerVerdict =
  /** The customer answered yes: SendTaskSuccess with `output`. */
  | { kind: 'answered'; output: CustomerAnswer }
  /** Not yet: the record goes on waiting (`error` is the table's row for the status). */
  | { kind: 'waiting'; error: KnoxError }
  /** No, or an error no wait changes: SendTaskFailure under the disposition's name. */
  | { kind: 'refused'; error: KnoxError }
  /** Knox could not be asked this time (transient): the next round asks again. */
  | { kind: 'unread'; error: KnoxError }
  /** Our own set-up is wrong (operator): the round fails, alarmed; the wait stays as it is. */
  | { kind: 'roundFails'; error: KnoxError };

/**
 * The poller's answer table for one record, as a round applies it: its read of the customer (lambdas/poller/
 * knox-reads.ts, one GET), then what the view means for the record (lambdas/poller/answer-table.ts).
 */
export async function pollerAnswer(id: string): Promise<PollerVerdict> {
  const record = await recordOf(id);
  const customerId = record.customerId ?? '';
  let reads: KnoxReads;
  try {
    reads = await readCustomers([customerId], knoxClient(), undefined);
  } catch (error) {
    if (error instanceof KnoxError) return { kind: 'roundFails', error };
    throw error;
  }
  const unread = reads.unread.get(customerId);
  if (unread) return { kind: 'unread', error: unread };
  const refusal = reads.refusals.get(customerId);
  if (refusal) return { kind: 'refused', error: refusal };
  const view = reads.views.get(customerId);
  expect(view, `a view of ${customerId}`).toBeDefined();
  const answer = answerOf(record, view!);
  return answer.kind === 'answered' ? { kind: 'answered', output: answer.output } : answer;
}
