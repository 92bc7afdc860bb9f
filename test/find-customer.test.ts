/**
 * Finding our customer by e-mail under a moving Knox (lib/knox/find-customer.ts), against the simulator over HTTP
 * with the real client. Every race is forced by a switch (`POST /_sim/list-changes` arms a change between two pages of
 * one listing; `POST /_sim/paging` caps the page size, picks the sort key, answers 206, makes totalCount lie), so each
 * case fails every time the algorithm is wrong, not by chance. A naive single pass is run in the same set-ups to prove
 * that the set-up really hides the customer from it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { LIST_SORT_KEYS, type SimCustomerInput } from '#knox-sim/model';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/server';
import type { HttpKnoxClient } from '#knox/client';
import { FIND_DEFAULTS, findCustomerByEmail } from '#knox/find-customer';
import { newKnoxCustomer } from '#testkit/samples';
import { PAGE, fast, numberedCustomers } from './support/find-customer-support';
import { useKnoxSimulator } from './support/sim-harness';

const sim = useKnoxSimulator({ reset: { fixtures: false } });
let knox: HttpKnoxClient;
beforeEach(() => {
  knox = sim.client();
});

const { idOf, emailOf } = numberedCustomers(1_300_000_000, 'find.example');

/** Our customers 1..count, ids and names in the same order unless `name` says otherwise. */
async function ours(
  count: number,
  name: (n: number) => string = (n) => `Company ${String(n).padStart(4, '0')}`,
): Promise<void> {
  for (let n = 1; n <= count; n += 1) {
    await sim.control.addCustomer({ customerId: idOf(n), email: emailOf(n), companyName: name(n), status: 'Active' });
  }
}

/** What a single ascending pass bounded by the page size asked for sees (the old listAllCustomers's way). */
async function naivePass(pageSize = PAGE): Promise<string[]> {
  const seen: string[] = [];
  for await (const c of knox.listAllCustomers(pageSize)) seen.push(c.email ?? '');
  return seen;
}

async function listCalls(): Promise<number> {
  return (await sim.control.requests()).filter(
    (r) => r.method === 'GET' && r.path.startsWith('/msp/v1/managedCustomers?'),
  ).length;
}

describe('the likely path is cheap', () => {
  it('a customer we just created (newest id, last ascending) is found on page 1 descending: 2 list calls', async () => {
    await ours(23);
    const created = await knox.createCustomer(
      newKnoxCustomer('ada@just-created.example', { companyName: 'Just Created' }),
    );
    await sim.control.clearRequests();
    const result = await findCustomerByEmail(knox, 'ADA@just-created.example', fast);
    expect(result).toMatchObject({ kind: 'found', customer: { customerId: created.customerId }, calls: 2 });
    expect(await listCalls()).toBe(2);
  });

  it('a customer on page 1 ascending is found with 1 list call', async () => {
    await ours(23);
    expect(await findCustomerByEmail(knox, emailOf(2), fast)).toMatchObject({ kind: 'found', calls: 1 });
  });

  it('absence in a still list costs 2 ceil(N/s) + 3 list calls and says absent', async () => {
    await ours(23);
    const result = await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast);
    expect(result).toEqual({ kind: 'absent', calls: 2 * Math.ceil(23 / PAGE) + 3, customers: 23 });
  });

  it('an empty list: absent after 3 calls', async () => {
    expect(await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast)).toEqual({
      kind: 'absent',
      calls: 3,
      customers: 0,
    });
  });
});

describe('a list that moves while it is paged', () => {
  it('a removal before the cursor moves our customer onto a page already read: a single pass misses it, the lookup finds it', async () => {
    await ours(23);
    const target = emailOf(PAGE + 1); // first of page 2 ascending, in the middle descending
    // The naive pass: after page 1, customer 1 leaves; customer 6 moves onto page 1, page 2 starts at customer 7.
    await sim.control.listChange({ afterListPages: 1, remove: [idOf(1)] });
    expect(await naivePass()).not.toContain(target);

    await sim.control.reset({ fixtures: false });
    await ours(23);
    // The lookup reads page 1 ascending and page 1 descending first; the removal lands before pass 1's page 2.
    await sim.control.listChange({ afterListPages: 2, remove: [idOf(1)] });
    expect(await findCustomerByEmail(knox, target, fast)).toMatchObject({
      kind: 'found',
      customer: { customerId: idOf(PAGE + 1) },
    });
  });

  it('removals before the cursor in every pass, our customer absent: never "absent" while the passes disagree', async () => {
    await ours(23);
    // One customer leaves during each of the three passes (pages 3, 10 and 17 of the lookup).
    for (const [after, n] of [
      [3, 1],
      [10, 2],
      [17, 3],
    ] as const)
      await sim.control.listChange({ afterListPages: after, remove: [idOf(n)] });
    const result = await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast);
    expect(result.kind).toBe('inconclusive');
    expect(result.calls).toBeLessThanOrEqual(2 + FIND_DEFAULTS.maxPasses * (Math.ceil(23 / PAGE) + 1));
  });

  it('a departure plus an arrival (totalCount unchanged) during pass 1 is noticed: a third pass confirms absence', async () => {
    await ours(23);
    const arrival: SimCustomerInput = { customerId: idOf(99), email: emailOf(99), companyName: 'Company 0099' };
    await sim.control.listChange({ afterListPages: 3, remove: [idOf(1)], add: [arrival] });
    const result = await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast);
    const pass = Math.ceil(23 / PAGE) + 1;
    expect(result).toEqual({ kind: 'absent', calls: 2 + (pass - 1) + pass + pass, customers: 23 });
  });

  it('a customer that joins anywhere while it is read is found or the lookup goes on; ours is found', async () => {
    await ours(23);
    await sim.control.listChange({
      afterListPages: 3,
      add: [{ customerId: idOf(0), email: emailOf(0), companyName: 'Company 0000' }],
    });
    expect(await findCustomerByEmail(knox, emailOf(12), fast)).toMatchObject({
      kind: 'found',
      customer: { customerId: idOf(12) },
    });
  });
});

