/**
 * The Knox world the simulator starts with (and returns to on `POST /_sim/reset`): existing Knox customers in every
 * situation the workflow must handle, with stable customerIds that tests import by name. This is the one place that
 * says what each fixture is for; README.md repeats it as a table.
 *
 * Every fixture customer's e-mail address is a registered Knox account (create with it answers 4002106).
 */
import type { SimCustomerInput } from './model';
import { buildCustomer, type CustomerStore } from './customer-store';
import { SIM_OTHER_MSP, SIM_OTHER_REGION, SIM_OUR_MSP } from './world';

export const FIXTURES = {
  /** No MSP, approved by Samsung, our region: free to link (link -> Pending -> approve -> Active). */
  unmanaged: '1000000001',
  /** Samsung has not approved the customer's own Knox account yet: link answers 4002101 ADD_EC_CUSTOMER_NOT_APPROVED. */
  samsungApprovalPending: '1000000002',
  /**
   * Being delinked from another MSP: link answers 4002102 ADD_EC_DELINK_PENDING until the delink ends
   * (`POST /_sim/customers/1000000003/accept-delink`), then it is free to link.
   */
  delinkingFromOtherMsp: '1000000003',
  /** Managed (Active) by another MSP: link answers 4002103 ADD_EC_ALREADY_MANAGED, get answers 4002113. */
  managedByOtherMsp: '1000000004',
  /** Pending with another MSP (its link request is unanswered): link answers 4002103 too. */
  pendingWithOtherMsp: '1000000005',
  /** Unmanaged, but its account lives in another region: link answers 4002105 ADD_EC_NOT_SAME_REGION. */
  otherRegion: '1000000006',
  /**
   * Ours, JointlyManaged, Active, with KnoxMobileEnrollment (FullAccess) and no Knox Manage tenant yet: for offboarding
   * (delink -> DelinkRequested) and changes (add services; Jointly -> Fully answers 4002117); link answers 4002103.
   */
  ownedActive: '1000000007',
  /** Ours, FullyManaged, Active: delink answers 4002112 CANNOT_DELINK_FULLY_MANAGED; Fully -> Jointly is allowed. */
  ownedFullyManaged: '1000000008',
  /** Ours, JointlyManaged, Active, but its account lacks KnoxGuard: an update adding it answers 4002118. */
  ownedLimitedServices: '1000000009',
  /** Ours, Pending (our link is unanswered): link 4002104, update 4002119, delink 4002115; approve-link moves it. */
  ownedPending: '1000000010',
  /** Ours, DelinkRequested (our delink is unanswered): update and delink answer 4002116. */
  ownedDelinkRequested: '1000000011',
  /** Rejected our earlier link: get shows status Rejected; update and delink answer 4002113; a new link is allowed. */
  ownedRejected: '1000000012',
  /** Was ours until it accepted our delink: get answers 4002113; it can be linked again. */
  formerlyOwned: '1000000013',
} as const;
export type FixtureName = keyof typeof FIXTURES;

/** A well-formed customerId that no Knox customer has: get/update/delink 4042100, link 4002100. */
export const UNKNOWN_CUSTOMER_ID = '9999999999';

/** E-mail addresses of Knox accounts that are not customers here: create with one answers 4002106. */
export const FIXTURE_REGISTERED_EMAILS = { registered: 'it.admin@registered.example' } as const;

/**
 * Knox Manage tenant domains already in use by organisations outside the store. Creating a KnoxManage customer whose
 * contact e-mail is `...@kmtenant.example` answers 4002110 without a prefix, 4002121 with the prefix `sales`, and
 * succeeds with any other prefix (e.g. `support`).
 */
export const FIXTURE_KM_TENANTS = {
  domain: 'kmtenant.example',
  prefixedDomain: 'sales.kmtenant.example',
  takenPrefix: 'sales',
} as const;

/** When the fixtures "happened": fixed, so that dumps are stable. */
const FIXTURE_TIME = new Date('2024-03-01T09:00:00.000Z');

