/**
 * Every schema of lib/domain/knox-schemas.ts and lib/domain/api-schemas.ts: good and bad bodies, the product's two
 * onboarding bodies verbatim (as the README prints them), and properties checked with fast-check.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import {
  changeRequestSchema,
  historyEntrySchema,
  idempotencyKeySchema,
  isTerminal,
  lastErrorSchema,
  listQuerySchema,
  offboardingRequestSchema,
  onboardingRequestSchema,
  OPEN_STATUSES,
  STATUSES,
  TERMINAL_STATUSES,
  validationFailure,
} from '#domain/api-schemas';
import { KNOX_ERRORS } from '#domain/knox-errors';
import {
  ACCESS_TYPES,
  COMPANY_SIZES,
  COUNTRY_CODES,
  CUSTOMER_STATUSES,
  FREE_MAIL_DOMAINS,
  MANAGEMENT_TYPES,
  REFUSED_SERVICE,
  accessTypeSchema,
  companySchema,
  contactSchema,
  countrySchema,
  customerIdSchema,
  customerListSchema,
  customerSchema,
  delinkRequestSchema,
  emailDomain,
  kmTenantPrefixSchema,
  knoxErrorBodySchema,
  linkRequestSchema,
  managementTypeSchema,
  newCustomerSchema,
  oauthErrorSchema,
  serviceRequestSchema,
  servicesSchema,
  tokenAnswerSchema,
  updateRequestSchema,
} from '#domain/knox-schemas';
import { USABLE_SERVICES, servicesWith } from './support/hostile-support';
import { DOCUMENTED_CUSTOMER } from './support/knox-support';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = path.join(repoRoot, 'README.md');

// The two bodies of `POST /onboardings`, exactly as the product asked for them (README, "The HTTP API", prints them).
const LINK_BODY = `{ "customerId": "1234567890", "managementType": "JointlyManaged", "accessType": "FullAccess",
    "services": [ { "service": "KnoxMobileEnrollment" } ] }`;
const CREATE_BODY = `{ "customer": { "companyName": "Acme Ltd", "companySize": "20-99", "industry": "COMMUNICATIONS", "country": "US",
                  "street1": "1 Main St", "city": "Chicago",
                  "contact": { "firstName": "Ada", "lastName": "Lee", "email": "ada@acme.example" } },
    "managementType": "JointlyManaged", "accessType": "FullAccess",
    "services": [ { "service": "KnoxManage", "kmTenantPrefix": "acme" } ] }`;

const passes = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;
const issuePaths = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

// --- Generators -------------------------------------------------------------------------------------------------------

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');
const alnum = (min: number, max: number) =>
  fc.array(fc.constantFrom(...ALNUM), { minLength: min, maxLength: max }).map((a) => a.join(''));
/** Text that survives trim and is not empty. */
const text = (max: number) =>
  fc
    .tuple(alnum(1, 1), fc.string({ maxLength: Math.max(0, max - 2) }), alnum(0, 1))
    .map(([a, b, c]) => `${a}${b.replace(/\s/g, 'x')}${c}`.slice(0, max));
const workEmail = fc.tuple(alnum(1, 20), alnum(1, 20)).map(([local, host]) => `${local}@${host.toLowerCase()}.example`);
const goodPrefix = fc
  .tuple(alnum(1, 1), fc.array(fc.constantFrom(...ALNUM, '.', '-'), { maxLength: 40 }), alnum(1, 1))
  .map(([a, mid, b]) => `${a}${mid.join('')}${b}`);
const services = servicesWith(goodPrefix);
const company = fc.record(
  {
    companyName: text(128),
    companySize: fc.constantFrom(...COMPANY_SIZES),
    industry: text(64),
    country: fc.constantFrom(...COUNTRY_CODES),
    street1: text(128),
    street2: text(128),
    city: text(64),
    stateOrProvince: text(64),
    zipCode: text(16),
    website: text(256),
    contact: fc.record(
      { firstName: text(64), lastName: text(64), email: workEmail, phone: text(32), jobTitle: text(64) },
      { requiredKeys: ['firstName', 'lastName', 'email'] },
    ),
  },
  { requiredKeys: ['companyName', 'companySize', 'industry', 'country', 'street1', 'city', 'contact'] },
);
const management = fc.record({
  managementType: fc.constantFrom(...MANAGEMENT_TYPES),
  accessType: fc.constantFrom(...ACCESS_TYPES),
  services,
});
const customerId = fc.stringMatching(/^\d{1,20}$/);
const newCustomer = fc.tuple(company, management).map(([c, m]) => ({ ...c, ...m }));
const linkBody = fc.tuple(customerId, management).map(([id, m]) => ({ customerId: id, ...m }));
const onboardingCreate = fc.tuple(company, management).map(([c, m]) => ({ customer: c, ...m }));

