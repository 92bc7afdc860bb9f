/**
 * The MSP calls of the Knox MSP Portal API as the simulator performs them: each one checks Knox's conditions in
 * order, answers the error code of the first that holds, or changes the store and answers the customer object.
 * Every code here is produced by the condition that produces it at Knox (docs/knox-contract.md).
 */
import { specForErrorCode, type KnoxErrorCodeName } from '#domain/knox-errors';
import {
  COUNTRY_CODES,
  FREE_MAIL_DOMAINS,
  KG_TENANT_INFO_CODES,
  REFUSED_SERVICE,
  emailDomain,
  kgTenantInfoSchema,
  type KnoxCustomer,
} from '#domain/knox-schemas';
import { jsonAnswer, knoxError, simOnlyError, type SimAnswer } from './answers';
import { kmTenantDomain } from './lifecycle';
import type { PagingSpec, ServiceName, SimCustomer } from './model';
import {
  createBodySchema,
  delinkBodySchema,
  isKnownService,
  linkBodySchema,
  listQuerySchema,
  readBody,
  updateBodySchema,
  type LooseService,
} from './request-bodies';
import { buildCustomer, type CustomerStore } from './customer-store';
import { SIM_BLOCKED_EMAIL_DOMAINS, SIM_UNSUPPORTED_COUNTRIES } from './world';
import { definedFields } from '#domain/defined-fields';

/** The MSP making the call (from its bearer token). */
export interface Caller {
  msp: string;
  region: string;
}

export interface RuleContext {
  store: CustomerStore;
  caller: Caller;
  now: Date;
  /** How the list pages (control surface); absent: every page as asked, by customerId. */
  paging?: PagingSpec;
  /** Whether Samsung approved the caller to manage Knox Guard (default true; 4002124 otherwise). */
  knoxGuardApproved?: boolean;
}

// --- Shared conditions --------------------------------------------------------------------------------------------

const hasRefusedService = (services: LooseService[]) => services.some((s) => s.service === REFUSED_SERVICE);

/** A Knox Manage prefix may not begin or end with a period. */
const hasBadPrefix = (services: LooseService[]) =>
  services.some(
    (s) => s.kmTenantPrefix !== undefined && (s.kmTenantPrefix.startsWith('.') || s.kmTenantPrefix.endsWith('.')),
  );

function isBlockedForJointlyManaged(email: string): boolean {
  const domain = emailDomain(email);
  return FREE_MAIL_DOMAINS.includes(domain) || (SIM_BLOCKED_EMAIL_DOMAINS as readonly string[]).includes(domain);
}

/** A new Knox Manage tenant takes the e-mail domain (under the prefix): refused when a tenant already has it. */
function tenantRefusal(store: CustomerStore, email: string, prefix: string | undefined): KnoxErrorCodeName | undefined {
  if (!store.kmTenantInUse(kmTenantDomain(email, prefix || undefined))) return undefined;
  return prefix ? 'KM_DOMAIN_NAME_ALREADY_IN_USAGE' : 'KM_DOMAIN_NAME_ALREADY_EXISTS';
}

/**
 * Knox Guard (release 26.01): an MSP Samsung has not approved for it cannot manage it (4002124); each invalid
 * kgTenantInfo field answers its own code (4002127-4002130).
 */
function knoxGuardRefusal(
  ctx: RuleContext,
  services: LooseService[],
  info: Record<string, unknown> | undefined,
): KnoxErrorCodeName | undefined {
  if ((services.some((s) => s.service === 'KnoxGuard') || info !== undefined) && ctx.knoxGuardApproved === false) {
    return 'MSP_CANNOT_MANAGE_KG';
  }
  if (info === undefined) return undefined;
  for (const field of Object.keys(KG_TENANT_INFO_CODES) as (keyof typeof KG_TENANT_INFO_CODES)[]) {
    if (!kgTenantInfoSchema.shape[field].safeParse(info[field]).success) {
      return specForErrorCode(KG_TENANT_INFO_CODES[field])?.code as KnoxErrorCodeName;
    }
  }
  return undefined;
}

/** Whether the caller may see and manage this customer (a Rejected link leaves it visible but not managed). */
const isOurs = (c: SimCustomer, caller: Caller) => c.ownerMsp === caller.msp;

