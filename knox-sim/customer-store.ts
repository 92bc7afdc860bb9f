/**
 * The simulated Knox customer database: every Knox customer (of any MSP, or of none), plus the Knox-wide facts the
 * rules consult (e-mail addresses registered to Knox accounts, Knox Manage tenant domains in use).
 */
import { randomInt } from 'node:crypto';
import type { SimCustomer, SimCustomerInput } from './model';
import { simCustomerInputSchema } from './model';
import { CREATED_ACCOUNT_SERVICES, SIM_OUR_MSP, SIM_OUR_REGION } from './world';

export class CustomerStore {
  private readonly customers = new Map<string, SimCustomer>();
  /** E-mail addresses of Knox accounts that are not customers in this store (lower case). */
  private readonly registeredEmails = new Set<string>();
  /** Knox Manage tenant domains of organisations that are not customers in this store (lower case). */
  private readonly kmTenants = new Set<string>();

  get(customerId: string): SimCustomer | undefined {
    return this.customers.get(customerId);
  }

  put(customer: SimCustomer): void {
    this.customers.set(customer.customerId, customer);
  }

  /** Every customer, by ascending customerId. */
  all(): SimCustomer[] {
    return [...this.customers.values()].sort((a, b) => a.customerId.localeCompare(b.customerId));
  }

  registerEmail(email: string): void {
    this.registeredEmails.add(email.toLowerCase());
  }

  registerKmTenant(domain: string): void {
    this.kmTenants.add(domain.toLowerCase());
  }

  /** Whether a Knox account already uses this e-mail address (4002106). */
  emailInUse(email: string): boolean {
    const wanted = email.toLowerCase();
    if (this.registeredEmails.has(wanted)) return true;
    return [...this.customers.values()].some((c) => c.email.toLowerCase() === wanted);
  }

  /** Whether a Knox Manage tenant already has this domain (4002110 / 4002121). */
  kmTenantInUse(domain: string): boolean {
    const wanted = domain.toLowerCase();
    if (this.kmTenants.has(wanted)) return true;
    return [...this.customers.values()].some((c) => c.kmTenantDomain?.toLowerCase() === wanted);
  }

  /** A fresh 10-digit customerId. Fixtures use the 1000000000 range, so new ones start at 2000000000. */
  newCustomerId(): string {
    for (;;) {
      const id = String(randomInt(2_000_000_000, 10_000_000_000));
      if (!this.customers.has(id)) return id;
    }
  }

  clear(): void {
    this.customers.clear();
    this.registeredEmails.clear();
    this.kmTenants.clear();
  }
}

export interface BuildOptions {
  customerId: string;
  now: Date;
  /** True for customers added while the simulator runs: scripts and automatic answers act on their open request. */
  awaitingAnswer: boolean;
}

/**
 * A complete customer from a partial description (`POST /_sim/customers` and the fixtures). Defaults: an unmanaged,
 * Samsung-approved account in our region holding every service but SamsungCarePlus; `status` without `ownerMsp`
 * means our MSP; a managed customer is JointlyManaged with FullAccess and KnoxMobileEnrollment.
 */
export function buildCustomer(input: SimCustomerInput, options: BuildOptions): SimCustomer {
  const c = simCustomerInputSchema.parse(input);
  const id = options.customerId;
  const now = options.now.toISOString();
  const ownerMsp = c.ownerMsp !== undefined ? c.ownerMsp : c.status !== undefined ? SIM_OUR_MSP : null;
  const status = ownerMsp === null ? null : (c.status ?? 'Active');
  const managementType = c.managementType ?? 'JointlyManaged';
  const accessType = c.accessType ?? (ownerMsp !== null ? 'FullAccess' : undefined);
  const services =
    c.managedServices ??
    (status === 'Active' || status === 'DelinkRequested' || status === 'Pending' ? ['KnoxMobileEnrollment'] : []);
  const waitingStatus = status === 'Pending' || status === 'DelinkRequested';

  return {
    customerId: id,
    companyName: c.companyName ?? `Simulated Customer ${id}`,
    companySize: c.companySize ?? '20-99',
    industry: c.industry ?? 'COMMUNICATIONS',
    country: c.country ?? 'US',
    email: c.email ?? `admin@customer-${id}.example`,
    ...(c.officeNumber !== undefined ? { officeNumber: c.officeNumber } : {}),
    street1: c.street1 ?? '1 Main St',
    city: c.city ?? 'Chicago',
    ...(c.stateOrProvince !== undefined ? { stateOrProvince: c.stateOrProvince } : {}),
    ...(c.zipCode !== undefined ? { zipCode: c.zipCode } : {}),
    ...(c.website !== undefined ? { website: c.website } : {}),
    region: c.region ?? SIM_OUR_REGION,
    samsungApproved: c.samsungApproved ?? true,
    accountServices: [...(c.accountServices ?? CREATED_ACCOUNT_SERVICES)],
    ...(c.kmTenantDomain !== undefined ? { kmTenantDomain: c.kmTenantDomain.toLowerCase() } : {}),
    ownerMsp,
    status,
    managementType,
    ...(accessType !== undefined ? { accessType } : {}),
    managedServices: services.map((service) => ({ service, status: status === 'Pending' ? 'Pending' : 'Active' })),
    ...(status === 'Pending'
      ? {
          pendingLink: {
            managementType,
            ...(accessType !== undefined ? { accessType } : {}),
            services: services.map((service) => ({ service })),
            requestedAt: now,
          },
        }
      : {}),
    ...(options.awaitingAnswer && waitingStatus ? { waiting: { since: now, gets: 0 } } : {}),
    ...(status === 'DelinkRequested' && c.delinkEndsAfterMs !== undefined
      ? { delinkEndsAt: new Date(options.now.getTime() + c.delinkEndsAfterMs).toISOString() }
      : {}),
    ...(c.script !== undefined ? { script: c.script } : {}),
    created: now,
    modified: now,
  };
}
