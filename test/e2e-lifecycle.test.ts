/**
 * Issue 4, end to end: the lifecycle around the codes. Lost answers (our own call went through, its answer did not:
 * the retry meets 4002104 / 4002106 and the workflow goes on), the customer's answers after a number of polls on the
 * polling schedule, rejections, the waiting deadline, offboarding, idempotency, concurrent requests for one customer,
 * and cancel. (A restart that resumes a waiting onboarding is test/local-stack.test.ts.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STEP_ERROR_NAMES } from '../lib/domain/dispositions';
import { specFor } from '../lib/domain/knox-errors';
import { DEFAULTS, STATES } from '../lib/domain/workflow';
import type { AslRetrier } from '../local/template';
import { api, listExecutions, startRecord, statePath } from '../local/testing';
import {
  CALLS,
  FAULT_MATCH,
  createRequest,
  definitionOf,
  expectCaught,
  expectClosedRecord,
  expectRetried,
  finish,
  freshEmail,
  historyCodes,
  historyOf,
  knoxCalls,
  lastErrorFor,
  linkRequest,
  newCustomer,
  rawRecord,
  reach,
  recordsOfCustomer,
  start,
  startE2e,
  stepOf,
  stopE2e,
  type E2e,
} from './support/e2e-support';

const LINKED = [STATES.linkOrCreate, STATES.linkCustomer, STATES.waitForAnswer, STATES.checkApproval, STATES.needsChange, STATES.recordSucceeded, STATES.onboardingSucceeded];
const CHECK_ABORTED = [STATES.linkOrCreate, STATES.linkCustomer, STATES.waitForAnswer, STATES.checkApproval, STATES.recordAborted, STATES.onboardingAborted];

/** The wait before retry number `attempt` (1-based) of a retrier, as Step Functions computes it without jitter. */
function retryInterval(retrier: AslRetrier, attempt: number): number {
  const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (attempt - 1);
  return retrier.MaxDelaySeconds === undefined ? interval : Math.min(interval, retrier.MaxDelaySeconds);
}