const FIXTURE_CUSTOMERS: Record<FixtureName, SimCustomerInput> = {
  unmanaged: { companyName: 'Unmanaged Ltd', email: 'it@unmanaged.example' },
  samsungApprovalPending: {
    companyName: 'Awaiting Samsung Inc',
    email: 'it@awaiting-samsung.example',
    samsungApproved: false,
  },
  delinkingFromOtherMsp: {
    companyName: 'Leaving Other MSP GmbH',
    email: 'it@leaving-other.example',
    country: 'DE',
    ownerMsp: SIM_OTHER_MSP,
    status: 'DelinkRequested',
  },
  managedByOtherMsp: {
    companyName: 'Other MSP Customer Corp',
    email: 'it@other-msp-customer.example',
    ownerMsp: SIM_OTHER_MSP,
    status: 'Active',
    managedServices: ['KnoxManage', 'KnoxMobileEnrollment'],
    kmTenantDomain: 'other-msp-customer.example',
  },
  pendingWithOtherMsp: {
    companyName: 'Courted Elsewhere LLC',
    email: 'it@courted-elsewhere.example',
    ownerMsp: SIM_OTHER_MSP,
    status: 'Pending',
  },
  otherRegion: { companyName: 'Faraway SA', email: 'it@faraway.example', country: 'FR', region: SIM_OTHER_REGION },
  ownedActive: {
    companyName: 'Our Active Customer Ltd',
    email: 'it@owned-active.example',
    ownerMsp: SIM_OUR_MSP,
    status: 'Active',
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    managedServices: ['KnoxMobileEnrollment'],
  },
  ownedFullyManaged: {
    companyName: 'Our Fully Managed Inc',
    email: 'it@owned-fully.example',
    ownerMsp: SIM_OUR_MSP,
    status: 'Active',
    managementType: 'FullyManaged',
    accessType: 'FullAccess',
    managedServices: ['KnoxMobileEnrollment', 'KnoxConfigure'],
  },
  ownedLimitedServices: {
    companyName: 'Our Limited Account Co',
    email: 'it@owned-limited.example',
    ownerMsp: SIM_OUR_MSP,
    status: 'Active',
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    managedServices: ['KnoxMobileEnrollment'],
    accountServices: ['KnoxManage', 'KnoxMobileEnrollment', 'KnoxConfigure', 'KnoxEFOTA'],
  },
  ownedPending: {
    companyName: 'Our Pending Link Ltd',
    email: 'it@owned-pending.example',
    ownerMsp: SIM_OUR_MSP,
    status: 'Pending',
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    managedServices: ['KnoxMobileEnrollment'],
  },
  ownedDelinkRequested: {
    companyName: 'Our Delinking Customer Ltd',
    email: 'it@owned-delinking.example',
    ownerMsp: SIM_OUR_MSP,
    status: 'DelinkRequested',
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    managedServices: ['KnoxMobileEnrollment'],
  },
  ownedRejected: {
    companyName: 'Said No Ltd',
    email: 'it@said-no.example',
    ownerMsp: SIM_OUR_MSP,
    status: 'Rejected',
    managedServices: [],
  },
  formerlyOwned: { companyName: 'Former Customer Ltd', email: 'it@formerly-owned.example' },
};

/** Loads every fixture into an (empty) store. */
export function loadFixtures(store: CustomerStore): void {
  for (const [name, input] of Object.entries(FIXTURE_CUSTOMERS)) {
    const customerId = FIXTURES[name as FixtureName];
    store.put(buildCustomer(input, { customerId, now: FIXTURE_TIME, awaitingAnswer: false }));
  }
  for (const email of Object.values(FIXTURE_REGISTERED_EMAILS)) store.registerEmail(email);
  store.registerKmTenant(FIXTURE_KM_TENANTS.domain);
  store.registerKmTenant(FIXTURE_KM_TENANTS.prefixedDomain);
}
