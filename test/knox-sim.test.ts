/**
 * The Knox simulator over real HTTP (raw fetch): the customer lifecycle, every seed error code reached by the
 * condition that produces it, faults, chaos, tokens, the request log, scripts and automatic answers.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SEED_ERRORS, specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import {
  customerListSchema,
  customerSchema,
  knoxErrorBodySchema,
  oauthErrorSchema,
  tokenAnswerSchema,
  type KnoxCustomer,
} from '#domain/knox-schemas';
import { KnoxSimControl, KnoxSimControlError } from '#knox-sim/control';
import { FIXTURES, FIXTURE_KM_TENANTS, FIXTURE_REGISTERED_EMAILS, UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import { SIM_DEFAULT_CREDENTIALS, SIM_EXTRA_CREDENTIALS, startKnoxSimulator } from '#knox-sim/server';
import { SIM_OTHER_MSP, SIM_OUR_MSP } from '#knox-sim/world';
import { linkRequest } from './support/requests';
import { useKnoxSimulator } from './support/sim-harness';

const sim = useKnoxSimulator();

// --- Helpers ----------------------------------------------------------------------------------------------------------

interface Credentials {
  clientId: string;
  clientSecret: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function requestToken(creds: Credentials = SIM_DEFAULT_CREDENTIALS, base = sim.url): Promise<Answer> {
  const response = await fetch(`${base}/ams/v1/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: creds.clientId,
      client_secret: creds.clientSecret,
      scope: 'msp',
    }).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

/** Tokens per client, for the current test (reset clears them on the simulator side too). */
let tokens = new Map<string, string>();
beforeEach(() => {
  tokens = new Map();
});

async function tokenFor(creds: Credentials = SIM_DEFAULT_CREDENTIALS): Promise<string> {
  const cached = tokens.get(creds.clientId);
  if (cached) return cached;
  const answer = await requestToken(creds);
  const token = tokenAnswerSchema.parse(answer.json).access_token;
  tokens.set(creds.clientId, token);
  return token;
}

interface CallOptions {
  as?: Credentials;
  /** Send exactly this Authorization header (or none with null). */
  authorization?: string | null;
  /** Send this text as the body instead of JSON.stringify(body). */
  rawBody?: string;
}

async function knox(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Answer> {
  const authorization =
    options.authorization === undefined ? `Bearer ${await tokenFor(options.as)}` : options.authorization;
  const payload = options.rawBody ?? (body !== undefined ? JSON.stringify(body) : undefined);
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      ...(authorization !== null ? { authorization } : {}),
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload !== undefined ? { body: payload } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

const C = '/msp/v1/managedCustomers';
const getCustomer = (id: string, options?: CallOptions) => knox('GET', `${C}/${id}`, undefined, options);
const link = (body: unknown, options?: CallOptions) => knox('POST', `${C}/link`, body, options);
const create = (body: unknown, options?: CallOptions) => knox('POST', C, body, options);
const update = (id: string, body: unknown, options?: CallOptions) => knox('PUT', `${C}/${id}`, body, options);
const delink = (id: string, options?: CallOptions) => knox('POST', `${C}/delink`, { customerId: id }, options);

let companies = 0;
function newCustomer(overrides: Record<string, unknown> = {}, email?: string) {
  companies += 1;
  return {
    companyName: `Acme ${companies} Ltd`,
    companySize: '20-99',
    industry: 'COMMUNICATIONS',
    country: 'US',
    street1: '1 Main St',
    city: 'Chicago',
    contact: { firstName: 'Ada', lastName: 'Lee', email: email ?? `ada@acme-${companies}.example` },
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
    ...overrides,
  };
}

/** A 200 whose body is a customer object that our own schema accepts. */
function expectCustomer(answer: Answer): KnoxCustomer {
  expect(answer.status, answer.text).toBe(200);
  return customerSchema.parse(answer.json);
}

/** Knox's error object for one row of THE table: status, code, errorCode and message all from the row. */
function expectKnoxError(answer: Answer, code: KnoxErrorCodeName): void {
  const spec = specFor(code);
  expect(answer.status, answer.text).toBe(spec.httpStatus);
  const body = knoxErrorBodySchema.parse(answer.json);
  expect(body).toMatchObject({ code: spec.code, errorCode: spec.errorCode, errorMessage: spec.message });
  expect(body.transactionalId).toMatch(/^[0-9a-f-]{36}$/);
}

// --- Every seed code, by its condition ----------------------------------------------------------------------------------

/** One scenario per seed row: the requests that make Knox answer that code, ending with the answer to check. */
const SEED_SCENARIOS: Partial<Record<string, () => Promise<Answer>>> = {
  FAILURE: async () => {
    await sim.control.fault({ match: { path: FIXTURES.ownedActive }, fault: { type: 'error500' } });
    return getCustomer(FIXTURES.ownedActive);
  },
  AUTHORIZATION_FAIL: () => getCustomer(FIXTURES.ownedActive, { as: SIM_EXTRA_CREDENTIALS.unauthorized }),
  INVALID_COUNTRY: () => create(newCustomer({ country: 'KP' })),
  ADD_EC_CUSTOMER_INVALID: () => link(linkRequest(UNKNOWN_CUSTOMER_ID)),
  ADD_EC_CUSTOMER_NOT_APPROVED: () => link(linkRequest(FIXTURES.samsungApprovalPending)),
  ADD_EC_DELINK_PENDING: () => link(linkRequest(FIXTURES.delinkingFromOtherMsp)),
  ADD_EC_ALREADY_MANAGED: () => link(linkRequest(FIXTURES.managedByOtherMsp)),
  ADD_EC_PENDING_CANNOT_ADD_AGAIN: async () => {
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged)));
    return link(linkRequest(FIXTURES.unmanaged));
  },
  ADD_EC_NOT_SAME_REGION: () => link(linkRequest(FIXTURES.otherRegion)),
  CUSTOMER_NOT_FOUND: () => getCustomer(UNKNOWN_CUSTOMER_ID),
  CUSTOMER_NOT_MANAGED_BY_MSP: () => getCustomer(FIXTURES.managedByOtherMsp),
  EMAIL_ALREADY_IN_USAGE: () => create(newCustomer({}, FIXTURE_REGISTERED_EMAILS.registered)),
  SERVICE_NOT_VALID_SCP: () => create(newCustomer({ services: [{ service: 'SamsungCarePlus' }] })),
  CANNOT_DELINK_FULLY_MANAGED: () => delink(FIXTURES.ownedFullyManaged),
  CUSTOMER_PENDING_CANNOT_DELINK: async () => {
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged)));
    return delink(FIXTURES.unmanaged);
  },
  KM_TENANT_PREFIX_INVALID: () =>
    create(newCustomer({ services: [{ service: 'KnoxManage', kmTenantPrefix: '.acme' }] })),
  KM_DOMAIN_NAME_ALREADY_EXISTS: () =>
    create(newCustomer({ services: [{ service: 'KnoxManage' }] }, `new.admin@${FIXTURE_KM_TENANTS.domain}`)),
  BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED: () => create(newCustomer({}, 'ada@blocked.example')),
  CANNOT_CHANGE_WHEN_DELINKING: async () => {
    expectCustomer(await delink(FIXTURES.ownedActive));
    return update(FIXTURES.ownedActive, { accessType: 'NoAccess' });
  },
  CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY: () => update(FIXTURES.ownedActive, { managementType: 'FullyManaged' }),
  SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT: () =>
    update(FIXTURES.ownedLimitedServices, { accessType: 'FullAccess', services: [{ service: 'KnoxGuard' }] }),
  CANNOT_CHANGE_WHEN_PENDING: async () => {
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged)));
    return update(FIXTURES.unmanaged, { accessType: 'NoAccess' });
  },
  ACCESS_TYPE_REQUIRED: () => create(newCustomer({ accessType: undefined })),
  KM_DOMAIN_NAME_ALREADY_IN_USAGE: () =>
    create(
      newCustomer(
        { services: [{ service: 'KnoxManage', kmTenantPrefix: FIXTURE_KM_TENANTS.takenPrefix }] },
        `new.admin@${FIXTURE_KM_TENANTS.domain}`,
      ),
    ),
};

