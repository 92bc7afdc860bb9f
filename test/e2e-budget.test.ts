/**
 * The shared Knox budget end to end on the local stack: the steps draw from the budget item in dynalite (over the
 * wire), a simulator that limits at the budget sees no 429 however many onboardings start at once, and a 429 from
 * Knox leaves its decrease in the shared item. No wall-clock assertion: the simulator's own limit is the judge.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '#domain/configuration';
import { KNOX_BUDGET_KEY, TABLE } from '#domain/table-layout';
import { KnoxSimControl } from '#knox-sim/control';
import type { LocalStack } from '#local/stack/local-stack';
import { startRecord, startTestStack, waitForStatus } from '#testkit/test-stack';
import { createRequest } from './support/requests';

const BUDGET = 4;
let stack: LocalStack;
let control: KnoxSimControl;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startTestStack({ env: { [ENV.knoxRequestsPerSecond]: String(BUDGET) } });
  control = new KnoxSimControl(stack.knoxUrl);
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${stack.ports.dynamo}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}, 120_000);

afterAll(async () => {
  documents?.destroy();
  await stack?.stop();
});

beforeEach(async () => {
  await control.clearRequests();
  await control.clearRateLimit();
});

async function budgetItem(): Promise<Record<string, unknown> | undefined> {
  const answer = await documents.send(
    new GetCommand({
      TableName: stack.model.table.name,
      Key: { [TABLE.partitionKey]: KNOX_BUDGET_KEY },
      ConsistentRead: true,
    }),
  );
  return answer.Item;
}

async function onboard(count: number, tag: string): Promise<string[]> {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startRecord(stack.apiUrl, 'onboarding', createRequest(`it.${tag}.${i}@budget${tag}.example`)),
    ),
  );
  for (const a of answers) expect(a.status).toBe(202);
  return answers.map((a) => String(a.body.onboardingId));
}

describe('the shared Knox budget on the local stack', () => {
  it('keeps a burst of onboardings within a Knox that limits at the budget: no 429, every one SUCCEEDED', async () => {
    // Knox allows BUDGET/s with a bucket of BUDGET; twelve creates at once would overrun it without the budget.
    await control.rateLimit({ requestsPerSecond: BUDGET, burst: BUDGET });
    const ids = await onboard(12, 'burst');
    for (const id of ids) await waitForStatus(stack.apiUrl, 'onboarding', id, 'SUCCEEDED', { timeoutMs: 60_000 });
    const log = await control.requests();
    expect(log.filter((r) => r.method === 'POST' && r.path === '/msp/v1/managedCustomers' && r.accepted)).toHaveLength(
      12,
    );
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    expect(await budgetItem()).toMatchObject({ tat: expect.any(Number) });
  }, 90_000);

  it('records the decrease a 429 causes in the shared item, and the onboarding still succeeds', async () => {
    const before = await budgetItem();
    await control.fault({
      match: { method: 'POST', path: '/msp/v1/managedCustomers' },
      fault: { type: 'status429', retryAfterSeconds: 0 },
      count: 1,
    });
    const [id] = await onboard(1, 'throttled');
    await waitForStatus(stack.apiUrl, 'onboarding', id!, 'SUCCEEDED', { timeoutMs: 60_000 });
    expect((await control.requests()).filter((r) => r.status === 429)).toHaveLength(1);
    const after = await budgetItem();
    expect(before?.['decreasedAt']).toBeUndefined();
    expect(after).toMatchObject({ floorRate: expect.any(Number), decreasedAt: expect.any(Number) });
    expect(after!['floorRate'] as number).toBeLessThan(BUDGET);
  }, 90_000);
});