/** The customer object, as the MSP that has a relation with it sees it. */
export function toKnoxCustomer(c: SimCustomer): KnoxCustomer {
  if (c.status === null) throw new Error(`customer ${c.customerId} has no MSP relation to show`);
  return {
    customerId: c.customerId,
    companyName: c.companyName,
    companySize: c.companySize,
    industry: c.industry,
    country: c.country,
    email: c.email,
    street1: c.street1,
    city: c.city,
    ...definedFields(c, ['officeNumber', 'stateOrProvince', 'zipCode', 'website']),
    managementType: c.managementType,
    status: c.status,
    managedServices: c.managedServices.map((s) => ({ ...s })),
    optional: { created: c.created, modified: c.modified },
  };
}

const customerAnswer = (c: SimCustomer, accepted: boolean) => jsonAnswer(200, toKnoxCustomer(c), accepted);

/** A read body that names services, or the answer to one that names a service unknown to Knox. */
function knownServices<B extends { services: LooseService[] }>(read: { data: B } | { answer: SimAnswer }) {
  if ('answer' in read) return read;
  const unknown = read.data.services.find((s) => !isKnownService(s.service));
  return unknown ? { answer: simOnlyError('badRequest', `Unknown service "${unknown.service.slice(0, 40)}"`) } : read;
}

// --- create -------------------------------------------------------------------------------------------------------

type CreateBody = ReturnType<typeof createBodySchema.parse>;

function createRefusal(ctx: RuleContext, b: CreateBody): KnoxErrorCodeName | undefined {
  const { store } = ctx;
  if (!COUNTRY_CODES.includes(b.country) || (SIM_UNSUPPORTED_COUNTRIES as readonly string[]).includes(b.country)) {
    return 'INVALID_COUNTRY';
  }
  if (hasRefusedService(b.services)) return 'SERVICE_NOT_VALID_SCP';
  if (hasBadPrefix(b.services)) return 'KM_TENANT_PREFIX_INVALID';
  if (b.managementType === 'JointlyManaged' && isBlockedForJointlyManaged(b.contact.email)) {
    return 'BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED';
  }
  const kg = knoxGuardRefusal(ctx, b.services, b.kgTenantInfo);
  if (kg) return kg;
  if (b.services.length > 0 && b.accessType === undefined) return 'ACCESS_TYPE_REQUIRED';
  if (store.emailInUse(b.contact.email)) return 'EMAIL_ALREADY_IN_USAGE';
  const km = b.services.find((s) => s.service === 'KnoxManage');
  return km ? tenantRefusal(store, b.contact.email, km.kmTenantPrefix) : undefined;
}

/** `POST /msp/v1/managedCustomers`: a new customer, Active and managed by the caller at once. */
export function createCustomer(ctx: RuleContext, body: unknown): SimAnswer {
  const read = knownServices(readBody(createBodySchema, body));
  if ('answer' in read) return read.answer;
  const b = read.data;
  const refusal = createRefusal(ctx, b);
  if (refusal) return knoxError(refusal);

  const km = b.services.find((s) => s.service === 'KnoxManage');
  const customer = buildCustomer(
    {
      companyName: b.companyName,
      companySize: b.companySize,
      industry: b.industry,
      country: b.country,
      email: b.contact.email,
      ...(b.contact.phone !== undefined ? { officeNumber: b.contact.phone } : {}),
      street1: b.street1,
      city: b.city,
      ...(b.stateOrProvince !== undefined ? { stateOrProvince: b.stateOrProvince } : {}),
      ...(b.zipCode !== undefined ? { zipCode: b.zipCode } : {}),
      ...(b.website !== undefined ? { website: b.website } : {}),
      region: ctx.caller.region,
      ownerMsp: ctx.caller.msp,
      status: 'Active',
      managementType: b.managementType,
      ...(b.accessType !== undefined ? { accessType: b.accessType } : {}),
      managedServices: b.services.map((s) => s.service as ServiceName),
      ...(km ? { kmTenantDomain: kmTenantDomain(b.contact.email, km.kmTenantPrefix || undefined) } : {}),
    },
    { customerId: ctx.store.newCustomerId(), now: ctx.now, awaitingAnswer: false },
  );
  ctx.store.put(customer);
  return customerAnswer(customer, true);
}

// --- link ---------------------------------------------------------------------------------------------------------

type LinkBody = ReturnType<typeof linkBodySchema.parse>;

