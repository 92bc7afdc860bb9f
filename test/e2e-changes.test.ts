/**
 * Changes, end to end: `POST /changes` (Knox's update call) and the rule that a customer has one open workflow at a
 * time (409 with the open one's id), plus the onboarding that asks for more than the link gives and runs
 * "Change customer" after the approval, so that one POST ends with the customer configured as asked.
 */
import { describe, expect, it } from 'vitest';
import { specFor } from '#domain/knox-errors';
import { STATES } from '#domain/state-names';
import { FIXTURE_KM_TENANTS, UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import { SIM_OTHER_MSP } from '#knox-sim/world';
import { api, startRecord, statePath } from '#testkit/test-stack';
import {
  CALLS,
  PATHS,
  expectAbortedByKnox,
  expectClosedRecord,
  expectRefusedAtApi,
  expectWaitThenSuccess,
  finish,
  freshEmail,
  historyOf,
  knoxCalls,
  linkRequest,
  newCustomer,
  reach,
  recordsOfCustomer,
  start,
  useE2e,
  type Started,
} from './support/e2e-scenarios';

const e2e = useE2e();

const ours = { status: 'Active' } as const;

describe('changes that go through', () => {
  it('FullyManaged -> JointlyManaged: SUCCEEDED with one accepted update', async () => {
    const customerId = await newCustomer(e2e, { ...ours, managementType: 'FullyManaged' });
    const finished = await finish(e2e, await start(e2e, 'change', { customerId, managementType: 'JointlyManaged' }));

    await expectClosedRecord(e2e, finished, 'SUCCEEDED');
    expect(finished.raw).toMatchObject({ kind: 'change', customerId, attempts: { update: 1 }, knoxStatus: 'Active' });
    expect(finished.raw['lastError']).toBeUndefined();
    expect(historyOf(finished.raw).find((h) => h.event === 'knox-call')).toMatchObject({
      step: 'update',
      detail: 'customer updated (managementType)',
    });
    expect(statePath(finished.execution)).toEqual(PATHS.changed);
    expect(knoxCalls(finished.requests)).toEqual([
      expect.objectContaining({ method: 'PUT', status: 200, accepted: true }),
    ]);
    expect((await e2e.control.customer(customerId)).managementType).toBe('JointlyManaged');
  });

  it('adding a service with accessType switches it on', async () => {
    const customerId = await newCustomer(e2e, ours);
    const finished = await finish(
      e2e,
      await start(e2e, 'change', {
        customerId,
        accessType: 'NoAccess',
        services: [{ service: 'KnoxConfigure' }],
      }),
    );

    await expectClosedRecord(e2e, finished, 'SUCCEEDED');
    expect(statePath(finished.execution)).toEqual(PATHS.changed);
    expect(knoxCalls(finished.requests).filter(CALLS.update(customerId))).toEqual([
      expect.objectContaining({ status: 200, accepted: true }),
    ]);
    const customer = await e2e.control.customer(customerId);
    expect(customer.accessType).toBe('NoAccess');
    expect(customer.managedServices).toEqual([
      { service: 'KnoxMobileEnrollment', status: 'Active' },
      { service: 'KnoxConfigure', status: 'Active' },
    ]);
  });
});

describe('changes that wait for the customer', () => {
  it('4002119: our link is still Pending -> WAITING; the customer approves -> SUCCEEDED', async () => {
    const customerId = await newCustomer(e2e, { status: 'Pending' });
    const body = { customerId, accessType: 'NoAccess' };
    const unblock = () => e2e.control.approveLink(customerId);
    await expectWaitThenSuccess(e2e, { task: 'update', body, code: 'CANNOT_CHANGE_WHEN_PENDING', unblock });
    expect(await e2e.control.customer(customerId)).toMatchObject({ status: 'Active', accessType: 'NoAccess' });
  });

  it('4002116: our delink is pending -> WAITING; the customer rejects the delink -> SUCCEEDED', async () => {
    const customerId = await newCustomer(e2e, { status: 'DelinkRequested' });
    const body = { customerId, accessType: 'FullAccess', services: [{ service: 'KnoxEFOTA' }] };
    const unblock = () => e2e.control.rejectDelink(customerId);
    await expectWaitThenSuccess(e2e, { task: 'update', body, code: 'CANNOT_CHANGE_WHEN_DELINKING', unblock });
    expect((await e2e.control.customer(customerId)).managedServices).toContainEqual({
      service: 'KnoxEFOTA',
      status: 'Active',
    });
  });
});

describe('changes Knox refuses: ABORTED with Knox’s reason', () => {
  const aborted = (customerId: string, body: Record<string, unknown>, code: Parameters<typeof specFor>[0]) =>
    expectAbortedByKnox(e2e, { task: 'update', body: { customerId, ...body }, code });

  it('4002117 Jointly -> Fully: ABORTED, with the operator hint "delink, then link again"', async () => {
    const customerId = await newCustomer(e2e, ours);
    const finished = await aborted(
      customerId,
      { managementType: 'FullyManaged' },
      'CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY',
    );
    expect(finished.answer['lastError']).toMatchObject({
      message: specFor('CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY').message,
    });
    // The hint is in the record's history, and so in the API's answer.
    const answerHistory = finished.answer.history as { detail?: string }[];
    expect(answerHistory.map((h) => h.detail)).toContain('Delink the customer, then link it again as FullyManaged.');
    expect(historyOf(finished.raw).find((h) => h.event === 'knox-error')?.detail).toMatch(
      /^Delink the customer, then link it again/,
    );
    expect((await e2e.control.customer(customerId)).managementType).toBe('JointlyManaged');
  });

  it('4002118 a service the customer’s account lacks: ABORTED', async () => {
    const customerId = await newCustomer(e2e, { ...ours, accountServices: ['KnoxMobileEnrollment'] });
    await aborted(
      customerId,
      { accessType: 'FullAccess', services: [{ service: 'KnoxGuard' }] },
      'SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT',
    );
  });

  it('4002113 another MSP’s customer: ABORTED', async () => {
    const customerId = await newCustomer(e2e, { ownerMsp: SIM_OTHER_MSP, status: 'Active' });
    await aborted(customerId, { accessType: 'NoAccess' }, 'CUSTOMER_NOT_MANAGED_BY_MSP');
  });

  it('4042100 an unknown customer: ABORTED', async () => {
    await aborted(UNKNOWN_CUSTOMER_ID, { accessType: 'NoAccess' }, 'CUSTOMER_NOT_FOUND');
  });

  it('4002110 KnoxManage without a prefix at a domain that has a tenant: ABORTED with Knox’s reason', async () => {
    const customerId = await newCustomer(e2e, { ...ours, email: freshEmail(FIXTURE_KM_TENANTS.domain) });
    const finished = await aborted(
      customerId,
      { accessType: 'FullAccess', services: [{ service: 'KnoxManage' }] },
      'KM_DOMAIN_NAME_ALREADY_EXISTS',
    );
    expect(finished.answer['lastError']).toMatchObject({
      message: 'Prefix is required because the domain name already exists.',
      disposition: 'invalidRequest',
    });
  });

  it('4002121 KnoxManage with a prefix that is taken: ABORTED with Knox’s reason', async () => {
    const customerId = await newCustomer(e2e, { ...ours, email: freshEmail(FIXTURE_KM_TENANTS.domain) });
    const services = [{ service: 'KnoxManage', kmTenantPrefix: FIXTURE_KM_TENANTS.takenPrefix }];
    const finished = await aborted(
      customerId,
      { accessType: 'FullAccess', services },
      'KM_DOMAIN_NAME_ALREADY_IN_USAGE',
    );
    expect(finished.answer['lastError']).toMatchObject({
      message: specFor('KM_DOMAIN_NAME_ALREADY_IN_USAGE').message,
      disposition: 'invalidRequest',
    });
    expect((await e2e.control.customer(customerId)).kmTenantDomain).toBeUndefined();
  });
});

describe('changes our API refuses: 400, nothing recorded, nothing started, Knox not called', () => {
  const customerId = '1234567890';
  it.each([
    ['an empty change', { customerId }, '', /a change needs managementType, accessType or services/],
    [
      'SamsungCarePlus (4002109)',
      { customerId, accessType: 'FullAccess', services: [{ service: 'SamsungCarePlus' }] },
      'services.0.service',
      /SamsungCarePlus \(Knox 4002109\)/,
    ],
    [
      'a Knox Manage prefix that ends with a period (4002111)',
      { customerId, accessType: 'FullAccess', services: [{ service: 'KnoxManage', kmTenantPrefix: 'acme.' }] },
      'services.0.kmTenantPrefix',
      /period \(Knox 4002111\)/,
    ],
    [
      'services without accessType (4002120)',
      { customerId, services: [{ service: 'KnoxConfigure' }] },
      'accessType',
      /Knox 4002120/,
    ],
  ])('%s', async (_name, body, path, message) => {
    await expectRefusedAtApi(e2e, 'change', body, path, message);
  });
});

describe('one open workflow per customer (409)', () => {
  async function expectConflict(
    kind: 'onboarding' | 'offboarding' | 'change',
    body: unknown,
    open: Started,
  ): Promise<void> {
    const answer = await startRecord(e2e.stack.apiUrl, kind, body);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ openId: open.id, kind: open.kind, message: expect.stringContaining(open.id) });
  }

  it('a change or an offboarding while an onboarding is open: 409 with the onboarding’s id', async () => {
    const customerId = await newCustomer(e2e); // never answers on its own
    const onboarding = await start(e2e, 'onboarding', linkRequest(customerId));
    await reach(e2e, onboarding, 'WAITING');

    await expectConflict('change', { customerId, accessType: 'NoAccess' }, onboarding);
    await expectConflict('offboarding', { customerId }, onboarding);
    expect(await recordsOfCustomer(e2e, customerId)).toHaveLength(1);

    expect((await api(e2e.stack.apiUrl, 'DELETE', `/onboardings/${onboarding.id}`)).status).toBe(200);
    await finish(e2e, onboarding);
  });

  it('an offboarding or an onboarding while a change is open: 409 with the change’s id; the same change again: 200', async () => {
    const customerId = await newCustomer(e2e, { status: 'Pending' });
    const change = await start(e2e, 'change', { customerId, accessType: 'NoAccess' });
    await reach(e2e, change, 'WAITING'); // 4002119

    await expectConflict('offboarding', { customerId }, change);
    await expectConflict('onboarding', linkRequest(customerId), change);
    const same = await startRecord(e2e.stack.apiUrl, 'change', { customerId, accessType: 'FullAccess' });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ changeId: change.id });

    await e2e.control.approveLink(customerId);
    const finished = await finish(e2e, change);
    await expectClosedRecord(e2e, finished, 'SUCCEEDED');
    expect(await recordsOfCustomer(e2e, customerId)).toHaveLength(1);
  });

  it('a change while an offboarding is open: 409 with the offboarding’s id; once it ends, a new request starts', async () => {
    const customerId = await newCustomer(e2e, ours);
    const offboarding = await start(e2e, 'offboarding', { customerId });
    await reach(e2e, offboarding, 'WAITING');

    await expectConflict('change', { customerId, accessType: 'NoAccess' }, offboarding);

    await e2e.control.rejectDelink(customerId);
    const finished = await finish(e2e, offboarding);
    await expectClosedRecord(e2e, finished, 'ABORTED');
    // The lock went with it: the change can start now.
    const change = await finish(e2e, await start(e2e, 'change', { customerId, accessType: 'NoAccess' }));
    await expectClosedRecord(e2e, change, 'SUCCEEDED');
  });
});