const withService = <T extends { services: unknown[] }>(body: T, service: string) => ({
  ...body,
  services: [...body.services, { service }],
});
const withoutAccess = <T extends { accessType?: unknown }>(body: T) => {
  const { accessType: _, ...rest } = body;
  return rest;
};

// --- The product's bodies -----------------------------------------------------------------------------------------------

describe("the product's onboarding bodies", () => {
  it('both pass verbatim', () => {
    expect(onboardingRequestSchema.safeParse(JSON.parse(LINK_BODY)).success).toBe(true);
    expect(onboardingRequestSchema.safeParse(JSON.parse(CREATE_BODY)).success).toBe(true);
  });

  it('are the ones the README prints (its "The HTTP API" section), and pass as printed there', () => {
    const doc = readFileSync(readme, 'utf8');
    const start = doc.indexOf('\n## The HTTP API\n');
    expect(start).toBeGreaterThan(0);
    const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
    const blocks = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
    expect(blocks).toHaveLength(2);
    expect(blocks).toEqual([JSON.parse(LINK_BODY), JSON.parse(CREATE_BODY)]);
    for (const block of blocks) expect(onboardingRequestSchema.safeParse(block).error).toBeUndefined();
  });
});

// --- Knox building blocks -------------------------------------------------------------------------------------------------

describe('knox building blocks', () => {
  it('customerIdSchema takes digit strings only', () => {
    for (const good of ['1', '1234567890', '1'.repeat(20)]) expect(passes(customerIdSchema, good)).toBe(true);
    for (const bad of ['', '1'.repeat(21), '12a', ' 12', 12, null, '-1', '1.0'])
      expect(passes(customerIdSchema, bad)).toBe(false);
  });

  it('managementType, accessType, country: their vocabularies only', () => {
    expect(MANAGEMENT_TYPES.every((m) => passes(managementTypeSchema, m))).toBe(true);
    expect(passes(managementTypeSchema, 'jointlyManaged')).toBe(false);
    expect(ACCESS_TYPES.every((a) => passes(accessTypeSchema, a))).toBe(true);
    expect(passes(accessTypeSchema, 'ReadOnly')).toBe(false);
    expect(COUNTRY_CODES).toHaveLength(249);
    expect(passes(countrySchema, 'US')).toBe(true);
    for (const bad of ['us', 'USA', 'XX', '', 1]) expect(passes(countrySchema, bad)).toBe(false);
  });

  it('kmTenantPrefixSchema: letters, digits, dots and hyphens, no period at either end', () => {
    for (const good of ['acme', 'a', 'acme.eu', 'acme-1', 'a.b-c.d'])
      expect(passes(kmTenantPrefixSchema, good)).toBe(true);
    for (const bad of ['', '.acme', 'acme.', '.', 'ac me', 'acme_eu', 'a'.repeat(64), 'ä']) {
      expect(passes(kmTenantPrefixSchema, bad), bad).toBe(false);
    }
  });

  it('serviceRequestSchema and servicesSchema', () => {
    expect(passes(serviceRequestSchema, { service: 'KnoxManage', kmTenantPrefix: 'acme' })).toBe(true);
    expect(passes(serviceRequestSchema, { service: 'KnoxGuard' })).toBe(true);
    expect(passes(serviceRequestSchema, { service: 'SamsungCarePlus' })).toBe(false);
    expect(passes(serviceRequestSchema, { service: 'KnoxNothing' })).toBe(false);
    expect(passes(serviceRequestSchema, { service: 'KnoxManage', extra: 1 })).toBe(false);
    expect(passes(servicesSchema, [])).toBe(false);
    expect(passes(servicesSchema, [{ service: 'KnoxManage' }, { service: 'KnoxManage' }])).toBe(false);
    expect(
      passes(
        servicesSchema,
        USABLE_SERVICES.map((service) => ({ service })),
      ),
    ).toBe(true);
  });

  it('contactSchema and companySchema', () => {
    const contact = { firstName: 'Ada', lastName: 'Lee', email: 'ada@acme.example' };
    expect(passes(contactSchema, contact)).toBe(true);
    expect(passes(contactSchema, { ...contact, email: 'not-an-email' })).toBe(false);
    expect(passes(contactSchema, { ...contact, firstName: '   ' })).toBe(false);
    expect(passes(contactSchema, { ...contact, nickname: 'A' })).toBe(false);
    const acme = JSON.parse(CREATE_BODY).customer;
    expect(passes(companySchema, acme)).toBe(true);
    expect(issuePaths(companySchema, { ...acme, companySize: '7' })).toEqual(['companySize']);
    expect(issuePaths(companySchema, { ...acme, country: 'Germany' })).toEqual(['country']);
    expect(passes(companySchema, { ...acme, managementType: 'JointlyManaged' })).toBe(false);
    const { city: _, ...noCity } = acme;
    expect(issuePaths(companySchema, noCity)).toEqual(['city']);
  });

  it('emailDomain reads the part after the last @, in lower case', () => {
    expect(emailDomain('a@b@Example.COM')).toBe('example.com');
  });
});

