/**
 * The Knox client against the Knox simulator over real HTTP (127.0.0.1, ephemeral port): every endpoint, every code
 * of Samsung's seed table reached through the simulator's own rules, the token lifecycle, and every injected fault.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SEED_ERRORS, specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import type { KnoxCustomer, LinkRequest, NewCustomer, UpdateRequest } from '#domain/knox-schemas';
import { FIXTURES, FIXTURE_KM_TENANTS, FIXTURE_REGISTERED_EMAILS, UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import { SIM_DEFAULT_CREDENTIALS, SIM_EXTRA_CREDENTIALS } from '#knox-sim/world';
import { knoxLink, newKnoxCustomer } from '#testkit/samples';
import { caught } from './support/knox-support';
import { useKnoxSimulator } from './support/sim-harness';

const TOKEN_PATH = '/ams/v1/oauth2/token';

const sim = useKnoxSimulator();
/** A fresh client (its own token and limiter) against the simulator. */
const knoxClient = sim.client;

const tokenRequestsLogged = async () =>
  (await sim.control.requests()).filter((r) => r.path.startsWith(TOKEN_PATH)).length;
const mspRequestsLogged = async () => (await sim.control.requests()).filter((r) => r.path.startsWith('/msp/'));

// --- Bodies ---------------------------------------------------------------------------------------------------------

let serial = 0;
/** A new customer that Knox accepts: a fresh work e-mail domain each time, so that no account or tenant clashes. */
function newCustomer(
  overrides: Partial<NewCustomer> = {},
  email = `ada@acme-${++serial}-${Date.now()}.example`,
): NewCustomer {
  return newKnoxCustomer(email, { services: [{ service: 'KnoxManage', kmTenantPrefix: 'acme' }], ...overrides });
}

/** Bodies our types (and API) refuse but Knox must see, to answer its own codes. */
const unchecked = <T>(body: unknown) => body as T;

// --- Endpoints --------------------------------------------------------------------------------------------------------

describe('endpoints', () => {
  it('createCustomer creates an Active customer that get and list then show', async () => {
    const knox = knoxClient();
    const created = await knox.createCustomer(newCustomer());
    expect(created).toMatchObject({ companyName: 'Acme Ltd', status: 'Active', managementType: 'JointlyManaged' });
    expect(created.customerId).toMatch(/^\d+$/);
    expect(created.managedServices).toEqual([{ service: 'KnoxManage', status: 'Active' }]);
    expect(await knox.getCustomer(created.customerId)).toMatchObject({
      customerId: created.customerId,
      status: 'Active',
    });
    const all: KnoxCustomer[] = [];
    for await (const c of knox.listAllCustomers()) all.push(c);
    expect(all.map((c) => c.customerId)).toContain(created.customerId);
  });

  it('linkCustomer leaves the customer Pending until it approves, then Active with the services', async () => {
    const knox = knoxClient();
    const linked = await knox.linkCustomer(knoxLink(FIXTURES.unmanaged));
    expect(linked).toMatchObject({ customerId: FIXTURES.unmanaged, status: 'Pending' });
    expect((await knox.getCustomer(FIXTURES.unmanaged)).status).toBe('Pending');
    await sim.control.approveLink(FIXTURES.unmanaged);
    const active = await knox.getCustomer(FIXTURES.unmanaged);
    expect(active).toMatchObject({
      status: 'Active',
      managedServices: [{ service: 'KnoxMobileEnrollment', status: 'Active' }],
    });
  });

  it('a customer that rejects the link shows status Rejected', async () => {
    const knox = knoxClient();
    await knox.linkCustomer(knoxLink(FIXTURES.unmanaged));
    await sim.control.rejectLink(FIXTURES.unmanaged);
    expect((await knox.getCustomer(FIXTURES.unmanaged)).status).toBe('Rejected');
  });

  it('updateCustomer switches a service on', async () => {
    const knox = knoxClient();
    const updated = await knox.updateCustomer(FIXTURES.ownedLimitedServices, {
      accessType: 'FullAccess',
      services: [{ service: 'KnoxConfigure' }],
    });
    expect(updated.managedServices.map((s) => s.service).sort()).toEqual(['KnoxConfigure', 'KnoxMobileEnrollment']);
    expect(await knox.getCustomer(FIXTURES.ownedLimitedServices)).toEqual(updated);
  });

  it('updateCustomer moves a fully managed customer to jointly managed', async () => {
    const knox = knoxClient();
    const updated = await knox.updateCustomer(FIXTURES.ownedFullyManaged, { managementType: 'JointlyManaged' });
    expect(updated.managementType).toBe('JointlyManaged');
  });

  it('delinkCustomer asks for a delink; once accepted, the customer is no longer ours', async () => {
    const knox = knoxClient();
    const delinking = await knox.delinkCustomer({ customerId: FIXTURES.ownedActive });
    expect(delinking.status).toBe('DelinkRequested');
    await sim.control.acceptDelink(FIXTURES.ownedActive);
    expect(await caught(knox.getCustomer(FIXTURES.ownedActive))).toMatchObject({ code: 'CUSTOMER_NOT_MANAGED_BY_MSP' });
  });

  it('listCustomers pages and sorts, with totalCount as a string', async () => {
    const knox = knoxClient();
    const first = await knox.listCustomers({ pageNum: 1, pageSize: 2 });
    const total = Number(first.totalCount);
    expect(total).toBeGreaterThan(2);
    expect(first.customers).toHaveLength(2);
    const descending = await knox.listCustomers({ pageNum: 1, pageSize: 1000, sortOrder: 'descending' });
    const ascending = await knox.listCustomers({ pageNum: 1, pageSize: 1000, sortOrder: 'ascending' });
    expect(descending.customers.map((c) => c.customerId)).toEqual(
      ascending.customers.map((c) => c.customerId).reverse(),
    );
    expect(ascending.customers).toHaveLength(total);
    const paths = (await mspRequestsLogged()).map((r) => r.path);
    expect(paths).toContain('/msp/v1/managedCustomers?pageNum=1&pageSize=2&sortOrder=ascending');
  });

  it('listAllCustomers reads every page until totalCount customers are read', async () => {
    for (let i = 0; i < 23; i += 1) await sim.control.addCustomer({ status: 'Active' });
    const knox = knoxClient();
    const total = Number((await knox.listCustomers({ pageSize: 1 })).totalCount);
    await sim.control.clearRequests();
    const ids: string[] = [];
    for await (const c of knox.listAllCustomers(5)) ids.push(c.customerId);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect(total).toBeGreaterThanOrEqual(23);
    const pages = (await mspRequestsLogged()).map((r) => new URL(r.path, sim.url).searchParams.get('pageNum'));
    expect(pages).toEqual(Array.from({ length: Math.ceil(total / 5) }, (_, i) => String(i + 1)));
  });
});

