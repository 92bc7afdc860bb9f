/**
 * The Knox steps, record-outcome and execution-events against the Knox simulator over real HTTP, with the records in
 * a real in-memory dynalite and the Knox secret from a mocked Secrets Manager. Each case checks the error name the
 * state machine routes on AND what the record says afterwards (status, lastError, history, counters).
 * Expected dispositions come from the error table (specFor), never from a list typed here.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES } from '#domain/dispositions';
import { KnoxError } from '#domain/knox-answer';
import { specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import { ENV } from '#domain/configuration';
import { RECORD_CANCELLED_ERROR, RECORD_CLOSED_ERROR } from '#domain/state-names';
import { TABLE, customerLockKey } from '#domain/table-layout';
import type { KnoxStepPayload } from '#domain/payloads';
import { LIST_PAGE_ATTEMPTS } from '#knox/client';
import {
  startKnoxSimulator,
  FIXTURES,
  FIXTURE_KM_TENANTS,
  FIXTURE_REGISTERED_EMAILS,
  SIM_DEFAULT_CREDENTIALS,
  SIM_EXTRA_CREDENTIALS,
  UNKNOWN_CUSTOMER_ID,
} from '#knox-sim/server';
import { KnoxSimControl } from '#knox-sim/control';
import { handler as awaitAnswer } from '#lambdas/await-answer';
import { handler as linkCustomer } from '#lambdas/link-customer';
import { handler as createCustomer } from '#lambdas/create-customer';
import { handler as requestDelink } from '#lambdas/request-delink';
import { handler as updateCustomer } from '#lambdas/update-customer';
import { handler as recordOutcome } from '#lambdas/record-outcome';
import { handler as executionEvents } from '#lambdas/execution-events';
import { logger } from '#lambdas/commons/powertools';
import { HISTORY_EVENTS, finish, readLock, recordKnoxError } from '#lambdas/store/index';
import { knoxClient, resetKnoxClient } from '#lambdas/steps/knox';
import { timing, type StepHandler } from '#lambdas/steps/runner';
import { db } from '#lambdas/store/table-client';
import { createRequest, linkRequest } from './support/handlers-support';
import { nextSerial, pollerAnswer, recordOf, seedRecord, useStepHarness } from './support/step-harness';

let control: KnoxSimControl;
const harness = useStepHarness(
  async () => {
    const sim = await startKnoxSimulator({ port: 0 });
    control = new KnoxSimControl(sim.url);
    return sim;
  },
  { beforeEach: () => control.reset() },
);
const { secrets } = harness;

// --- Helpers --------------------------------------------------------------------------------------------------------

/** A link onboarding of an Active customer of ours that asks for a service it lacks (KnoxConfigure). */
const seedLackingService = () =>
  seedRecord(
    'onboarding',
    linkRequest(FIXTURES.ownedActive, {
      services: [{ service: 'KnoxMobileEnrollment' }, { service: 'KnoxConfigure' }],
    }),
    { path: 'link' },
  );

/** The step's thrown error name (or 'success'), to compare with STEP_ERROR_NAMES. */
async function outcome(
  step: StepHandler,
  payload: KnoxStepPayload,
  context?: Parameters<StepHandler>[1],
): Promise<string> {
  try {
    await step(payload, context);
    return 'success';
  } catch (error) {
    return (error as Error).name;
  }
}

/** The error name the table gives a code. */
function nameFor(code: KnoxErrorCodeName): string {
  return STEP_ERROR_NAMES[specFor(code).disposition];
}