describe('every seed error code is reachable by its condition', () => {
  it.each(SEED_ERRORS.map((e) => [e.errorCode, e.code] as const))('%s %s', async (_errorCode, code) => {
    const scenario = SEED_SCENARIOS[code];
    expect(scenario, `no scenario for seed row ${code}`).toBeDefined();
    expectKnoxError(await scenario!(), code as KnoxErrorCodeName);
  });

  it('has no scenario for a code that is not a seed row', () => {
    const seedCodes = new Set<string>(SEED_ERRORS.map((e) => e.code));
    expect(Object.keys(SEED_SCENARIOS).filter((c) => !seedCodes.has(c))).toEqual([]);
  });
});

// --- Lifecycle ----------------------------------------------------------------------------------------------------------

describe('create', () => {
  it('creates an Active customer managed by us, with its services on', async () => {
    const services = [{ service: 'KnoxMobileEnrollment' }, { service: 'KnoxConfigure' }];
    const created = expectCustomer(await create(newCustomer({ services })));
    expect(created.customerId).toMatch(/^\d{10}$/);
    expect(created.status).toBe('Active');
    expect(created.managementType).toBe('JointlyManaged');
    expect(created.managedServices).toEqual([
      { service: 'KnoxMobileEnrollment', status: 'Active' },
      { service: 'KnoxConfigure', status: 'Active' },
    ]);
    expect(expectCustomer(await getCustomer(created.customerId))).toEqual(created);
    const state = await sim.control.customer(created.customerId);
    expect(state).toMatchObject({
      ownerMsp: SIM_OUR_MSP,
      accountServices: expect.not.arrayContaining(['SamsungCarePlus']),
    });
  });

  it('answers 4002106 when the same request comes again (our lost answer): the e-mail is now a Knox account', async () => {
    const body = newCustomer();
    expectCustomer(await create(body));
    expectKnoxError(await create(body), 'EMAIL_ALREADY_IN_USAGE');
    expect((await sim.control.requests()).map((r) => r.accepted)).toEqual([false, true, false]);
  });

  it('refuses countries that are not ISO alpha-2 and ISO ones Knox does not serve', async () => {
    for (const country of ['USA', 'us', 'XX', 'CU', 'IR', 'SY']) {
      expectKnoxError(await create(newCustomer({ country })), 'INVALID_COUNTRY');
    }
  });

  it('refuses free-mail and Knox-blocked domains only for jointly managed customers', async () => {
    expectKnoxError(await create(newCustomer({}, 'ada@gmail.com')), 'BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED');
    expectCustomer(await create(newCustomer({ managementType: 'FullyManaged' }, 'ada@gmail.com')));
    expectCustomer(await create(newCustomer({ managementType: 'FullyManaged' }, 'ada@blocked.example')));
  });

  it('records the Knox Manage tenant: the next organisation at that domain needs a prefix, then another prefix', async () => {
    const km = (prefix?: string) => [{ service: 'KnoxManage', ...(prefix ? { kmTenantPrefix: prefix } : {}) }];
    expectCustomer(await create(newCustomer({ services: km() }, 'first@tenant-test.example')));
    expectKnoxError(
      await create(newCustomer({ services: km() }, 'second@tenant-test.example')),
      'KM_DOMAIN_NAME_ALREADY_EXISTS',
    );
    const prefixed = expectCustomer(await create(newCustomer({ services: km('sales') }, 'third@tenant-test.example')));
    expect((await sim.control.customer(prefixed.customerId)).kmTenantDomain).toBe('sales.tenant-test.example');
    expectKnoxError(
      await create(newCustomer({ services: km('sales') }, 'fourth@tenant-test.example')),
      'KM_DOMAIN_NAME_ALREADY_IN_USAGE',
    );
    expectCustomer(await create(newCustomer({ services: km('support') }, `new@${FIXTURE_KM_TENANTS.domain}`)));
  });

  it('refuses a prefix ending with a period, and services without accessType', async () => {
    const badPrefix = [{ service: 'KnoxManage', kmTenantPrefix: 'acme.' }];
    expectKnoxError(await create(newCustomer({ services: badPrefix })), 'KM_TENANT_PREFIX_INVALID');
    expectKnoxError(
      await create(newCustomer({ accessType: undefined, managementType: 'FullyManaged' })),
      'ACCESS_TYPE_REQUIRED',
    );
  });

  it('answers an error object for a body that is not JSON or misses fields, and changes nothing', async () => {
    const before = (await sim.control.customers()).length;
    for (const answer of [
      await create(undefined, { rawBody: '{"companyName": ' }),
      await create({ companyName: 'Only a name' }),
    ]) {
      expect(answer.status).toBe(400);
      expect(knoxErrorBodySchema.parse(answer.json).code).toBe('BAD_REQUEST');
    }
    expect((await sim.control.customers()).length).toBe(before);
  });
});

