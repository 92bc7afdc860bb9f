/**
 * From a record's stored request to the Knox bodies: the API keeps managementType, accessType and services beside
 * `customer`; Knox wants them at the top level of NewCustomer. Steps read the request from the record (never from the
 * execution input, which carries no personal data).
 */
import {
  changeRequestSchema,
  onboardingRequestSchema,
  type ChangeRequest,
  type OnboardingRequest,
} from '#domain/api-schemas';
import type { KnoxCustomer, LinkRequest, NewCustomer, ServiceRequest, UpdateRequest } from '#domain/knox-schemas';
import type * as z from 'zod';
import { INVALID_RECORD_ERROR, namedError } from './errors';
import type { WorkflowRecord } from '../store';

function parseStored<S extends z.ZodType>(record: WorkflowRecord, schema: S): z.infer<S> {
  const parsed = schema.safeParse(record.request);
  if (parsed.success) return parsed.data;
  const paths = parsed.error.issues.map((i) => i.path.join('.') || '(request)').join(', ');
  throw namedError(INVALID_RECORD_ERROR, `The stored request of ${record.pk} no longer validates (${paths})`);
}

export function onboardingRequestOf(record: WorkflowRecord): OnboardingRequest {
  return parseStored(record, onboardingRequestSchema);
}

export function changeRequestOf(record: WorkflowRecord): ChangeRequest {
  return parseStored(record, changeRequestSchema);
}

/** The Knox customer a record is about (set from the request, or by the create step). */
export function customerIdOf(record: WorkflowRecord): string {
  if (record.customerId === undefined) {
    throw namedError(INVALID_RECORD_ERROR, `Record ${record.pk} has no Knox customerId yet`);
  }
  return record.customerId;
}

function withAccessType<T extends object>(body: T, accessType: string | undefined): T {
  return accessType === undefined ? body : { ...body, accessType };
}

export function linkBody(request: OnboardingRequest): LinkRequest {
  if (!('customerId' in request))
    throw namedError(INVALID_RECORD_ERROR, 'A link needs an onboarding request with customerId');
  return withAccessType(
    { customerId: request.customerId, managementType: request.managementType, services: request.services },
    request.accessType,
  );
}

export function newCustomerBody(request: OnboardingRequest): NewCustomer {
  if (!('customer' in request))
    throw namedError(INVALID_RECORD_ERROR, 'A create needs an onboarding request with customer');
  return withAccessType(
    {
      ...request.customer,
      managementType: request.managementType,
      services: request.services,
      ...(request.kgTenantInfo !== undefined ? { kgTenantInfo: request.kgTenantInfo } : {}),
    },
    request.accessType,
  );
}

/** The change record's own update: only the fields the operator sent. */
export function changeBody(request: ChangeRequest): UpdateRequest {
  return {
    ...(request.managementType !== undefined ? { managementType: request.managementType } : {}),
    ...(request.accessType !== undefined ? { accessType: request.accessType } : {}),
    ...(request.services !== undefined ? { services: request.services } : {}),
    ...(request.kgTenantInfo !== undefined ? { kgTenantInfo: request.kgTenantInfo } : {}),
  };
}

/** Requested services that the customer does not have Active. */
export function missingServices(customer: KnoxCustomer, requested: ServiceRequest[]): ServiceRequest[] {
  const active = new Set(customer.managedServices.filter((s) => s.status === 'Active').map((s) => s.service));
  return requested.filter((s) => !active.has(s.service));
}

/** An onboarding's "Change customer": the services the customer lacks, with the access type; undefined if none. */
export function completionBody(request: OnboardingRequest, customer: KnoxCustomer): UpdateRequest | undefined {
  const services = missingServices(customer, request.services);
  if (services.length === 0) return undefined;
  return withAccessType({ services }, request.accessType);
}