/** Records the name of every command the store's DynamoDB client sends about one record, until stop(). */
function recordCommands(id: string): { names: string[]; stop: () => void } {
  const names: string[] = [];
  const name = 'count-record-commands';
  db().middlewareStack.add(
    (next, context) => (args) => {
      // The document client's commands reach this stack before or after marshalling: either form of the key.
      const key = (args.input as { Key?: Record<string, unknown> }).Key?.[TABLE.partitionKey];
      if (key === id || (key as { S?: string } | undefined)?.S === id) names.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { names, stop: () => db().middlewareStack.remove(name) };
}

async function mspRequests(): Promise<{ method: string; path: string }[]> {
  return (await control.requests()).filter((r) => r.path.startsWith('/msp/'));
}

// --- link-customer --------------------------------------------------------------------------------------------------

describe('link-customer', () => {
  it('links an unmanaged customer: WAITING (on the customer), knoxStatus Pending, one attempt, a history entry', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    const result = await linkCustomer({ id, executionName: 'x' });

    expect(result).toEqual({ customerId: FIXTURES.unmanaged, knoxStatus: 'Pending' });
    const after = await recordOf(id);
    expect(after).toMatchObject({
      status: 'WAITING',
      knoxStatus: 'Pending',
      attempts: { link: 1 },
      kindStatus: 'onboarding#WAITING',
    });
    expect(after.lastError).toBeUndefined();
    // The execution's first step writes that it runs (the API writes nothing after StartExecution).
    expect(after.history.map((h) => h.event)).toEqual([
      'requested',
      'execution-started',
      'status-changed',
      'knox-call',
    ]);
    expect((await control.customer(FIXTURES.unmanaged)).status).toBe('Pending');
  });

  it.each([
    ['samsungApprovalPending', 'ADD_EC_CUSTOMER_NOT_APPROVED'],
    ['delinkingFromOtherMsp', 'ADD_EC_DELINK_PENDING'],
    ['managedByOtherMsp', 'ADD_EC_ALREADY_MANAGED'],
    ['pendingWithOtherMsp', 'ADD_EC_ALREADY_MANAGED'],
    ['otherRegion', 'ADD_EC_NOT_SAME_REGION'],
  ] as const)('%s: Knox answers %s, thrown as its disposition and recorded', async (fixture, code) => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES[fixture]), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe(nameFor(code));

    const after = await recordOf(id);
    expect(after.lastError).toEqual({
      code,
      errorCode: specFor(code).errorCode,
      message: expect.any(String),
      disposition: specFor(code).disposition,
    });
    const last = after.history.at(-1)!;
    expect(last).toMatchObject({ event: 'knox-error', step: 'link', error: { code } });
    expect(after.status).toBe(specFor(code).disposition === 'wait' ? 'WAITING' : 'IN_PROGRESS');
  });

  it('an unknown customerId answers 4002100, an abort', async () => {
    const id = await seedRecord('onboarding', linkRequest(UNKNOWN_CUSTOMER_ID), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe(nameFor('ADD_EC_CUSTOMER_INVALID'));
    expect(STEP_ERROR_NAMES.abort).toBe(nameFor('ADD_EC_CUSTOMER_INVALID'));
    expect((await recordOf(id)).lastError?.code).toBe('ADD_EC_CUSTOMER_INVALID');
  });

  it('4002104 on a customer pending with us is already done: no lastError, an already-done entry', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.ownedPending), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.alreadyDone);

    const after = await recordOf(id);
    expect(after.status).toBe('IN_PROGRESS');
    expect(after.lastError).toBeUndefined();
    expect(after.history.at(-1)).toMatchObject({
      event: 'already-done',
      step: 'link',
      error: { code: 'ADD_EC_PENDING_CANNOT_ADD_AGAIN', errorCode: '4002104', disposition: 'alreadyDone' },
    });
  });

  /** A link of an unmanaged customer that Knox makes but whose answer is lost (a 500): the step fails with FAILURE. */
  async function lostLinkAnswer(): Promise<string> {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    await control.fault({ match: { method: 'POST', path: '/link' }, fault: { type: 'workThen500' } });
    expect(await outcome(linkCustomer, { id })).toBe(nameFor('FAILURE'));
    return id;
  }

  it('a lost answer: the retry of a link that went through meets 4002104 and goes on', async () => {
    const id = await lostLinkAnswer();
    expect((await recordOf(id)).lastError?.code).toBe('FAILURE');
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.alreadyDone);

    const after = await recordOf(id);
    expect(after.attempts.link).toBe(2);
    expect(after.lastError).toBeUndefined();
  });

  it('a lost answer the customer approved before the retry: 4002103 for a customer of ours is already done', async () => {
    const id = await lostLinkAnswer();
    await control.approveLink(FIXTURES.unmanaged);

    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.alreadyDone);
    const after = await recordOf(id);
    expect(after).toMatchObject({ knoxStatus: 'Active', customerId: FIXTURES.unmanaged });
    expect(after.history.at(-1)).toMatchObject({
      event: 'already-done',
      error: { code: 'ADD_EC_ALREADY_MANAGED', errorCode: '4002103', disposition: 'alreadyDone' },
    });
  });

  it('a lost answer the customer refused before the retry: no second link, the refusal stands (ABORTED)', async () => {
    const id = await lostLinkAnswer();
    await control.rejectLink(FIXTURES.unmanaged);

    expect(await outcome(linkCustomer, { id })).toBe(nameFor('CUSTOMER_REJECTED_LINK'));
    const links = (await mspRequests()).filter((r) => r.method === 'POST' && r.path.endsWith('/link'));
    expect(links).toHaveLength(1);
    const after = await recordOf(id);
    expect(after.lastError).toMatchObject({ code: 'CUSTOMER_REJECTED_LINK', disposition: 'abort' });
    expect(after.attempts.link).toBe(2);
  });

  it('a first attempt links a customer that refused an earlier request without reading it first', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.ownedRejected), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe('success');
    expect((await mspRequests()).map((r) => r.method)).toEqual(['POST']);
    expect((await recordOf(id)).knoxStatus).toBe('Pending');
  });

  it('4002103 for a customer another MSP manages still aborts', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.managedByOtherMsp), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.abort);
    expect((await recordOf(id)).lastError?.code).toBe('ADD_EC_ALREADY_MANAGED');
  });

  it.each([
    ['error500', 'FAILURE'],
    ['html', 'UNEXPECTED_RESPONSE'],
    ['empty', 'UNEXPECTED_RESPONSE'],
    ['drop', 'CONNECTION_FAILED'],
  ] as const)('a %s from Knox is %s, retried', async (type, code) => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    await control.fault({ match: { path: '/link' }, fault: { type } });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
    expect(nameFor(code)).toBe(STEP_ERROR_NAMES.retry);
    const after = await recordOf(id);
    expect(after.lastError?.code).toBe(code);
    expect(after.status).toBe('IN_PROGRESS');
  });

  it('a 429 with Retry-After is retried after a sleep bounded by the Lambda time left', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    await control.fault({ match: { path: '/link' }, fault: { type: 'status429', retryAfterSeconds: 30 } });
    const sleeps: number[] = [];
    const spy = vi.spyOn(timing, 'sleep').mockImplementation(async (ms) => {
      sleeps.push(ms);
    });
    try {
      // 2.5 s left: the sleep may take 0.5 s at most (2 s stay free for the rest of the invocation).
      expect(await outcome(linkCustomer, { id }, { getRemainingTimeInMillis: () => 2_500 })).toBe(
        STEP_ERROR_NAMES.retry,
      );
      // Without a Lambda context: Knox's 30 s, capped at 5 s.
      await control.fault({ match: { path: '/link' }, fault: { type: 'status429', retryAfterSeconds: 30 } });
      expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
    } finally {
      spy.mockRestore();
    }
    expect(sleeps).toEqual([500, 5_000]);
    expect((await recordOf(id)).lastError).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      errorCode: '4290000',
      disposition: 'retry',
    });
  });

  it('a 429 without Retry-After is retried like any transient error: no sleep in the Lambda, the backoff is the state machine’s', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    await control.fault({ match: { path: '/link' }, fault: { type: 'status429', retryAfterSeconds: null } });
    const spy = vi.spyOn(timing, 'sleep').mockImplementation(async () => undefined);
    try {
      expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect((await recordOf(id)).lastError).toMatchObject({ code: 'TOO_MANY_REQUESTS', disposition: 'retry' });
    expect((await control.requests()).find((r) => r.status === 429)).toBeDefined();
  });

  it('a dead token refused with 403 (any of Knox’s ways) costs one new token and the step goes on', async () => {
    for (const style of ['status403', 'authorizationFail'] as const) {
      await control.reset();
      resetKnoxClient();
      await control.tokenRefusal(style);
      const warm = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
      expect(await outcome(linkCustomer, { id: warm })).toBe('success');
      await control.revokeTokens();
      await control.clearRequests();
      const id = await seedRecord('onboarding', linkRequest(FIXTURES.formerlyOwned), { path: 'link' });
      expect(await outcome(linkCustomer, { id })).toBe('success');
      expect((await recordOf(id)).knoxStatus).toBe('Pending');
      const log = await control.requests();
      expect(log.map((r) => [r.path.startsWith('/msp/') ? 'msp' : 'token', r.status])).toEqual([
        ['msp', 403],
        ['token', 200],
        ['msp', 200],
      ]);
    }
  });

  it('bad client credentials are an operator error, and the secret is never in the record', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ clientId: 'sim-client', clientSecret: 'wrong-secret-value' }) });
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.operator);
    const after = await recordOf(id);
    expect(after.lastError).toMatchObject({ code: 'INVALID_CLIENT', disposition: 'operator' });
    expect(JSON.stringify(after)).not.toContain('wrong-secret-value');
  });

  it('a secret without clientSecret is an operator error that names the field, not the value', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ clientId: 'sim-client' }) });
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.operator);
    expect((await recordOf(id)).lastError?.code).toBe('INVALID_CLIENT');
    expect(await mspRequests()).toEqual([]);
  });

  it('logs Knox errors as JSON with code, errorCode and disposition, and never the secret or the token', async () => {
    const lines: string[] = [];
    const capture = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    // Powertools writes INFO to stdout and WARN/ERROR to stderr.
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    logger.setLogLevel('INFO');
    try {
      const id = await seedRecord('onboarding', linkRequest(FIXTURES.managedByOtherMsp), { path: 'link' });
      await outcome(linkCustomer, { id, executionName: 'exec-1' });
    } finally {
      logger.setLogLevel('SILENT');
      out.mockRestore();
      err.mockRestore();
    }
    const entries = lines
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const knoxLine = entries.find((e) => e.code === 'ADD_EC_ALREADY_MANAGED');
    expect(knoxLine).toMatchObject({
      errorCode: '4002103',
      disposition: 'abort',
      thrownAs: 'Knox.Abort',
      executionName: 'exec-1',
      step: 'link',
    });
    const all = lines.join('');
    expect(all).not.toContain(SIM_DEFAULT_CREDENTIALS.clientSecret);
    expect(all).not.toMatch(/Bearer|access_token/);
  });

  it('a cancelled record is not linked: Workflow.RecordCancelled (its own end), and Knox is not called', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    await finish(id, 'CANCELLED');
    await control.clearRequests();

    expect(await outcome(linkCustomer, { id })).toBe(RECORD_CANCELLED_ERROR);
    expect(await mspRequests()).toEqual([]);
    const after = await recordOf(id);
    expect(after.status).toBe('CANCELLED');
    expect(after.attempts).toEqual({});
  });

  it('await-answer stores no token on a closed record: Workflow.RecordCancelled when cancelled, RecordClosed else', async () => {
    for (const [status, error] of [
      ['CANCELLED', RECORD_CANCELLED_ERROR],
      ['FAILED', RECORD_CLOSED_ERROR],
    ] as const) {
      const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
      await finish(id, status);
      const answer = await awaitAnswer({ id, taskToken: 'token-1', mode: 'approval' }).then(
        () => 'success',
        (e: Error) => e.name,
      );
      expect(answer, status).toBe(error);
      expect((await recordOf(id)).taskToken, status).toBeUndefined();
    }
  });

  it('a record cancelled while Knox answers: Workflow.RecordCancelled, whatever Knox said, the record left CANCELLED', async () => {
    // The cancel's write lands between the attempt and Knox's answer: forced by cancelling inside the Knox call.
    const knox = knoxClient();
    const link = knox.linkCustomer.bind(knox);
    for (const answer of ['success', 'transient failure'] as const) {
      const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
      const spy = vi.spyOn(knox, 'linkCustomer').mockImplementation(async (body) => {
        await finish(id, 'CANCELLED');
        if (answer === 'success') return link(body);
        throw KnoxError.of('FAILURE');
      });
      try {
        expect(await outcome(linkCustomer, { id }), answer).toBe(RECORD_CANCELLED_ERROR);
      } finally {
        spy.mockRestore();
      }
      const after = await recordOf(id);
      expect(after.status, answer).toBe('CANCELLED');
      expect(after.lastError, answer).toBeUndefined();
    }
  });

  it('counts an attempt without reading the record first: one write on a first attempt, two on a later one', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    const sent = recordCommands(id);
    try {
      expect(await outcome(linkCustomer, { id })).toBe('success');
      // The promotion REQUESTED -> IN_PROGRESS counts the attempt; the answer is the second write.
      expect(sent.names).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
      sent.names.length = 0;
      // A later attempt (the record WAITING): the promotion is refused, the count kept; 4002104 is already done.
      expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.alreadyDone);
      expect(sent.names).toEqual(['UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
      await finish(id, 'FAILED');
      sent.names.length = 0;
      expect(await outcome(linkCustomer, { id })).toBe(RECORD_CLOSED_ERROR);
      // Both writes refused (not REQUESTED, then closed); one read says why.
      expect(sent.names).toEqual(['UpdateItemCommand', 'UpdateItemCommand', 'GetItemCommand']);
    } finally {
      sent.stop();
    }
    const after = await recordOf(id);
    expect(after.attempts).toEqual({ link: 2 });
    expect(after.history.filter((h) => h.event === HISTORY_EVENTS.statusChanged)).toHaveLength(1);
  });

  it('a payload without a record id, or naming no record, fails the step without calling Knox', async () => {
    expect(await outcome(linkCustomer, {} as KnoxStepPayload)).toBe('Workflow.InvalidPayload');
    expect(await outcome(linkCustomer, { id: 'onb-00000000deadbeef' })).toBe('Workflow.RecordNotFound');
    expect(await mspRequests()).toEqual([]);
  });
});

