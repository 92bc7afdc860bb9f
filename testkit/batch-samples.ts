/**
 * Sample batches for demos, tests and the bench: links of customers added to the built-in simulator (unmanaged,
 * approved, our region: a link succeeds once the customer approves) and creates with fresh e-mails and domains.
 */
import { randomBytes } from 'node:crypto';
import type { KnoxSimControl } from '#knox-sim/control';

export function linkItem(customerId: string): Record<string, unknown> {
  return {
    customerId,
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
  };
}

/** A create of a company new to the simulator: `tag` makes its contact e-mail (the customer key) and domain new. */
export function createItem(tag: string, madeBy = 'Batch'): Record<string, unknown> {
  return {
    customer: {
      companyName: `${madeBy} ${tag} Ltd`,
      companySize: '20-99',
      industry: 'COMMUNICATIONS',
      country: 'US',
      street1: '1 Main St',
      city: 'Chicago',
      contact: { firstName: 'Ada', lastName: 'Lee', email: `it.${tag}@${madeBy.toLowerCase()}-${tag}.example` },
    },
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
  };
}

/** `links` new simulator customers to link and `creates` new companies, interleaved (link, create, link, ...). */
export async function sampleItems(
  control: KnoxSimControl,
  counts: { links: number; creates: number },
  tag = randomBytes(4).toString('hex'),
): Promise<Record<string, unknown>[]> {
  const linkIds: string[] = [];
  for (let i = 0; i < counts.links; i++) {
    const customer = await control.addCustomer({
      companyName: `Linked ${tag} ${i}`,
      email: `admin.${tag}.${i}@linked-${tag}.example`,
    });
    linkIds.push(customer.customerId);
  }
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < Math.max(counts.links, counts.creates); i++) {
    if (i < counts.links) items.push(linkItem(linkIds[i]!));
    if (i < counts.creates) items.push(createItem(`${tag}${i}`));
  }
  return items;
}