describe('link, approve and reject', () => {
  it('link -> Pending -> approve -> Active with the requested services and management type', async () => {
    const body = linkRequest(FIXTURES.unmanaged, {
      managementType: 'FullyManaged',
      services: [{ service: 'KnoxMobileEnrollment' }, { service: 'KnoxManage' }],
    });
    const pending = expectCustomer(await link(body));
    expect(pending.status).toBe('Pending');
    expect(expectCustomer(await getCustomer(FIXTURES.unmanaged)).status).toBe('Pending');
    expect((await sim.control.customer(FIXTURES.unmanaged)).pendingLink).toMatchObject({
      managementType: 'FullyManaged',
    });

    await sim.control.approveLink(FIXTURES.unmanaged);
    const active = expectCustomer(await getCustomer(FIXTURES.unmanaged));
    expect(active.status).toBe('Active');
    expect(active.managementType).toBe('FullyManaged');
    expect(active.managedServices).toEqual([
      { service: 'KnoxMobileEnrollment', status: 'Active' },
      { service: 'KnoxManage', status: 'Active' },
    ]);
    expect((await sim.control.customer(FIXTURES.unmanaged)).kmTenantDomain).toBe('unmanaged.example');
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged)), 'ADD_EC_ALREADY_MANAGED');
  });

  it('approve leaves a KnoxManage asked for under a tenant prefix Pending until our update switches it on', async () => {
    const body = linkRequest(FIXTURES.unmanaged, {
      services: [{ service: 'KnoxMobileEnrollment' }, { service: 'KnoxManage', kmTenantPrefix: 'it' }],
    });
    expectCustomer(await link(body));
    await sim.control.approveLink(FIXTURES.unmanaged);
    const approved = expectCustomer(await getCustomer(FIXTURES.unmanaged));
    expect(approved.status).toBe('Active');
    expect(approved.managedServices).toEqual([
      { service: 'KnoxMobileEnrollment', status: 'Active' },
      { service: 'KnoxManage', status: 'Pending' },
    ]);
    // No tenant yet: the approval cannot refuse a prefix, so it does not create the tenant.
    expect((await sim.control.customer(FIXTURES.unmanaged)).kmTenantDomain).toBeUndefined();

    // The service is not Active yet: switching it on needs accessType like adding a new one.
    const km = [{ service: 'KnoxManage', kmTenantPrefix: 'it' }];
    expectKnoxError(await update(FIXTURES.unmanaged, { services: km }), 'ACCESS_TYPE_REQUIRED');
    const updated = expectCustomer(await update(FIXTURES.unmanaged, { accessType: 'FullAccess', services: km }));
    expect(updated.managedServices).toEqual([
      { service: 'KnoxMobileEnrollment', status: 'Active' },
      { service: 'KnoxManage', status: 'Active' },
    ]);
    expect((await sim.control.customer(FIXTURES.unmanaged)).kmTenantDomain).toBe('it.unmanaged.example');
  });

  it('approve switches a prefixed KnoxManage on at once for a customer that already has a tenant', async () => {
    const added = await sim.control.addCustomer({
      kmTenantDomain: 'hq.tenanted.example',
      email: 'it@tenanted.example',
    });
    expectCustomer(
      await link(linkRequest(added.customerId, { services: [{ service: 'KnoxManage', kmTenantPrefix: 'hq' }] })),
    );
    await sim.control.approveLink(added.customerId);
    expect(expectCustomer(await getCustomer(added.customerId)).managedServices).toEqual([
      { service: 'KnoxManage', status: 'Active' },
    ]);
    expect((await sim.control.customer(added.customerId)).kmTenantDomain).toBe('hq.tenanted.example');
  });

  it('reject -> Rejected, still visible to us, and a new link is allowed', async () => {
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged)));
    await sim.control.rejectLink(FIXTURES.unmanaged);
    expect(expectCustomer(await getCustomer(FIXTURES.unmanaged)).status).toBe('Rejected');
    expectKnoxError(await update(FIXTURES.unmanaged, { accessType: 'NoAccess' }), 'CUSTOMER_NOT_MANAGED_BY_MSP');
    expect(expectCustomer(await link(linkRequest(FIXTURES.unmanaged))).status).toBe('Pending');
  });

  it('a customer another MSP linked is refused to us while pending and once managed (4002103)', async () => {
    const other = { as: SIM_EXTRA_CREDENTIALS.otherMsp };
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged), other));
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged)), 'ADD_EC_ALREADY_MANAGED');
    await sim.control.approveLink(FIXTURES.unmanaged);
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged)), 'ADD_EC_ALREADY_MANAGED');
    expectKnoxError(await getCustomer(FIXTURES.unmanaged), 'CUSTOMER_NOT_MANAGED_BY_MSP');
    expect(expectCustomer(await getCustomer(FIXTURES.unmanaged, other)).status).toBe('Active');
    expect((await sim.control.customer(FIXTURES.unmanaged)).ownerMsp).toBe(SIM_OTHER_MSP);
  });

  it('a customer being delinked from another MSP becomes linkable when that delink ends', async () => {
    expectKnoxError(await link(linkRequest(FIXTURES.delinkingFromOtherMsp)), 'ADD_EC_DELINK_PENDING');
    await sim.control.acceptDelink(FIXTURES.delinkingFromOtherMsp);
    expect(expectCustomer(await link(linkRequest(FIXTURES.delinkingFromOtherMsp))).status).toBe('Pending');
  });

  it('a delink that ends after a configured time frees the customer by itself', async () => {
    const added = await sim.control.addCustomer({
      ownerMsp: SIM_OTHER_MSP,
      status: 'DelinkRequested',
      delinkEndsAfterMs: 0,
    });
    expect(expectCustomer(await link(linkRequest(added.customerId))).status).toBe('Pending');
  });

  it('checks SamsungCarePlus, accessType and malformed ids on link too', async () => {
    expectKnoxError(
      await link(linkRequest(FIXTURES.unmanaged, { services: [{ service: 'SamsungCarePlus' }] })),
      'SERVICE_NOT_VALID_SCP',
    );
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged, { accessType: undefined })), 'ACCESS_TYPE_REQUIRED');
    expectKnoxError(await link(linkRequest('not-an-id')), 'ADD_EC_CUSTOMER_INVALID');
    expectKnoxError(await link(linkRequest(FIXTURES.ownedPending)), 'ADD_EC_PENDING_CANNOT_ADD_AGAIN');
    expectKnoxError(await link(linkRequest(FIXTURES.pendingWithOtherMsp)), 'ADD_EC_ALREADY_MANAGED');
    expect(expectCustomer(await link(linkRequest(FIXTURES.ownedRejected))).status).toBe('Pending');
    expect(expectCustomer(await link(linkRequest(FIXTURES.formerlyOwned))).status).toBe('Pending');
  });
});