// --- Every code of the seed table ------------------------------------------------------------------------------------

type SeedCode = (typeof SEED_ERRORS)[number]['code'];

/**
 * One scenario per seed code: the call that makes the simulator answer it, from its fixtures and its rules.
 * FAILURE is Knox's internal error, which nothing but an injected fault produces.
 */
const SEED_SCENARIOS: Record<SeedCode, () => Promise<unknown>> = {
  FAILURE: async () => {
    await sim.control.fault({ fault: { type: 'error500' } });
    return knoxClient().getCustomer(FIXTURES.ownedActive);
  },
  AUTHORIZATION_FAIL: () =>
    knoxClient({ credentials: async () => ({ ...SIM_EXTRA_CREDENTIALS.unauthorized }) }).getCustomer(
      FIXTURES.ownedActive,
    ),
  INVALID_COUNTRY: () => knoxClient().createCustomer(newCustomer({ country: 'CU' })),
  ADD_EC_CUSTOMER_INVALID: () => knoxClient().linkCustomer(knoxLink(UNKNOWN_CUSTOMER_ID)),
  ADD_EC_CUSTOMER_NOT_APPROVED: () => knoxClient().linkCustomer(knoxLink(FIXTURES.samsungApprovalPending)),
  ADD_EC_DELINK_PENDING: () => knoxClient().linkCustomer(knoxLink(FIXTURES.delinkingFromOtherMsp)),
  ADD_EC_ALREADY_MANAGED: () => knoxClient().linkCustomer(knoxLink(FIXTURES.managedByOtherMsp)),
  ADD_EC_PENDING_CANNOT_ADD_AGAIN: () => knoxClient().linkCustomer(knoxLink(FIXTURES.ownedPending)),
  ADD_EC_NOT_SAME_REGION: () => knoxClient().linkCustomer(knoxLink(FIXTURES.otherRegion)),
  CUSTOMER_NOT_FOUND: () => knoxClient().getCustomer(UNKNOWN_CUSTOMER_ID),
  CUSTOMER_NOT_MANAGED_BY_MSP: () => knoxClient().getCustomer(FIXTURES.managedByOtherMsp),
  EMAIL_ALREADY_IN_USAGE: () => knoxClient().createCustomer(newCustomer({}, FIXTURE_REGISTERED_EMAILS.registered)),
  SERVICE_NOT_VALID_SCP: () =>
    knoxClient().createCustomer(
      unchecked<NewCustomer>({ ...newCustomer(), services: [{ service: 'SamsungCarePlus' }] }),
    ),
  CANNOT_DELINK_FULLY_MANAGED: () => knoxClient().delinkCustomer({ customerId: FIXTURES.ownedFullyManaged }),
  CUSTOMER_PENDING_CANNOT_DELINK: () => knoxClient().delinkCustomer({ customerId: FIXTURES.ownedPending }),
  KM_TENANT_PREFIX_INVALID: () =>
    knoxClient().createCustomer(newCustomer({ services: [{ service: 'KnoxManage', kmTenantPrefix: '.acme' }] })),
  KM_DOMAIN_NAME_ALREADY_EXISTS: () =>
    knoxClient().createCustomer(
      newCustomer({ services: [{ service: 'KnoxManage' }] }, `ada@${FIXTURE_KM_TENANTS.domain}`),
    ),
  BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED: () => knoxClient().createCustomer(newCustomer({}, 'ada@blocked.example')),
  CANNOT_CHANGE_WHEN_DELINKING: () =>
    knoxClient().updateCustomer(FIXTURES.ownedDelinkRequested, { accessType: 'NoAccess' }),
  CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY: () =>
    knoxClient().updateCustomer(FIXTURES.ownedActive, { managementType: 'FullyManaged' }),
  SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT: () =>
    knoxClient().updateCustomer(FIXTURES.ownedLimitedServices, {
      accessType: 'FullAccess',
      services: [{ service: 'KnoxGuard' }],
    }),
  CANNOT_CHANGE_WHEN_PENDING: () => knoxClient().updateCustomer(FIXTURES.ownedPending, { accessType: 'NoAccess' }),
  ACCESS_TYPE_REQUIRED: () =>
    knoxClient().linkCustomer(
      unchecked<LinkRequest>({
        customerId: FIXTURES.unmanaged,
        managementType: 'JointlyManaged',
        services: [{ service: 'KnoxMobileEnrollment' }],
      }),
    ),
  KM_DOMAIN_NAME_ALREADY_IN_USAGE: () =>
    knoxClient().createCustomer(
      newCustomer(
        { services: [{ service: 'KnoxManage', kmTenantPrefix: FIXTURE_KM_TENANTS.takenPrefix }] },
        `ada@${FIXTURE_KM_TENANTS.domain}`,
      ),
    ),
};

