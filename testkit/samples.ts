/**
 * The sample request bodies the demo, the console's screenshots, the bench and the tests send: one company with
 * Samsung's required fields, one set of management settings, and the bodies built from them: our API's link and
 * create (lib/domain/api-schemas.ts) and Knox's new customer (lib/domain/knox-schemas.ts). Each call returns a fresh
 * object, so a caller may change what it was given.
 */
import type { Company, LinkRequest, NewCustomer } from '#domain/knox-schemas';

/** Jointly managed, full access, Knox Mobile Enrollment: what a sample asks for unless told otherwise. */
function sampleSettings(): Pick<NewCustomer, 'managementType' | 'accessType' | 'services'> {
  return {
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
  };
}

/** A company Knox accepts, its contact reached at `email` (its domain is the customer's, for Knox). */
function sampleCompany(email: string, overrides: Partial<Company> = {}): Company {
  return {
    companyName: 'Acme Ltd',
    companySize: '20-99',
    industry: 'COMMUNICATIONS',
    country: 'US',
    street1: '1 Main St',
    city: 'Chicago',
    contact: { firstName: 'Ada', lastName: 'Lee', email },
    ...overrides,
  };
}

/** Knox's link body (`POST /msp/v1/managedCustomers/link`) for `customerId`. */
export function knoxLink(customerId: string, overrides: Partial<LinkRequest> = {}): LinkRequest {
  return { customerId, ...sampleSettings(), ...overrides };
}

/** Our API's link request for `customerId`: Knox's link body, which `overrides` may spoil. */
export function linkRequest(customerId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...knoxLink(customerId), ...overrides };
}

/** Our API's create request for `email`; customer fields come from `overrides.customer` and then `customer`. */
export function createRequest(
  email: string,
  overrides: { customer?: Record<string, unknown> } & Record<string, unknown> = {},
  customer: Record<string, unknown> = {},
): Record<string, unknown> {
  const { customer: customerOverrides, ...rest } = overrides;
  return { customer: { ...sampleCompany(email), ...customerOverrides, ...customer }, ...sampleSettings(), ...rest };
}

/** Knox's new-customer body (`POST /msp/v1/managedCustomers`): the company and its settings side by side. */
export function newKnoxCustomer(email: string, overrides: Partial<NewCustomer> = {}): NewCustomer {
  return { ...sampleCompany(email), ...sampleSettings(), ...overrides };
}