describe('get and list', () => {
  it('shows our fixtures with their status, and refuses what is not ours', async () => {
    expect(expectCustomer(await getCustomer(FIXTURES.ownedPending)).status).toBe('Pending');
    expect(expectCustomer(await getCustomer(FIXTURES.ownedDelinkRequested)).status).toBe('DelinkRequested');
    expect(expectCustomer(await getCustomer(FIXTURES.ownedRejected)).status).toBe('Rejected');
    for (const id of [
      FIXTURES.unmanaged,
      FIXTURES.formerlyOwned,
      FIXTURES.samsungApprovalPending,
      FIXTURES.otherRegion,
    ]) {
      expectKnoxError(await getCustomer(id), 'CUSTOMER_NOT_MANAGED_BY_MSP');
    }
    expectKnoxError(await getCustomer('abc'), 'CUSTOMER_NOT_FOUND');
  });

  it('lists our customers page by page with totalCount as a string', async () => {
    const all = customerListSchema.parse((await knox('GET', `${C}?pageNum=1&pageSize=50&sortOrder=ascending`)).json);
    const ours = [
      FIXTURES.ownedActive,
      FIXTURES.ownedFullyManaged,
      FIXTURES.ownedLimitedServices,
      FIXTURES.ownedPending,
      FIXTURES.ownedDelinkRequested,
      FIXTURES.ownedRejected,
    ];
    expect(all.totalCount).toBe(String(ours.length));
    expect(all.customers.map((c) => c.customerId)).toEqual(ours);
    const page2 = customerListSchema.parse((await knox('GET', `${C}?pageNum=2&pageSize=4&sortOrder=descending`)).json);
    expect(page2.customers.map((c) => c.customerId)).toEqual([...ours].reverse().slice(4));
    expect(page2.totalCount).toBe(String(ours.length));
  });
});

describe('update', () => {
  it('adds services with accessType, records a new Knox Manage tenant, and allows Fully -> Jointly', async () => {
    const changed = expectCustomer(
      await update(FIXTURES.ownedActive, {
        accessType: 'NoAccess',
        services: [{ service: 'KnoxManage' }, { service: 'KnoxGuard' }],
      }),
    );
    expect(changed.managedServices.map((s) => s.service)).toEqual(['KnoxMobileEnrollment', 'KnoxManage', 'KnoxGuard']);
    expect(await sim.control.customer(FIXTURES.ownedActive)).toMatchObject({
      accessType: 'NoAccess',
      kmTenantDomain: 'owned-active.example',
    });
    const jointly = expectCustomer(await update(FIXTURES.ownedFullyManaged, { managementType: 'JointlyManaged' }));
    expect(jointly.managementType).toBe('JointlyManaged');
  });

  it('refuses by status, ownership and service rules', async () => {
    expectKnoxError(await update(UNKNOWN_CUSTOMER_ID, { accessType: 'NoAccess' }), 'CUSTOMER_NOT_FOUND');
    expectKnoxError(
      await update(FIXTURES.managedByOtherMsp, { accessType: 'NoAccess' }),
      'CUSTOMER_NOT_MANAGED_BY_MSP',
    );
    expectKnoxError(await update(FIXTURES.ownedPending, { accessType: 'NoAccess' }), 'CANNOT_CHANGE_WHEN_PENDING');
    expectKnoxError(
      await update(FIXTURES.ownedDelinkRequested, { accessType: 'NoAccess' }),
      'CANNOT_CHANGE_WHEN_DELINKING',
    );
    expectKnoxError(
      await update(FIXTURES.ownedActive, { services: [{ service: 'KnoxGuard' }] }),
      'ACCESS_TYPE_REQUIRED',
    );
    // A service the customer already has needs no accessType.
    expectCustomer(await update(FIXTURES.ownedActive, { services: [{ service: 'KnoxMobileEnrollment' }] }));
    const adding = (service: string, kmTenantPrefix?: string) => ({
      accessType: 'FullAccess',
      services: [{ service, ...(kmTenantPrefix ? { kmTenantPrefix } : {}) }],
    });
    expectKnoxError(await update(FIXTURES.ownedActive, adding('SamsungCarePlus')), 'SERVICE_NOT_VALID_SCP');
    expectKnoxError(await update(FIXTURES.ownedActive, adding('KnoxManage', '.x')), 'KM_TENANT_PREFIX_INVALID');
    expectKnoxError(await update(FIXTURES.ownedRejected, { accessType: 'NoAccess' }), 'CUSTOMER_NOT_MANAGED_BY_MSP');
  });

  it('applies the Knox Manage tenant rules to a new tenant', async () => {
    const added = await sim.control.addCustomer({ status: 'Active', email: `boss@${FIXTURE_KM_TENANTS.domain}` });
    const km = (prefix?: string) => ({
      accessType: 'FullAccess',
      services: [{ service: 'KnoxManage', ...(prefix ? { kmTenantPrefix: prefix } : {}) }],
    });
    expectKnoxError(await update(added.customerId, km()), 'KM_DOMAIN_NAME_ALREADY_EXISTS');
    expectKnoxError(
      await update(added.customerId, km(FIXTURE_KM_TENANTS.takenPrefix)),
      'KM_DOMAIN_NAME_ALREADY_IN_USAGE',
    );
    expectCustomer(await update(added.customerId, km('hq')));
  });
});