// --- create-customer ------------------------------------------------------------------------------------------------

describe('create-customer', () => {
  it('creates the customer with the management settings at the top level, and records its customerId', async () => {
    const id = await seedRecord('onboarding', createRequest('ada@acme-new.example'), { path: 'create' });
    const result = await createCustomer({ id });

    expect(result.customerId).toMatch(/^\d+$/);
    expect(result.knoxStatus).toBe('Active');
    const after = await recordOf(id);
    expect(after).toMatchObject({
      customerId: result.customerId,
      knoxStatus: 'Active',
      status: 'IN_PROGRESS',
      attempts: { create: 1 },
    });
    const created = await control.customer(result.customerId!);
    expect(created).toMatchObject({ companyName: 'Acme Ltd', managementType: 'JointlyManaged' });
  });

  it('4002106 for our own earlier create (its answer lost) is already done, with the customerId found in our list', async () => {
    const id = await seedRecord('onboarding', createRequest('Grace@Acme-Lost.example'), { path: 'create' });
    await control.fault({
      match: { method: 'POST', path: '/msp/v1/managedCustomers' },
      fault: { type: 'workThen500' },
    });
    expect(await outcome(createCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
    expect((await recordOf(id)).customerId).toBeUndefined();

    expect(await outcome(createCustomer, { id })).toBe(STEP_ERROR_NAMES.alreadyDone);
    const after = await recordOf(id);
    const ours = (await control.customers()).find((c) => c.email.toLowerCase() === 'grace@acme-lost.example');
    expect(ours).toBeDefined();
    expect(after.customerId).toBe(ours!.customerId);
    expect(after.lastError).toBeUndefined();
    expect(after.history.at(-1)).toMatchObject({
      event: 'already-done',
      error: { code: 'EMAIL_ALREADY_IN_USAGE', disposition: 'alreadyDone' },
    });
    expect(after.history.at(-1)!.detail).not.toContain('@');
  });

  it("4002106 for someone else's Knox account aborts", async () => {
    const id = await seedRecord('onboarding', createRequest(FIXTURE_REGISTERED_EMAILS.registered), { path: 'create' });
    expect(await outcome(createCustomer, { id })).toBe(nameFor('EMAIL_ALREADY_IN_USAGE'));
    const after = await recordOf(id);
    expect(after.lastError).toMatchObject({
      code: 'EMAIL_ALREADY_IN_USAGE',
      errorCode: '4002106',
      disposition: 'abort',
    });
    expect(after.customerId).toBeUndefined();
  });

  it('a customer list that keeps failing during the 4002106 rule is handled as its own (retry) error', async () => {
    const id = await seedRecord('onboarding', createRequest(FIXTURE_REGISTERED_EMAILS.registered), { path: 'create' });
    await control.fault({
      match: { method: 'GET', path: '/msp/v1/managedCustomers?' },
      fault: { type: 'error500' },
      count: LIST_PAGE_ATTEMPTS,
    });
    expect(await outcome(createCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
    expect((await recordOf(id)).lastError?.code).toBe('FAILURE');
  });

  it('a lost create answer while our list moves under the lookup (a removal before the cursor): already done, not aborted', async () => {
    await control.reset({ fixtures: false });
    await control.paging({ sortBy: 'companyName', maxPageSize: 5 });
    // Acme Ltd sorts 11th of 21: page 3 ascending, page 3 descending; never at an end.
    for (let n = 1; n <= 10; n += 1) {
      await control.addCustomer({ companyName: `Aa ${String(n).padStart(2, '0')}`, status: 'Active' });
      await control.addCustomer({ companyName: `Zz ${String(n).padStart(2, '0')}`, status: 'Active' });
    }
    const first = (await control.customers()).find((c) => c.companyName === 'Aa 01')!;
    const id = await seedRecord('onboarding', createRequest('grace@acme-moving.example'), { path: 'create' });
    await control.fault({
      match: { method: 'POST', path: '/msp/v1/managedCustomers' },
      fault: { type: 'workThen500' },
    });
    expect(await outcome(createCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);

    // Pages answered: 1 ascending, 1 descending, 2 ascending; then Aa 01 leaves and Acme moves onto page 2.
    await control.listChange({ afterListPages: 3, remove: [first.customerId] });
    expect(await outcome(createCustomer, { id })).toBe(STEP_ERROR_NAMES.alreadyDone);
    const ours = (await control.customers()).find((c) => c.email === 'grace@acme-moving.example')!;
    expect((await recordOf(id)).customerId).toBe(ours.customerId);
  });

  it('a list that never holds still during the 4002106 rule is a retry (CUSTOMER_LOOKUP_INCONCLUSIVE), never an abort', async () => {
    const id = await seedRecord('onboarding', createRequest(FIXTURE_REGISTERED_EMAILS.registered), { path: 'create' });
    // A customer joins our list after every page: no two passes ever see the same list.
    for (let page = 1; page <= 40; page += 1) {
      await control.listChange({ afterListPages: page, add: [{ companyName: `Newcomer ${page}` }] });
    }
    expect(await outcome(createCustomer, { id })).toBe(nameFor('CUSTOMER_LOOKUP_INCONCLUSIVE'));
    expect(nameFor('CUSTOMER_LOOKUP_INCONCLUSIVE')).toBe(STEP_ERROR_NAMES.retry);
    const after = await recordOf(id);
    expect(after.lastError).toMatchObject({ code: 'CUSTOMER_LOOKUP_INCONCLUSIVE', disposition: 'retry' });
    expect(after.status).not.toBe('ABORTED');
  });

  it('one failed page of the customer list during the 4002106 rule is asked again in place: the rule still decides', async () => {
    const id = await seedRecord('onboarding', createRequest(FIXTURE_REGISTERED_EMAILS.registered), { path: 'create' });
    await control.fault({ match: { method: 'GET', path: '/msp/v1/managedCustomers?' }, fault: { type: 'error500' } });
    expect(await outcome(createCustomer, { id })).toBe(nameFor('EMAIL_ALREADY_IN_USAGE'));
    expect((await recordOf(id)).lastError?.code).toBe('EMAIL_ALREADY_IN_USAGE');
  });

  it.each([
    ['INVALID_COUNTRY', createRequest('it@cuba-co.example', { customer: { country: 'CU' } })],
    ['BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED', createRequest('it@blocked.example')],
    [
      'KM_DOMAIN_NAME_ALREADY_EXISTS',
      createRequest(`it@${FIXTURE_KM_TENANTS.domain}`, { services: [{ service: 'KnoxManage' }] }),
    ],
    [
      'KM_DOMAIN_NAME_ALREADY_IN_USAGE',
      createRequest(`it@${FIXTURE_KM_TENANTS.domain}`, {
        services: [{ service: 'KnoxManage', kmTenantPrefix: FIXTURE_KM_TENANTS.takenPrefix }],
      }),
    ],
  ] as const)('%s from Knox is an invalid request, recorded', async (code, request) => {
    const id = await seedRecord('onboarding', request, { path: 'create' });
    expect(await outcome(createCustomer, { id })).toBe(nameFor(code));
    expect(nameFor(code)).toBe(STEP_ERROR_NAMES.invalidRequest);
    expect((await recordOf(id)).lastError).toMatchObject({ code, disposition: 'invalidRequest' });
  });
});

// --- Waiting on Knox itself, and the poller's answer table -----------------------------------------------------------

describe('a step while the record waits on Knox itself (4002101 on a link)', () => {
  const seedNotApproved = (options: { deadline?: string } = {}) =>
    seedRecord('onboarding', linkRequest(FIXTURES.samsungApprovalPending), { path: 'link', ...options });

  it('waits: WAITING, lastError 4002101; the same answer again adds no history entry', async () => {
    const id = await seedNotApproved();
    expect(await outcome(linkCustomer, { id })).toBe(nameFor('ADD_EC_CUSTOMER_NOT_APPROVED'));
    const first = await recordOf(id);
    expect(first).toMatchObject({
      status: 'WAITING',
      kindStatus: 'onboarding#WAITING',
      lastError: { code: 'ADD_EC_CUSTOMER_NOT_APPROVED', disposition: 'wait' },
    });
    expect(first.taskToken).toBeUndefined();

    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.wait);
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.wait);
    const later = await recordOf(id);
    expect(later.attempts.link).toBe(3);
    expect(later.history).toHaveLength(first.history.length);
    expect(later.version).toBeGreaterThan(first.version);
  });

  it('past the deadline a wait becomes WAIT_DEADLINE_EXCEEDED and Knox.Abort', async () => {
    const id = await seedNotApproved({ deadline: new Date(Date.now() - 1000).toISOString() });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.abort);
    expect(nameFor('WAIT_DEADLINE_EXCEEDED')).toBe(STEP_ERROR_NAMES.abort);
    const after = await recordOf(id);
    expect(after.lastError).toMatchObject({ code: 'WAIT_DEADLINE_EXCEEDED', disposition: 'abort' });
    expect(after.lastError!.message).toContain('ADD_EC_CUSTOMER_NOT_APPROVED');
    expect(after.status).not.toBe('WAITING');
  });

  it('a retry-class error while waiting on Knox is thrown as Knox.Wait and still recorded', async () => {
    const id = await seedNotApproved();
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.wait);
    await control.fault({ match: { path: '/link' }, fault: { type: 'error500' } });

    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.wait);
    const after = await recordOf(id);
    expect(after.status).toBe('WAITING');
    expect(after.lastError).toMatchObject({ code: 'FAILURE', disposition: 'retry' });
    expect(after.retrySince).toBeUndefined();
    expect(after.history.at(-1)).toMatchObject({
      event: 'knox-error',
      error: { code: 'FAILURE' },
      detail: expect.stringContaining('wait'),
    });

    // The next attempt meets 4002101 again: that is news after the failure, so it is recorded once more.
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.wait);
    const last = await recordOf(id);
    expect(last.lastError?.code).toBe('ADD_EC_CUSTOMER_NOT_APPROVED');
    expect(last.history.length).toBe(after.history.length + 1);
  });

  it('the same retry-class error before any wait is Knox.Retry', async () => {
    const id = await seedNotApproved();
    await control.fault({ match: { path: '/link' }, fault: { type: 'error500' } });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
  });
});