// --- Knox answers -------------------------------------------------------------------------------------------------------

describe('knox answers', () => {
  const documented = DOCUMENTED_CUSTOMER;

  it('tokenAnswerSchema', () => {
    expect(
      passes(tokenAnswerSchema, { access_token: 'abc', token_type: 'Bearer', expires_in: 599, scope: 'msp' }),
    ).toBe(true);
    expect(passes(tokenAnswerSchema, { access_token: 'abc', token_type: 'Bearer', expires_in: 599 })).toBe(true);
    for (const bad of [
      { access_token: '', token_type: 'Bearer', expires_in: 599 },
      { token_type: 'Bearer', expires_in: 599 },
      { access_token: 'abc', token_type: 'Bearer', expires_in: 0 },
      { access_token: 'abc', token_type: 'Bearer', expires_in: '599' },
      { access_token: 'abc', token_type: 'Bearer', expires_in: 1.5 },
    ])
      expect(passes(tokenAnswerSchema, bad)).toBe(false);
  });

  it('oauthErrorSchema', () => {
    expect(passes(oauthErrorSchema, { error: 'invalid_client', error_description: 'bad' })).toBe(true);
    expect(passes(oauthErrorSchema, { error: 'invalid_client' })).toBe(true);
    expect(passes(oauthErrorSchema, { code: 'AUTHORIZATION_FAIL' })).toBe(false);
  });

  it('knoxErrorBodySchema takes the documented example and every row of the table', () => {
    expect(
      passes(knoxErrorBodySchema, {
        transactionalId: '6m789un9-982d-12u6-7899-n9wre821m26m',
        code: 'AUTHORIZATION_FAIL',
        errorCode: '4030000',
        errorMessage: 'The current user is unauthorized to use this service.',
      }),
    ).toBe(true);
    for (const e of KNOX_ERRORS)
      expect(passes(knoxErrorBodySchema, { code: e.code, errorCode: e.errorCode })).toBe(true);
    for (const bad of [
      { code: '', errorCode: '1' },
      { code: 'X', errorCode: 4030000 },
      { code: 'X', errorCode: '40x' },
      { errorCode: '1' },
    ]) {
      expect(passes(knoxErrorBodySchema, bad)).toBe(false);
    }
  });

  it('customerSchema takes the documented customer and every status, and defaults managedServices', () => {
    expect(customerSchema.parse(documented)).toEqual(documented);
    for (const status of CUSTOMER_STATUSES) expect(passes(customerSchema, { ...documented, status })).toBe(true);
    const { managedServices: _, ...bare } = documented;
    expect(customerSchema.parse(bare).managedServices).toEqual([]);
  });

  it('customerSchema refuses what Knox would not send', () => {
    expect(issuePaths(customerSchema, { ...documented, status: 'Gone' })).toEqual(['status']);
    expect(issuePaths(customerSchema, { ...documented, customerId: 1111111111 })).toEqual(['customerId']);
    expect(issuePaths(customerSchema, { ...documented, managementType: 'Self' })).toEqual(['managementType']);
    const { companyName: _, ...noName } = documented;
    expect(issuePaths(customerSchema, noName)).toEqual(['companyName']);
  });

  it('customerListSchema wants totalCount as a string of digits', () => {
    expect(passes(customerListSchema, { totalCount: '1', customers: [documented] })).toBe(true);
    expect(passes(customerListSchema, { totalCount: '0', customers: [] })).toBe(true);
    expect(passes(customerListSchema, { totalCount: 1, customers: [documented] })).toBe(false);
    expect(passes(customerListSchema, { totalCount: '-1', customers: [] })).toBe(false);
    expect(passes(customerListSchema, { totalCount: '1', customers: [{ ...documented, status: 'x' }] })).toBe(false);
  });
});

