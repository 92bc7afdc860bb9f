/**
 * Records and step payloads written by earlier versions still work. A waiting onboarding lives for days, across
 * deploys: the DynamoDB items and the Lambda events a version wrote (captured from real runs on the local stack by
 * test/fixtures/capture-stored-shapes.ts, one JSON file per captured version) are put back into a fresh table, and
 * every step replays its captured payload against them and the API answers its captured reads. Neither may fail on
 * the shape: no invalid payload, no invalid record, no record that cannot be found, no crash.
 *
 * Add a fixture (never edit one) whenever the shape of a record or a payload changes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KnoxSimControl } from '#knox-sim/control';
import { FIXTURES, SIM_DEFAULT_CREDENTIALS, startKnoxSimulator, type RunningKnoxSimulator } from '#knox-sim/server';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { ENV } from '#domain/configuration';
import { RECORD_CLOSED_ERROR } from '#domain/state-names';
import { handler as api } from '#lambdas/api';
import { handler as createCustomer } from '#lambdas/create-customer';
import { handler as executionEvents } from '#lambdas/execution-events';
import { answerOf } from '#lambdas/poller/answer-table';
import { readCustomers } from '#lambdas/poller/knox-reads';
import { handler as linkCustomer } from '#lambdas/link-customer';
import { handler as recordOutcome } from '#lambdas/record-outcome';
import { handler as requestDelink } from '#lambdas/request-delink';
import { handler as updateCustomer } from '#lambdas/update-customer';
import { logger } from '#lambdas/commons/powertools';
import { knoxClient, resetKnoxClient } from '#lambdas/steps/knox';
import { getRecord, resetStoreClient } from '#lambdas/store/index';
import { setAwsTestEnvironment, startLocalDynamo, type LocalDynamo } from './support/handlers-support';

interface Fixture {
  commit: string;
  records: { kind: string; id: string; until: string }[];
  items: Record<string, unknown>[];
  invocations: { handler: string; event: unknown }[];
}

const FIXTURE_DIR = new URL('./fixtures/', import.meta.url);
const fixtures: [string, Fixture][] = readdirSync(FIXTURE_DIR)
  .filter((f) => /^stored-shapes-.*\.json$/.test(f))
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, FIXTURE_DIR), 'utf8')) as Fixture]);

const STEPS: Record<string, (event: unknown) => Promise<unknown>> = {
  'create-customer': (e) => createCustomer(e),
  'link-customer': (e) => linkCustomer(e),
  'request-delink': (e) => requestDelink(e),
  'update-customer': (e) => updateCustomer(e),
  'record-outcome': (e) => recordOutcome(e),
  'execution-events': (e) => executionEvents(e as never),
};
/**
 * Handlers a captured version deployed that are gone now: their payloads are no longer sent to anything. The status
 * check (check-customer) became the poller's answer table, which reads the same records (see below).
 */
const RETIRED = new Set(['check-customer']);

/** What a step may answer to a stored record: its own result or an error the state machine routes on. */
const ROUTED = new Set<string>([...Object.values(STEP_ERROR_NAMES), RECORD_CLOSED_ERROR]);

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:knox-AbCdEf';
const secrets = mockClient(SecretsManagerClient);
let sim: RunningKnoxSimulator;
let control: KnoxSimControl;
let dynamo: LocalDynamo;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  [sim, dynamo] = await Promise.all([startKnoxSimulator({ port: 0 }), startLocalDynamo()]);
  control = new KnoxSimControl(sim.url);
  setAwsTestEnvironment(dynamo.endpoint);
  process.env[ENV.knoxBaseUrl] = sim.url;
  process.env[ENV.knoxSecretArn] = SECRET_ARN;
  process.env[ENV.knoxRequestsPerSecond] = '1000';
  resetStoreClient();
});
afterAll(async () => {
  secrets.restore();
  await Promise.all([sim.stop(), dynamo.stop()]);
});
beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SIM_DEFAULT_CREDENTIALS) });
  resetKnoxClient();
});