describe('the poller’s answer table, approval (a waiting onboarding)', () => {
  const seedLink = (customerId: string) => seedRecord('onboarding', linkRequest(customerId), { path: 'link' });

  it('Pending: still waiting, CUSTOMER_PENDING (a wait)', async () => {
    const verdict = await pollerAnswer(await seedLink(FIXTURES.ownedPending));
    expect(verdict).toMatchObject({
      kind: 'waiting',
      error: { code: 'CUSTOMER_PENDING', disposition: specFor('CUSTOMER_PENDING').disposition },
    });
  });

  it('approved: answered with knoxStatus Active, needsChange false', async () => {
    const id = await seedLink(FIXTURES.ownedPending);
    await control.approveLink(FIXTURES.ownedPending);
    expect(await pollerAnswer(id)).toEqual({
      kind: 'answered',
      output: { customerId: FIXTURES.ownedPending, knoxStatus: 'Active', needsChange: false },
    });
  });

  it('needsChange when requested services are not Active on the customer', async () => {
    expect(await pollerAnswer(await seedLackingService())).toMatchObject({
      kind: 'answered',
      output: { knoxStatus: 'Active', needsChange: true },
    });
  });

  it.each([
    ['ownedRejected', 'refused', 'CUSTOMER_REJECTED_LINK'],
    ['ownedDelinkRequested', 'waiting', 'CUSTOMER_DELINK_REQUESTED'],
    ['managedByOtherMsp', 'refused', 'CUSTOMER_NOT_MANAGED_BY_MSP'],
  ] as const)('%s: %s, %s', async (fixture, kind, code) => {
    const verdict = await pollerAnswer(await seedLink(FIXTURES[fixture]));
    expect(verdict).toMatchObject({ kind, error: { code, disposition: specFor(code).disposition } });
  });

  it('an unknown customer is 4042100: refused (an abort)', async () => {
    expect(await pollerAnswer(await seedLink(UNKNOWN_CUSTOMER_ID))).toMatchObject({
      kind: 'refused',
      error: { code: 'CUSTOMER_NOT_FOUND', disposition: specFor('CUSTOMER_NOT_FOUND').disposition },
    });
  });

  it('a transient failure is no answer: the next round asks again', async () => {
    const id = await seedLink(FIXTURES.ownedPending);
    await control.fault({ match: { method: 'GET' }, fault: { type: 'error500' } });
    expect(await pollerAnswer(id)).toMatchObject({ kind: 'unread', error: { code: 'FAILURE' } });
  });
});