describe('the lifecycle, with the default deadline', () => {
  let e2e: E2e;

  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(async () => {
    await stopE2e(e2e);
  });
  beforeEach(async () => {
    await e2e.control.clearFaults();
    await e2e.control.clearRequests();
  });

  describe('lost answers', () => {
    it('a link whose answer is lost: the retry meets 4002104, the onboarding SUCCEEDS, one link was accepted', async () => {
      // The script answers from the second poll on: the retried link still meets the customer Pending with us.
      const customerId = await newCustomer(e2e, { script: { onLink: 'approve', afterGets: 1 } });
      await e2e.control.fault({ match: FAULT_MATCH.link, fault: { type: 'workThen500' } });
      const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));

      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      expect(historyCodes(finished.raw)).toEqual(['FAILURE', 'ADD_EC_PENDING_CANNOT_ADD_AGAIN', 'CUSTOMER_PENDING']);
      expect(historyOf(finished.raw).find((h) => h.event === 'already-done')).toMatchObject({ step: 'link', error: { errorCode: '4002104', disposition: 'alreadyDone' } });
      expect(finished.raw).toMatchObject({ attempts: { link: 2, check: 2 }, pollCount: 2, customerId, knoxStatus: 'Active' });

      expect(statePath(finished.execution)).toEqual(LINKED);
      const link = stepOf(finished.execution, STATES.linkCustomer);
      expect(link.errors.map((e) => e.error)).toEqual([STEP_ERROR_NAMES.retry, STEP_ERROR_NAMES.alreadyDone]);
      expectCaught(finished.execution, STATES.linkCustomer, STEP_ERROR_NAMES.alreadyDone, STATES.waitForAnswer, 1);

      const links = knoxCalls(finished.requests).filter(CALLS.link);
      expect(links.map((r) => [r.status, r.fault, r.accepted, r.errorCode])).toEqual([
        [500, 'workThen500', true, '5000000'],
        [400, undefined, false, '4002104'],
      ]);
      expect(knoxCalls(finished.requests).filter((r) => r.accepted)).toHaveLength(1);
    });

    it('a create whose answer is lost: the retry meets 4002106 with our e-mail, already done, SUCCEEDED, one create', async () => {
      const email = freshEmail();
      await e2e.control.fault({ match: FAULT_MATCH.create, fault: { type: 'workThen500' } });
      const finished = await finish(e2e, await start(e2e, 'onboarding', createRequest(email)));

      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      const created = (await e2e.control.customers()).filter((c) => c.email === email);
      expect(created).toHaveLength(1);
      expect(finished.raw).toMatchObject({ customerId: created[0]!.customerId, attempts: { create: 2 }, knoxStatus: 'Active' });
      expect(historyCodes(finished.raw)).toEqual(['FAILURE', 'EMAIL_ALREADY_IN_USAGE']);
      expect(historyOf(finished.raw).find((h) => h.event === 'already-done')).toMatchObject({
        step: 'create', error: { code: 'EMAIL_ALREADY_IN_USAGE', disposition: 'alreadyDone' },
      });

      expect(statePath(finished.execution)).toEqual([STATES.linkOrCreate, STATES.createCustomer, STATES.recordSucceeded, STATES.onboardingSucceeded]);
      expectCaught(finished.execution, STATES.createCustomer, STEP_ERROR_NAMES.alreadyDone, STATES.recordSucceeded, 1);

      const calls = knoxCalls(finished.requests);
      expect(calls.filter(CALLS.create).map((r) => [r.status, r.accepted, r.errorCode])).toEqual([[500, true, '5000000'], [400, false, '4002106']]);
      expect(calls.filter(CALLS.list).length).toBeGreaterThanOrEqual(1);
      expect(calls.filter((r) => r.accepted)).toHaveLength(1);
    });
  });

  describe('waiting for the customer', () => {
    it('approves after N polls: N+1 polls on the polling schedule, one history entry for them', async () => {
      const N = 3;
      const customerId = await newCustomer(e2e, { script: { onLink: 'approve', afterGets: N } });
      const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));

      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      expect(statePath(finished.execution)).toEqual(LINKED);
      // N polls saw Pending (each one a Knox.Wait, retried), poll N+1 saw the approval.
      expectRetried(finished.execution, STATES.checkApproval, STEP_ERROR_NAMES.wait, N);
      expect(finished.raw).toMatchObject({ pollCount: N + 1, attempts: { link: 1, check: N + 1 }, knoxStatus: 'Active' });
      expect(knoxCalls(finished.requests).filter(CALLS.get(customerId)).map((r) => r.status)).toEqual(Array(N + 1).fill(200));
      // Uneventful polls add no history: the first Pending is recorded once, pollCount counts the rest.
      expect(historyCodes(finished.raw)).toEqual(['CUSTOMER_PENDING']);
      // Each Knox call is two writes (count the attempt, record the answer), plus creation, execution ARN and outcome.
      const attempts = finished.raw['attempts'] as Record<string, number>;
      expect(finished.raw['version']).toBe(3 + 2 * (attempts['link']! + attempts['check']!));

      // The schedule's shape: the retries were made by the Knox.Wait retrier, attempts 1..N, whose definition
      // doubles from the first poll interval up to the cap without jitter.
      const retried = finished.execution.events.filter((e) => e.type === 'StateRetried' && e.state === STATES.checkApproval);
      expect(retried.map((e) => e.retry)).toEqual(Array.from({ length: N }, (_, i) => ({ errorEquals: [STEP_ERROR_NAMES.wait], attempt: i + 1 })));
      const check = definitionOf(e2e, 'onboarding').States[STATES.checkApproval] as unknown as { Retry: AslRetrier[] };
      const retrier = check.Retry.find((r) => r.ErrorEquals.join() === STEP_ERROR_NAMES.wait)!;
      expect(retrier).toMatchObject({
        IntervalSeconds: DEFAULTS.pollFirstSeconds, BackoffRate: 2, MaxDelaySeconds: DEFAULTS.pollMaxSeconds, JitterStrategy: 'NONE',
      });
      const first = DEFAULTS.pollFirstSeconds;
      expect(retried.map((e) => retryInterval(retrier, e.retry!.attempt))).toEqual([first, 2 * first, 4 * first]);
      // The same retrier caps the interval later on (the seventh poll of a long wait is an hour after the sixth).
      expect(retryInterval(retrier, 7)).toBe(DEFAULTS.pollMaxSeconds);
      // The first poll comes one interval after the link.
      expect(definitionOf(e2e, 'onboarding').States[STATES.waitForAnswer]).toMatchObject({ Type: 'Wait', Seconds: first });
    });

    it('the customer rejects the link: ABORTED with CUSTOMER_REJECTED_LINK', async () => {
      const customerId = await newCustomer(e2e, { script: { onLink: 'reject', afterGets: 1 } });
      const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));

      await expectClosedRecord(e2e, finished, 'ABORTED');
      expect(finished.raw['lastError']).toEqual(lastErrorFor('CUSTOMER_REJECTED_LINK'));
      expect(finished.answer['lastError']).toMatchObject({ code: 'CUSTOMER_REJECTED_LINK', disposition: 'abort' });
      expect(finished.raw).toMatchObject({ pollCount: 2, knoxStatus: 'Pending' });
      expect(statePath(finished.execution)).toEqual(CHECK_ABORTED);
      expectCaught(finished.execution, STATES.checkApproval, STEP_ERROR_NAMES.abort, STATES.recordAborted, 1);
      expect(historyOf(finished.raw).find((h) => h.error?.code === 'CUSTOMER_REJECTED_LINK')?.detail).toBe(specFor('CUSTOMER_REJECTED_LINK').hint);
      expect((await e2e.control.customer(customerId)).status).toBe('Rejected');
    });
  });

  describe('offboarding', () => {
    it('the customer accepts the delink: SUCCEEDED, the customer is no longer ours', async () => {
      const customerId = await newCustomer(e2e, { status: 'Active', script: { onDelink: 'accept', afterGets: 1 } });
      const finished = await finish(e2e, await start(e2e, 'offboarding', { customerId }));

      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      expect(finished.raw).toMatchObject({ knoxStatus: 'Delinked', attempts: { delink: 1, check: 2 }, pollCount: 2 });
      expect(statePath(finished.execution)).toEqual([STATES.requestDelink, STATES.waitForAnswer, STATES.checkDelink, STATES.recordSucceeded, STATES.offboardingSucceeded]);
      expectRetried(finished.execution, STATES.checkDelink, STEP_ERROR_NAMES.wait, 1);
      const calls = knoxCalls(finished.requests);
      expect(calls.filter(CALLS.delink)).toEqual([expect.objectContaining({ status: 200, accepted: true })]);
      // The accepted delink shows as "not managed by us" on the last poll.
      expect(calls.filter(CALLS.get(customerId)).map((r) => r.errorCode ?? r.status)).toEqual([200, specFor('CUSTOMER_NOT_MANAGED_BY_MSP').errorCode]);
      expect((await e2e.control.customer(customerId)).ownerMsp).toBeNull();
    });

    it('the customer rejects the delink: ABORTED with CUSTOMER_REJECTED_DELINK, still ours', async () => {
      const customerId = await newCustomer(e2e, { status: 'Active', script: { onDelink: 'reject', afterGets: 1 } });
      const finished = await finish(e2e, await start(e2e, 'offboarding', { customerId }));

      await expectClosedRecord(e2e, finished, 'ABORTED');
      expect(finished.raw['lastError']).toEqual(lastErrorFor('CUSTOMER_REJECTED_DELINK'));
      expect(statePath(finished.execution)).toEqual([STATES.requestDelink, STATES.waitForAnswer, STATES.checkDelink, STATES.recordAborted, STATES.offboardingAborted]);
      expectCaught(finished.execution, STATES.checkDelink, STEP_ERROR_NAMES.abort, STATES.recordAborted, 1);
      expect(await e2e.control.customer(customerId)).toMatchObject({ status: 'Active', ownerMsp: expect.any(String) });
    });
  });

  describe('one workflow per request and per customer', () => {
    it('the same Idempotency-Key twice: one execution, 202 then 200 with the same id; another body with it: 422', async () => {
      const customerId = await newCustomer(e2e, { script: { onLink: 'approve' } });
      const headers = { 'Idempotency-Key': `onboard-${customerId}` };
      const first = await start(e2e, 'onboarding', linkRequest(customerId), headers);
      const again = await startRecord(e2e.stack.apiUrl, 'onboarding', linkRequest(customerId), headers);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ onboardingId: first.id, executionName: first.executionName });

      const finished = await finish(e2e, first);
      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      // Even once it ended, the key names the same onboarding.
      const after = await startRecord(e2e.stack.apiUrl, 'onboarding', linkRequest(customerId), headers);
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ onboardingId: first.id, status: 'SUCCEEDED' });
      const reused = await startRecord(e2e.stack.apiUrl, 'onboarding', linkRequest(customerId, { accessType: 'NoAccess' }), headers);
      expect(reused.status).toBe(422);

      expect((await listExecutions(e2e.stack.apiUrl)).filter((x) => x.recordId === first.id)).toHaveLength(1);
      expect(await recordsOfCustomer(e2e, customerId)).toHaveLength(1);
      expect(knoxCalls(finished.requests).filter(CALLS.link)).toHaveLength(1);
    });

    it('20 concurrent POSTs for one customer make one onboarding and one execution', async () => {
      const customerId = await newCustomer(e2e);
      const answers = await Promise.all(Array.from({ length: 20 }, () => startRecord(e2e.stack.apiUrl, 'onboarding', linkRequest(customerId))));

      const ids = new Set(answers.map((a) => a.body['onboardingId']));
      expect(ids.size, JSON.stringify(answers.map((a) => [a.status, a.body]))).toBe(1);
      expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
      const id = String([...ids][0]);
      const started = { kind: 'onboarding' as const, id, executionName: String(answers[0]!.body['executionName']), answer: answers[0]! };

      await reach(e2e, started, 'WAITING');
      await e2e.control.approveLink(customerId);
      const finished = await finish(e2e, started);
      await expectClosedRecord(e2e, finished, 'SUCCEEDED');

      const executions = (await listExecutions(e2e.stack.apiUrl)).filter((x) => x.name.startsWith(`${customerId}-`));
      expect(executions).toEqual([expect.objectContaining({ recordId: id, status: 'SUCCEEDED' })]);
      expect((await recordsOfCustomer(e2e, customerId)).map((r) => r['pk'])).toEqual([id]);
      expect(knoxCalls(finished.requests).filter(CALLS.link)).toHaveLength(1);
    });
  });

  describe('cancel', () => {
    it('DELETE stops a waiting onboarding: CANCELLED, the execution ABORTED, no Knox call after the cancel', async () => {
      const customerId = await newCustomer(e2e); // never answers on its own
      const started = await start(e2e, 'onboarding', linkRequest(customerId));
      await reach(e2e, started, 'WAITING');

      // Cancel right after a poll, when the next one is a whole (growing) interval away: no Knox call is in flight.
      let polls = 0;
      while (polls < 4) {
        const now = (await rawRecord(e2e, started.id))['pollCount'] as number;
        const logged = knoxCalls(await e2e.control.requests()).filter(CALLS.get(customerId)).length;
        if (now >= 4 && logged === now) polls = now;
        else await sleep(5);
      }
      const lastSeq = (await e2e.control.requests()).at(-1)!.seq;
      const cancelled = await api<Record<string, unknown>>(e2e.stack.apiUrl, 'DELETE', `/onboardings/${started.id}`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ onboardingId: started.id, status: 'CANCELLED' });

      const finished = await finish(e2e, started);
      await expectClosedRecord(e2e, finished, 'CANCELLED');
      expect(finished.execution.status).toBe('ABORTED');
      expect(finished.execution.events.at(-1)?.type).toBe('ExecutionAborted');
      expect(statePath(finished.execution).at(-1)).toBe(STATES.checkApproval);
      expect(historyOf(finished.raw).at(-1)).toMatchObject({ event: 'finished', status: 'CANCELLED', detail: 'cancelled through the API' });

      // Longer than the next poll interval would have been: nothing reached Knox after the cancel.
      await sleep(1_000);
      expect((await e2e.control.requests()).filter((r) => r.seq > lastSeq)).toEqual([]);
      expect((await rawRecord(e2e, started.id))['pollCount']).toBe(polls);
      // A closed onboarding cannot be cancelled again.
      expect((await api(e2e.stack.apiUrl, 'DELETE', `/onboardings/${started.id}`)).status).toBe(409);
    });
  });
});