describe('delink, accept and reject', () => {
  it('delink -> DelinkRequested -> accept -> no longer ours', async () => {
    expect(expectCustomer(await delink(FIXTURES.ownedActive)).status).toBe('DelinkRequested');
    expectKnoxError(await delink(FIXTURES.ownedActive), 'CANNOT_CHANGE_WHEN_DELINKING');
    await sim.control.acceptDelink(FIXTURES.ownedActive);
    expectKnoxError(await getCustomer(FIXTURES.ownedActive), 'CUSTOMER_NOT_MANAGED_BY_MSP');
    expectKnoxError(await delink(FIXTURES.ownedActive), 'CUSTOMER_NOT_MANAGED_BY_MSP');
    expect((await sim.control.customer(FIXTURES.ownedActive)).ownerMsp).toBeNull();
    // Free again: it can be linked anew.
    expect(expectCustomer(await link(linkRequest(FIXTURES.ownedActive))).status).toBe('Pending');
  });

  it('delink -> reject -> Active again', async () => {
    expectCustomer(await delink(FIXTURES.ownedActive));
    await sim.control.rejectDelink(FIXTURES.ownedActive);
    expect(expectCustomer(await getCustomer(FIXTURES.ownedActive)).status).toBe('Active');
  });

  it('refuses unknown, foreign, pending and fully managed customers', async () => {
    expectKnoxError(await delink(UNKNOWN_CUSTOMER_ID), 'CUSTOMER_NOT_FOUND');
    expectKnoxError(await delink(FIXTURES.managedByOtherMsp), 'CUSTOMER_NOT_MANAGED_BY_MSP');
    expectKnoxError(await delink(FIXTURES.ownedPending), 'CUSTOMER_PENDING_CANNOT_DELINK');
    expectKnoxError(await delink(FIXTURES.ownedFullyManaged), 'CANNOT_DELINK_FULLY_MANAGED');
    expectKnoxError(await delink(FIXTURES.ownedDelinkRequested), 'CANNOT_CHANGE_WHEN_DELINKING');
  });
});

// --- Tokens ---------------------------------------------------------------------------------------------------------------

describe('tokens', () => {
  it('issues opaque Bearer tokens with Knox’s lifetime and scope', async () => {
    const a = tokenAnswerSchema.parse((await requestToken()).json);
    const b = tokenAnswerSchema.parse((await requestToken()).json);
    expect(a).toMatchObject({ token_type: 'Bearer', expires_in: 599, scope: 'msp' });
    expect(a.access_token).not.toBe(b.access_token);
  });

  it('refuses bad client credentials with the OAuth error form', async () => {
    const answer = await requestToken({ clientId: SIM_DEFAULT_CREDENTIALS.clientId, clientSecret: 'wrong' });
    expect(answer.status).toBe(401);
    expect(oauthErrorSchema.parse(answer.json).error).toBe('invalid_client');
    expect(answer.text).not.toContain('wrong');
  });

  it('answers ACCESS_TOKEN_INVALID for a missing or unknown token', async () => {
    expectKnoxError(await getCustomer(FIXTURES.ownedActive, { authorization: null }), 'ACCESS_TOKEN_INVALID');
    expectKnoxError(
      await getCustomer(FIXTURES.ownedActive, { authorization: 'Bearer not-a-token' }),
      'ACCESS_TOKEN_INVALID',
    );
  });

  it('answers ACCESS_TOKEN_EXPIRED after expiry, and a fresh token works', async () => {
    expectCustomer(await getCustomer(FIXTURES.ownedActive));
    expect(await sim.control.expireTokens()).toBe(1);
    expectKnoxError(await getCustomer(FIXTURES.ownedActive), 'ACCESS_TOKEN_EXPIRED');
    tokens.clear();
    expectCustomer(await getCustomer(FIXTURES.ownedActive));
  });

  it('gives a token to a client without MSP rights, then answers 403 on every MSP call', async () => {
    expect((await requestToken(SIM_EXTRA_CREDENTIALS.unauthorized)).status).toBe(200);
    const as = SIM_EXTRA_CREDENTIALS.unauthorized;
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged), { as }), 'AUTHORIZATION_FAIL');
    expectKnoxError(await knox('GET', C, undefined, { as }), 'AUTHORIZATION_FAIL');
  });

  it('takes its credentials, token lifetime and fixtures from the options', async () => {
    const other = await startKnoxSimulator({
      clientId: 'my-id',
      clientSecret: 'my-secret',
      tokenTtlSeconds: 42,
      fixtures: false,
    });
    try {
      expect((await requestToken(SIM_DEFAULT_CREDENTIALS, other.url)).status).toBe(401);
      const token = tokenAnswerSchema.parse(
        (await requestToken({ clientId: 'my-id', clientSecret: 'my-secret' }, other.url)).json,
      );
      expect(token.expires_in).toBe(42);
      expect(await new KnoxSimControl(other.url).customers()).toEqual([]);
      const answer = await fetch(`${other.url}${C}/link`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(linkRequest(FIXTURES.unmanaged)),
      });
      expect(knoxErrorBodySchema.parse(await answer.json()).errorCode).toBe(
        specFor('ADD_EC_CUSTOMER_INVALID').errorCode,
      );
    } finally {
      await other.stop();
    }
  });
});

