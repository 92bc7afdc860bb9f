/**
 * The HTTP API handler (lambdas/api.ts): routes, validation, idempotency, the one-open-workflow-per-customer lock,
 * cancel, reads and lists. DynamoDB is a real in-memory dynalite (the answers are checked against what the table
 * holds); Step Functions is mocked with aws-sdk-client-mock.
 */
import 'aws-sdk-client-mock-vitest/extend';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ENV } from '#domain/configuration';
import { customerLockKey } from '#domain/table-layout';
import { handler } from '#lambdas/api';
import { finish, getRecord, startAttempt } from '#lambdas/store/index';
import { MAX_BODY_BYTES } from '#lambdas/commons/http';
import {
  TEST_STATE_MACHINE_ARNS,
  apiEvent,
  executionArnOf,
  expectIssuesAt,
  useApiHarness,
} from './support/api-harness';
import { createRequest, linkRequest } from './support/handlers-support';

const ARNS = TEST_STATE_MACHINE_ARNS;
const harness = useApiHarness();
const { sfn } = harness;

interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

function event(method: string, path: string, options: CallOptions = {}): APIGatewayProxyEvent {
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const headers = { ...(body !== null ? { 'Content-Type': 'application/json' } : {}), ...options.headers };
  return apiEvent(method, path, { body, headers, query: options.query });
}

async function call(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; body: Record<string, any>; result: APIGatewayProxyResult }> {
  const result = await handler(event(method, path, options), { awsRequestId: 'req-1' });
  expect(result.headers?.['content-type']).toMatch(/^application\/json/);
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, any>, result };
}

function startedArn(name: string, machine = ARNS.onboarding): string {
  return executionArnOf(machine, name);
}

/**
 * Every StartExecution sent so far named one and the same execution with the same input: Step Functions answers a
 * repeat with the execution it started (idempotent for Standard workflows), so no second execution exists.
 */
function expectOneExecutionAsked(): void {
  const starts = sfn.commandCalls(StartExecutionCommand).map(({ args: [{ input }] }) => [input.name, input.input]);
  expect(starts.length).toBeGreaterThan(1);
  expect(new Set(starts.map((start) => JSON.stringify(start))).size).toBe(1);
}