describe('every code of the seed table, reached through the simulator', () => {
  it('has a scenario for each seed code and none for anything else', () => {
    const seedCodes = SEED_ERRORS.map((e) => e.code).sort();
    expect(Object.keys(SEED_SCENARIOS).sort()).toEqual(seedCodes);
  });

  it.each(SEED_ERRORS.map((e) => [e.code, e] as const))('%s', async (code, spec) => {
    const scenario = (SEED_SCENARIOS as Record<string, (() => Promise<unknown>) | undefined>)[code];
    if (!scenario) throw new Error(`no scenario reaches ${code} ${spec.errorCode}`);
    const error = await caught(scenario());
    expect(error.toJSON()).toMatchObject({
      code: spec.code,
      errorCode: spec.errorCode,
      httpStatus: spec.httpStatus,
      disposition: spec.disposition,
    });
    expect(error.transactionalId).toMatch(/\S/);
    // The simulator answered it itself (its log agrees), from its rules unless the code is its internal failure.
    const last = (await mspRequestsLogged()).at(-1)!;
    expect(last).toMatchObject({ status: spec.httpStatus, errorCode: spec.errorCode });
    if (code !== 'FAILURE') expect(last.fault).toBeUndefined();
  });
});

describe('workflow-relevant Knox answers beyond the seed table', () => {
  it('a link we already sent meets 4002104, which counts as already done', async () => {
    const knox = knoxClient();
    await knox.linkCustomer(knoxLink(FIXTURES.unmanaged));
    expect(await caught(knox.linkCustomer(knoxLink(FIXTURES.unmanaged)))).toMatchObject({
      code: 'ADD_EC_PENDING_CANNOT_ADD_AGAIN',
      disposition: 'alreadyDone',
    });
  });

  it('a free-mail contact for a jointly managed customer is refused by Knox too', async () => {
    expect(await caught(knoxClient().createCustomer(newCustomer({}, 'ada@gmail.com')))).toMatchObject({
      code: 'BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED',
      disposition: 'invalidRequest',
    });
  });
});

