/**
 * Sample API request bodies, valid per lib/domain/api-schemas.ts: every suite builds its requests from these.
 */

export function linkRequest(customerId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId,
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
    ...overrides,
  };
}

/** A create request for `email`; customer fields come from `overrides.customer` and then `customer`. */
export function createRequest(
  email: string,
  overrides: { customer?: Record<string, unknown> } & Record<string, unknown> = {},
  customer: Record<string, unknown> = {},
): Record<string, unknown> {
  const { customer: customerOverrides, ...rest } = overrides;
  return {
    customer: {
      companyName: 'Acme Ltd',
      companySize: '20-99',
      industry: 'COMMUNICATIONS',
      country: 'US',
      street1: '1 Main St',
      city: 'Chicago',
      contact: { firstName: 'Ada', lastName: 'Lee', email },
      ...customerOverrides,
      ...customer,
    },
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
    ...rest,
  };
}