describe('POST /onboardings', () => {
  it('records a link onboarding, locks the customer and starts its execution', async () => {
    const { status, body } = await call('POST', '/onboardings', { body: linkRequest('1234567890') });

    expect(status).toBe(202);
    expect(body.onboardingId).toMatch(/^onb-[0-9a-f]{16}$/);
    expect(body.status).toBe('REQUESTED');
    expect(body.executionName).toBe(`1234567890-${body.onboardingId}`);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARNS.onboarding,
      name: body.executionName,
      input: JSON.stringify({ id: body.onboardingId, path: 'link' }),
    });

    const record = await getRecord(body.onboardingId);
    expect(record).toMatchObject({
      kind: 'onboarding',
      status: 'REQUESTED',
      customerId: '1234567890',
      customerKey: '1234567890',
      path: 'link',
      kindStatus: 'onboarding#REQUESTED',
      version: 1,
    });
    // Nothing is written after StartExecution: the execution's first step records that it runs.
    expect(record!.executionArn).toBeUndefined();
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: body.executionName });
    expect(record!.request).toEqual(linkRequest('1234567890'));
    expect(Date.parse(record!.deadline) - Date.parse(record!.createdAt)).toBe(3600 * 1000);
    expect(record!.history.map((h) => h.event)).toEqual(['requested']);

    const items = await harness.dynamo.items(harness.table);
    expect(items.find((i) => i.pk === customerLockKey('1234567890'))).toMatchObject({
      recordId: body.onboardingId,
      kind: 'onboarding',
    });
  });

  it('records a create onboarding under the contact e-mail, with no customerId in the execution name or input', async () => {
    const { status, body } = await call('POST', '/onboardings', { body: createRequest('Ada@Acme.example') });

    expect(status).toBe(202);
    expect(body.executionName).toBe(`new-${body.onboardingId}`);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      input: JSON.stringify({ id: body.onboardingId, path: 'create' }),
    });
    const record = await getRecord(body.onboardingId);
    expect(record).toMatchObject({ customerKey: 'email:ada@acme.example', path: 'create' });
    expect(record!.customerId).toBeUndefined();
  });

  it('answers a repeat with the same Idempotency-Key with 200 and the same id, and starts nothing more', async () => {
    const first = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'Idempotency-Key': 'key-1' },
    });
    const again = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'idempotency-key': 'key-1' },
    });

    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      onboardingId: first.body.onboardingId,
      status: 'REQUESTED',
      executionName: first.body.executionName,
    });
    // Before the execution's first step the record is still REQUESTED: the repeat asks for the very same execution.
    expectOneExecutionAsked();

    // Once the first step has run, a repeat starts nothing at all.
    await startAttempt(first.body.onboardingId, 'link', { executionName: first.body.executionName });
    const late = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'Idempotency-Key': 'key-1' },
    });
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('IN_PROGRESS');
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
  });

  it('derives the id from the key, so a key gives the same id in any table', async () => {
    const first = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'IDEMPOTENCY-KEY': 'fixed-key' },
    });
    await harness.dynamo.newTable();
    const second = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'Idempotency-Key': 'fixed-key' },
    });
    expect(second.body.onboardingId).toBe(first.body.onboardingId);
  });

  it('refuses the same Idempotency-Key for a different request with 422', async () => {
    const first = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'Idempotency-Key': 'key-2' },
    });
    const other = await call('POST', '/onboardings', {
      body: linkRequest('1234567890', { accessType: 'NoAccess' }),
      headers: { 'Idempotency-Key': 'key-2' },
    });
    expect(other.status).toBe(422);
    expect(other.body.onboardingId).toBe(first.body.onboardingId);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('answers 200 with the open onboarding when the same customer is onboarded again, and starts nothing', async () => {
    const first = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    const second = await call('POST', '/onboardings', { body: linkRequest('1234567890', { accessType: 'NoAccess' }) });

    expect(second.status).toBe(200);
    expect(second.body.onboardingId).toBe(first.body.onboardingId);
    expectOneExecutionAsked();
    const records = (await harness.dynamo.items(harness.table)).filter((i) => String(i.pk).startsWith('onb-'));
    expect(records).toHaveLength(1);
  });

  it('treats a create for the same contact e-mail (any case) as the same customer', async () => {
    const first = await call('POST', '/onboardings', { body: createRequest('ada@acme.example') });
    const second = await call('POST', '/onboardings', { body: createRequest('ADA@acme.example') });
    expect(second.status).toBe(200);
    expect(second.body.onboardingId).toBe(first.body.onboardingId);
  });

  it('accepts ExecutionAlreadyExists as the execution of this onboarding', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Execution already exists'), { name: 'ExecutionAlreadyExists' }));
    const { status, body } = await call('POST', '/onboardings', { body: linkRequest('1234567890') });

    expect(status).toBe(202);
    expect((await getRecord(body.onboardingId))!.status).toBe('REQUESTED');
  });

  it('answers 503 when the execution cannot start, and the same request later starts it', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' }));
    const failed = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'Idempotency-Key': 'k-503' },
    });
    expect(failed.status).toBe(503);
    expect(failed.body.onboardingId).toMatch(/^onb-/);

    sfn
      .on(StartExecutionCommand)
      .callsFake((input: { name: string }) => ({ executionArn: startedArn(input.name), startDate: new Date() }));
    const resumed = await call('POST', '/onboardings', {
      body: linkRequest('1234567890'),
      headers: { 'Idempotency-Key': 'k-503' },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body.onboardingId).toBe(failed.body.onboardingId);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    expect(sfn).toHaveReceivedNthCommandWith(StartExecutionCommand, 2, { name: failed.body.executionName });
  });

  it('starts a record left REQUESTED without an execution when the same customer is asked for again (no key)', async () => {
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalError' }));
    const failed = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    expect(failed.status).toBe(503);
    sfn
      .on(StartExecutionCommand)
      .callsFake((input: { name: string }) => ({ executionArn: startedArn(input.name), startDate: new Date() }));

    const again = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    expect(again.status).toBe(200);
    expect(again.body.onboardingId).toBe(failed.body.onboardingId);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    expect(sfn).toHaveReceivedNthCommandWith(StartExecutionCommand, 2, { name: failed.body.executionName });
  });

  it('releases a stale lock (its record is terminal) and onboards the customer again', async () => {
    const first = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    // The record ended without its lock being released (e.g. a crash between the two writes).
    await finish(first.body.onboardingId, 'FAILED');

    const second = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    expect(second.status).toBe(202);
    expect(second.body.onboardingId).not.toBe(first.body.onboardingId);
    const lock = (await harness.dynamo.items(harness.table)).find((i) => i.pk === customerLockKey('1234567890'));
    expect(lock?.recordId).toBe(second.body.onboardingId);
  });
});