// --- Tokens -------------------------------------------------------------------------------------------------------------

describe('tokens', () => {
  it('reuses one token for 50 calls', async () => {
    const knox = knoxClient();
    for (let i = 0; i < 50; i += 1) await knox.getCustomer(FIXTURES.ownedActive);
    expect(knox.tokenRequests).toBe(1);
    expect(await tokenRequestsLogged()).toBe(1);
    expect(await mspRequestsLogged()).toHaveLength(50);
  });

  it('shares one token request between concurrent first calls', async () => {
    const knox = knoxClient();
    await Promise.all(Array.from({ length: 20 }, () => knox.getCustomer(FIXTURES.ownedActive)));
    expect(knox.tokenRequests).toBe(1);
    expect(await tokenRequestsLogged()).toBe(1);
  });

  it.each([
    {
      token: 'an expired token (401 ACCESS_TOKEN_EXPIRED)',
      errorCode: '4032251',
      kill: async () => expect(await sim.control.expireTokens()).toBeGreaterThan(0),
    },
    // A reset forgets every issued token.
    {
      token: 'a token Knox no longer knows (401 ACCESS_TOKEN_INVALID)',
      errorCode: '4032252',
      kill: () => sim.control.reset(),
    },
  ])('refreshes $token once and repeats the call', async ({ errorCode, kill }) => {
    const knox = knoxClient();
    await knox.getCustomer(FIXTURES.ownedActive);
    await kill();
    await sim.control.clearRequests();
    expect(await knox.getCustomer(FIXTURES.ownedActive)).toMatchObject({ customerId: FIXTURES.ownedActive });
    expect(knox.tokenRequests).toBe(2);
    const log = (await sim.control.requests()).map((r) => [
      r.path.startsWith(TOKEN_PATH) ? 'token' : 'get',
      r.status,
      r.errorCode,
    ]);
    expect(log).toEqual([
      ['get', 401, errorCode],
      ['token', 200, undefined],
      ['get', 200, undefined],
    ]);
  });

  it('concurrent calls with the same expired token share one refresh', async () => {
    const knox = knoxClient();
    await knox.getCustomer(FIXTURES.ownedActive);
    await sim.control.expireTokens();
    await Promise.all(Array.from({ length: 10 }, () => knox.getCustomer(FIXTURES.ownedActive)));
    expect(knox.tokenRequests).toBe(2);
    expect(await tokenRequestsLogged()).toBe(2);
  });

  it('turns bad client credentials into INVALID_CLIENT, quoting neither the secret nor the id', async () => {
    const secret = 'wrong-secret-value';
    const knox = knoxClient({
      credentials: async () => ({ clientId: SIM_DEFAULT_CREDENTIALS.clientId, clientSecret: secret }),
    });
    const error = await caught(knox.getCustomer(FIXTURES.ownedActive));
    expect(error).toMatchObject({ code: 'INVALID_CLIENT', httpStatus: 401, disposition: 'operator' });
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
    expect(error.message).not.toContain(SIM_DEFAULT_CREDENTIALS.clientId);
    expect(await mspRequestsLogged()).toHaveLength(0);
  });
});

// --- Transport trouble and injected faults ---------------------------------------------------------------------------

