/**
 * The batch routes of the api handler and the batch starter, on a real in-memory dynalite with Step Functions mocked:
 * all or nothing (every problem listed with its item path or CSV line, bounded; the limits; duplicates; unknown or
 * missing CSV columns; nothing recorded), the accepted answer and the execution it starts, idempotency, reads and
 * pages, and the starter's slices (deterministic execution names, items joined, a repeat starts nothing twice).
 */
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_SLICE_ITEMS, MAX_BATCH_ITEMS, MAX_LISTED_ISSUES } from '#domain/batch-schemas';
import { MAX_BATCH_BODY_BYTES } from '#domain/routes';
import { ENV } from '#domain/configuration';
import { handler } from '#lambdas/api';
import { handler as starter } from '#lambdas/batch-starter';
import { getRecord } from '#lambdas/store/index';
import { TEST_STATE_MACHINE_ARNS, apiEvent, expectIssuesAt, useApiHarness } from './support/api-harness';
import { startOneSlice } from './support/batch-rounds';
import { createRequest, linkRequest } from './support/handlers-support';

const BATCH_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Batch';
const harness = useApiHarness();

beforeAll(() => {
  process.env[ENV.batchStateMachineArn] = BATCH_ARN;
  process.env[ENV.knoxRequestsPerSecond] = '10';
});

async function call(
  method: string,
  path: string,
  options: {
    json?: unknown;
    csv?: string;
    raw?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
  } = {},
) {
  const body = options.csv ?? options.raw ?? (options.json === undefined ? null : JSON.stringify(options.json));
  const contentType = options.csv !== undefined ? 'text/csv' : 'application/json';
  const headers = { ...(body !== null ? { 'Content-Type': contentType } : {}), ...options.headers };
  const result = await handler(apiEvent(method, path, { body, headers, query: options.query }));
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, any> };
}

const links = (n: number, from = 0) => Array.from({ length: n }, (_, i) => linkRequest(String(2000000000 + from + i)));
const HEADER =
  'customerId,companyName,companySize,industry,country,street1,city,firstName,lastName,email,managementType,accessType,services';

describe('POST /onboarding-batches: all or nothing', () => {
  it('lists every problem with its item path, and records nothing', async () => {
    const items = [
      linkRequest('2000000001'),
      createRequest('not-an-email'),
      linkRequest('12ab'),
      { customerId: '2000000004' },
    ];
    expectIssuesAt(await call('POST', '/onboarding-batches', { json: { items } }), [
      'items.1.customer.contact.email',
      'items.2.customerId',
      'items.3.managementType',
      'items.3.services',
    ]);
    await harness.expectNothingRecorded();
  });

  it('refuses the same customer or the same e-mail twice in one batch', async () => {
    const items = [
      linkRequest('2000000001'),
      createRequest('Ada@Acme.example'),
      linkRequest('2000000001'),
      createRequest('ada@acme.example'),
    ];
    const { status, body } = await call('POST', '/onboarding-batches', { json: { items } });
    expect(status).toBe(400);
    expect(body.issues).toEqual([
      { path: 'items.2.customerId', message: expect.stringContaining('same customer as item 0') },
      { path: 'items.3.customer.contact.email', message: expect.stringContaining('same e-mail as item 1') },
    ]);
    await harness.expectNothingRecorded();
  });

  it('refuses more than 1,000 items with one problem, an empty batch, and a body over the limit', async () => {
    const tooMany = await call('POST', '/onboarding-batches', { json: { items: links(MAX_BATCH_ITEMS + 1) } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.issues).toEqual([
      { path: 'items', message: 'has more than 1000 entries; at most 1000 are read' },
    ]);
    expect((await call('POST', '/onboarding-batches', { json: { items: [] } })).status).toBe(400);
    const huge = await call('POST', '/onboarding-batches', {
      raw: `{"items":[],"pad":"${'x'.repeat(MAX_BATCH_BODY_BYTES)}"}`,
    });
    expect(huge.status).toBe(413);
    expect(
      (await call('POST', '/onboarding-batches', { raw: 'a,b', headers: { 'Content-Type': 'text/plain' } })).status,
    ).toBe(415);
    await harness.expectNothingRecorded();
  });

  it('lists a bounded number of problems, then counts the rest', async () => {
    const { status, body } = await call('POST', '/onboarding-batches', {
      json: { items: links(300).map((l) => ({ ...l, managementType: 'Nope' })) },
    });
    expect(status).toBe(400);
    expect(body.issues).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(body.issues.at(-1)).toEqual({ path: '', message: `and ${300 - MAX_LISTED_ISSUES} more problems` });
    await harness.expectNothingRecorded();
  });

  it('a CSV: unknown and missing columns, and each row problem as "line N: column"', async () => {
    const columns = await call('POST', '/onboarding-batches', {
      csv: 'customerId,colour,accessType\n2000000001,red,FullAccess\n',
    });
    expect(columns.status).toBe(400);
    expect(columns.body.issues).toEqual(
      expect.arrayContaining([
        { path: 'line 1: colour', message: expect.stringContaining('unknown column') },
        { path: 'line 1: managementType', message: 'missing column' },
        { path: 'line 1: services', message: 'missing column' },
      ]),
    );
    const rows = await call('POST', '/onboarding-batches', {
      csv: [
        HEADER,
        '2000000001,,,,,,,,,,JointlyManaged,FullAccess,KnoxMobileEnrollment',
        ',Acme,20-99,IT,USA,1 Main St,Chicago,Ada,Lee,ada@acme.example,JointlyManaged,FullAccess,KnoxManage:.acme',
        '2000000001,,,,,,,,,,JointlyManaged,FullAccess,KnoxMobileEnrollment',
      ].join('\n'),
    });
    expect(rows.status).toBe(400);
    expect(rows.body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'line 3: country' }),
        expect.objectContaining({ path: 'line 3: services' }),
        { path: 'line 4: customerId', message: expect.stringContaining('same customer as line 2') },
      ]),
    );
    await harness.expectNothingRecorded();
  });
});