describe('whatever Knox does with paging', () => {
  it('Knox serves fewer than asked: found and absent all the same (and listAllCustomers now counts served pages)', async () => {
    await ours(23);
    await sim.control.paging({ maxPageSize: 3 });
    // Bounded by totalCount / the page size asked (23 / 10: 3 pages of 3), listAllCustomers used to stop at customer 9.
    expect(await naivePass(10)).toHaveLength(23);
    const result = await findCustomerByEmail(knox, emailOf(20), { ...fast, pageSize: 10 });
    expect(result).toMatchObject({ kind: 'found', customer: { customerId: idOf(20) } });
    const absent = await findCustomerByEmail(knox, 'nobody@elsewhere.example', { ...fast, pageSize: 10 });
    expect(absent).toEqual({ kind: 'absent', calls: 2 * Math.ceil(23 / 3) + 3, customers: 23 });
  });

  it.each(LIST_SORT_KEYS)(
    'sorted by %s, with a removal before the cursor: found; absent stays absent',
    async (sortBy) => {
      // Names in the reverse order of ids, so that each key gives another order.
      await ours(23, (n) => `Company ${String(100 - n).padStart(4, '0')}`);
      await sim.control.paging({ sortBy });
      const page = (await knox.listCustomers({ pageNum: 2, pageSize: PAGE })).customers;
      const target = page[0]!;
      const first = (await knox.listCustomers({ pageNum: 1, pageSize: PAGE })).customers[0]!;
      await sim.control.listChange({ afterListPages: 2, remove: [first.customerId] });
      expect(await findCustomerByEmail(knox, target.email!, fast)).toMatchObject({
        kind: 'found',
        customer: { customerId: target.customerId },
      });
      expect((await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast)).kind).toBe('absent');
    },
  );

  it.each([-20, 1000, -23])('a totalCount that lies by %i changes nothing', async (totalCountDelta) => {
    await ours(23);
    await sim.control.paging({ totalCountDelta });
    expect(await findCustomerByEmail(knox, emailOf(17), fast)).toMatchObject({
      kind: 'found',
      customer: { customerId: idOf(17) },
    });
    expect(await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast)).toMatchObject({
      kind: 'absent',
      customers: 23,
    });
  });

  it('206 Partial Content pages are pages', async () => {
    await ours(12);
    await sim.control.paging({ partialContent: true });
    expect((await sim.control.requests()).length).toBe(0);
    expect(await findCustomerByEmail(knox, emailOf(8), fast)).toMatchObject({ kind: 'found' });
    expect((await sim.control.requests()).some((r) => r.status === 206)).toBe(true);
  });

  it('a Knox that ignores pageNum cannot keep the lookup: inconclusive after a bounded number of calls', async () => {
    await ours(12);
    await sim.control.paging({ maxPageSize: 1000 });
    // With every page the same (pageNum 1 served whatever is asked), page 2 brings nothing new.
    const stuck = { listCustomers: () => knox.listCustomers({ pageNum: 1, pageSize: PAGE }) };
    const result = await findCustomerByEmail(stuck, 'nobody@elsewhere.example', fast);
    expect(result).toMatchObject({ kind: 'inconclusive' });
    expect(result.calls).toBeLessThanOrEqual(2 + FIND_DEFAULTS.maxPasses * 2);
  });
});

describe('a lookup that cannot finish is not an answer', () => {
  it('pages that keep failing: inconclusive (the caller retries), never absent', async () => {
    await ours(12);
    await sim.control.fault({ match: { method: 'GET', path: 'pageNum=2' }, fault: { type: 'error500' }, count: 100 });
    const result = await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast);
    expect(result).toMatchObject({ kind: 'inconclusive', reason: expect.stringContaining('FAILURE') });
  });

  it('a 429 without Retry-After on a page is asked again in place after a backoff', async () => {
    await ours(12);
    const waits: number[] = [];
    await sim.control.fault({
      match: { method: 'GET', path: 'pageNum=2' },
      fault: { type: 'status429', retryAfterSeconds: null },
    });
    // Customer 6 is on page 2 ascending only (page 1 descending holds 12..8).
    const result = await findCustomerByEmail(knox, emailOf(6), { ...fast, sleep: async (ms) => void waits.push(ms) });
    expect(result).toMatchObject({ kind: 'found' });
    expect(waits).toEqual([FIND_DEFAULTS.pageRetryMs]);
  });

  it('a refusal no retry fixes (the MSP lost its rights) is thrown, not turned into an answer', async () => {
    await ours(3);
    await sim.control.setClientAuthorized(SIM_DEFAULT_CREDENTIALS.clientId, false);
    await expect(findCustomerByEmail(knox, 'nobody@elsewhere.example', fast)).rejects.toMatchObject({
      code: 'AUTHORIZATION_FAIL',
    });
  });
});
