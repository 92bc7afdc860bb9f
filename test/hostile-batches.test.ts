/**
 * Hostile batch bodies (fast-check): whatever arrives at `POST /onboarding-batches` that is not a valid batch (junk
 * JSON, a valid batch with one item spoiled, random CSV text under a real header) answers a 4xx with a JSON message,
 * and records nothing: no item in the table, no execution started.
 */
import 'aws-sdk-client-mock-vitest/extend';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '#domain/batch-csv';
import { ENV } from '#domain/configuration';
import { handler } from '#lambdas/api';
import { apiEvent, useApiHarness } from './support/api-harness';
import { createRequest, linkRequest } from './support/handlers-support';

const harness = useApiHarness();
beforeAll(() => {
  process.env[ENV.batchStateMachineArn] = 'arn:aws:states:us-east-1:123456789012:stateMachine:Batch';
});

async function post(body: string, contentType: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const event = apiEvent('POST', '/onboarding-batches', { body, headers: { 'Content-Type': contentType } });
  const result = await handler(event);
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

async function expectRefusedAndNothingRecorded(answer: {
  status: number;
  body: Record<string, unknown>;
}): Promise<void> {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(typeof answer.body.message).toBe('string');
  await harness.expectNothingRecorded();
}

const RUNS = { numRuns: 40, seed: 20261201 };

describe('hostile batch bodies', () => {
  it('junk JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        await expectRefusedAndNothingRecorded(await post(JSON.stringify(value), 'application/json'));
      }),
      RUNS,
    );
  });

  it('a valid batch with one item spoiled', async () => {
    const spoil = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ customerId: fc.string(), managementType: fc.string(), services: fc.jsonValue() }),
      fc.constant({ ...linkRequest('3000000000'), extra: true }),
      fc.constant(createRequest('x@gmail.com')),
      fc.constant(linkRequest('3000000001')), // a duplicate of item 1
    );
    await fc.assert(
      fc.asyncProperty(spoil, fc.nat(5), async (bad, at) => {
        const items: unknown[] = [
          linkRequest('3000000002'),
          linkRequest('3000000001'),
          createRequest('ada@acme.example'),
        ];
        items.splice(Math.min(at, items.length), 0, bad);
        await expectRefusedAndNothingRecorded(await post(JSON.stringify({ items }), 'application/json'));
      }),
      RUNS,
    );
  });

  it('random CSV text under a real header, and random headers', async () => {
    const cell = fc.string({ unit: 'binary', maxLength: 12 });
    const row = fc.array(cell, { minLength: 1, maxLength: CSV_COLUMNS.length + 2 }).map((cells) => cells.join(','));
    const header = fc.oneof(
      fc.constant(CSV_COLUMNS.join(',')),
      fc.array(fc.string({ maxLength: 10 }), { maxLength: 6 }).map((h) => h.join(',')),
    );
    await fc.assert(
      fc.asyncProperty(header, fc.array(row, { minLength: 1, maxLength: 5 }), async (head, rows) => {
        await expectRefusedAndNothingRecorded(await post([head, ...rows].join('\n'), 'text/csv'));
      }),
      RUNS,
    );
  });
});
