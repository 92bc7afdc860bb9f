/**
 * The customer lookup across invocations (lib/knox/find-customer.ts, `shouldPause` and `resume`), against the
 * simulator over HTTP: a lookup stopped every few pages, its cursor through JSON (as the create step stores it) and
 * resumed, asks exactly the pages the uninterrupted lookup asks and reaches the same answer, in a still list, in a
 * list that moves between two of its invocations, and after a page that failed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { HttpKnoxClient } from '#knox/client';
import { type FindCustomerResult, type LookupCursor, findCustomerByEmail } from '#knox/find-customer';
import { PAGE, fast, numberedCustomers } from './support/find-customer-support';
import { useKnoxSimulator } from './support/sim-harness';

const sim = useKnoxSimulator({ reset: { fixtures: false } });
let knox: HttpKnoxClient;
beforeEach(() => {
  knox = sim.client();
});

const { idOf, emailOf } = numberedCustomers(1_400_000_000, 'resume.example');

async function ours(count: number): Promise<void> {
  await sim.control.bulkSeed({ count, idStart: 1_400_000_000, namePrefix: 'Company', emailDomain: 'resume.example' });
}

/** The lookup in invocations of at most `pagesEach` pages; the cursor goes through JSON between them. */
async function inSlices(email: string, pagesEach: number) {
  let resume: LookupCursor | undefined;
  for (let invocation = 1; invocation <= 500; invocation += 1) {
    let asked = 0;
    const result: FindCustomerResult = await findCustomerByEmail(knox, email, {
      ...fast,
      ...(resume ? { resume } : {}),
      shouldPause: () => {
        asked += 1;
        return asked > pagesEach;
      },
    });
    if (result.kind !== 'paused') return { result, invocations: invocation };
    expect(JSON.stringify(result.cursor).length).toBeLessThan(4096);
    resume = JSON.parse(JSON.stringify(result.cursor)) as LookupCursor;
  }
  throw new Error('the lookup never ended');
}

describe('a lookup in slices asks the same pages and gives the same answer', () => {
  it.each([1, 2, 7])('absent in a still list, %i page(s) an invocation', async (pagesEach) => {
    await ours(23);
    const whole = await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast);
    const sliced = await inSlices('nobody@elsewhere.example', pagesEach);
    expect(whole).toEqual({ kind: 'absent', calls: 2 * Math.ceil(23 / PAGE) + 3, customers: 23 });
    expect(sliced.result).toEqual(whole);
    expect(sliced.invocations).toBe(Math.ceil(whole.calls / pagesEach));
  });

  it('found in the middle of pass 1, 3 pages an invocation', async () => {
    await ours(23);
    const sliced = await inSlices(emailOf(13), 3);
    expect(sliced.result).toMatchObject({ kind: 'found', customer: { customerId: idOf(13) }, calls: 4 });
    expect(sliced.invocations).toBe(2);
  });

  it('a departure and an arrival between two invocations: the passes disagree, a third one confirms absence', async () => {
    await ours(23);
    // After the lookup's 4th page (the first invocation's last): one customer leaves and one arrives.
    await sim.control.listChange({
      afterListPages: 4,
      remove: [idOf(1)],
      add: [{ customerId: idOf(99), email: emailOf(99), companyName: 'Company 000099' }],
    });
    const sliced = await inSlices('nobody@elsewhere.example', 4);
    const pass = Math.ceil(23 / PAGE) + 1;
    expect(sliced.result).toEqual({ kind: 'absent', calls: 2 + (pass - 1) + pass + pass, customers: 23 });
  });

  it('a removal before the cursor between two invocations moves our customer back: still found', async () => {
    await ours(23);
    // Pages read: 1 asc (customers 0..4), 1 desc, 2 asc (5..9); then customer 1 leaves and 10 moves onto page 2,
    // which pass 1 has read: pass 2 finds it.
    await sim.control.listChange({ afterListPages: 3, remove: [idOf(1)] });
    const sliced = await inSlices(emailOf(10), 3);
    expect(sliced.result).toMatchObject({ kind: 'found', customer: { customerId: idOf(10) } });
  });
});

describe('a page that fails', () => {
  it('stops with the cursor at that page; resumed, the lookup asks it again and goes on', async () => {
    await ours(23);
    await sim.control.fault({ match: { method: 'GET', path: 'pageNum=3' }, fault: { type: 'error500' }, count: 4 });
    const failed = await findCustomerByEmail(knox, 'nobody@elsewhere.example', fast);
    expect(failed).toMatchObject({ kind: 'inconclusive', cursor: { pass: 1, pageNum: 3 } });
    if (failed.kind !== 'inconclusive' || !failed.cursor) throw new Error('no cursor');
    const resumed = await findCustomerByEmail(knox, 'nobody@elsewhere.example', { ...fast, resume: failed.cursor });
    expect(resumed).toEqual({ kind: 'absent', calls: 2 * Math.ceil(23 / PAGE) + 3 + 4, customers: 23 });
  });

  it('no time left for another attempt: the failure is not asked again in place', async () => {
    await ours(23);
    await sim.control.fault({ match: { method: 'GET', path: 'pageNum=3' }, fault: { type: 'error500' }, count: 1 });
    let pages = 0;
    const result = await findCustomerByEmail(knox, 'nobody@elsewhere.example', {
      ...fast,
      // Time is up right after page 3's first attempt.
      shouldPause: () => {
        pages += 1;
        return pages > 4;
      },
    });
    expect(result).toMatchObject({ kind: 'inconclusive', calls: 4, cursor: { pass: 1, pageNum: 3 } });
  });
});
