/**
 * Key namespaces (product.md, "Bad input stays cheap"): a batch's items are registered with keys no client's
 * Idempotency-Key can reach, and a key that finds a record of another customer is refused, never a success.
 *
 * The reproduction: a caller who pre-claimed `<batchId>#0` for another customer made that batch's item 0 SUCCEEDED
 * pointing at the wrong customer. Now the key is refused (400: `#` is outside the client charset), the item's record id
 * comes from its own namespace, and an item that finds another customer's record is ABORTED with the reason.
 */
import 'aws-sdk-client-mock-vitest/extend';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKeySchema } from '#domain/api-schemas';
import { itemIdempotencyKey } from '#domain/batch-schemas';
import { ENV } from '#domain/configuration';
import { IDEMPOTENCY_KEY_PATTERN } from '#domain/ids';
import { handler } from '#lambdas/api';
import { handler as starter } from '#lambdas/batch-starter';
import { batchItemRecordId, executionNameFor, recordIdFor } from '#lambdas/intake/intake';
import { createRecord, finish, getRecord } from '#lambdas/store/index';
import { apiEvent, useApiHarness } from './support/api-harness';
import { linkRequest } from './support/handlers-support';

const harness = useApiHarness();

beforeAll(() => {
  process.env[ENV.batchStateMachineArn] = 'arn:aws:states:us-east-1:123456789012:stateMachine:Batch';
  process.env[ENV.knoxRequestsPerSecond] = '10';
});

async function call(method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}) {
  const body = options.json === undefined ? null : JSON.stringify(options.json);
  const headers = { ...(body !== null ? { 'Content-Type': 'application/json' } : {}), ...options.headers };
  const result = await handler(apiEvent(method, path, { body, headers }));
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, any> };
}

async function postBatch(customerIds: string[], key: string): Promise<string> {
  const posted = await call('POST', '/onboarding-batches', {
    json: { items: customerIds.map((id) => linkRequest(id)) },
    headers: { 'Idempotency-Key': key },
  });
  expect(posted.status).toBe(202);
  return posted.body.batchId as string;
}

describe('batch items live in a namespace no client key reaches', () => {
  it("refuses a client key shaped like a batch item's (`<batchId>#0`) with 400, and the item gets its own record", async () => {
    const batchId = await postBatch(['3000000001', '3000000002'], 'batch-keys-1');
    const claim = await call('POST', '/onboardings', {
      json: linkRequest('3999999999'),
      headers: { 'Idempotency-Key': itemIdempotencyKey(batchId, 0) },
    });
    expect(claim.status).toBe(400);
    expect(claim.body.issues).toEqual([{ path: 'Idempotency-Key', message: expect.stringContaining('A-Z a-z 0-9') }]);

    await starter({ batchId, action: 'start' });
    const items = (await call('GET', `/onboarding-batches/${batchId}/items`)).body.items;
    expect(items[0]).toMatchObject({ item: 0, onboardingId: batchItemRecordId(batchId, 0), status: 'REQUESTED' });
    expect(await getRecord(items[0].onboardingId)).toMatchObject({ customerId: '3000000001', batchId });
    // The id a client key `<batchId>#0` would have had (before the charset rule) is not the item's.
    expect(batchItemRecordId(batchId, 0)).not.toBe(recordIdFor('onboarding', `${batchId}:0`));
  });

  it('an item that finds a record of another customer under its id is ABORTED with the reason, not SUCCEEDED', async () => {
    const batchId = await postBatch(['3000000011', '3000000012'], 'batch-keys-2');
    // A record already there under item 0's id, about another customer and SUCCEEDED (a claim the namespaces now
    // make impossible through the API: written here straight into the table).
    const claimedId = batchItemRecordId(batchId, 0);
    await createRecord({
      id: claimedId,
      kind: 'onboarding',
      customerId: '3999999998',
      customerKey: '3999999998',
      request: linkRequest('3999999998'),
      path: 'link',
      executionName: executionNameFor('3999999998', claimedId),
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await finish(claimedId, 'SUCCEEDED');

    await starter({ batchId, action: 'start' });
    const items = (await call('GET', `/onboarding-batches/${batchId}/items`)).body.items;
    expect(items[0].status).toBe('ABORTED');
    expect(items[0].customerId).not.toBe('3999999998');
    expect(items[0].lastError).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: expect.stringContaining('another customer'),
    });
    expect(items[1]).toMatchObject({ status: 'REQUESTED', customerId: '3000000012' });
    const batch = (await call('GET', `/onboarding-batches/${batchId}`)).body;
    expect(batch.counts).toMatchObject({ ABORTED: 1, SUCCEEDED: 0 });
    // The other customer's record is left as it was.
    expect(await getRecord(claimedId)).toMatchObject({ status: 'SUCCEEDED', customerId: '3999999998' });
  });
});

describe('client keys', () => {
  it('a key that found a record of another customer is a 422 naming the reason, without that record', async () => {
    const first = await call('POST', '/onboardings', {
      json: linkRequest('3000000021'),
      headers: { 'Idempotency-Key': 'shared-key-1' },
    });
    expect(first.status).toBe(202);
    const other = await call('POST', '/onboardings', {
      json: linkRequest('3000000022'),
      headers: { 'Idempotency-Key': 'shared-key-1' },
    });
    expect(other.status).toBe(422);
    expect(other.body.message).toMatch(/another customer/);
    expect(JSON.stringify(other.body)).not.toContain(first.body.onboardingId);
    expect(await getRecord(first.body.onboardingId)).toMatchObject({ customerId: '3000000021' });
  });

  it('refuses every key with a character outside the charset (`#`, space, quotes, %, unicode) with 400', async () => {
    const outside = fc
      .tuple(
        fc.stringMatching(/^[A-Za-z0-9]{0,20}$/),
        fc.constantFrom('#', ' ', '"', "'", '%', '?', '&', '\\', '<', '@', '!', '*', ',', ';', '|'),
        fc.stringMatching(/^[A-Za-z0-9]{0,20}$/),
      )
      .map(([a, c, b]) => `${a}${c}${b}`);
    await fc.assert(
      fc.asyncProperty(outside, async (key) => {
        expect(idempotencyKeySchema.safeParse(key).success).toBe(false);
        const answer = await call('POST', '/onboardings', {
          json: linkRequest('3000000031'),
          headers: { 'Idempotency-Key': key },
        });
        expect(answer.status).toBe(400);
        expect(answer.body.issues.map((i: { path: string }) => i.path)).toEqual(['Idempotency-Key']);
      }),
      { numRuns: 60 },
    );
    await harness.expectNothingRecorded();
  });

  it('every key the charset accepts derives an id apart from every batch item id (different hashed text)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(IDEMPOTENCY_KEY_PATTERN),
        fc.stringMatching(/^bat-[0-9a-f]{16}$/),
        fc.nat({ max: 999 }),
        (key, batchId, item) => {
          expect(idempotencyKeySchema.safeParse(key).success).toBe(true);
          expect(recordIdFor('onboarding', key)).not.toBe(batchItemRecordId(batchId, item));
        },
      ),
      { numRuns: 500 },
    );
  });
});
