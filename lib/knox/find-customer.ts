/**
 * Finding one of our customers by its contact e-mail in Knox's customer list, while that list moves.
 *
 * Why this is needed: a create whose answer was lost is repeated and meets 4002106 EMAIL_ALREADY_IN_USAGE. If a
 * customer of ours has the request's e-mail, our first create went through; if none has it, the person has a Knox
 * account elsewhere (abort). Knox has no search by e-mail: the only way to know is to read the list, whose paging
 * (`pageNum`, `pageSize`, `sortOrder`), page size, sort key and stability are all unknown (docs/knox-contract.md).
 * Other workflows link customers and customers accept delinks while we read it.
 *
 * What can go wrong with offset paging. Page p holds the customers at offsets [(p-1)s, ps) of the list *as it is when
 * page p is read*. A customer that joins the list behind the cursor pushes the rest forward: one customer is read
 * twice (harmless). A customer that leaves from behind the cursor pulls the rest back: the customer that moves from
 * the next page onto the one already read is never read. So a single pass that does not see an e-mail proves
 * nothing. `totalCount` does not help: it may lie, and a departure plus an arrival leaves it unchanged.
 *
 * The algorithm:
 * 1. Both ends first: page 1 ascending, then page 1 descending. A customer we just created is most likely at one
 *    end (sorted by creation date or by id). Any sighting of the e-mail, at any time, is an answer: a customer with
 *    that e-mail is ours.
 * 2. Otherwise full passes, alternating the order, each page read until an empty page (never bounded by `totalCount`
 *    or by the page size asked for: Knox may serve fewer). A pass is incomplete when a non-empty page brings nothing
 *    new (Knox ignores `pageNum`, or the list moved a whole page) or when it exceeds `maxPagesPerPass`.
 * 3. Absent only when two consecutive complete passes saw the same set of customers. Otherwise another pass, up to
 *    `maxPasses`; then the lookup is inconclusive, which the caller must treat as a retry, never as an abort.
 *
 * Why two equal passes prove absence. Assume, for the length of one lookup, that a customer's membership of the list
 * changes at most once (nobody leaves and comes back, or arrives and leaves, within seconds) and that pages are
 * contiguous windows of one order. A pass P misses a customer C present throughout P only if some customer left from
 * behind P's cursor. Take the first such departure, D. Until then the list only moved forward relative to P's
 * cursor (arrivals), and D was in the list since before P began (else it arrived and left), so D was never jumped
 * over: P read D. D then left and, by the assumption, is not in the list during the next pass Q, which therefore
 * sees a different set. Contrapositive: if Q (started after P ended) sees the same set as P, nobody left from behind
 * P's cursor, P missed nobody, and a customer present throughout that P did not see is not ours. The order Knox
 * sorts by does not matter; neither does the page size it serves; `totalCount` is never relied on.
 *
 * A page that fails after its in-place retries ends the lookup as inconclusive (retry), except an `operator` error
 * (a refused token or missing rights), which is thrown: no retry fixes it.
 *
 * Cost in Knox list calls (s customers served per page, N customers, P = ceil(N/s) + 1 pages per pass, the last one
 * empty): a customer at either end, 1 or 2; absent, with a still list, 2 + (P - 1) + P = 2 ceil(N/s) + 3 (page 1
 * ascending doubles as the first pass's page 1); each extra pass after a change, P more. Bounded in all cases by
 * 2 + maxPasses x maxPagesPerPass pages, each asked at most pageAttempts times.
 */
import { KnoxError } from '#domain/knox-answer';
import type { KnoxCustomer, KnoxCustomerList } from '#domain/knox-schemas';
import type { ListCustomersOptions } from './types';

export const FIND_DEFAULTS = {
  /** Asked for; Knox may serve fewer. The contract's documented example asks 50. */
  pageSize: 50,
  /** Full passes at most (the first two may already agree). */
  maxPasses: 3,
  /** 1,000 pages of 50: an MSP of up to 50,000 customers. Beyond, the lookup is inconclusive. */
  maxPagesPerPass: 1_000,
  /** A page that fails transiently is asked again in place, this many times in all. */
  pageAttempts: 4,
  pageRetryMs: 100,
  pageMaxWaitMs: 1_000,
} as const;

