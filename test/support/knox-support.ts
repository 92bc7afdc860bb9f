/**
 * Shared by the Knox suites (schemas, answers, the client on a scripted fetch, the simulator, the liar): the customer
 * Samsung's documentation shows, and the KnoxError a call must fail with.
 */
import { expect } from 'vitest';
import { KnoxError } from '#domain/knox-answer';

/** The KnoxError `promise` rejects with; anything else (a success, another error) fails the test. */
export async function caught(promise: Promise<unknown>): Promise<KnoxError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KnoxError);
    return error as KnoxError;
  }
  throw new Error('expected the call to fail with a KnoxError');
}

/** The customer object as Samsung's documentation shows it (docs/knox-contract.md, "The customer object"). */
export const DOCUMENTED_CUSTOMER = {
  customerId: '1111111111',
  companyName: 'Company ABC',
  companySize: '20-99',
  industry: 'COMMUNICATIONS',
  country: 'US',
  email: 'johnny@john.com',
  officeNumber: '111 111 1111',
  street1: '123 Main Street',
  city: 'Chicago',
  stateOrProvince: 'Illinois',
  zipCode: '60601',
  website: 'www.companyabc.com',
  managementType: 'JointlyManaged',
  status: 'Active',
  managedServices: [{ service: 'KnoxManage', status: 'Active' }],
  optional: { created: '2023-06-01T10:15:00Z', modified: '2023-06-15T14:30:00Z' },
};
