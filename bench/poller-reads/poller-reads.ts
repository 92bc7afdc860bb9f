/**
 * Knox reads per poll round, with the poller's own read planner (lambdas/poller/knox-reads.ts) against a counting
 * Knox of `total` customers: 1, 40 and 1,000 of them waiting. The answer the issue asks for is min(waiting, pages).
 */
import type { KnoxCustomer, KnoxCustomerList } from '#domain/knox-schemas';
import type { KnoxClient } from '#knox/types';
import { LIST_PAGE_SIZE, readCustomers } from '#lambdas/poller/knox-reads';

/** A Knox of `total` Pending customers that counts the calls made to it (one list page = one call). */
function countingKnox(total: number): { client: KnoxClient; calls: () => number } {
  let calls = 0;
  const customer = (i: number): KnoxCustomer =>
    ({
      customerId: String(1_000_000_000 + i),
      companyName: `Customer ${i}`,
      status: 'Pending',
      managedServices: [],
    }) as unknown as KnoxCustomer;
  const page = (pageNum: number, pageSize: number): KnoxCustomerList => {
    calls += 1;
    const from = (pageNum - 1) * pageSize;
    return {
      totalCount: String(total),
      customers: Array.from({ length: Math.max(0, Math.min(pageSize, total - from)) }, (_, k) => customer(from + k)),
    } as KnoxCustomerList;
  };
  const client = {
    tokenRequests: 0,
    async getCustomer(id: string) {
      calls += 1;
      return customer(Number(id) - 1_000_000_000);
    },
    async listCustomers(options: { pageNum?: number; pageSize?: number } = {}) {
      return page(options.pageNum ?? 1, options.pageSize ?? LIST_PAGE_SIZE);
    },
    async *listAllCustomers(pageSize = LIST_PAGE_SIZE) {
      for (let n = 1; (n - 1) * pageSize < total; n++) yield* page(n, pageSize).customers;
    },
  } as unknown as KnoxClient;
  return { client, calls: () => calls };
}

export interface RoundReads {
  waiting: number;
  total: number;
  pages: number;
  calls: number;
  strategy: string;
  /** min(waiting, pages): what the issue holds a round to. */
  target: number;
}

/** One round's Knox calls with `waiting` customers waiting among `total` (the poller knows `total` from last round). */
export async function measureRoundReads(waiting: number, total: number): Promise<RoundReads> {
  const knox = countingKnox(total);
  const ids = Array.from({ length: waiting }, (_, i) => String(1_000_000_000 + Math.floor((i * total) / waiting)));
  const reads = await readCustomers(ids, knox.client, total);
  const pages = Math.ceil(total / LIST_PAGE_SIZE);
  if (reads.views.size !== waiting)
    throw new Error(`the round saw ${reads.views.size} of ${waiting} waiting customers`);
  return { waiting, total, pages, calls: knox.calls(), strategy: reads.strategy, target: Math.min(waiting, pages) };
}