// --- Faults and chaos -------------------------------------------------------------------------------------------------------

describe('faults', () => {
  it('error500 answers FAILURE without doing the work', async () => {
    await sim.control.fault({ match: { method: 'POST', path: '/link' }, fault: { type: 'error500' } });
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged)), 'FAILURE');
    expectKnoxError(await getCustomer(FIXTURES.unmanaged), 'CUSTOMER_NOT_MANAGED_BY_MSP');
    const linkEntry = (await sim.control.requests()).find((r) => r.path.endsWith('/link'));
    expect(linkEntry).toMatchObject({ status: 500, fault: 'error500', accepted: false });
  });

  it('workThen500 does the work, then answers FAILURE (the lost answer); the log counts it as accepted', async () => {
    await sim.control.fault({ match: { path: '/link' }, fault: { type: 'workThen500' } });
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged)), 'FAILURE');
    expect(expectCustomer(await getCustomer(FIXTURES.unmanaged)).status).toBe('Pending');
    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged)), 'ADD_EC_PENDING_CANNOT_ADD_AGAIN');
    const links = (await sim.control.requests()).filter((r) => r.path.endsWith('/link'));
    expect(links.map((r) => [r.status, r.fault, r.accepted])).toEqual([
      [500, 'workThen500', true],
      [400, undefined, false],
    ]);
    expect(links.filter((r) => r.accepted)).toHaveLength(1);
  });

  it('status429 answers TOO_MANY_REQUESTS with Retry-After', async () => {
    await sim.control.fault({ match: {}, fault: { type: 'status429', retryAfterSeconds: 7 } });
    const answer = await getCustomer(FIXTURES.ownedActive);
    expectKnoxError(answer, 'TOO_MANY_REQUESTS');
    expect(answer.headers.get('retry-after')).toBe('7');
  });

  it('html and empty answer 502 with bodies that are not the error object', async () => {
    await sim.control.fault({ match: {}, fault: { type: 'html' } });
    await sim.control.fault({ match: {}, fault: { type: 'empty' } });
    const html = await getCustomer(FIXTURES.ownedActive);
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toMatch(/^<html>/);
    const empty = await getCustomer(FIXTURES.ownedActive);
    expect([empty.status, empty.text]).toEqual([502, '']);
  });

  it('latency delays the answer, which is then normal', async () => {
    await sim.control.fault({ match: { path: FIXTURES.ownedActive }, fault: { type: 'latency', latencyMs: 30 } });
    expect(expectCustomer(await getCustomer(FIXTURES.ownedActive)).customerId).toBe(FIXTURES.ownedActive);
    expect((await sim.control.requests()).at(-1)).toMatchObject({ status: 200, fault: 'latency' });
  });

  it('drop closes the connection without an answer', async () => {
    await tokenFor();
    await sim.control.fault({ match: { path: FIXTURES.ownedActive }, fault: { type: 'drop' } });
    await expect(getCustomer(FIXTURES.ownedActive)).rejects.toThrow();
    expect((await sim.control.requests()).at(-1)).toMatchObject({ status: 0, fault: 'drop', accepted: false });
    expectCustomer(await getCustomer(FIXTURES.ownedActive));
  });

  it('applies to the next N matching requests only, and spares the token endpoint unless the match names it', async () => {
    await sim.control.fault({ match: {}, fault: { type: 'error500' }, count: 2 });
    expect((await requestToken()).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await getCustomer(FIXTURES.ownedActive)).status);
    expect(statuses).toEqual([500, 500, 200]);

    await sim.control.fault({ match: { path: '/oauth2/token' }, fault: { type: 'error500' } });
    expectKnoxError(await requestToken(), 'FAILURE');
    expect((await requestToken()).status).toBe(200);
  });

  it('matches by method and by /regex/', async () => {
    await sim.control.fault({ match: { method: 'PUT' }, fault: { type: 'error500' } });
    await sim.control.fault({ match: { path: '/managedCustomers\\/\\d+$/' }, fault: { type: 'status429' } });
    expect((await knox('GET', C)).status).toBe(200);
    expect((await getCustomer(FIXTURES.ownedActive)).status).toBe(429);
    expect((await update(FIXTURES.ownedActive, { accessType: 'NoAccess' })).status).toBe(500);
    await sim.control.clearFaults();
    expectCustomer(await update(FIXTURES.ownedActive, { accessType: 'NoAccess' }));
  });
});

describe('chaos', () => {
  async function chaosRun(seed: number): Promise<number[]> {
    await tokenFor();
    await sim.control.chaos({ seed, rates: { error500: 0.3, status429: 0.2, html: 0.1 }, retryAfterSeconds: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) statuses.push((await getCustomer(FIXTURES.ownedActive)).status);
    await sim.control.clearChaos();
    return statuses;
  }

  it('replays the same faults for the same seed', async () => {
    const first = await chaosRun(42);
    const second = await chaosRun(42);
    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 500, 429, 502]));
    const faulted = (await sim.control.requests()).filter((r) => r.fault !== undefined);
    expect(faulted.length).toBe(first.filter((s) => s !== 200).length * 2);
  });

  it('stops when cleared', async () => {
    await chaosRun(1);
    const after = [];
    for (let i = 0; i < 5; i += 1) after.push((await getCustomer(FIXTURES.ownedActive)).status);
    expect(after).toEqual([200, 200, 200, 200, 200]);
  });
});