describe('bad requests write nothing and start nothing', () => {
  it('lists every issue of a link body', async () => {
    const answer = await call('POST', '/onboardings', {
      body: { customerId: 'abc', managementType: 'Sometimes', services: [] },
    });
    expectIssuesAt(answer, ['customerId', 'managementType', 'services']);
    const { body } = answer;
    expect(body.message).toEqual(expect.any(String));
    expect(body.issues.every((i: { message: unknown }) => typeof i.message === 'string' && i.message.length > 0)).toBe(
      true,
    );
    await harness.expectNothingRecorded();
  });

  it('lists every issue of a create body, under customer.*', async () => {
    const answer = await call('POST', '/onboardings', {
      body: {
        customer: { companyName: 'Acme', companySize: '7', country: 'us', contact: { firstName: 'A' } },
        managementType: 'JointlyManaged',
        accessType: 'FullAccess',
        services: [{ service: 'KnoxManage' }],
      },
    });
    const paths = expectIssuesAt(answer, [
      'customer.companySize',
      'customer.industry',
      'customer.country',
      'customer.street1',
      'customer.city',
      'customer.contact.lastName',
      'customer.contact.email',
    ]);
    expect(paths).not.toContain('customerId');
    await harness.expectNothingRecorded();
  });

  it('refuses a body with neither customerId nor customer, saying so', async () => {
    const { status, body } = await call('POST', '/onboardings', { body: {} });
    expect(status).toBe(400);
    expect(body.issues[0]).toEqual({ path: '', message: expect.stringContaining('customerId') });
    await harness.expectNothingRecorded();
  });

  it('applies the management rules (accessType with services, work e-mail for jointly managed)', async () => {
    const noAccess = await call('POST', '/onboardings', { body: linkRequest('1234567890', { accessType: undefined }) });
    expect(noAccess.status).toBe(400);
    expect(noAccess.body.issues).toEqual([{ path: 'accessType', message: expect.stringContaining('4002120') }]);

    const freeMail = await call('POST', '/onboardings', { body: createRequest('someone@gmail.com') });
    expect(freeMail.status).toBe(400);
    expect(freeMail.body.issues).toEqual([
      { path: 'customer.contact.email', message: expect.stringContaining('4002114') },
    ]);

    const scp = await call('POST', '/onboardings', {
      body: linkRequest('1234567890', { services: [{ service: 'SamsungCarePlus' }] }),
    });
    expect(scp.status).toBe(400);
    await harness.expectNothingRecorded();
  });

  it('refuses a body that is not JSON, or not an object', async () => {
    const broken = await call('POST', '/onboardings', { rawBody: '{"customerId": ' });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toMatch(/JSON/);

    const array = await call('POST', '/onboardings', { body: [] });
    expect(array.status).toBe(400);
    const empty = await call('POST', '/onboardings', { rawBody: '' });
    expect(empty.status).toBe(400);
    await harness.expectNothingRecorded();
  });

  it('refuses a bad Idempotency-Key beside the body issues', async () => {
    const { status, body } = await call('POST', '/onboardings', {
      body: {
        customerId: 'abc',
        managementType: 'JointlyManaged',
        accessType: 'FullAccess',
        services: [{ service: 'KnoxMobileEnrollment' }],
      },
      headers: { 'Idempotency-Key': 'has spaces in it' },
    });
    expect(status).toBe(400);
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(['Idempotency-Key', 'customerId']);
    await harness.expectNothingRecorded();
  });

  it('refuses bad offboarding and change bodies', async () => {
    const off = await call('POST', '/offboardings', { body: { customerId: 42, extra: true } });
    expectIssuesAt(off, ['customerId', '']);

    const change = await call('POST', '/changes', { body: { customerId: '1234567890' } });
    expect(change.status).toBe(400);
    expect(change.body.issues).toEqual([
      { path: '', message: expect.stringContaining('managementType, accessType or services') },
    ]);
    await harness.expectNothingRecorded();
  });

  it('answers 413 for a body over 1 MB and 415 for a body that is not JSON', async () => {
    const big = await call('POST', '/onboardings', { rawBody: JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) }) });
    expect(big.status).toBe(413);

    const form = await call('POST', '/onboardings', {
      rawBody: 'customerId=1',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const text = await call('POST', '/changes', { rawBody: '{}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    await harness.expectNothingRecorded();
  });

  it('accepts JSON with a charset and a base64-encoded body', async () => {
    const withCharset = await call('POST', '/offboardings', {
      body: { customerId: '1111111111' },
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
    expect(withCharset.status).toBe(202);

    const encoded = event('POST', '/offboardings', {
      rawBody: Buffer.from(JSON.stringify({ customerId: '2222222222' })).toString('base64'),
    });
    encoded.isBase64Encoded = true;
    const result = await handler(encoded);
    expect(result.statusCode).toBe(202);
  });
});

describe('one open workflow per customer', () => {
  it('answers 409 with the open one for another kind, and 200 with it for the same kind', async () => {
    const onboarding = await call('POST', '/onboardings', { body: linkRequest('5555555555') });

    const offboarding = await call('POST', '/offboardings', { body: { customerId: '5555555555' } });
    expect(offboarding.status).toBe(409);
    expect(offboarding.body).toMatchObject({
      openId: onboarding.body.onboardingId,
      kind: 'onboarding',
      message: expect.any(String),
    });

    const change = await call('POST', '/changes', {
      body: { customerId: '5555555555', managementType: 'FullyManaged' },
    });
    expect(change.status).toBe(409);
    expect(change.body.openId).toBe(onboarding.body.onboardingId);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('starts an offboarding and a change on their own state machines, each once per customer', async () => {
    const off = await call('POST', '/offboardings', { body: { customerId: '6666666666' } });
    expect(off.status).toBe(202);
    expect(off.body).toEqual({
      offboardingId: expect.stringMatching(/^off-/),
      status: 'REQUESTED',
      executionName: `6666666666-${off.body.offboardingId}`,
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARNS.offboarding,
      input: JSON.stringify({ id: off.body.offboardingId }),
    });
    const offAgain = await call('POST', '/offboardings', { body: { customerId: '6666666666' } });
    expect(offAgain.status).toBe(200);
    expect(offAgain.body.offboardingId).toBe(off.body.offboardingId);

    const change = await call('POST', '/changes', {
      body: { customerId: '7777777777', services: [{ service: 'KnoxConfigure' }], accessType: 'FullAccess' },
    });
    expect(change.status).toBe(202);
    expect(change.body.changeId).toMatch(/^chg-/);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ARNS.change });
    const onboardingMeanwhile = await call('POST', '/onboardings', { body: linkRequest('7777777777') });
    expect(onboardingMeanwhile.status).toBe(409);
    expect(onboardingMeanwhile.body).toMatchObject({ openId: change.body.changeId, kind: 'change' });
  });
});

describe('GET', () => {
  it('reads one record with its status, history and execution name', async () => {
    const posted = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    const { status, body } = await call('GET', `/onboardings/${posted.body.onboardingId}`);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      onboardingId: posted.body.onboardingId,
      status: 'REQUESTED',
      customerId: '1234567890',
      executionName: posted.body.executionName,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(body.history).toHaveLength(1);
    expect(body).not.toHaveProperty('request');
    expect(body).not.toHaveProperty('lastError');
  });

  it('reads offboardings and changes by their own ids, and 404s across kinds', async () => {
    const off = await call('POST', '/offboardings', { body: { customerId: '1111111111' } });
    const read = await call('GET', `/offboardings/${off.body.offboardingId}`);
    expect(read.status).toBe(200);
    expect(read.body.offboardingId).toBe(off.body.offboardingId);

    expect((await call('GET', `/onboardings/${off.body.offboardingId}`)).status).toBe(404);
    expect((await call('GET', `/changes/${off.body.offboardingId}`)).status).toBe(404);
  });

  it('answers 404 for unknown or malformed ids', async () => {
    const unknown = await call('GET', '/onboardings/onb-0123456789abcdef');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toEqual(expect.any(String));
    expect((await call('GET', '/onboardings/not-an-id')).status).toBe(404);
    expect((await call('GET', '/changes/%E0%A4%A')).status).toBe(404);
  });

  it('lists by status through the index, pages with a cursor, and lists open ones without a status', async () => {
    const ids: string[] = [];
    for (const customerId of ['1000000001', '1000000002', '1000000003']) {
      ids.push((await call('POST', '/onboardings', { body: linkRequest(customerId) })).body.onboardingId);
    }
    await finish(ids[0]!, 'SUCCEEDED');

    const requested = await call('GET', '/onboardings', { query: { status: 'REQUESTED' } });
    expect(requested.status).toBe(200);
    expect(requested.body.items.map((i: { onboardingId: string }) => i.onboardingId).sort()).toEqual(
      [ids[1], ids[2]].sort(),
    );

    const page1 = await call('GET', '/onboardings', { query: { status: 'REQUESTED', limit: '1' } });
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await call('GET', '/onboardings', {
      query: { status: 'REQUESTED', limit: '1', cursor: page1.body.nextCursor },
    });
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].onboardingId).not.toBe(page1.body.items[0].onboardingId);

    const succeeded = await call('GET', '/onboardings', { query: { status: 'SUCCEEDED' } });
    expect(succeeded.body.items.map((i: { onboardingId: string }) => i.onboardingId)).toEqual([ids[0]]);

    const open = await call('GET', '/onboardings');
    expect(open.body.items.map((i: { onboardingId: string }) => i.onboardingId).sort()).toEqual(
      [ids[1], ids[2]].sort(),
    );
  });

  it('validates the list query', async () => {
    const bad = await call('GET', '/onboardings', { query: { status: 'DONE' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('status');
    expect((await call('GET', '/onboardings', { query: { colour: 'red' } })).status).toBe(400);
    expect((await call('GET', '/onboardings', { query: { status: 'WAITING', cursor: 'garbage' } })).status).toBe(400);
    expect((await call('GET', '/onboardings', { query: { cursor: 'x' } })).status).toBe(400);
    expect((await call('GET', '/onboardings', { query: { status: 'WAITING', limit: '0' } })).status).toBe(400);
  });
});

describe('DELETE /onboardings/{id}', () => {
  it('cancels an open onboarding, stops its execution and frees the customer', async () => {
    const posted = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    const { status, body } = await call('DELETE', `/onboardings/${posted.body.onboardingId}`);

    expect(status).toBe(200);
    expect(body.status).toBe('CANCELLED');
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: startedArn(posted.body.executionName),
    });
    const record = await getRecord(posted.body.onboardingId);
    expect(record).toMatchObject({ status: 'CANCELLED', kindStatus: 'onboarding#CANCELLED' });
    expect((await harness.dynamo.items(harness.table)).some((i) => i.pk === customerLockKey('1234567890'))).toBe(false);

    const again = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    expect(again.status).toBe(202);
  });

  it('answers 409 with the status for a terminal onboarding, and 404 for an unknown one', async () => {
    const posted = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    await call('DELETE', `/onboardings/${posted.body.onboardingId}`);
    const second = await call('DELETE', `/onboardings/${posted.body.onboardingId}`);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ status: 'CANCELLED', message: expect.any(String) });
    // A repeat sends the stop again (a first one that failed left the execution parked); nothing else is written.
    expect(sfn).toHaveReceivedCommandTimes(StopExecutionCommand, 2);
    expect((await getRecord(posted.body.onboardingId))?.version).toBe(2);

    // An onboarding that ended on its own: 409, and its execution is left alone.
    const other = await call('POST', '/onboardings', { body: linkRequest('1234567891') });
    await finish(other.body.onboardingId, 'SUCCEEDED');
    const ended = await call('DELETE', `/onboardings/${other.body.onboardingId}`);
    expect(ended).toMatchObject({ status: 409, body: { status: 'SUCCEEDED' } });
    expect(sfn).toHaveReceivedCommandTimes(StopExecutionCommand, 2);

    expect((await call('DELETE', '/onboardings/onb-0123456789abcdef')).status).toBe(404);
  });

  it('tolerates an execution that does not exist', async () => {
    sfn
      .on(StopExecutionCommand)
      .rejects(Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' }));
    const posted = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
    const { status, body } = await call('DELETE', `/onboardings/${posted.body.onboardingId}`);
    expect(status).toBe(200);
    expect(body.status).toBe('CANCELLED');
  });
});

describe('routing', () => {
  it('answers 404 for unknown paths and 405 with Allow for other methods', async () => {
    expect((await call('GET', '/customers')).status).toBe(404);
    expect((await call('GET', '/')).status).toBe(404);
    expect((await call('GET', '/onboardings/a/b')).status).toBe(404);

    const put = await call('PUT', '/onboardings', { body: {} });
    expect(put.status).toBe(405);
    expect(put.result.headers?.allow).toBe('POST, GET');
    const deleteOff = await call('DELETE', '/offboardings/off-0123456789abcdef');
    expect(deleteOff.status).toBe(405);
    expect(deleteOff.result.headers?.allow).toBe('GET');
    expect((await call('GET', '/changes')).status).toBe(405);
  });

  it('tolerates a trailing slash', async () => {
    expect((await call('POST', '/offboardings/', { body: { customerId: '1111111111' } })).status).toBe(202);
  });

  it('answers 500 JSON, not a crash, when its own settings are missing', async () => {
    const saved = process.env[ENV.onboardingStateMachineArn];
    delete process.env[ENV.onboardingStateMachineArn];
    try {
      const { status, body } = await call('POST', '/onboardings', { body: linkRequest('1234567890') });
      expect(status).toBe(500);
      expect(body).toEqual({ message: expect.any(String), requestId: 'req-1' });
    } finally {
      process.env[ENV.onboardingStateMachineArn] = saved;
    }
  });
});
