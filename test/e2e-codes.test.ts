/**
 * Every code of Samsung's seed table, end to end, one test each (the list comes from SEED_ERRORS; a code without a
 * scenario fails). Each scenario makes the simulator really answer that code (fixtures' situations on customers of
 * its own, control calls, faults), starts an onboarding, offboarding or change through the HTTP API, follows it to its
 * terminal status (through WAITING and the unblocking control call for `wait` codes), and asserts the end state the
 * decision matrix (docs/decision-matrix.md) gives the code on that step, Knox's code name in lastError (or in history,
 * once a success cleared it), the execution's path (states, retries, catches), the raw DynamoDB record and the Knox
 * calls the simulator logged. The last test checks that every matrix cell the simulator can reach was observed here,
 * or is listed with the reason it is not (test/support/matrix-coverage.ts).
 *
 * Transport trouble (429, token expiry, bodies that are not JSON, a dropped connection, revoked rights) is in
 * test/e2e-transport.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RecordKind } from '#domain/api-schemas';
import { RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES } from '#domain/dispositions';
import { SEED_ERRORS, specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import { ENV } from '#domain/configuration';
import { STATES } from '#domain/state-names';
import { FIXTURE_KM_TENANTS, FIXTURE_REGISTERED_EMAILS, UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import type { SimCustomerInput } from '#knox-sim/model';
import {
  SIM_BLOCKED_EMAIL_DOMAINS,
  SIM_DEFAULT_CREDENTIALS,
  SIM_OTHER_MSP,
  SIM_OTHER_REGION,
  SIM_UNSUPPORTED_COUNTRIES,
} from '#knox-sim/world';
import { statePath } from '#testkit/test-stack';
import {
  CALLS,
  FAULT_MATCH,
  PATHS,
  createRequest,
  definitionOf,
  expectAbortedByKnox,
  expectCaught,
  expectClosedRecord,
  expectKnoxLastError,
  expectRefusedAtApi,
  expectRetried,
  expectThroughMatrix,
  expectWaitThenSuccess,
  finish,
  freshEmail,
  historyCodes,
  historyOf,
  NOT_OBSERVED_HERE,
  OBSERVED_CELLS,
  linkRequest,
  matrixEnd,
  newCustomer,
  reachableCells,
  only,
  start,
  useE2e,
  type KnoxTask,
} from './support/e2e-scenarios';

const e2e = useE2e();

// --- One scenario per seed code -------------------------------------------------------------------------------------

/** A scenario gets the code it is for. */
type Scenario = (code: KnoxErrorCodeName) => Promise<void>;

/** Whose is whose: a customer of another MSP, and customers of ours in a given state. */
const theirs = { ownerMsp: SIM_OTHER_MSP, status: 'Active' } as const;

/** An abort or invalid-request code Knox answers to the Task's call, on the body `body` makes (with its customer). */
const abortedAt =
  (task: KnoxTask, body: () => unknown): Scenario =>
  async (code) => {
    await expectAbortedByKnox(e2e, { task, body: await body(), code });
  };

/** The matrix's column for a request our API takes: a change's update, an onboarding's create or link. */
const columnOf = (kind: RecordKind, body: unknown): KnoxTask =>
  kind === 'change' ? 'update' : kind === 'offboarding' ? 'delink' : 'customer' in (body as object) ? 'create' : 'link';

/** A request our API refuses (400), as the decision matrix says it does for the code. */
async function refusedThroughMatrix(
  code: KnoxErrorCodeName,
  kind: RecordKind,
  body: unknown,
  path: string,
  message: RegExp,
): Promise<void> {
  await expectRefusedAtApi(e2e, kind, body, path, message);
  expectThroughMatrix(code, columnOf(kind, body), 'refusedAtApi', 'REFUSED');
}

/**
 * An invalidRequest code our API refuses before any Knox call, in each of the requests `requests` makes with
 * `services`: a 400 with the issue at `path`, its message matching the request's pattern.
 */
const refusedAtApi =
  (path: string, services: unknown[], requests: (services: unknown[]) => [RecordKind, unknown, RegExp][]): Scenario =>
  async (code) => {
    for (const [kind, body, message] of requests(services)) {
      await refusedThroughMatrix(code, kind, body, path, message);
    }
  };

/** An offboarding's body for a new customer of the simulator. */
const offboardingOf = async (customer: SimCustomerInput) => ({ customerId: await newCustomer(e2e, customer) });

