/**
 * Sample batches for demos, tests and the bench: links of customers added to the built-in simulator (unmanaged,
 * approved, our region: a link succeeds once the customer approves) and creates with fresh e-mails and domains.
 */
import { randomBytes } from 'node:crypto';
import type { BatchClient } from '#cli/batch-client';
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

/**
 * A batch of `count` links whose customers do not answer (the simulator leaves every link Pending), followed until
 * every item waits on its customer: the batch's id and its items.
 */
export async function waitingLinksBatch(
  control: KnoxSimControl,
  client: BatchClient,
  count: number,
  follow: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<{ batchId: string; items: Record<string, unknown>[] }> {
  await control.auto({});
  const items = await sampleItems(control, { links: count, creates: 0 });
  const answer = await client.submit({ json: { items } });
  if (answer.status !== 202) throw new Error(`the batch was refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  const batchId = (answer.body as { batchId: string }).batchId;
  await client.follow(batchId, {
    intervalMs: follow.intervalMs ?? 50,
    timeoutMs: follow.timeoutMs ?? 120_000,
    done: (b) => b.status === 'RUNNING' && b.counts.WAITING === count,
  });
  return { batchId, items };
}