/** A fresh table holding the fixture's items, and a Knox that knows its customers in the state they were left in. */
async function restore(fixture: Fixture): Promise<void> {
  const table = await dynamo.newTable();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );
  // The capture ran at a small time scale, so its deadlines are minutes away from it and long past now: the shape is
  // under test here, not the deadline, which moves an hour ahead of now for the records still open.
  const deadline = new Date(Date.now() + 3_600_000).toISOString();
  const items = fixture.items.map((item) =>
    typeof item['deadline'] === 'string' && ['REQUESTED', 'IN_PROGRESS', 'WAITING'].includes(String(item['status']))
      ? { ...item, deadline }
      : item,
  );
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    await client.send(new BatchWriteCommand({ RequestItems: { [table]: batch } }));
  }
  await control.reset();
  const fixtureIds = new Set<string>(Object.values(FIXTURES));
  for (const item of fixture.items) {
    const customerId = item['customerId'];
    if (typeof customerId !== 'string' || fixtureIds.has(customerId)) continue;
    if ((await control.customers()).some((c) => c.customerId === customerId)) continue;
    const knoxStatus = typeof item['knoxStatus'] === 'string' ? item['knoxStatus'] : 'Active';
    await control.addCustomer({
      customerId,
      status: knoxStatus as 'Active',
      script: { onLink: 'never', onDelink: 'never' },
    });
  }
}

async function nameOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'success';
  } catch (error) {
    return error instanceof Error ? error.name : typeof error;
  }
}

describe.each(fixtures)('%s', (_file, fixture) => {
  it('holds records of every kind, waiting ones included, and the payloads of every step', () => {
    const statuses = new Set(fixture.items.map((i) => i['status']));
    expect(statuses).toContain('WAITING');
    expect(new Set(fixture.items.map((i) => i['kind']))).toEqual(new Set(['onboarding', 'offboarding', 'change']));
    const handlers = new Set(fixture.invocations.map((i) => i.handler));
    for (const step of [
      'create-customer',
      'link-customer',
      'request-delink',
      'update-customer',
      'record-outcome',
      'api',
    ]) {
      expect(handlers).toContain(step);
    }
  });

  it.each(
    fixture.invocations
      .filter((i) => i.handler !== 'api' && !RETIRED.has(i.handler))
      .map((i, n) => [`${n} ${i.handler}`, i] as const),
  )('step %s reads its stored payload and record', async (_name, invocation) => {
    await restore(fixture);
    const step = STEPS[invocation.handler];
    expect(step, `no handler for ${invocation.handler}`).toBeDefined();
    const outcome = await nameOf(step!(invocation.event));
    expect(outcome === 'success' || ROUTED.has(outcome), `${invocation.handler} answered ${outcome}`).toBe(true);
  });

  it('a waiting record is still read by the poller’s answer table: its customer has not answered yet', async () => {
    await restore(fixture);
    const waiting = fixture.items.filter((i) => i['status'] === 'WAITING');
    expect(waiting.length).toBeGreaterThan(0);
    for (const item of waiting) {
      const record = await getRecord(String(item['pk']));
      expect(record, `stored record ${String(item['pk'])} parses`).toBeDefined();
      const customerId = record!.customerId ?? '';
      const reads = await readCustomers([customerId], knoxClient(), undefined);
      const view = reads.views.get(customerId);
      expect(view, `Knox's view of ${customerId}`).toBeDefined();
      expect(answerOf(record!, view!)).toMatchObject({ kind: 'waiting', error: { disposition: 'wait' } });
    }
  });

  it('the API answers its stored reads, each record with the status it was stored with', async () => {
    await restore(fixture);
    const reads = fixture.invocations.filter((i) => i.handler === 'api');
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      const answer = await api(read.event as APIGatewayProxyEvent);
      expect(answer.statusCode, `${(read.event as { path: string }).path}`).toBe(200);
      const body = JSON.parse(answer.body) as {
        status?: string;
        onboardingId?: string;
        offboardingId?: string;
        changeId?: string;
      };
      const id = body.onboardingId ?? body.offboardingId ?? body.changeId;
      const stored = fixture.items.find((i) => i['pk'] === id);
      if (stored) expect(body.status).toBe(stored['status']);
    }
  });
});