const SCENARIOS: Partial<Record<KnoxErrorCodeName, Scenario>> = {
  // retry: a few 500s on the link, retried by the fast retrier, then the link and the approval go through.
  FAILURE: async () => {
    const customerId = await newCustomer(e2e, { script: { onLink: 'approve' } });
    await e2e.control.fault({ match: FAULT_MATCH.link, fault: { type: 'error500' }, count: 2 });
    const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));

    await expectClosedRecord(e2e, finished, 'SUCCEEDED');
    expectThroughMatrix('FAILURE', 'link', 'retried', 'SUCCEEDED');
    expect(finished.raw['lastError']).toBeUndefined();
    expect(historyCodes(finished.raw)).toEqual(['FAILURE', 'FAILURE']);
    expect(
      historyOf(finished.raw)
        .filter((h) => h.event === 'knox-error')
        .every((h) => h.error?.disposition === 'retry'),
    ).toBe(true);
    expect(finished.raw).toMatchObject({ attempts: { link: 3 }, customerId, knoxStatus: 'Active' });

    expect(statePath(finished.execution)).toEqual(PATHS.linked);
    expectRetried(finished.execution, STATES.linkCustomer, STEP_ERROR_NAMES.retry, 2);
    const retries = finished.execution.events.filter(
      (e) => e.type === 'StateRetried' && e.state === STATES.linkCustomer,
    );
    expect(retries.map((e) => [e.retry?.errorEquals[0], e.retry?.attempt])).toEqual([
      [STEP_ERROR_NAMES.retry, 1],
      [STEP_ERROR_NAMES.retry, 2],
    ]);

    const links = only(finished.requests, CALLS.link);
    expect(links.map((r) => [r.status, r.fault, r.accepted])).toEqual([
      [500, 'error500', false],
      [500, 'error500', false],
      [200, undefined, true],
    ]);
  },

  // operator: our client lost its MSP rights.
  AUTHORIZATION_FAIL: async () => {
    const customerId = await newCustomer(e2e);
    await e2e.control.setClientAuthorized(SIM_DEFAULT_CREDENTIALS.clientId, false);
    try {
      const expected = matrixEnd('AUTHORIZATION_FAIL', 'link', 'caught');
      if (expected === 'REFUSED') throw new Error('AUTHORIZATION_FAIL is never refused by the API');
      const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));
      await expectClosedRecord(e2e, finished, expected);
      expectThroughMatrix('AUTHORIZATION_FAIL', 'link', 'caught', expected);
      expectKnoxLastError(finished, 'AUTHORIZATION_FAIL');
      expect(finished.raw['attempts']).toEqual({ link: 1 });
      expect(finished.execution.status).toBe('FAILED');
      expect(statePath(finished.execution)).toEqual(PATHS.linkFailed);
      expectCaught(finished.execution, STATES.linkCustomer, STEP_ERROR_NAMES.operator, STATES.recordFailed);
      // 4030000 may mean a dead token (KBA-1242): the client repeats the call once with a fresh token, then gives up.
      const refused = expect.objectContaining({ status: 403, errorCode: '4030000', accepted: false });
      expect(only(finished.requests, CALLS.link)).toEqual([refused, refused]);
    } finally {
      await e2e.control.setClientAuthorized(SIM_DEFAULT_CREDENTIALS.clientId, true);
    }
  },

  // invalidRequest: our API refuses a country that is not ISO 3166-1; Knox refuses an ISO country it does not serve.
  INVALID_COUNTRY: async (code) => {
    await refusedThroughMatrix(
      code,
      'onboarding',
      createRequest(freshEmail(), {}, { country: 'XX' }),
      'customer.country',
      /ISO 3166-1/,
    );
    expect(SIM_UNSUPPORTED_COUNTRIES).toContain('KP');
    await expectAbortedByKnox(e2e, { task: 'create', body: createRequest(freshEmail(), {}, { country: 'KP' }), code });
  },

  ADD_EC_CUSTOMER_INVALID: abortedAt('link', () => linkRequest(UNKNOWN_CUSTOMER_ID)),

  // wait: Samsung has not approved the customer's own account; it does, and the link goes through.
  ADD_EC_CUSTOMER_NOT_APPROVED: async (code) => {
    const customerId = await newCustomer(e2e, { samsungApproved: false, script: { onLink: 'approve' } });
    const unblock = () => e2e.control.samsungApprove(customerId);
    await expectWaitThenSuccess(e2e, { task: 'link', body: linkRequest(customerId), code, unblock });
  },

  // wait: the customer is being delinked from another MSP; that delink ends, and our link goes through.
  ADD_EC_DELINK_PENDING: async (code) => {
    const customerId = await newCustomer(e2e, {
      ownerMsp: SIM_OTHER_MSP,
      status: 'DelinkRequested',
      script: { onLink: 'approve' },
    });
    const unblock = () => e2e.control.acceptDelink(customerId);
    await expectWaitThenSuccess(e2e, { task: 'link', body: linkRequest(customerId), code, unblock });
  },

  ADD_EC_ALREADY_MANAGED: async (code) => {
    const body = linkRequest(await newCustomer(e2e, theirs));
    const finished = await expectAbortedByKnox(e2e, { task: 'link', body, code });
    // The operator reads what to do in the record's history.
    expect(historyOf(finished.raw).find((h) => h.event === 'knox-error')?.detail).toBe(specFor(code).hint);
  },

  // alreadyDone: the customer is already Pending with us (our earlier link went through): go on to the status check.
  ADD_EC_PENDING_CANNOT_ADD_AGAIN: async () => {
    // The script answers from the poller's second look on, so the link itself still meets the Pending customer.
    const customerId = await newCustomer(e2e, { status: 'Pending', script: { onLink: 'approve', afterGets: 1 } });
    const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));

    await expectClosedRecord(e2e, finished, 'SUCCEEDED');
    expectThroughMatrix('ADD_EC_PENDING_CANNOT_ADD_AGAIN', 'link', 'alreadyDone', 'SUCCEEDED');
    expect(finished.raw['lastError']).toBeUndefined();
    expect(historyOf(finished.raw).find((h) => h.event === 'already-done')).toMatchObject({
      step: 'link',
      error: { code: 'ADD_EC_PENDING_CANNOT_ADD_AGAIN', errorCode: '4002104', disposition: 'alreadyDone' },
    });
    expect(finished.raw).toMatchObject({ attempts: { link: 1 }, knoxStatus: 'Active' });

    expect(statePath(finished.execution)).toEqual(PATHS.linked);
    expectCaught(finished.execution, STATES.linkCustomer, STEP_ERROR_NAMES.alreadyDone, STATES.waitForAnswer);

    // No link was accepted: the one there is was ours from before.
    expect(only(finished.requests, CALLS.link)).toEqual([
      expect.objectContaining({ status: 400, errorCode: '4002104', accepted: false }),
    ]);
    expect(only(finished.requests, CALLS.get(customerId)).map((r) => r.status)).toEqual([200, 200]);
    // The poller's first look still met the customer Pending: not yet, asked again by the next round.
    expectThroughMatrix('CUSTOMER_PENDING', 'approval', 'keepsWaiting', 'SUCCEEDED');
  },

  ADD_EC_NOT_SAME_REGION: abortedAt('link', async () =>
    linkRequest(await newCustomer(e2e, { region: SIM_OTHER_REGION })),
  ),

  CUSTOMER_NOT_FOUND: abortedAt('delink', () => ({ customerId: UNKNOWN_CUSTOMER_ID })),

  CUSTOMER_NOT_MANAGED_BY_MSP: abortedAt('delink', () => offboardingOf(theirs)),

  // abort: the contact already has a Knox account, and none of our customers has that e-mail (so it is not our own
  // earlier create: that case is already done, see test/e2e-lifecycle.test.ts).
  EMAIL_ALREADY_IN_USAGE: async (code) => {
    const body = createRequest(FIXTURE_REGISTERED_EMAILS.registered);
    const finished = await expectAbortedByKnox(e2e, { task: 'create', body, code });
    // The context rule looked through our customers once before it let the abort stand.
    expect(only(finished.requests, CALLS.list).length).toBeGreaterThanOrEqual(1);
    expect(historyOf(finished.raw).find((h) => h.event === 'knox-error')?.detail).toBe(specFor(code).hint);
  },

  // invalidRequest, refused by our API before any Knox call. Knox's own 4002109 can be reached only by bypassing our
  // API (a raw call: test/knox-sim.test.ts); the workflow never sends SamsungCarePlus.
  SERVICE_NOT_VALID_SCP: refusedAtApi('services.0.service', [{ service: 'SamsungCarePlus' }], (services) => [
    ['onboarding', linkRequest(UNKNOWN_CUSTOMER_ID, { services }), /SamsungCarePlus.*4002109/],
    ['onboarding', createRequest(freshEmail(), { services }), /SamsungCarePlus.*4002109/],
    ['change', { customerId: UNKNOWN_CUSTOMER_ID, accessType: 'FullAccess', services }, /4002109/],
  ]),

  CANNOT_DELINK_FULLY_MANAGED: abortedAt('delink', () =>
    offboardingOf({ status: 'Active', managementType: 'FullyManaged' }),
  ),

  // wait: our link is still pending; the customer approves it, then our delink goes through and is accepted.
  CUSTOMER_PENDING_CANNOT_DELINK: async (code) => {
    const customerId = await newCustomer(e2e, { status: 'Pending', script: { onDelink: 'accept' } });
    const unblock = () => e2e.control.approveLink(customerId);
    const finished = await expectWaitThenSuccess(e2e, { task: 'delink', body: { customerId }, code, unblock });
    expect(finished.raw['knoxStatus']).toBe('Delinked');
    // The poller's read after the customer accepted: 4002113, no longer ours, which answers the delink.
    expectThroughMatrix('CUSTOMER_NOT_MANAGED_BY_MSP', 'delinkAnswer', 'answered', 'SUCCEEDED');
    expect((await e2e.control.customer(customerId)).ownerMsp).toBeNull();
  },

  // invalidRequest, refused by our API; Knox's 4002111 only by bypassing it (test/knox-sim.test.ts).
  KM_TENANT_PREFIX_INVALID: refusedAtApi(
    'services.0.kmTenantPrefix',
    [{ service: 'KnoxManage', kmTenantPrefix: '.acme' }],
    (services) => [
      ['onboarding', createRequest(freshEmail(), { services }), /period.*4002111/],
      ['change', { customerId: UNKNOWN_CUSTOMER_ID, accessType: 'FullAccess', services }, /4002111/],
    ],
  ),

  // invalidRequest only Knox can know: the organisation's domain already has a Knox Manage tenant.
  KM_DOMAIN_NAME_ALREADY_EXISTS: abortedAt('create', () =>
    createRequest(freshEmail(FIXTURE_KM_TENANTS.domain), { services: [{ service: 'KnoxManage' }] }),
  ),

  // invalidRequest: our API refuses the free-mail domains it knows; Knox's list is longer (blocked.example).
  BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED: async (code) => {
    await refusedThroughMatrix(
      code,
      'onboarding',
      createRequest(freshEmail('gmail.com')),
      'customer.contact.email',
      /4002114/,
    );
    const blocked = SIM_BLOCKED_EMAIL_DOMAINS[0];
    await expectAbortedByKnox(e2e, { task: 'create', body: createRequest(freshEmail(blocked)), code });
  },

  // wait: our delink is pending; the customer rejects it, and the change goes through.
  CANNOT_CHANGE_WHEN_DELINKING: async (code) => {
    const customerId = await newCustomer(e2e, { status: 'DelinkRequested' });
    const unblock = () => e2e.control.rejectDelink(customerId);
    await expectWaitThenSuccess(e2e, { task: 'update', body: { customerId, accessType: 'NoAccess' }, code, unblock });
    expect((await e2e.control.customer(customerId)).accessType).toBe('NoAccess');
  },

  CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY: async (code) => {
    const customerId = await newCustomer(e2e, { status: 'Active', managementType: 'JointlyManaged' });
    const body = { customerId, managementType: 'FullyManaged' };
    const finished = await expectAbortedByKnox(e2e, { task: 'update', body, code });
    expect(historyOf(finished.raw).find((h) => h.event === 'knox-error')?.detail).toMatch(
      /Delink the customer, then link it again/,
    );
  },

  SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT: abortedAt('update', async () => ({
    customerId: await newCustomer(e2e, {
      status: 'Active',
      accountServices: ['KnoxMobileEnrollment', 'KnoxConfigure'],
    }),
    accessType: 'FullAccess',
    services: [{ service: 'KnoxGuard' }],
  })),

  // wait: our link is pending; the customer approves it, and the change goes through.
  CANNOT_CHANGE_WHEN_PENDING: async (code) => {
    const customerId = await newCustomer(e2e, { status: 'Pending' });
    const body = { customerId, accessType: 'FullAccess', services: [{ service: 'KnoxConfigure' }] };
    const unblock = () => e2e.control.approveLink(customerId);
    await expectWaitThenSuccess(e2e, { task: 'update', body, code, unblock });
    expect((await e2e.control.customer(customerId)).managedServices).toContainEqual({
      service: 'KnoxConfigure',
      status: 'Active',
    });
  },

  // invalidRequest, refused by our API (services without accessType); Knox's 4002120 only by bypassing it
  // (test/knox-sim.test.ts): every body the workflow sends with services carries the request's accessType.
  ACCESS_TYPE_REQUIRED: refusedAtApi('accessType', [{ service: 'KnoxConfigure' }], (services) => [
    ['onboarding', linkRequest(UNKNOWN_CUSTOMER_ID, { accessType: undefined, services }), /4002120/],
    ['onboarding', createRequest(freshEmail(), { accessType: undefined, services }), /4002120/],
    ['change', { customerId: UNKNOWN_CUSTOMER_ID, services }, /4002120/],
  ]),

  KM_DOMAIN_NAME_ALREADY_IN_USAGE: abortedAt('create', () =>
    createRequest(freshEmail(FIXTURE_KM_TENANTS.domain), {
      services: [{ service: 'KnoxManage', kmTenantPrefix: FIXTURE_KM_TENANTS.takenPrefix }],
    }),
  ),
};