describe('an onboarding that asks for more than the link gives', () => {
  it('runs "Change customer" after the approval: one POST ends with the customer configured as asked', async () => {
    // The simulator's approval leaves a KnoxManage asked for under a tenant prefix Pending until our update switches
    // it on (knox-sim/README.md, "approval leaves one service to the MSP").
    const customerId = await newCustomer(e2e, { script: { onLink: 'approve' } });
    const services = [{ service: 'KnoxMobileEnrollment' }, { service: 'KnoxManage', kmTenantPrefix: 'acme' }];
    const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId, { services })));

    await expectClosedRecord(e2e, finished, 'SUCCEEDED');
    expect(statePath(finished.execution)).toEqual([
      STATES.linkOrCreate,
      STATES.linkCustomer,
      STATES.waitForAnswer,
      STATES.needsChange,
      STATES.changeCustomer,
      STATES.recordSucceeded,
      STATES.onboardingSucceeded,
    ]);
    expect(finished.execution.path.every((s) => s.errors.length === 0)).toBe(true);
    expect(finished.raw).toMatchObject({ attempts: { link: 1, update: 1 }, knoxStatus: 'Active' });
    const details = historyOf(finished.raw).map((h) => h.detail);
    expect(details).toContain('the customer approved; services still to add: KnoxManage');
    expect(details).toContain('customer updated (services, accessType)');

    const calls = knoxCalls(finished.requests);
    expect(calls.filter((r) => r.accepted).map((r) => r.method)).toEqual(['POST', 'PUT']);
    expect(calls.filter(CALLS.update(customerId))).toEqual([expect.objectContaining({ status: 200, accepted: true })]);
    const customer = await e2e.control.customer(customerId);
    expect(customer.managedServices).toEqual([
      { service: 'KnoxMobileEnrollment', status: 'Active' },
      { service: 'KnoxManage', status: 'Active' },
    ]);
    expect(customer.kmTenantDomain).toBe(`acme.${customer.email.split('@')[1]}`);
    // Nothing waited: the first poll saw the approval.
    expect(finished.execution.events.some((e) => e.type === 'StateRetried')).toBe(false);
  });
});
