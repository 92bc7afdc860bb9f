/**
 * One round's questions to Knox about every waiting customer, with the fewest calls: a GET per customer when few
 * wait, the list's pages when that is cheaper (calls per round = min(waiting, pages)). The list is only a fast path:
 * Knox's list moves while we page through it (a customer that accepts a delink leaves it), so a waiting customer the
 * listing did not show is asked for by GET, which also proves an accepted delink (4002113).
 *
 * Every call goes through the Knox client of lambdas/steps/knox.ts, so it draws from the one Knox budget.
 */
import { KnoxError } from '#domain/knox-answer';
import type { KnoxCustomer } from '#domain/knox-schemas';
import type { KnoxClient } from '#knox/types';
import { readFailureOf, type CustomerView } from './answer-table';

/** Customers per list page the poller asks for (Knox may serve fewer; the count of pages follows what it lists). */
export const LIST_PAGE_SIZE = 100;
/** GETs in flight at once (the client's rate limit paces them further). */
const GET_CONCURRENCY = 4;

export type ReadStrategy = 'none' | 'get' | 'list';

/** GET each or list, from how many wait and how many customers Knox listed last time (unknown: list once to learn). */
export function planReads(
  waiting: number,
  knownCustomers: number | undefined,
  pageSize = LIST_PAGE_SIZE,
): { strategy: ReadStrategy; pages?: number } {
  if (waiting === 0) return { strategy: 'none' };
  if (knownCustomers === undefined) return { strategy: waiting <= 1 ? 'get' : 'list' };
  const pages = Math.max(1, Math.ceil(knownCustomers / pageSize));
  return { strategy: waiting <= pages ? 'get' : 'list', pages };
}

export interface KnoxReads {
  strategy: ReadStrategy;
  /** What Knox says about each customer it answered for. */
  views: Map<string, CustomerView>;
  /** Customers Knox answered for with an error no wait changes (not found, ...): refused. */
  refusals: Map<string, KnoxError>;
  /** Customers whose read failed transiently: asked again next round. */
  unread: Map<string, KnoxError>;
  /** Knox calls made: GETs plus list pages (pages counted from what the listing returned). */
  calls: number;
  /** Customers the listing returned, when the round listed. */
  listed?: number;
}

/** Asks Knox about `customerIds`. A failed listing or an operator error throws: the round fails and changes nothing. */
export async function readCustomers(
  customerIds: readonly string[],
  knox: KnoxClient,
  knownCustomers: number | undefined,
  pageSize = LIST_PAGE_SIZE,
): Promise<KnoxReads> {
  const wanted = new Set(customerIds);
  const reads: KnoxReads = {
    strategy: planReads(wanted.size, knownCustomers, pageSize).strategy,
    views: new Map(),
    refusals: new Map(),
    unread: new Map(),
    calls: 0,
  };
  let toGet = [...wanted];
  if (reads.strategy === 'list') {
    let listed = 0;
    for await (const customer of knox.listAllCustomers(pageSize)) {
      listed += 1;
      if (wanted.has(customer.customerId)) reads.views.set(customer.customerId, { customer });
    }
    reads.listed = listed;
    reads.calls += Math.max(1, Math.ceil(listed / pageSize));
    toGet = toGet.filter((id) => !reads.views.has(id));
  }
  const queue = [...toGet];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      reads.calls += 1;
      await getOne(knox, id, reads);
    }
  };
  await Promise.all(Array.from({ length: Math.min(GET_CONCURRENCY, queue.length) }, worker));
  return reads;
}

async function getOne(knox: KnoxClient, customerId: string, reads: KnoxReads): Promise<void> {
  let customer: KnoxCustomer;
  try {
    customer = await knox.getCustomer(customerId);
  } catch (error) {
    if (!(error instanceof KnoxError)) throw error;
    const failure = readFailureOf(error);
    if (failure === 'notManaged') reads.views.set(customerId, { notManaged: true });
    else if (failure === 'unread') reads.unread.set(customerId, error);
    // Our own set-up is wrong (credentials, an unknown code): the round fails and alarms; the waits stay as they are.
    else if (failure === 'roundFails') throw error;
    else reads.refusals.set(customerId, error);
    return;
  }
  reads.views.set(customerId, { customer });
}