describe('every code of the seed table, end to end', () => {
  it('has a scenario for each seed code, and none for other codes', () => {
    expect(SEED_ERRORS).toHaveLength(24);
    expect(Object.keys(SCENARIOS).sort()).toEqual(SEED_ERRORS.map((e) => e.code).sort());
  });

  for (const spec of SEED_ERRORS) {
    it(`${spec.errorCode} ${spec.code} (${spec.disposition})`, async () => {
      const scenario = SCENARIOS[spec.code];
      if (!scenario) throw new Error(`no end-to-end scenario for ${spec.errorCode} ${spec.code}`);
      await scenario(spec.code);
    });
  }
});

describe('retry codes whose faults outlast the retry window', () => {
  it('5000000 FAILURE on every attempt: retried for the whole window, then FAILED, nothing accepted', async () => {
    const customerId = await newCustomer(e2e);
    await e2e.control.fault({ match: FAULT_MATCH.link, fault: { type: 'error500' }, count: 1000 });
    const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));

    await expectClosedRecord(e2e, finished, 'FAILED');
    expectThroughMatrix('FAILURE', 'link', 'retried', 'FAILED');
    expectKnoxLastError(finished, 'FAILURE');
    const attempts = Number((finished.raw['attempts'] as Record<string, number>)['link']);
    expect(attempts).toBeGreaterThan(1);
    expect(historyCodes(finished.raw)).toEqual(Array(attempts).fill('FAILURE'));
    const last = historyOf(finished.raw)
      .filter((h) => h.event === 'knox-error')
      .at(-1);
    expect(last?.detail).toContain('the retry window ended at');
    expect(finished.raw['retrySince']).toBeDefined();

    expect(finished.execution.status).toBe('FAILED');
    expect(statePath(finished.execution)).toEqual(PATHS.linkFailed);
    // The step ended it (the window had passed), not the retrier's backstop.
    expectCaught(
      finished.execution,
      STATES.linkCustomer,
      RETRY_WINDOW_EXCEEDED_ERROR,
      STATES.recordFailed,
      attempts - 1,
    );
    const retriers = (definitionOf(e2e, 'onboarding').States[STATES.linkCustomer]?.['Retry'] ?? []) as {
      MaxAttempts: number;
    }[];
    expect(attempts - 1).toBeLessThan(retriers[0]?.MaxAttempts ?? 0);

    const links = only(finished.requests, CALLS.link);
    expect(links).toHaveLength(attempts);
    expect(links.every((r) => r.status === 500 && !r.accepted)).toBe(true);
    // Knox was asked for at least the (scaled) window before the workflow gave up.
    const window = Number(process.env[ENV.retryWindowSeconds]);
    expect(Date.parse(links.at(-1)!.at) - Date.parse(links[0]!.at)).toBeGreaterThanOrEqual(window * 1000 - 50);
  });
});

describe('the decision matrix, held to the runs above', () => {
  it('every cell the simulator can reach was observed through the matrix, or is listed with why it is not', () => {
    const missing = reachableCells().filter((c) => !OBSERVED_CELLS.has(c));
    expect(missing.sort()).toEqual(Object.keys(NOT_OBSERVED_HERE).sort());
    for (const cell of OBSERVED_CELLS) expect(NOT_OBSERVED_HERE).not.toHaveProperty(cell);
  });
});
