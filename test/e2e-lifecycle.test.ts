/**
 * The lifecycle around the codes, end to end. Lost answers (our own call went through, its answer did not:
 * the retry meets 4002104 / 4002106 and the workflow goes on), the customer's answers noticed by the poller's rounds
 * (the execution waits on a callback meanwhile), rejections, the waiting deadline, offboarding, idempotency,
 * concurrent requests for one customer, and cancel. (Restarts, failed rounds and many answers at once:
 * test/e2e-callbacks.test.ts.)
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { specFor } from '#domain/knox-errors';
import { STEP_FUNCTIONS } from '#domain/function-names';
import { STATES, TASK_TIMEOUT_ERROR } from '#domain/state-names';
import { logger } from '#lambdas/commons/powertools';
import { handler as linkCustomer } from '#lambdas/link-customer';
import { finish as finishRecord } from '#lambdas/store/index';
import { api, getExecution, listExecutions, startRecord, statePath } from '#testkit/test-stack';
import {
  CALLS,
  FAULT_MATCH,
  PATHS,
  createRequest,
  definitionOf,
  expectCaught,
  expectClosedRecord,
  finish,
  finishAfterAnswer,
  freshEmail,
  historyCodes,
  historyOf,
  knoxCalls,
  lastErrorFor,
  linkRequest,
  newCustomer,
  rawRecord,
  recordsOfCustomer,
  start,
  startE2e,
  stepOf,
  stopE2e,
  waitingOnboarding,
  type E2e,
} from './support/e2e-scenarios';
import { awsSfn } from './support/sfn-walls-support';
import { eventually } from '#testkit/eventually';
import { AwsServiceError } from '#local/protocol/aws-json-server';

const LINKED = PATHS.linked;
const ANSWER_ABORTED = PATHS.answerAborted;

/** Entries of the answer the poller recorded (step "check", as before callbacks). */
function answersOf(raw: Record<string, unknown>) {
  return historyOf(raw).filter((h) => h.step === 'check');
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
      // The customer answers once the onboarding waits: the retried link still met the customer Pending with us.
      const customerId = await newCustomer(e2e);
      await e2e.control.fault({ match: FAULT_MATCH.link, fault: { type: 'workThen500' } });
      const started = await start(e2e, 'onboarding', linkRequest(customerId));
      const finished = await finishAfterAnswer(e2e, started, () => e2e.control.approveLink(customerId));

      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      expect(historyCodes(finished.raw)).toEqual(['FAILURE', 'ADD_EC_PENDING_CANNOT_ADD_AGAIN']);
      expect(historyOf(finished.raw).find((h) => h.event === 'already-done')).toMatchObject({
        step: 'link',
        error: { errorCode: '4002104', disposition: 'alreadyDone' },
      });
      expect(finished.raw).toMatchObject({ attempts: { link: 2 }, customerId, knoxStatus: 'Active' });

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
      expect(finished.raw).toMatchObject({
        customerId: created[0]!.customerId,
        attempts: { create: 2 },
        knoxStatus: 'Active',
      });
      expect(historyCodes(finished.raw)).toEqual(['FAILURE', 'EMAIL_ALREADY_IN_USAGE']);
      expect(historyOf(finished.raw).find((h) => h.event === 'already-done')).toMatchObject({
        step: 'create',
        error: { code: 'EMAIL_ALREADY_IN_USAGE', disposition: 'alreadyDone' },
      });

      expect(statePath(finished.execution)).toEqual(PATHS.created);
      expectCaught(finished.execution, STATES.createCustomer, STEP_ERROR_NAMES.alreadyDone, STATES.recordSucceeded, 1);

      const calls = knoxCalls(finished.requests);
      expect(calls.filter(CALLS.create).map((r) => [r.status, r.accepted, r.errorCode])).toEqual([
        [500, true, '5000000'],
        [400, false, '4002106'],
      ]);
      expect(calls.filter(CALLS.list).length).toBeGreaterThanOrEqual(1);
      expect(calls.filter((r) => r.accepted)).toHaveLength(1);
    });
  });

  describe('waiting for the customer', () => {
    it('approves after N poll rounds: the next round notices it; the execution spends nothing on the rounds between', async () => {
      const N = 3;
      const { customerId, started } = await waitingOnboarding(e2e);
      // N rounds that began after the record waited: the schedule ticks at a fixed rate, so a round may be running
      // (begun before the record waited) when we start counting.
      await e2e.stack.poller!.afterRounds(N + 1);
      // While it waits the record shows when the poller last asked and when it asks next.
      const waiting = await api<Record<string, unknown>>(e2e.stack.apiUrl, 'GET', `/onboardings/${started.id}`);
      expect(waiting.body).toMatchObject({
        status: 'WAITING',
        knoxStatus: 'Pending',
        lastCheckedAt: expect.any(String),
        nextCheckAt: expect.any(String),
      });
      expect(Date.parse(String(waiting.body['nextCheckAt']))).toBeGreaterThan(
        Date.parse(String(waiting.body['lastCheckedAt'])),
      );
      expect((await rawRecord(e2e, started.id))['taskToken']).toEqual(expect.any(String));

      await e2e.control.approveLink(customerId);
      const finished = await finish(e2e, started);
      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      expect(statePath(finished.execution)).toEqual(LINKED);
      // One entry per state: nothing was retried while the customer took N rounds to answer.
      expect(finished.execution.path.every((step) => step.retries === 0 && step.errors.length === 0)).toBe(true);
      expect(finished.raw).toMatchObject({ attempts: { link: 1 }, knoxStatus: 'Active' });
      expect(finished.raw['taskToken']).toBeUndefined();
      // The rounds that saw Pending wrote nothing; the answer is one history entry.
      expect(historyCodes(finished.raw)).toEqual([]);
      expect(answersOf(finished.raw)).toEqual([
        expect.objectContaining({ event: 'knox-call', knoxStatus: 'Active', detail: 'the customer approved' }),
      ]);
      expect(
        knoxCalls(finished.requests).filter(CALLS.get(customerId)).length +
          knoxCalls(finished.requests).filter(CALLS.list).length,
      ).toBeGreaterThanOrEqual(N + 1);
      expect(knoxCalls(finished.requests).filter((r) => r.accepted)).toEqual([
        expect.objectContaining({ path: '/msp/v1/managedCustomers/link' }),
      ]);
    });

    it('the customer rejects the link: the poller fails the task with Knox.Abort, ABORTED with CUSTOMER_REJECTED_LINK', async () => {
      const customerId = await newCustomer(e2e);
      const started = await start(e2e, 'onboarding', linkRequest(customerId));
      const finished = await finishAfterAnswer(e2e, started, () => e2e.control.rejectLink(customerId));

      await expectClosedRecord(e2e, finished, 'ABORTED');
      expect(finished.raw['lastError']).toEqual(lastErrorFor('CUSTOMER_REJECTED_LINK'));
      expect(finished.answer['lastError']).toMatchObject({ code: 'CUSTOMER_REJECTED_LINK', disposition: 'abort' });
      expect(finished.raw).toMatchObject({ knoxStatus: 'Pending' });
      expect(statePath(finished.execution)).toEqual(ANSWER_ABORTED);
      expectCaught(finished.execution, STATES.waitForAnswer, STEP_ERROR_NAMES.abort, STATES.recordAborted);
      expect(historyOf(finished.raw).find((h) => h.error?.code === 'CUSTOMER_REJECTED_LINK')?.detail).toBe(
        specFor('CUSTOMER_REJECTED_LINK').hint,
      );
      expect((await e2e.control.customer(customerId)).status).toBe('Rejected');
    });
  });

  describe('offboarding', () => {
    /** Offboards an Active customer of ours, which answers the delink with `answer` once the offboarding waits. */
    async function offboard(answer: (customerId: string) => Promise<unknown>) {
      const customerId = await newCustomer(e2e, { status: 'Active' });
      const started = await start(e2e, 'offboarding', { customerId });
      return { customerId, finished: await finishAfterAnswer(e2e, started, () => answer(customerId)) };
    }

    it('the customer accepts the delink: SUCCEEDED, the customer is no longer ours', async () => {
      const { customerId, finished } = await offboard((id) => e2e.control.acceptDelink(id));

      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      expect(finished.raw).toMatchObject({ knoxStatus: 'Delinked', attempts: { delink: 1 } });
      expect(statePath(finished.execution)).toEqual(PATHS.delinked);
      const calls = knoxCalls(finished.requests);
      expect(calls.filter(CALLS.delink)).toEqual([expect.objectContaining({ status: 200, accepted: true })]);
      // Knox no longer shows the customer to us: the poller's GET answers "not managed by us", the acceptance.
      expect(calls.filter(CALLS.get(customerId)).at(-1)).toMatchObject({
        errorCode: specFor('CUSTOMER_NOT_MANAGED_BY_MSP').errorCode,
      });
      expect((await e2e.control.customer(customerId)).ownerMsp).toBeNull();
    });

    it('the customer rejects the delink: ABORTED with CUSTOMER_REJECTED_DELINK, still ours', async () => {
      const { customerId, finished } = await offboard((id) => e2e.control.rejectDelink(id));

      await expectClosedRecord(e2e, finished, 'ABORTED');
      expect(finished.raw['lastError']).toEqual(lastErrorFor('CUSTOMER_REJECTED_DELINK'));
      expect(statePath(finished.execution)).toEqual(PATHS.delinkRefused);
      expectCaught(finished.execution, STATES.waitForAnswer, STEP_ERROR_NAMES.abort, STATES.recordAborted);
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
      const reused = await startRecord(
        e2e.stack.apiUrl,
        'onboarding',
        linkRequest(customerId, { accessType: 'NoAccess' }),
        headers,
      );
      expect(reused.status).toBe(422);

      expect((await listExecutions(e2e.stack.apiUrl)).filter((x) => x.recordId === first.id)).toHaveLength(1);
      expect(await recordsOfCustomer(e2e, customerId)).toHaveLength(1);
      expect(knoxCalls(finished.requests).filter(CALLS.link)).toHaveLength(1);
    });

    it('20 concurrent POSTs for one customer make one onboarding and one execution', async () => {
      const customerId = await newCustomer(e2e);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => startRecord(e2e.stack.apiUrl, 'onboarding', linkRequest(customerId))),
      );

      const ids = new Set(answers.map((a) => a.body['onboardingId']));
      expect(ids.size, JSON.stringify(answers.map((a) => [a.status, a.body]))).toBe(1);
      expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
      const id = String([...ids][0]);
      const started = {
        kind: 'onboarding' as const,
        id,
        executionName: String(answers[0]!.body['executionName']),
        answer: answers[0]!,
      };

      const finished = await finishAfterAnswer(e2e, started, () => e2e.control.approveLink(customerId));
      await expectClosedRecord(e2e, finished, 'SUCCEEDED');

      const executions = (await listExecutions(e2e.stack.apiUrl)).filter((x) => x.name.startsWith(`${customerId}-`));
      expect(executions).toEqual([expect.objectContaining({ recordId: id, status: 'SUCCEEDED' })]);
      expect((await recordsOfCustomer(e2e, customerId)).map((r) => r['pk'])).toEqual([id]);
      expect(knoxCalls(finished.requests).filter(CALLS.link)).toHaveLength(1);
    });
  });

  describe('cancel', () => {
    it('DELETE stops a waiting onboarding: CANCELLED, the execution ABORTED, no Knox call after the cancel', async () => {
      const { customerId, started } = await waitingOnboarding(e2e); // the customer never answers on its own

      // At least one round has asked about it (the first to end may have begun before it waited); then cancel.
      await e2e.stack.poller!.afterRounds(2);
      const cancelled = await api<Record<string, unknown>>(e2e.stack.apiUrl, 'DELETE', `/onboardings/${started.id}`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ onboardingId: started.id, status: 'CANCELLED' });

      const finished = await finish(e2e, started);
      await expectClosedRecord(e2e, finished, 'CANCELLED');
      expect(finished.execution.status).toBe('ABORTED');
      expect(finished.execution.events.at(-1)?.type).toBe('ExecutionAborted');
      expect(statePath(finished.execution).at(-1)).toBe(STATES.waitForAnswer);
      expect(historyOf(finished.raw).at(-1)).toMatchObject({
        event: 'finished',
        status: 'CANCELLED',
        detail: 'cancelled through the API',
      });

      // A round running at the cancel began before it; the three rounds after it do not ask Knox about this customer
      // (a CANCELLED record is not waiting).
      await e2e.stack.poller!.afterRounds(1);
      const lastSeq = (await e2e.control.requests()).at(-1)!.seq;
      await e2e.stack.poller!.afterRounds(3);
      expect((await e2e.control.requests()).filter((r) => r.seq > lastSeq).filter(CALLS.get(customerId))).toEqual([]);
      // A closed onboarding cannot be cancelled again.
      expect((await api(e2e.stack.apiUrl, 'DELETE', `/onboardings/${started.id}`)).status).toBe(409);
    });

    it('a DELETE whose stop fails leaves the execution parked; the repeated DELETE answers 409 and stops it', async () => {
      const { started } = await waitingOnboarding(e2e); // the customer never answers on its own
      // Parked in its callback: the token is on the record (WAITING comes a step before it).
      await eventually(async () => ((await rawRecord(e2e, started.id))['taskToken'] ? true : undefined), {
        what: () => `${started.id} never stored its task token`,
      });
      const { executions } = e2e.stack;
      const original = executions.stopExecution;
      let refused = 0;
      executions.stopExecution = async () => {
        refused += 1;
        throw new AwsServiceError('KmsInvalidStateException', 'The execution’s key cannot be used now');
      };
      try {
        const first = await api<Record<string, unknown>>(e2e.stack.apiUrl, 'DELETE', `/onboardings/${started.id}`);
        expect(first.status).toBe(200);
        expect(first.body).toMatchObject({ status: 'CANCELLED' });
      } finally {
        executions.stopExecution = original;
      }
      expect(refused).toBe(1);
      // The record is CANCELLED; its execution still waits in its callback, which nobody will answer.
      expect((await getExecution(e2e.stack.apiUrl, started.executionName))?.status).toBe('RUNNING');

      const again = await api<Record<string, unknown>>(e2e.stack.apiUrl, 'DELETE', `/onboardings/${started.id}`);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ status: 'CANCELLED' });
      const finished = await finish(e2e, started);
      expect(finished.execution.status).toBe('ABORTED');
      expect(statePath(finished.execution).at(-1)).toBe(STATES.waitForAnswer);
      await expectClosedRecord(e2e, finished, 'CANCELLED');
    });

    it('a step that meets its record cancelled before the stop ends the workflow cancelled: SUCCEEDED, never FAILED, Knox not called', async () => {
      // A cancel writes CANCELLED, then stops the execution. The bad order is forced: the link step runs between the
      // two (the wrapper makes the cancel's own write, the store's finish, then runs the real step), and the stop
      // comes after the execution ended (the AWS CLI's stop-execution, as the API would send it).
      logger.setLogLevel('SILENT'); // the step below runs in this process
      const customerId = await newCustomer(e2e);
      e2e.stack.lambda.use(STEP_FUNCTIONS.linkCustomer, async (event: unknown, context: Context) => {
        const { id } = event as { id: string };
        await finishRecord(id, 'CANCELLED', { detail: 'cancelled through the API' });
        return linkCustomer(event, context);
      });
      let started: Awaited<ReturnType<typeof start>>;
      try {
        started = await start(e2e, 'onboarding', linkRequest(customerId));
        const finished = await finish(e2e, started);
        expect(finished.answer.status).toBe('CANCELLED');
        expect(finished.execution.status).toBe('SUCCEEDED');
        expect(statePath(finished.execution).slice(-2)).toEqual([STATES.linkCustomer, STATES.onboardingCancelled]);
        expect(finished.requests.filter(CALLS.link)).toEqual([]);
      } finally {
        e2e.stack.lambda.restore(STEP_FUNCTIONS.linkCustomer);
      }
      // The API's StopExecution arrives late: AWS answers it and the execution stays SUCCEEDED.
      const arn = (await getExecution(e2e.stack.apiUrl, started.executionName))!.executionArn;
      const stopped = await awsSfn(e2e.stack.ports.sfn, [
        'stop-execution',
        '--execution-arn',
        arn,
        '--error',
        'Cancelled',
      ]);
      expect(stopped.ok).toBe(true);
      const described = await awsSfn(e2e.stack.ports.sfn, ['describe-execution', '--execution-arn', arn]);
      expect(described.ok && described.json['status']).toBe('SUCCEEDED');
      // The record stays CANCELLED, with no error recorded against it.
      const raw = await rawRecord(e2e, started.id);
      expect(raw['status']).toBe('CANCELLED');
      expect(raw['lastError']).toBeUndefined();
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

  it("a customer that never answers: the callback's TimeoutSeconds passes, ABORTED with WAIT_DEADLINE_EXCEEDED", async () => {
    const customerId = await newCustomer(e2e, { script: { onLink: 'never' } });
    const started = await start(e2e, 'onboarding', linkRequest(customerId));
    const finished = await finish(e2e, started);

    await expectClosedRecord(e2e, finished, 'ABORTED');
    expect(finished.raw['lastError']).toEqual(lastErrorFor('WAIT_DEADLINE_EXCEEDED'));
    expect(Date.parse(String(finished.raw['deadline'])) - Date.parse(String(finished.raw['createdAt']))).toBe(1000);
    expect(historyOf(finished.raw).at(-1)).toMatchObject({ event: 'finished', status: 'ABORTED' });

    expect(statePath(finished.execution)).toEqual(ANSWER_ABORTED);
    // The deadline is the callback Task's own timeout, caught into Record aborted.
    expectCaught(finished.execution, STATES.waitForAnswer, TASK_TIMEOUT_ERROR, STATES.recordAborted);
    const wait = definitionOf(e2e, 'onboarding').States[STATES.waitForAnswer]!;
    expect(wait).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' });
    expect(typeof wait['TimeoutSeconds']).toBe('number');

    const calls = knoxCalls(finished.requests);
    expect(calls.filter((r) => r.accepted)).toEqual([
      expect.objectContaining({ path: '/msp/v1/managedCustomers/link' }),
    ]);
  });
});