function linkRefusal(c: SimCustomer, caller: Caller, b: LinkBody): KnoxErrorCodeName | undefined {
  if (!c.samsungApproved) return 'ADD_EC_CUSTOMER_NOT_APPROVED';
  if (c.status === 'DelinkRequested') return 'ADD_EC_DELINK_PENDING';
  const others = c.ownerMsp !== null && c.ownerMsp !== caller.msp;
  if (others && (c.status === 'Active' || c.status === 'Pending')) return 'ADD_EC_ALREADY_MANAGED';
  if (isOurs(c, caller) && c.status === 'Active') return 'ADD_EC_ALREADY_MANAGED';
  if (isOurs(c, caller) && c.status === 'Pending') return 'ADD_EC_PENDING_CANNOT_ADD_AGAIN';
  if (c.region !== caller.region) return 'ADD_EC_NOT_SAME_REGION';
  if (hasRefusedService(b.services)) return 'SERVICE_NOT_VALID_SCP';
  if (b.services.length > 0 && b.accessType === undefined) return 'ACCESS_TYPE_REQUIRED';
  return undefined;
}

/** `POST /msp/v1/managedCustomers/link`: asks an existing customer to let the caller manage it; it is then Pending. */
export function linkCustomer(ctx: RuleContext, body: unknown): SimAnswer {
  const read = knownServices(readBody(linkBodySchema, body));
  if ('answer' in read) return read.answer;
  const b = read.data;
  const customer = ctx.store.get(b.customerId);
  if (!customer) return knoxError('ADD_EC_CUSTOMER_INVALID');
  const refusal = linkRefusal(customer, ctx.caller, b);
  if (refusal) return knoxError(refusal);

  const now = ctx.now.toISOString();
  customer.ownerMsp = ctx.caller.msp;
  customer.status = 'Pending';
  customer.managementType = b.managementType;
  customer.managedServices = b.services.map((s) => ({ service: s.service, status: 'Pending' }));
  customer.pendingLink = {
    managementType: b.managementType,
    ...(b.accessType !== undefined ? { accessType: b.accessType } : {}),
    services: b.services.map((s) => ({
      service: s.service,
      ...(s.kmTenantPrefix ? { kmTenantPrefix: s.kmTenantPrefix } : {}),
    })),
    requestedAt: now,
  };
  customer.waiting = { since: now, gets: 0 };
  delete customer.delinkEndsAt;
  customer.modified = now;
  return customerAnswer(customer, true);
}

// --- get and list -------------------------------------------------------------------------------------------------

/** `GET /msp/v1/managedCustomers/{customerId}`; every answered get counts as a poll for scripts. */
export function getCustomer(ctx: RuleContext, customerId: string): SimAnswer {
  const customer = ctx.store.get(customerId);
  if (!customer) return knoxError('CUSTOMER_NOT_FOUND');
  if (!isOurs(customer, ctx.caller)) return knoxError('CUSTOMER_NOT_MANAGED_BY_MSP');
  const answer = customerAnswer(customer, false);
  if (customer.waiting) customer.waiting.gets += 1;
  return answer;
}

/**
 * `GET /msp/v1/managedCustomers?pageNum&pageSize&sortOrder`: the caller's customers, `totalCount` as a string. The
 * paging spec may cap the page size (pageNum then counts in served pages), sort by another key, answer 206 for all
 * but the last page, and make totalCount lie.
 */
export function listCustomers(ctx: RuleContext, query: URLSearchParams): SimAnswer {
  const read = readBody(listQuerySchema, Object.fromEntries(query));
  if ('answer' in read) return read.answer;
  const { pageNum, sortOrder } = read.data;
  const paging = ctx.paging ?? {};
  const pageSize = Math.min(read.data.pageSize, paging.maxPageSize ?? read.data.pageSize);
  const key = paging.sortBy ?? 'customerId';
  const ours = ctx.store
    .all()
    .filter((c) => isOurs(c, ctx.caller))
    .sort((a, b) => a[key].localeCompare(b[key]) || a.customerId.localeCompare(b.customerId));
  if (sortOrder === 'descending') ours.reverse();
  const page = ours.slice((pageNum - 1) * pageSize, pageNum * pageSize);
  const totalCount = Math.max(0, ours.length + (paging.totalCountDelta ?? 0));
  const status = paging.partialContent && pageNum * pageSize < ours.length ? 206 : 200;
  return jsonAnswer(status, { totalCount: String(totalCount), customers: page.map(toKnoxCustomer) });
}

// --- update -------------------------------------------------------------------------------------------------------

type UpdateBody = ReturnType<typeof updateBodySchema.parse>;