// --- Knox requests ------------------------------------------------------------------------------------------------------

describe('knox requests', () => {
  const acme = {
    ...JSON.parse(CREATE_BODY).customer,
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxManage', kmTenantPrefix: 'acme' }],
  };

  it('newCustomerSchema: the product body flattened, and its Knox-side rules', () => {
    expect(passes(newCustomerSchema, acme)).toBe(true);
    expect(issuePaths(newCustomerSchema, withoutAccess(acme))).toEqual(['accessType']);
    expect(issuePaths(newCustomerSchema, { ...acme, contact: { ...acme.contact, email: 'ada@gmail.com' } })).toEqual([
      'contact.email',
    ]);
    expect(
      passes(newCustomerSchema, {
        ...acme,
        managementType: 'FullyManaged',
        contact: { ...acme.contact, email: 'ada@gmail.com' },
      }),
    ).toBe(true);
    expect(passes(newCustomerSchema, { ...acme, services: [{ service: 'KnoxManage', kmTenantPrefix: '.acme' }] })).toBe(
      false,
    );
  });

  it('linkRequestSchema', () => {
    const link = JSON.parse(LINK_BODY);
    expect(passes(linkRequestSchema, link)).toBe(true);
    expect(issuePaths(linkRequestSchema, withoutAccess(link))).toEqual(['accessType']);
    expect(passes(linkRequestSchema, { ...link, customer: {} })).toBe(false);
    expect(passes(linkRequestSchema, { ...link, services: [] })).toBe(false);
  });

  it('updateRequestSchema needs something to change', () => {
    expect(passes(updateRequestSchema, { managementType: 'JointlyManaged' })).toBe(true);
    expect(passes(updateRequestSchema, { accessType: 'NoAccess' })).toBe(true);
    expect(passes(updateRequestSchema, { accessType: 'FullAccess', services: [{ service: 'KnoxEFOTA' }] })).toBe(true);
    expect(passes(updateRequestSchema, {})).toBe(false);
    expect(issuePaths(updateRequestSchema, { services: [{ service: 'KnoxEFOTA' }] })).toEqual(['accessType']);
    expect(passes(updateRequestSchema, { customerId: '1', accessType: 'NoAccess' })).toBe(false);
  });

  it('delinkRequestSchema', () => {
    expect(passes(delinkRequestSchema, { customerId: '1234567890' })).toBe(true);
    expect(passes(delinkRequestSchema, { customerId: 'abc' })).toBe(false);
    expect(passes(delinkRequestSchema, { customerId: '1', reason: 'x' })).toBe(false);
  });
});

// --- Our HTTP API ---------------------------------------------------------------------------------------------------------