describe('the poller’s answer table, delink (a waiting offboarding)', () => {
  it('4002113 after the delink means accepted: answered, knoxStatus Delinked', async () => {
    const id = await seedRecord('offboarding', { customerId: FIXTURES.formerlyOwned });
    expect(await pollerAnswer(id)).toEqual({
      kind: 'answered',
      output: { customerId: FIXTURES.formerlyOwned, knoxStatus: 'Delinked' },
    });
  });

  it('DelinkRequested waits, then the customer accepts', async () => {
    const id = await seedRecord('offboarding', { customerId: FIXTURES.ownedDelinkRequested });
    expect(await pollerAnswer(id)).toMatchObject({ kind: 'waiting', error: { code: 'CUSTOMER_DELINK_REQUESTED' } });
    await control.acceptDelink(FIXTURES.ownedDelinkRequested);
    expect(await pollerAnswer(id)).toMatchObject({ kind: 'answered', output: { knoxStatus: 'Delinked' } });
  });

  it('Active means the customer refused the delink: CUSTOMER_REJECTED_DELINK, an abort', async () => {
    const id = await seedRecord('offboarding', { customerId: FIXTURES.ownedActive });
    expect(await pollerAnswer(id)).toMatchObject({
      kind: 'refused',
      error: { code: 'CUSTOMER_REJECTED_DELINK', disposition: 'abort' },
    });
  });
});