describe('an accepted batch', () => {
  it('answers 202, starts the batch execution, reads, pages its items, and repeats with the same key', async () => {
    const items = [...links(BATCH_SLICE_ITEMS + 5), createRequest('it@new-co.example')];
    const posted = await call('POST', '/onboarding-batches', {
      json: { items },
      headers: { 'Idempotency-Key': 'b-1' },
    });
    expect(posted).toEqual({
      status: 202,
      body: { batchId: expect.stringMatching(/^bat-[0-9a-f]{16}$/), status: 'STARTING', total: 31 },
    });
    const { batchId } = posted.body;
    expect(harness.sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: BATCH_ARN,
      name: batchId,
      input: JSON.stringify({ batchId }),
    });

    const read = await call('GET', `/onboarding-batches/${batchId}`);
    expect(read.body).toMatchObject({
      batchId,
      status: 'STARTING',
      total: 31,
      started: 0,
      counts: { REQUESTED: 31, SUCCEEDED: 0 },
    });
    const page = await call('GET', `/onboarding-batches/${batchId}/items`, { query: { limit: '20' } });
    expect(page.body.items).toHaveLength(20);
    expect(page.body.cursor).toBe('20');
    const rest = await call('GET', `/onboarding-batches/${batchId}/items`, {
      query: { limit: '20', cursor: page.body.cursor },
    });
    expect(rest.body.items.map((i: { item: number }) => i.item)).toEqual([...Array(11).keys()].map((i) => i + 20));
    expect(rest.body.cursor).toBeUndefined();
    expect(rest.body.items[0]).toEqual({ item: 20, onboardingId: expect.stringMatching(/^onb-/), status: 'REQUESTED' });

    const again = await call('POST', '/onboarding-batches', { json: { items }, headers: { 'Idempotency-Key': 'b-1' } });
    expect(again).toEqual({ status: 200, body: posted.body });
    const other = await call('POST', '/onboarding-batches', {
      json: { items: items.slice(1) },
      headers: { 'Idempotency-Key': 'b-1' },
    });
    expect(other.status).toBe(422);
    expect((await call('GET', '/onboarding-batches/bat-0000000000000000')).status).toBe(404);
    expect((await call('PUT', `/onboarding-batches/${batchId}`)).status).toBe(405);
  });

  it('the starter starts items in order with deterministic names; a repeat starts nothing twice', async () => {
    const items = links(BATCH_SLICE_ITEMS + 2);
    const { batchId } = (await call('POST', '/onboarding-batches', { json: { items } })).body;
    harness.sfn.resetHistory();
    const first = await startOneSlice(batchId);
    // Its work time spent, the step hands back to go on at once (the Knox budget is idle: no Wait).
    expect(first).toMatchObject({ batchId, status: 'STARTING', next: 'slice', waitSeconds: 0 });
    const starts = harness.sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(BATCH_SLICE_ITEMS);
    expect(new Set(starts.map((s) => s.name)).size).toBe(BATCH_SLICE_ITEMS);
    expect(starts.every((s) => s.stateMachineArn === TEST_STATE_MACHINE_ARNS.onboarding)).toBe(true);

    const listed = (await call('GET', `/onboarding-batches/${batchId}/items`)).body.items;
    const record = await getRecord(listed[0].onboardingId);
    expect(record).toMatchObject({
      batchId,
      status: 'REQUESTED',
      executionName: `${items[0]!.customerId}-${listed[0].onboardingId}`,
    });

    const second = await startOneSlice(batchId);
    expect(second.status).toBe('RUNNING');
    expect(harness.sfn.commandCalls(StartExecutionCommand)).toHaveLength(BATCH_SLICE_ITEMS + 2);
    // Once all are started, the step only counts: nothing is started again.
    const third = (await starter({ batchId, action: 'start' }))!;
    expect(third).toMatchObject({ status: 'RUNNING' });
    expect(harness.sfn.commandCalls(StartExecutionCommand)).toHaveLength(BATCH_SLICE_ITEMS + 2);
    expect((await call('GET', `/onboarding-batches/${batchId}`)).body).toMatchObject({
      status: 'RUNNING',
      started: BATCH_SLICE_ITEMS + 2,
    });
  });

  it('an item whose customer has an open onboarding joins it', async () => {
    const open = await call('POST', '/onboardings', { json: linkRequest('2000000100') });
    const { batchId } = (
      await call('POST', '/onboarding-batches', {
        json: { items: [linkRequest('2000000100'), linkRequest('2000000101')] },
      })
    ).body;
    await starter({ batchId, action: 'start' });
    const items = (await call('GET', `/onboarding-batches/${batchId}/items`)).body.items;
    expect(items[0].onboardingId).toBe(open.body.onboardingId);
    expect(items[1].onboardingId).not.toBe(open.body.onboardingId);
  });
});