export interface FindCustomerOptions {
  pageSize?: number;
  maxPasses?: number;
  maxPagesPerPass?: number;
  pageAttempts?: number;
  /** How the lookup waits between attempts of a failed page (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

/** What the lookup needs of a Knox client: one page of the list. */
export interface CustomerPages {
  listCustomers(options: ListCustomersOptions): Promise<KnoxCustomerList>;
}

export type FindCustomerResult =
  | { kind: 'found'; customer: KnoxCustomer; calls: number }
  /** Two consecutive complete passes agreed and neither had the e-mail. */
  | { kind: 'absent'; calls: number; customers: number }
  /** Pages failed (`cause`: the last page's error) or the list would not hold still: not an answer. */
  | { kind: 'inconclusive'; calls: number; reason: string; cause?: KnoxError };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One page of a listing. Pages are idempotent reads, so a transient failure (`retry` disposition) is asked again in
 * place, a few times, briefly, honouring a Retry-After (bounded); anything else, or the last failure, is thrown.
 */
export async function readPageWithRetry(
  knox: CustomerPages,
  options: ListCustomersOptions,
  settings: { attempts?: number; sleep?: (ms: number) => Promise<void>; onCall?: () => void } = {},
): Promise<KnoxCustomerList> {
  const attempts = settings.attempts ?? FIND_DEFAULTS.pageAttempts;
  const sleep = settings.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      settings.onCall?.();
      return await knox.listCustomers(options);
    } catch (error) {
      if (!(error instanceof KnoxError) || error.disposition !== 'retry' || attempt >= attempts) throw error;
      // Without a Retry-After (Knox may send none, even on a 429), back off as for any retry.
      const asked = (error.retryAfterSeconds ?? 0) * 1000;
      await sleep(Math.min(asked || FIND_DEFAULTS.pageRetryMs * attempt, FIND_DEFAULTS.pageMaxWaitMs));
    }
  }
}

type Order = NonNullable<ListCustomersOptions['sortOrder']>;

class Found {
  constructor(readonly customer: KnoxCustomer) {}
}

class Lookup {
  calls = 0;
  private readonly pageSize: number;

  constructor(
    private readonly knox: CustomerPages,
    private readonly email: string,
    private readonly options: FindCustomerOptions,
  ) {
    this.pageSize = Math.max(1, Math.floor(options.pageSize ?? FIND_DEFAULTS.pageSize));
  }

  /** A page; throws Found when the e-mail is on it. */
  async page(pageNum: number, sortOrder: Order): Promise<KnoxCustomer[]> {
    const page = await readPageWithRetry(
      this.knox,
      { pageNum, pageSize: this.pageSize, sortOrder },
      {
        attempts: this.options.pageAttempts ?? FIND_DEFAULTS.pageAttempts,
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
        onCall: () => {
          this.calls += 1;
        },
      },
    );
    const match = page.customers.find((c) => c.email?.toLowerCase() === this.email);
    if (match) throw new Found(match);
    return page.customers;
  }

  /** One pass in `order`; `first` is its page 1 when already read. The ids it saw, or why it is incomplete. */
  async pass(order: Order, first?: KnoxCustomer[]): Promise<{ ids: Set<string> } | { incomplete: string }> {
    const ids = new Set<string>();
    const maxPages = this.options.maxPagesPerPass ?? FIND_DEFAULTS.maxPagesPerPass;
    for (let pageNum = 1; pageNum <= maxPages; pageNum += 1) {
      const customers = pageNum === 1 && first ? first : await this.page(pageNum, order);
      if (customers.length === 0) return { ids };
      const before = ids.size;
      for (const c of customers) ids.add(c.customerId);
      if (ids.size === before) return { incomplete: `page ${pageNum} (${order}) brought no customer not already read` };
    }
    return { incomplete: `the list did not end within ${maxPages} pages` };
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((id) => b.has(id));
}

/** Our customer whose contact e-mail is `email` (case-insensitive), its certain absence, or neither. */
export async function findCustomerByEmail(
  knox: CustomerPages,
  email: string,
  options: FindCustomerOptions = {},
): Promise<FindCustomerResult> {
  const lookup = new Lookup(knox, email.toLowerCase(), options);
  const inconclusive = (reason: string): FindCustomerResult => ({ kind: 'inconclusive', calls: lookup.calls, reason });
  try {
    const firstAscending = await lookup.page(1, 'ascending');
    await lookup.page(1, 'descending');
    const maxPasses = Math.max(2, options.maxPasses ?? FIND_DEFAULTS.maxPasses);
    let previous: Set<string> | undefined;
    let lastReason = 'the list changed between passes';
    for (let pass = 1; pass <= maxPasses; pass += 1) {
      const order: Order = pass % 2 === 1 ? 'ascending' : 'descending';
      const result = await lookup.pass(order, pass === 1 ? firstAscending : undefined);
      if ('incomplete' in result) {
        previous = undefined;
        lastReason = result.incomplete;
        continue;
      }
      if (previous && sameSet(previous, result.ids)) {
        return { kind: 'absent', calls: lookup.calls, customers: result.ids.size };
      }
      if (previous) lastReason = 'the list changed between two passes';
      previous = result.ids;
    }
    return inconclusive(`no two consecutive complete passes agreed within ${maxPasses} passes (${lastReason})`);
  } catch (error) {
    if (error instanceof Found) return { kind: 'found', customer: error.customer, calls: lookup.calls };
    if (error instanceof KnoxError && error.disposition !== 'operator') {
      const reason = `a page of the list could not be read: ${error.code} (${error.errorCode})`;
      return { kind: 'inconclusive', calls: lookup.calls, reason, cause: error };
    }
    throw error;
  }
}