// --- request-delink -------------------------------------------------------------------------------------------------

describe('request-delink', () => {
  it('asks Knox to delink an active jointly managed customer: knoxStatus DelinkRequested', async () => {
    const id = await seedRecord('offboarding', { customerId: FIXTURES.ownedActive });
    expect(await requestDelink({ id })).toEqual({ customerId: FIXTURES.ownedActive, knoxStatus: 'DelinkRequested' });
    expect(await recordOf(id)).toMatchObject({
      status: 'WAITING',
      knoxStatus: 'DelinkRequested',
      attempts: { delink: 1 },
    });
  });

  it.each([
    ['ownedFullyManaged', 'CANNOT_DELINK_FULLY_MANAGED'],
    ['ownedPending', 'CUSTOMER_PENDING_CANNOT_DELINK'],
    ['ownedRejected', 'CUSTOMER_NOT_MANAGED_BY_MSP'],
    ['managedByOtherMsp', 'CUSTOMER_NOT_MANAGED_BY_MSP'],
  ] as const)('%s: %s', async (fixture, code) => {
    const id = await seedRecord('offboarding', { customerId: FIXTURES[fixture] });
    expect(await outcome(requestDelink, { id })).toBe(nameFor(code));
    const after = await recordOf(id);
    expect(after.lastError?.code).toBe(code);
    expect(after.status).toBe(specFor(code).disposition === 'wait' ? 'WAITING' : 'IN_PROGRESS');
  });

  it('4002116 on a delink is our own pending delink (a lost answer): already done, WAITING on the customer', async () => {
    const id = await seedRecord('offboarding', { customerId: FIXTURES.ownedActive });
    await control.fault({ match: { method: 'POST', path: '/delink' }, fault: { type: 'workThen500' } });
    expect(await outcome(requestDelink, { id })).toBe(nameFor('FAILURE'));
    expect(await outcome(requestDelink, { id })).toBe(STEP_ERROR_NAMES.alreadyDone);
    const after = await recordOf(id);
    expect(after).toMatchObject({ status: 'WAITING', knoxStatus: 'DelinkRequested', attempts: { delink: 2 } });
    expect(after.lastError).toBeUndefined();
    expect(after.history.at(-1)).toMatchObject({
      event: 'already-done',
      step: 'delink',
      error: { code: 'CANNOT_CHANGE_WHEN_DELINKING' },
    });
  });

  it('an unknown customer is 4042100', async () => {
    const id = await seedRecord('offboarding', { customerId: UNKNOWN_CUSTOMER_ID });
    expect(await outcome(requestDelink, { id })).toBe(nameFor('CUSTOMER_NOT_FOUND'));
  });
});

// --- update-customer ------------------------------------------------------------------------------------------------

describe('update-customer', () => {
  it('applies a change record: Fully -> Jointly managed is allowed', async () => {
    const id = await seedRecord('change', { customerId: FIXTURES.ownedFullyManaged, managementType: 'JointlyManaged' });
    expect(await updateCustomer({ id })).toMatchObject({
      customerId: FIXTURES.ownedFullyManaged,
      knoxStatus: 'Active',
    });
    expect((await control.customer(FIXTURES.ownedFullyManaged)).managementType).toBe('JointlyManaged');
    expect((await recordOf(id)).history.at(-1)).toMatchObject({
      event: 'knox-call',
      step: 'update',
      detail: expect.stringContaining('managementType'),
    });
  });

  it.each([
    ['ownedActive', { managementType: 'FullyManaged' }, 'CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY'],
    [
      'ownedLimitedServices',
      { services: [{ service: 'KnoxGuard' }], accessType: 'FullAccess' },
      'SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT',
    ],
    ['ownedPending', { accessType: 'NoAccess' }, 'CANNOT_CHANGE_WHEN_PENDING'],
    ['ownedDelinkRequested', { accessType: 'NoAccess' }, 'CANNOT_CHANGE_WHEN_DELINKING'],
    ['ownedRejected', { accessType: 'NoAccess' }, 'CUSTOMER_NOT_MANAGED_BY_MSP'],
  ] as const)('%s %j: %s', async (fixture, change, code) => {
    const id = await seedRecord('change', { customerId: FIXTURES[fixture], ...change });
    expect(await outcome(updateCustomer, { id })).toBe(nameFor(code));
    expect((await recordOf(id)).lastError?.code).toBe(code);
  });

  it('completes an onboarding: adds only the services the customer lacks, with the access type', async () => {
    const id = await seedLackingService();
    await control.clearRequests();

    await updateCustomer({ id });
    const services = (await control.customer(FIXTURES.ownedActive)).managedServices.map((s) => s.service);
    expect(services).toEqual(expect.arrayContaining(['KnoxMobileEnrollment', 'KnoxConfigure']));
    const puts = (await mspRequests()).filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
  });

  it('an onboarding whose customer has every service already needs no update call', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.ownedActive), { path: 'link' });
    await control.clearRequests();
    expect(await updateCustomer({ id })).toEqual({ customerId: FIXTURES.ownedActive });
    expect((await mspRequests()).map((r) => r.method)).toEqual(['GET']);
  });
});

// --- Answers any call can meet -------------------------------------------------------------------------------------