describe('faults', () => {
  it('a 500 becomes FAILURE (retry), and the client does not retry it itself', async () => {
    await sim.control.fault({ fault: { type: 'error500' } });
    const error = await caught(knoxClient().getCustomer(FIXTURES.ownedActive));
    expect(error).toMatchObject({ code: 'FAILURE', errorCode: '5000000', httpStatus: 500, disposition: 'retry' });
    expect(await mspRequestsLogged()).toHaveLength(1);
  });

  it('a 429 becomes TOO_MANY_REQUESTS (retry) with Retry-After', async () => {
    await sim.control.fault({ fault: { type: 'status429', retryAfterSeconds: 7 } });
    const error = await caught(knoxClient().listCustomers());
    expect(error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      disposition: 'retry',
      retryAfterSeconds: 7,
    });
    expect(await mspRequestsLogged()).toHaveLength(1);
  });

  it('a dropped connection becomes CONNECTION_FAILED (retry)', async () => {
    await sim.control.fault({ fault: { type: 'drop' } });
    const error = await caught(knoxClient().getCustomer(FIXTURES.ownedActive));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', disposition: 'retry' });
    expect(error.message).toContain(`GET /msp/v1/managedCustomers/${FIXTURES.ownedActive}`);
  });

  it('a refused connection becomes CONNECTION_FAILED (retry)', async () => {
    // A port that was just free: nothing listens there any more.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await caught(knoxClient({ baseUrl: `http://127.0.0.1:${port}` }).getCustomer('1'));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', disposition: 'retry' });
    expect(error.message).toContain(`POST ${TOKEN_PATH}`);
  });

  it.each(['html', 'empty'] as const)('a %s 502 page becomes UNEXPECTED_RESPONSE (retry)', async (type) => {
    await sim.control.fault({ fault: { type } });
    const error = await caught(knoxClient().getCustomer(FIXTURES.ownedActive));
    expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE', httpStatus: 502, disposition: 'retry' });
  });

  it('an answer slower than timeoutMs becomes REQUEST_TIMEOUT (retry)', async () => {
    await sim.control.fault({ fault: { type: 'latency', latencyMs: 5_000 } });
    const error = await caught(knoxClient({ timeoutMs: 150 }).getCustomer(FIXTURES.ownedActive));
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', disposition: 'retry' });
    expect(error.message).toContain('150 ms');
  });

  it('a slow token endpoint times out too', async () => {
    await sim.control.fault({ match: { path: TOKEN_PATH }, fault: { type: 'latency', latencyMs: 5_000 } });
    const error = await caught(knoxClient({ timeoutMs: 150 }).getCustomer(FIXTURES.ownedActive));
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT' });
    expect(error.message).toContain(`POST ${TOKEN_PATH}`);
  });

  it('a failing token endpoint keeps its transient disposition', async () => {
    await sim.control.fault({ match: { path: TOKEN_PATH }, fault: { type: 'error500' } });
    expect(await caught(knoxClient().getCustomer(FIXTURES.ownedActive))).toMatchObject({
      code: 'FAILURE',
      disposition: 'retry',
    });
  });

  it('workThen500: FAILURE (retry), with the work visible afterwards, and a repeated link is already done', async () => {
    await sim.control.fault({ match: { path: '/link' }, fault: { type: 'workThen500' } });
    const knox = knoxClient();
    expect(await caught(knox.linkCustomer(knoxLink(FIXTURES.unmanaged)))).toMatchObject({
      code: 'FAILURE',
      disposition: 'retry',
    });
    expect((await knox.getCustomer(FIXTURES.unmanaged)).status).toBe('Pending');
    expect(await caught(knox.linkCustomer(knoxLink(FIXTURES.unmanaged)))).toMatchObject({ disposition: 'alreadyDone' });
    const link = (await mspRequestsLogged()).find((r) => r.path.endsWith('/link'));
    expect(link).toMatchObject({ status: 500, fault: 'workThen500', accepted: true });
  });

  it('a fault is used up: the next call succeeds with the same client', async () => {
    const knox = knoxClient();
    await sim.control.fault({ fault: { type: 'error500' }, count: 2 });
    await caught(knox.getCustomer(FIXTURES.ownedActive));
    await caught(knox.getCustomer(FIXTURES.ownedActive));
    await expect(knox.getCustomer(FIXTURES.ownedActive)).resolves.toMatchObject({ status: 'Active' });
  });

  it('no answer Knox or a proxy can give makes the client throw anything but a KnoxError', async () => {
    const knox = knoxClient({ timeoutMs: 150 });
    const types = ['error500', 'status429', 'latency', 'drop', 'html', 'empty', 'workThen500'] as const;
    const calls: (() => Promise<unknown>)[] = [
      () => knox.getCustomer(FIXTURES.ownedActive),
      () => knox.listCustomers(),
      () => knox.updateCustomer(FIXTURES.ownedActive, { accessType: 'FullAccess' } satisfies UpdateRequest),
    ];
    for (const type of types) {
      for (const call of calls) {
        await sim.control.fault({ fault: { type, latencyMs: 2_000 } });
        const error = await caught(call());
        expect(specFor(error.code as KnoxErrorCodeName).disposition).toBe('retry');
      }
    }
  });
});