describe('api request schemas', () => {
  const link = JSON.parse(LINK_BODY);
  const create = JSON.parse(CREATE_BODY);

  it('onboardingRequestSchema refuses a body with both or neither of customerId and customer', () => {
    expect(passes(onboardingRequestSchema, { ...link, customer: create.customer })).toBe(false);
    expect(
      passes(
        onboardingRequestSchema,
        withoutAccess({ managementType: 'JointlyManaged', accessType: 'FullAccess', services: link.services }),
      ),
    ).toBe(false);
  });

  it('onboardingRequestSchema keeps management settings out of customer', () => {
    expect(
      passes(onboardingRequestSchema, {
        ...create,
        customer: { ...create.customer, managementType: 'JointlyManaged' },
      }),
    ).toBe(false);
  });

  it('onboardingRequestSchema applies the Knox rules with our paths', () => {
    expect(issuePaths(onboardingRequestSchema, withoutAccess(create))).toEqual(['accessType']);
    const gmail = {
      ...create,
      customer: { ...create.customer, contact: { ...create.customer.contact, email: 'ada@Gmail.com' } },
    };
    expect(issuePaths(onboardingRequestSchema, gmail)).toEqual(['customer.contact.email']);
    expect(passes(onboardingRequestSchema, { ...gmail, managementType: 'FullyManaged' })).toBe(true);
  });

  it('offboardingRequestSchema', () => {
    expect(passes(offboardingRequestSchema, { customerId: '1234567890' })).toBe(true);
    expect(passes(offboardingRequestSchema, {})).toBe(false);
    expect(passes(offboardingRequestSchema, { customerId: '1', force: true })).toBe(false);
  });

  it('changeRequestSchema needs a customer and something to change', () => {
    expect(passes(changeRequestSchema, { customerId: '1', managementType: 'JointlyManaged' })).toBe(true);
    expect(passes(changeRequestSchema, { customerId: '1' })).toBe(false);
    expect(passes(changeRequestSchema, { managementType: 'JointlyManaged' })).toBe(false);
    expect(issuePaths(changeRequestSchema, { customerId: '1', services: [{ service: 'KnoxGuard' }] })).toEqual([
      'accessType',
    ]);
  });

  it('idempotencyKeySchema: 1 to 128 printable ASCII characters', () => {
    expect(passes(idempotencyKeySchema, 'order-42')).toBe(true);
    expect(passes(idempotencyKeySchema, 'x'.repeat(128))).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'has space', 'tab\t', 'é'])
      expect(passes(idempotencyKeySchema, bad)).toBe(false);
  });

  it('listQuerySchema takes a known status or none', () => {
    expect(passes(listQuerySchema, {})).toBe(true);
    for (const status of STATUSES) expect(passes(listQuerySchema, { status })).toBe(true);
    expect(passes(listQuerySchema, { status: 'waiting' })).toBe(false);
    expect(passes(listQuerySchema, { status: 'WAITING', page: '2' })).toBe(false);
  });

  it('lastErrorSchema and historyEntrySchema', () => {
    const lastError = {
      code: 'ADD_EC_ALREADY_MANAGED',
      errorCode: '4002103',
      message: 'managed elsewhere',
      disposition: 'abort',
    };
    expect(passes(lastErrorSchema, lastError)).toBe(true);
    expect(passes(lastErrorSchema, { ...lastError, disposition: 'ignore' })).toBe(false);
    expect(
      passes(historyEntrySchema, { at: '2025-01-01T00:00:00Z', event: 'status', status: 'WAITING', error: lastError }),
    ).toBe(true);
    expect(passes(historyEntrySchema, { at: '2025-01-01T00:00:00Z', event: 'status', status: 'DONE' })).toBe(false);
    expect(passes(historyEntrySchema, { event: 'status' })).toBe(false);
  });

  it('status words: open and terminal ones', () => {
    expect(STATUSES).toEqual([...OPEN_STATUSES, ...TERMINAL_STATUSES]);
    expect(TERMINAL_STATUSES.every(isTerminal)).toBe(true);
    expect(OPEN_STATUSES.some(isTerminal)).toBe(false);
  });

  it('validationFailure lists every issue with a dotted path', () => {
    const r = onboardingRequestSchema.safeParse({
      ...create,
      customer: { ...create.customer, contact: { ...create.customer.contact, email: 'x' } },
    });
    expect(r.success).toBe(false);
    const body = validationFailure(r.error!);
    expect(body.message).toBe('The request body is not valid');
    expect(body.issues.length).toBeGreaterThan(0);
    expect(body.issues.every((i) => typeof i.path === 'string' && i.message.length > 0)).toBe(true);
  });
});

// --- Properties -----------------------------------------------------------------------------------------------------------