describe('every Knox step, on answers any call can meet', () => {
  const steps: [string, StepHandler, () => Promise<string>][] = [
    ['link-customer', linkCustomer, () => seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' })],
    [
      'create-customer',
      createCustomer,
      () => seedRecord('onboarding', createRequest(`it-${nextSerial()}@any-call.example`), { path: 'create' }),
    ],
    ['request-delink', requestDelink, () => seedRecord('offboarding', { customerId: FIXTURES.ownedActive })],
    [
      'update-customer',
      updateCustomer,
      () => seedRecord('change', { customerId: FIXTURES.ownedFullyManaged, accessType: 'NoAccess' }),
    ],
  ];

  it.each(steps)('%s: 5000000 FAILURE is Knox.Retry', async (_name, step, make) => {
    const id = await make();
    await control.fault({ match: { path: '/msp/' }, fault: { type: 'error500' }, count: 5 });
    expect(await outcome(step, { id })).toBe(nameFor('FAILURE'));
    expect((await recordOf(id)).lastError).toMatchObject({
      code: 'FAILURE',
      errorCode: '5000000',
      disposition: 'retry',
    });
  });

  it('a run of transient failures counts from its first: retrySince set once, kept, cleared by the answer that ends it', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    await control.fault({ match: { path: '/link' }, fault: { type: 'error500' }, count: 2 });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
    const since = (await recordOf(id)).retrySince;
    expect(Date.parse(since ?? '')).not.toBeNaN();
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
    const after = await recordOf(id);
    expect(after).toMatchObject({
      status: 'IN_PROGRESS',
      retrySince: since,
      lastError: { code: 'FAILURE', disposition: 'retry' },
    });
    expect(after.history.at(-1)?.detail).toContain(`Knox has failed since ${since}: retried until`);
    await linkCustomer({ id });
    expect((await recordOf(id)).retrySince).toBeUndefined();
  });

  it('once the retry window has passed, the step throws Knox.RetryWindowExceeded; the record keeps the transient error', async () => {
    process.env[ENV.retryWindowSeconds] = '60';
    try {
      const id = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
      await control.fault({ match: { path: '/link' }, fault: { type: 'error500' }, count: 2 });
      expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.retry);
      // The next attempt comes a minute after the first failure: the window has just passed.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.parse((await recordOf(id)).retrySince!) + 60_000 });
      expect(await outcome(linkCustomer, { id })).toBe(RETRY_WINDOW_EXCEEDED_ERROR);
      const after = await recordOf(id);
      expect(after.lastError).toMatchObject({ code: 'FAILURE', errorCode: '5000000', disposition: 'retry' });
      expect(after.history.at(-1)?.detail).toContain('the retry window ended at');

      await recordOutcome({
        id,
        outcome: 'FAILED',
        error: { Error: RETRY_WINDOW_EXCEEDED_ERROR, Cause: '{"errorMessage":"FAILURE (5000000): x"}' },
      });
      expect(await recordOf(id)).toMatchObject({
        status: 'FAILED',
        lastError: { code: 'FAILURE', disposition: 'retry' },
      });
    } finally {
      vi.useRealTimers();
      delete process.env[ENV.retryWindowSeconds];
    }
  });

  it.each(steps)('%s: 4030000 AUTHORIZATION_FAIL is Knox.Operator', async (_name, step, make) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SIM_EXTRA_CREDENTIALS.unauthorized) });
    const id = await make();
    expect(await outcome(step, { id })).toBe(nameFor('AUTHORIZATION_FAIL'));
    expect(nameFor('AUTHORIZATION_FAIL')).toBe(STEP_ERROR_NAMES.operator);
    const after = await recordOf(id);
    expect(after.lastError).toMatchObject({
      code: 'AUTHORIZATION_FAIL',
      errorCode: '4030000',
      disposition: 'operator',
    });
    expect(after.history.at(-1)).toMatchObject({ event: 'knox-error', detail: expect.stringContaining('credentials') });
  });

  it('an access token that expired between two calls is refreshed by the client: no error', async () => {
    const first = await seedRecord('offboarding', { customerId: FIXTURES.ownedActive });
    await requestDelink({ id: first });
    expect(await control.expireTokens()).toBeGreaterThan(0);
    const second = await seedRecord('onboarding', linkRequest(FIXTURES.unmanaged), { path: 'link' });
    expect(await linkCustomer({ id: second })).toMatchObject({ knoxStatus: 'Pending' });
    expect((await recordOf(second)).lastError).toBeUndefined();
  });

  it('a stored request that no longer validates fails the step without calling Knox', async () => {
    const id = await seedRecord(
      'onboarding',
      { customerId: FIXTURES.unmanaged, managementType: 'Sometimes' },
      { path: 'link' },
    );
    await control.clearRequests();
    expect(await outcome(linkCustomer, { id })).toBe('Workflow.InvalidRecord');
    expect(await mspRequests()).toEqual([]);
  });
});

// --- record-outcome -------------------------------------------------------------------------------------------------