describe('outage', () => {
  /** One GET during the outage: its status, or 0 when the connection was dropped. */
  async function statusOrDropped(path: string): Promise<number> {
    try {
      return (await knox('GET', path)).status;
    } catch {
      return 0;
    }
  }

  it('answers every Knox call, the token endpoint included, with 500 or a dropped connection until switched off', async () => {
    await tokenFor();
    // A write Knox commits just before it goes down: counted rules come before the outage.
    await sim.control.fault({ match: { path: '/link' }, fault: { type: 'workThen500' } });
    const on = await sim.control.outage({ seed: 7 });
    expect(on).toMatchObject({ active: true, dropRate: 1 / 3, refused: 0 });
    expect(on.until).toBeUndefined();

    expectKnoxError(await link(linkRequest(FIXTURES.unmanaged)), 'FAILURE');
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) statuses.push(await statusOrDropped(`${C}/${FIXTURES.ownedActive}`));
    expect(new Set(statuses)).toEqual(new Set([500, 0]));
    const token = await requestToken().then(
      (a) => a.status,
      () => 0,
    );
    expect([500, 0]).toContain(token);
    // The control surface is never faulted: the committed link is there.
    expect((await sim.control.customer(FIXTURES.unmanaged)).status).toBe('Pending');

    expect(await sim.control.outageStatus()).toMatchObject({ active: true, refused: 31 });
    expect(await sim.control.endOutage()).toMatchObject({ active: false, refused: 31 });
    expect(expectCustomer(await getCustomer(FIXTURES.ownedActive)).customerId).toBe(FIXTURES.ownedActive);

    const log = await sim.control.requests();
    const committed = log.find((r) => r.path.endsWith('/link'));
    expect(committed).toMatchObject({ fault: 'workThen500', accepted: true });
    expect(committed?.outage).toBeUndefined();
    const refused = log.filter((r) => r.outage);
    expect(refused).toHaveLength(31);
    expect(
      refused.every((r) => (r.fault === 'error500' && r.status === 500) || (r.fault === 'drop' && r.status === 0)),
    ).toBe(true);
    expect(refused.every((r) => !r.accepted)).toBe(true);
    expect(log.at(-1)).toMatchObject({ status: 200 });
  });

  it('replays the same answers for the same seed; dropRate 0 answers 500 only', async () => {
    await tokenFor();
    const run = async (seed: number, dropRate?: number) => {
      await sim.control.outage({ seed, ...(dropRate !== undefined ? { dropRate } : {}) });
      const out: number[] = [];
      for (let i = 0; i < 12; i += 1) out.push(await statusOrDropped(`${C}/${FIXTURES.ownedActive}`));
      await sim.control.endOutage();
      return out;
    };
    expect(await run(3)).toEqual(await run(3));
    expect(await run(3, 0)).toEqual(Array(12).fill(500));
  });

  it('ends by itself at its end time (durationMs or until), and on reset', async () => {
    await tokenFor();
    const timed = await sim.control.outage({ durationMs: 3_600_000, dropRate: 0 });
    expect(Date.parse(timed.until!) - Date.parse(timed.since!)).toBe(3_600_000);
    expect((await getCustomer(FIXTURES.ownedActive)).status).toBe(500);
    // An end time already passed: Knox is up again.
    await sim.control.outage({ until: new Date(Date.now() - 1).toISOString() });
    expect((await sim.control.outageStatus()).active).toBe(false);
    expect((await getCustomer(FIXTURES.ownedActive)).status).toBe(200);

    await sim.control.outage({ dropRate: 0 });
    await sim.control.reset();
    expect((await sim.control.outageStatus()).active).toBe(false);
    expect((await requestToken()).status).toBe(200);
  });

  it('refuses a body that gives both durationMs and until, or a drop rate outside [0, 1]', async () => {
    await expect(sim.control.outage({ durationMs: 10, until: new Date().toISOString() })).rejects.toMatchObject({
      status: 400,
    });
    await expect(sim.control.outage({ dropRate: 2 })).rejects.toMatchObject({ status: 400 });
    expect((await sim.control.outageStatus()).active).toBe(false);
  });
});

// --- Request log --------------------------------------------------------------------------------------------------------------

describe('request log', () => {
  it('records Knox requests in order with accepted for state changes, and leaves control paths out', async () => {
    expectCustomer(await create(newCustomer()));
    expectKnoxError(await link(linkRequest(FIXTURES.managedByOtherMsp)), 'ADD_EC_ALREADY_MANAGED');
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged)));
    expectCustomer(await update(FIXTURES.ownedActive, { accessType: 'NoAccess' }));
    expectCustomer(await delink(FIXTURES.ownedActive));
    expectCustomer(await getCustomer(FIXTURES.ownedActive));
    await sim.control.approveLink(FIXTURES.unmanaged);

    const log = await sim.control.requests();
    expect(log.map((r) => [r.seq, r.method, r.path.replace(/\d{10}/, 'ID'), r.status, r.accepted])).toEqual([
      [1, 'POST', '/ams/v1/oauth2/token', 200, false],
      [2, 'POST', C, 200, true],
      [3, 'POST', `${C}/link`, 400, false],
      [4, 'POST', `${C}/link`, 200, true],
      [5, 'PUT', `${C}/ID`, 200, true],
      [6, 'POST', `${C}/delink`, 200, true],
      [7, 'GET', `${C}/ID`, 200, false],
    ]);
    expect(log[2]?.errorCode).toBe(specFor('ADD_EC_ALREADY_MANAGED').errorCode);
    for (const entry of log) expect(Number.isNaN(Date.parse(entry.at))).toBe(false);

    await sim.control.clearRequests();
    expect(await sim.control.requests()).toEqual([]);
  });

  it('answers unknown paths with a 404 error object', async () => {
    const answer = await knox('GET', '/msp/v1/nothing-here');
    expect(answer.status).toBe(404);
    expect(knoxErrorBodySchema.parse(answer.json).code).toBe('NOT_FOUND');
  });
});

// --- Scripts and automatic answers -------------------------------------------------------------------------------------------