describe('the lifecycle, with a deadline of one second', () => {
  let e2e: E2e;

  beforeAll(async () => {
    e2e = await startE2e({ env: { WAIT_DEADLINE_SECONDS: '1' } });
  });
  afterAll(async () => {
    await stopE2e(e2e);
  });

  it('a customer that never answers: the step sees the deadline pass and ABORTS with WAIT_DEADLINE_EXCEEDED', async () => {
    const customerId = await newCustomer(e2e, { script: { onLink: 'never' } });
    const started = await start(e2e, 'onboarding', linkRequest(customerId));
    const finished = await finish(e2e, started);

    await expectClosedRecord(e2e, finished, 'ABORTED');
    expect(finished.raw['lastError']).toEqual(lastErrorFor('WAIT_DEADLINE_EXCEEDED'));
    expect(Date.parse(String(finished.raw['deadline'])) - Date.parse(String(finished.raw['createdAt']))).toBe(1000);
    expect(historyCodes(finished.raw)).toEqual(['CUSTOMER_PENDING', 'WAIT_DEADLINE_EXCEEDED']);

    expect(statePath(finished.execution)).toEqual(CHECK_ABORTED);
    // Polls answered Pending (Knox.Wait, retried) until the first one after the deadline threw Knox.Abort.
    const check = stepOf(finished.execution, STATES.checkApproval);
    const waits = check.errors.length - 1;
    expect(waits).toBeGreaterThan(0);
    expect(check.errors.map((e) => e.error)).toEqual([...Array(waits).fill(STEP_ERROR_NAMES.wait), STEP_ERROR_NAMES.abort]);
    expectCaught(finished.execution, STATES.checkApproval, STEP_ERROR_NAMES.abort, STATES.recordAborted, waits);
    expect(finished.raw).toMatchObject({ pollCount: waits + 1, attempts: { link: 1, check: waits + 1 } });

    const calls = knoxCalls(finished.requests);
    expect(calls.filter(CALLS.get(customerId))).toHaveLength(waits + 1);
    expect(calls.filter((r) => r.accepted)).toEqual([expect.objectContaining({ path: '/msp/v1/managedCustomers/link' })]);
  });
});