describe('record-outcome', () => {
  it('writes SUCCEEDED once, releases the lock, and is idempotent', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    expect(await readLock('4444444444')).toMatchObject({ recordId: id });

    expect(await recordOutcome({ id, outcome: 'SUCCEEDED' })).toEqual({ id, status: 'SUCCEEDED', changed: true });
    const once = await recordOf(id);
    expect(once).toMatchObject({ status: 'SUCCEEDED', kindStatus: 'onboarding#SUCCEEDED' });
    expect(once.history.at(-1)).toMatchObject({ event: 'finished', status: 'SUCCEEDED' });
    expect(await readLock('4444444444')).toBeUndefined();

    expect(await recordOutcome({ id, outcome: 'SUCCEEDED' })).toEqual({ id, status: 'SUCCEEDED', changed: false });
    const twice = await recordOf(id);
    expect(twice.version).toBe(once.version);
    expect(twice.history).toHaveLength(once.history.length);
  });

  it('never moves a terminal record: a FAILED outcome after a cancel leaves it CANCELLED', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    await finish(id, 'CANCELLED');
    const result = await recordOutcome({
      id,
      outcome: 'FAILED',
      error: { Error: RECORD_CLOSED_ERROR, Cause: '{"errorMessage":"closed"}' },
    });
    expect(result).toEqual({ id, status: 'CANCELLED', changed: false });
    expect((await recordOf(id)).lastError).toBeUndefined();
    expect(await readLock('4444444444')).toBeUndefined();
  });

  it('keeps the lastError a Knox step recorded for a caught Knox error', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.managedByOtherMsp), { path: 'link' });
    await outcome(linkCustomer, { id });
    await recordOutcome({
      id,
      outcome: 'ABORTED',
      error: {
        Error: STEP_ERROR_NAMES.abort,
        Cause: '{"errorType":"Knox.Abort","errorMessage":"ADD_EC_ALREADY_MANAGED (4002103): ..."}',
      },
    });
    const after = await recordOf(id);
    expect(after.status).toBe('ABORTED');
    expect(after.lastError?.code).toBe('ADD_EC_ALREADY_MANAGED');
    expect(after.history.at(-1)).toMatchObject({
      event: 'finished',
      status: 'ABORTED',
      detail: expect.stringContaining('Knox.Abort'),
    });
  });

  it('records the caught error when it is not a Knox step error (a Lambda timeout, a bug)', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    await recordKnoxError(id, 'link', {
      code: 'FAILURE',
      errorCode: '5000000',
      message: 'Internal Server Error.',
      disposition: 'retry',
    });
    await recordOutcome({
      id,
      outcome: 'FAILED',
      error: {
        Error: 'Sandbox.Timedout',
        Cause: '{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 30.00 seconds","trace":["a","b"]}',
      },
    });
    expect((await recordOf(id)).lastError).toEqual({
      code: 'Sandbox.Timedout',
      errorCode: '0',
      message: 'Task timed out after 30.00 seconds',
      disposition: 'operator',
    });

    const other = await seedRecord('onboarding', linkRequest('4444444445'), { path: 'link' });
    await recordOutcome({
      id: other,
      outcome: 'FAILED',
      error: { Error: 'States.Timeout', Cause: 'The state timed out' },
    });
    expect((await recordOf(other)).lastError).toMatchObject({ code: 'States.Timeout', message: 'The state timed out' });
  });

  it('sets lastError from a caught Knox error when the step recorded none', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    await recordOutcome({
      id,
      outcome: 'FAILED',
      error: { Error: STEP_ERROR_NAMES.retry, Cause: '{"errorMessage":"FAILURE (5000000): boom"}' },
    });
    expect((await recordOf(id)).lastError).toEqual({
      code: 'Knox.Retry',
      errorCode: '0',
      message: 'FAILURE (5000000): boom',
      disposition: 'retry',
    });
  });

  it('Knox.Wait reaching Record aborted (the polling schedule ran out) is WAIT_DEADLINE_EXCEEDED', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.samsungApprovalPending), { path: 'link' });
    expect(await outcome(linkCustomer, { id })).toBe(STEP_ERROR_NAMES.wait);
    await recordOutcome({ id, outcome: 'ABORTED', error: { Error: STEP_ERROR_NAMES.wait, Cause: '{}' } });
    expect((await recordOf(id)).lastError).toMatchObject({ code: 'WAIT_DEADLINE_EXCEEDED', disposition: 'abort' });
  });

  it('answers normally for a record that does not exist, and refuses a malformed payload', async () => {
    expect(await recordOutcome({ id: 'onb-00000000deadbeef', outcome: 'FAILED' })).toEqual({
      id: 'onb-00000000deadbeef',
      changed: false,
    });
    await expect(recordOutcome({ id: 'x', outcome: 'DONE' })).rejects.toMatchObject({
      name: 'Workflow.InvalidPayload',
    });
  });
});

// --- execution-events -----------------------------------------------------------------------------------------------

describe('execution-events', () => {
  function statusChange(id: string | undefined, status: string, extra: Record<string, unknown> = {}) {
    const name = `4444444444-${id ?? 'onb-ffffffffffffffff'}`;
    return {
      version: '0',
      id: 'e1',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: {
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:Onboarding:${name}`,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Onboarding',
        name,
        status,
        input: id === undefined ? null : JSON.stringify({ id, path: 'link' }),
        error: status === 'FAILED' ? 'Lambda.ServiceException' : null,
        cause: null,
        ...extra,
      },
    };
  }

  it('marks a record still open FAILED after a FAILED or TIMED_OUT execution, and releases its lock', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    expect(await executionEvents(statusChange(id, 'FAILED'))).toMatchObject({ id, status: 'FAILED', changed: true });
    // The execution failed in a step (the workflows catch no failure): the record says with which error.
    const after = await recordOf(id);
    expect(after.lastError).toMatchObject({ code: 'Lambda.ServiceException', disposition: 'operator' });
    expect(after.history.at(-1)?.detail).toContain('the execution failed in a step: Lambda.ServiceException');
    expect(await readLock('4444444444')).toBeUndefined();

    // Without an error (a timeout), the record says the execution ended before it recorded an outcome.
    const other = await seedRecord('onboarding', linkRequest('4444444445'), { path: 'link' });
    expect(await executionEvents(statusChange(other, 'TIMED_OUT'))).toMatchObject({ status: 'FAILED', changed: true });
    expect((await recordOf(other)).lastError).toMatchObject({ code: 'EXECUTION_TIMED_OUT', disposition: 'operator' });
  });

  it('keeps the lastError a Knox step recorded when the execution failed in that step with a Knox error', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.samsungApprovalPending), { path: 'link' });
    await outcome(linkCustomer, { id });
    await executionEvents(statusChange(id, 'FAILED', { error: 'Knox.Operator', cause: 'refused' }));
    const after = await recordOf(id);
    expect(after.status).toBe('FAILED');
    expect(after.lastError?.code).toBe('ADD_EC_CUSTOMER_NOT_APPROVED');
  });

  it('keeps a lastError a step recorded', async () => {
    const id = await seedRecord('onboarding', linkRequest(FIXTURES.samsungApprovalPending), { path: 'link' });
    await outcome(linkCustomer, { id });
    await executionEvents(statusChange(id, 'TIMED_OUT'));
    expect((await recordOf(id)).lastError?.code).toBe('ADD_EC_CUSTOMER_NOT_APPROVED');
  });

  it('marks an ABORTED execution CANCELLED', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    expect(await executionEvents(statusChange(id, 'ABORTED'))).toMatchObject({ status: 'CANCELLED', changed: true });
  });

  it('leaves a terminal record alone', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    await recordOutcome({ id, outcome: 'SUCCEEDED' });
    expect(await executionEvents(statusChange(id, 'FAILED'))).toEqual({ id, status: 'SUCCEEDED', changed: false });
  });

  it('finds the record from the execution name when the input is missing', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    const event = statusChange(undefined, 'FAILED');
    event.detail.name = `4444444444-${id}`;
    expect(await executionEvents(event)).toMatchObject({ id, status: 'FAILED' });
  });

  it('ignores other statuses and events that are not status changes', async () => {
    const id = await seedRecord('onboarding', linkRequest('4444444444'), { path: 'link' });
    expect(await executionEvents(statusChange(id, 'SUCCEEDED'))).toMatchObject({
      changed: false,
      ignored: expect.any(String),
    });
    expect(await executionEvents({ hello: 'world' })).toMatchObject({ changed: false, ignored: expect.any(String) });
    expect((await recordOf(id)).status).toBe('REQUESTED');
    expect(
      (await harness.dynamo.items(process.env[ENV.tableName]!)).some((i) => i.pk === customerLockKey('4444444444')),
    ).toBe(true);
  });
});