const hasActiveService = (c: SimCustomer, service: string) =>
  c.managedServices.some((m) => m.service === service && m.status === 'Active');

function updateRefusal(ctx: RuleContext, c: SimCustomer, b: UpdateBody): KnoxErrorCodeName | undefined {
  const { store } = ctx;
  if (c.status === 'DelinkRequested') return 'CANNOT_CHANGE_WHEN_DELINKING';
  if (c.status === 'Pending') return 'CANNOT_CHANGE_WHEN_PENDING';
  if (b.managementType === 'FullyManaged' && c.managementType === 'JointlyManaged')
    return 'CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY';
  const services = b.services ?? [];
  if (hasRefusedService(services)) return 'SERVICE_NOT_VALID_SCP';
  if (hasBadPrefix(services)) return 'KM_TENANT_PREFIX_INVALID';
  if (services.some((s) => !c.accountServices.includes(s.service))) return 'SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT';
  const kg = knoxGuardRefusal(
    ctx,
    services.filter((s) => !hasActiveService(c, s.service)),
    b.kgTenantInfo,
  );
  if (kg) return kg;
  // A service the customer has but not Active yet (left Pending by the approval) is switched on like a new one.
  const added = services.filter((s) => !hasActiveService(c, s.service));
  if (added.length > 0 && b.accessType === undefined) return 'ACCESS_TYPE_REQUIRED';
  const km = added.find((s) => s.service === 'KnoxManage');
  return km && c.kmTenantDomain === undefined ? tenantRefusal(store, c.email, km.kmTenantPrefix) : undefined;
}

/**
 * `PUT /msp/v1/managedCustomers/{customerId}`. Listed services are switched on, also those an approval left Pending
 * (assumed: services not listed stay as they are); a new Knox Manage service gets its tenant.
 */
export function updateCustomer(ctx: RuleContext, customerId: string, body: unknown): SimAnswer {
  const read = readBody(updateBodySchema, body);
  if ('answer' in read) return read.answer;
  const b = read.data;
  const customer = ctx.store.get(customerId);
  if (!customer) return knoxError('CUSTOMER_NOT_FOUND');
  if (!isOurs(customer, ctx.caller) || customer.status === 'Rejected') return knoxError('CUSTOMER_NOT_MANAGED_BY_MSP');
  const refusal = updateRefusal(ctx, customer, b);
  if (refusal) return knoxError(refusal);

  if (b.managementType !== undefined) customer.managementType = b.managementType;
  if (b.accessType !== undefined) customer.accessType = b.accessType;
  for (const s of b.services ?? []) {
    const held = customer.managedServices.find((m) => m.service === s.service);
    if (held?.status === 'Active') continue;
    if (held) held.status = 'Active';
    else customer.managedServices.push({ service: s.service, status: 'Active' });
    if (s.service === 'KnoxManage' && customer.kmTenantDomain === undefined) {
      customer.kmTenantDomain = kmTenantDomain(customer.email, s.kmTenantPrefix || undefined);
    }
  }
  customer.modified = ctx.now.toISOString();
  return customerAnswer(customer, true);
}

// --- delink -------------------------------------------------------------------------------------------------------

function delinkRefusal(c: SimCustomer): KnoxErrorCodeName | undefined {
  if (c.managementType === 'FullyManaged') return 'CANNOT_DELINK_FULLY_MANAGED';
  if (c.status === 'Pending') return 'CUSTOMER_PENDING_CANNOT_DELINK';
  if (c.status === 'DelinkRequested') return 'CANNOT_CHANGE_WHEN_DELINKING';
  return undefined;
}

/** `POST /msp/v1/managedCustomers/delink`: asks the customer to leave; it is DelinkRequested until it answers. */
export function delinkCustomer(ctx: RuleContext, body: unknown): SimAnswer {
  const read = readBody(delinkBodySchema, body);
  if ('answer' in read) return read.answer;
  const customer = ctx.store.get(read.data.customerId);
  if (!customer) return knoxError('CUSTOMER_NOT_FOUND');
  if (!isOurs(customer, ctx.caller) || customer.status === 'Rejected') return knoxError('CUSTOMER_NOT_MANAGED_BY_MSP');
  const refusal = delinkRefusal(customer);
  if (refusal) return knoxError(refusal);

  const now = ctx.now.toISOString();
  customer.status = 'DelinkRequested';
  customer.waiting = { since: now, gets: 0 };
  customer.modified = now;
  return customerAnswer(customer, true);
}