describe('properties', () => {
  const ALL_SCHEMAS: [string, z.ZodType][] = Object.entries({
    customerIdSchema,
    managementTypeSchema,
    accessTypeSchema,
    countrySchema,
    kmTenantPrefixSchema,
    serviceRequestSchema,
    servicesSchema,
    contactSchema,
    companySchema,
    tokenAnswerSchema,
    oauthErrorSchema,
    knoxErrorBodySchema,
    customerSchema,
    customerListSchema,
    newCustomerSchema,
    linkRequestSchema,
    updateRequestSchema,
    delinkRequestSchema,
    onboardingRequestSchema,
    offboardingRequestSchema,
    changeRequestSchema,
    idempotencyKeySchema,
    listQuerySchema,
    lastErrorSchema,
    historyEntrySchema,
  });

  it('safeParse never throws, whatever JSON or value it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (value) => {
        for (const [, schema] of ALL_SCHEMAS) expect(typeof schema.safeParse(value).success).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('a prefix that starts or ends with a period is refused', () => {
    fc.assert(
      fc.property(goodPrefix, fc.boolean(), (p, atStart) => {
        expect(passes(kmTenantPrefixSchema, atStart ? `.${p}`.slice(0, 63) : `${p}.`.slice(-63))).toBe(false);
      }),
    );
  });

  it('a prefix of letters and digits at both ends, dots and hyphens inside, is accepted', () => {
    fc.assert(
      fc.property(goodPrefix, (p) => {
        expect(passes(kmTenantPrefixSchema, p)).toBe(true);
      }),
    );
  });

  it('any well-formed NewCustomer, link body or onboarding body passes', () => {
    const cases: [fc.Arbitrary<unknown>, z.ZodType][] = [
      [newCustomer, newCustomerSchema],
      [linkBody, linkRequestSchema],
      [linkBody, onboardingRequestSchema],
      [onboardingCreate, onboardingRequestSchema],
    ];
    for (const [bodies, schema] of cases) {
      fc.assert(
        fc.property(bodies, (b) => {
          expect(schema.safeParse(b).error).toBeUndefined();
        }),
      );
    }
  });

  it('SamsungCarePlus is always refused', () => {
    fc.assert(
      fc.property(newCustomer, linkBody, onboardingCreate, (n, l, o) => {
        expect(passes(newCustomerSchema, withService(n, REFUSED_SERVICE))).toBe(false);
        expect(passes(linkRequestSchema, withService(l, REFUSED_SERVICE))).toBe(false);
        expect(passes(onboardingRequestSchema, withService(l, REFUSED_SERVICE))).toBe(false);
        expect(passes(onboardingRequestSchema, withService(o, REFUSED_SERVICE))).toBe(false);
        expect(
          passes(updateRequestSchema, withService({ accessType: l.accessType, services: l.services }, REFUSED_SERVICE)),
        ).toBe(false);
        expect(passes(changeRequestSchema, withService(l, REFUSED_SERVICE))).toBe(false);
      }),
    );
  });

  it('services without accessType are refused', () => {
    fc.assert(
      fc.property(newCustomer, linkBody, onboardingCreate, (n, l, o) => {
        expect(issuePaths(newCustomerSchema, withoutAccess(n))).toContain('accessType');
        expect(issuePaths(linkRequestSchema, withoutAccess(l))).toContain('accessType');
        expect(issuePaths(onboardingRequestSchema, withoutAccess(o))).toContain('accessType');
        expect(issuePaths(updateRequestSchema, { services: l.services })).toContain('accessType');
        expect(issuePaths(changeRequestSchema, withoutAccess(l))).toContain('accessType');
      }),
    );
  });

  it('a free-mail contact is refused for jointly managed customers and accepted for fully managed ones', () => {
    fc.assert(
      fc.property(newCustomer, fc.constantFrom(...FREE_MAIL_DOMAINS), alnum(1, 10), (n, domain, local) => {
        const body = { ...n, contact: { ...n.contact, email: `${local}@${domain}` } };
        expect(passes(newCustomerSchema, { ...body, managementType: 'JointlyManaged' })).toBe(false);
        expect(passes(newCustomerSchema, { ...body, managementType: 'FullyManaged' })).toBe(true);
      }),
    );
  });

  it('a customer id with anything but digits is refused', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !/^\d+$/.test(s)),
        (s) => {
          expect(passes(customerIdSchema, s)).toBe(false);
        },
      ),
    );
  });
});