describe('scripts and automatic answers', () => {
  it('approves after the third get, deterministically', async () => {
    await sim.control.script(FIXTURES.unmanaged, { onLink: 'approve', afterGets: 3 });
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged)));
    const seen = [];
    for (let i = 0; i < 5; i += 1) seen.push(expectCustomer(await getCustomer(FIXTURES.unmanaged)).status);
    expect(seen).toEqual(['Pending', 'Pending', 'Pending', 'Active', 'Active']);
  });

  it('rejects after one get, and scripts a delink answer', async () => {
    const added = await sim.control.addCustomer({ script: { onLink: 'reject', onDelink: 'accept', afterGets: 1 } });
    expectCustomer(await link(linkRequest(added.customerId)));
    expect(expectCustomer(await getCustomer(added.customerId)).status).toBe('Pending');
    expect(expectCustomer(await getCustomer(added.customerId)).status).toBe('Rejected');
    expectCustomer(await link(linkRequest(added.customerId)));
    await sim.control.approveLink(added.customerId);
    expect(expectCustomer(await delink(added.customerId)).status).toBe('DelinkRequested');
    expect(expectCustomer(await getCustomer(added.customerId)).status).toBe('DelinkRequested');
    expectKnoxError(await getCustomer(added.customerId), 'CUSTOMER_NOT_MANAGED_BY_MSP');
  });

  it('answers a fixture’s open request once a script is set on it', async () => {
    await sim.control.script(FIXTURES.ownedPending, { onLink: 'approve', afterGets: 1 });
    expect(expectCustomer(await getCustomer(FIXTURES.ownedPending)).status).toBe('Pending');
    expect(expectCustomer(await getCustomer(FIXTURES.ownedPending)).status).toBe('Active');
  });

  it('answers automatically after a delay, unless a script says never', async () => {
    await sim.control.auto({ approveLinksAfterMs: 0, acceptDelinksAfterMs: 0 });
    await sim.control.script(FIXTURES.formerlyOwned, { onLink: 'never' });
    expectCustomer(await link(linkRequest(FIXTURES.unmanaged)));
    expectCustomer(await link(linkRequest(FIXTURES.formerlyOwned)));
    expect(expectCustomer(await getCustomer(FIXTURES.unmanaged)).status).toBe('Active');
    expect(expectCustomer(await getCustomer(FIXTURES.formerlyOwned)).status).toBe('Pending');
    // Fixtures' own open requests are left alone: only a control call moves them.
    expect(expectCustomer(await getCustomer(FIXTURES.ownedPending)).status).toBe('Pending');
    expectCustomer(await delink(FIXTURES.ownedActive));
    expectKnoxError(await getCustomer(FIXTURES.ownedActive), 'CUSTOMER_NOT_MANAGED_BY_MSP');

    await sim.control.auto({});
    expectCustomer(await delink(FIXTURES.unmanaged));
    expect(expectCustomer(await getCustomer(FIXTURES.unmanaged)).status).toBe('DelinkRequested');
  });
});

// --- Control surface ------------------------------------------------------------------------------------------------------------

describe('control surface', () => {
  it('adds customers with defaults and dumps the owner and the pending link', async () => {
    const added = await sim.control.addCustomer({ status: 'Pending', managementType: 'FullyManaged' });
    expect(added).toMatchObject({
      ownerMsp: SIM_OUR_MSP,
      status: 'Pending',
      samsungApproved: true,
      pendingLink: { managementType: 'FullyManaged', services: [{ service: 'KnoxMobileEnrollment' }] },
    });
    expect((await sim.control.customers()).map((c) => c.customerId)).toContain(added.customerId);
    await sim.control.approveLink(added.customerId);
    expect(expectCustomer(await getCustomer(added.customerId))).toMatchObject({
      status: 'Active',
      managementType: 'FullyManaged',
    });
  });

  it('refuses answers that do not fit the customer’s state, unknown customers and bad bodies', async () => {
    await expect(sim.control.approveLink(FIXTURES.ownedActive)).rejects.toMatchObject({ status: 409 });
    await expect(sim.control.acceptDelink(FIXTURES.ownedActive)).rejects.toMatchObject({ status: 409 });
    await expect(sim.control.customer(UNKNOWN_CUSTOMER_ID)).rejects.toBeInstanceOf(KnoxSimControlError);
    await expect(sim.control.fault({ match: {}, fault: { type: 'nonsense' as 'drop' } })).rejects.toMatchObject({
      status: 400,
    });
    await expect(sim.control.chaos({ rates: { error500: 0.8, status429: 0.5 } })).rejects.toMatchObject({
      status: 400,
    });
  });

  it('reset brings back the fixtures and forgets tokens', async () => {
    const token = await tokenFor();
    expectCustomer(await delink(FIXTURES.ownedActive));
    await sim.control.reset();
    expect((await sim.control.customer(FIXTURES.ownedActive)).status).toBe('Active');
    expectKnoxError(
      await getCustomer(FIXTURES.ownedActive, { authorization: `Bearer ${token}` }),
      'ACCESS_TOKEN_INVALID',
    );
  });

  it('stop() returns promptly with keep-alive connections open', async () => {
    const other = await startKnoxSimulator();
    expect((await requestToken(SIM_DEFAULT_CREDENTIALS, other.url)).status).toBe(200);
    await other.stop();
    await expect(fetch(`${other.url}/_sim/customers`)).rejects.toThrow();
  });
});

describe('control: Samsung approval and client rights', () => {
  it('a customer whose Knox account Samsung approves stops answering 4002101 and can be linked', async () => {
    expectKnoxError(await link(linkRequest(FIXTURES.samsungApprovalPending)), 'ADD_EC_CUSTOMER_NOT_APPROVED');
    await sim.control.samsungApprove(FIXTURES.samsungApprovalPending);
    expect(expectCustomer(await link(linkRequest(FIXTURES.samsungApprovalPending))).status).toBe('Pending');
  });

  it('a revoked client still gets tokens, then 403 AUTHORIZATION_FAIL until its rights are restored', async () => {
    await sim.control.setClientAuthorized(SIM_DEFAULT_CREDENTIALS.clientId, false);
    expectKnoxError(await getCustomer(FIXTURES.ownedActive), 'AUTHORIZATION_FAIL');
    await sim.control.setClientAuthorized(SIM_DEFAULT_CREDENTIALS.clientId, true);
    expect(expectCustomer(await getCustomer(FIXTURES.ownedActive)).customerId).toBe(FIXTURES.ownedActive);
  });
});
