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
 * Across invocations. A big MSP's list does not fit one Lambda invocation (10,000 customers at 50 a page and 250 ms a
 * page: 50 s a pass). The lookup's whole state is a small cursor (`LookupCursor`, JSON, under 4 KB): where it is
 * (ends read, pass, next page), and per pass the count and an order-independent 64-bit hash sum of the customer ids
 * read, instead of the set itself (50,000 ids would not fit a DynamoDB item). `shouldPause` is asked before every
 * page; when it says so the lookup answers `paused` with the cursor, and a later call with `resume` goes on exactly
 * there. Two passes agree when their counts and sums are equal: a multiset, so a customer read twice (an arrival
 * behind the cursor) makes that pass differ from the next, which only costs another pass (and such an arrival makes
 * the sets differ anyway). A pass is incomplete when a page repeats the page before it (Knox ignores `pageNum`, or
 * the list moved a whole page forward). The proof above holds unchanged; only a 2^-64 hash coincidence could fake an
 * agreement.
 *
 * Cost in Knox list calls (s customers served per page, N customers, P = ceil(N/s) + 1 pages per pass, the last one
 * empty): a customer at either end, 1 or 2; absent, with a still list, 2 + (P - 1) + P = 2 ceil(N/s) + 3 (page 1
 * ascending doubles as the first pass's page 1); each extra pass after a change, P more. Bounded in all cases by
 * 2 + maxPasses x maxPagesPerPass pages, each asked at most pageAttempts times.
 */
import { createHash } from 'node:crypto';
import { KnoxError } from '#domain/knox-answer';
import type { KnoxCustomer, KnoxCustomerList } from '#domain/knox-schemas';
import type { ListCustomersOptions } from './types';

export const FIND_DEFAULTS = {
  /** Asked for; Knox may serve fewer. The contract's documented example asks 50. */
  pageSize: 50,
  /** Full passes at most (the first two may already agree). */
  maxPasses: 3,
  /**
   * 1,200 pages of 50: an MSP of up to 59,999 customers (a pass ends on an empty page: 50,000 customers take 1,001
   * pages). Beyond, the lookup is inconclusive.
   */
  maxPagesPerPass: 1_200,
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
  /** Go on from where an earlier call paused (or stopped on a page that failed). */
  resume?: LookupCursor;
  /** Asked before every page and every retry of one: true stops the lookup with `paused` (its time is up). */
  shouldPause?: () => boolean;
}

/** What the lookup needs of a Knox client: one page of the list. */
export interface CustomerPages {
  listCustomers(options: ListCustomersOptions): Promise<KnoxCustomerList>;
}

export type FindCustomerResult =
  | { kind: 'found'; customer: KnoxCustomer; calls: number }
  /** Two consecutive complete passes agreed and neither had the e-mail. */
  | { kind: 'absent'; calls: number; customers: number }
  /** Pages failed (`cause`: the last page's error; `cursor`: where to go on) or the list would not hold still. */
  | { kind: 'inconclusive'; calls: number; reason: string; cause?: KnoxError; cursor?: LookupCursor }
  /** `shouldPause` said stop: go on later with `resume: cursor`. */
  | { kind: 'paused'; calls: number; cursor: LookupCursor };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One page of a listing. Pages are idempotent reads, so a transient failure (`retry` disposition) is asked again in
 * place, a few times, briefly, honouring a Retry-After (bounded); anything else, or the last failure, is thrown.
 */
export async function readPageWithRetry(
  knox: CustomerPages,
  options: ListCustomersOptions,
  settings: {
    attempts?: number;
    sleep?: (ms: number) => Promise<void>;
    onCall?: () => void;
    /** False: the last failure is thrown instead of asking again (no time left for another attempt). */
    canRetry?: () => boolean;
  } = {},
): Promise<KnoxCustomerList> {
  const attempts = settings.attempts ?? FIND_DEFAULTS.pageAttempts;
  const sleep = settings.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      settings.onCall?.();
      return await knox.listCustomers(options);
    } catch (error) {
      if (!(error instanceof KnoxError) || error.disposition !== 'retry' || attempt >= attempts) throw error;
      if (settings.canRetry && !settings.canRetry()) throw error;
      // Without a Retry-After (Knox may send none, even on a 429), back off as for any retry.
      const asked = (error.retryAfterSeconds ?? 0) * 1000;
      await sleep(Math.min(asked || FIND_DEFAULTS.pageRetryMs * attempt, FIND_DEFAULTS.pageMaxWaitMs));
    }
  }
}

type Order = NonNullable<ListCustomersOptions['sortOrder']>;

/** A pass's customers as a multiset: how many were read and the sum (mod 2^64, hex) of their ids' hashes. */
export interface PassDigest {
  count: number;
  sum: string;
}

/** Where a lookup stands: everything it needs to go on in another invocation (JSON, a few KB at most). */
export interface LookupCursor {
  /** Pages of the two ends read (0, 1 or 2: page 1 ascending, page 1 descending). */
  ends: number;
  /** The current full pass (1-based) and the next page of it to read. */
  pass: number;
  pageNum: number;
  /** The current pass so far. */
  current: PassDigest;
  /** The ids of the page read last in this pass (a page that repeats it is no progress). */
  lastPage: string[];
  /** The last complete pass, when the pass before this one was complete. */
  previous?: PassDigest;
  lastReason: string;
  /** List calls so far, over every invocation. */
  calls: number;
}

const EMPTY: PassDigest = { count: 0, sum: '0' };
const MASK = (1n << 64n) - 1n;

function idHash(id: string): bigint {
  return createHash('sha256').update(id).digest().readBigUInt64BE(0);
}

function addToDigest(digest: PassDigest, ids: string[]): PassDigest {
  let sum = BigInt(`0x${digest.sum}`);
  for (const id of ids) sum = (sum + idHash(id)) & MASK;
  return { count: digest.count + ids.length, sum: sum.toString(16) };
}

const sameDigest = (a: PassDigest, b: PassDigest) => a.count === b.count && a.sum === b.sum;
const samePage = (a: string[], b: string[]) => a.length === b.length && a.every((id, i) => b[i] === id);

export function newLookupCursor(): LookupCursor {
  return {
    ends: 0,
    pass: 1,
    pageNum: 1,
    current: EMPTY,
    lastPage: [],
    lastReason: 'the list changed between passes',
    calls: 0,
  };
}

class Found {
  constructor(readonly customer: KnoxCustomer) {}
}

class Pause {}

/** Our customer whose contact e-mail is `email` (case-insensitive), its certain absence, or neither. */
export async function findCustomerByEmail(
  knox: CustomerPages,
  email: string,
  options: FindCustomerOptions = {},
): Promise<FindCustomerResult> {
  const wanted = email.toLowerCase();
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? FIND_DEFAULTS.pageSize));
  const maxPasses = Math.max(2, options.maxPasses ?? FIND_DEFAULTS.maxPasses);
  const maxPages = options.maxPagesPerPass ?? FIND_DEFAULTS.maxPagesPerPass;
  const c: LookupCursor = structuredClone(options.resume ?? newLookupCursor());
  const shouldPause = options.shouldPause ?? (() => false);

  /** A page; throws Found when the e-mail is on it, Pause when the time is up (before asking). */
  const page = async (pageNum: number, sortOrder: Order): Promise<KnoxCustomer[]> => {
    if (shouldPause()) throw new Pause();
    const served = await readPageWithRetry(
      knox,
      { pageNum, pageSize, sortOrder },
      {
        attempts: options.pageAttempts ?? FIND_DEFAULTS.pageAttempts,
        ...(options.sleep ? { sleep: options.sleep } : {}),
        onCall: () => {
          c.calls += 1;
        },
        canRetry: () => !shouldPause(),
      },
    );
    const match = served.customers.find((customer) => customer.email?.toLowerCase() === wanted);
    if (match) throw new Found(match);
    return served.customers;
  };

  /** The pass ended (complete, or `incomplete` says why): compare it, start the next. Answers true for absent. */
  const endPass = (incomplete?: string): boolean => {
    if (incomplete !== undefined) {
      delete c.previous;
      c.lastReason = incomplete;
    } else if (c.previous && sameDigest(c.previous, c.current)) {
      return true;
    } else {
      if (c.previous) c.lastReason = 'the list changed between two passes';
      c.previous = c.current;
    }
    c.pass += 1;
    c.pageNum = 1;
    c.current = EMPTY;
    c.lastPage = [];
    return false;
  };

  try {
    if (c.ends === 0) {
      // Page 1 ascending doubles as the first pass's page 1.
      const first = await page(1, 'ascending');
      c.ends = 1;
      const ids = first.map((customer) => customer.customerId);
      if (first.length === 0) {
        c.pageNum = 0; // an empty list: the first pass is complete at its page 1
      } else {
        c.current = addToDigest(c.current, ids);
        c.lastPage = ids;
        c.pageNum = 2;
      }
    }
    if (c.ends === 1) {
      await page(1, 'descending');
      c.ends = 2;
      if (c.pageNum === 0 && endPass()) return absent(c);
    }
    while (c.pass <= maxPasses) {
      const order: Order = c.pass % 2 === 1 ? 'ascending' : 'descending';
      if (c.pageNum > maxPages) {
        if (endPass(`the list did not end within ${maxPages} pages`)) return absent(c);
        continue;
      }
      const customers = await page(c.pageNum, order);
      const ids = customers.map((customer) => customer.customerId);
      if (customers.length === 0) {
        if (endPass()) return absent(c);
        continue;
      }
      if (samePage(ids, c.lastPage)) {
        endPass(`page ${c.pageNum} (${order}) repeated the page before it`);
        continue;
      }
      c.current = addToDigest(c.current, ids);
      c.lastPage = ids;
      c.pageNum += 1;
    }
    return {
      kind: 'inconclusive',
      calls: c.calls,
      reason: `no two consecutive complete passes agreed within ${maxPasses} passes (${c.lastReason})`,
    };
  } catch (error) {
    if (error instanceof Found) return { kind: 'found', customer: error.customer, calls: c.calls };
    if (error instanceof Pause) return { kind: 'paused', cursor: c, calls: c.calls };
    if (error instanceof KnoxError && error.disposition !== 'operator') {
      const reason = `a page of the list could not be read: ${error.code} (${error.errorCode})`;
      // The page that failed is the cursor's next one: a later call may go on from there.
      return { kind: 'inconclusive', calls: c.calls, reason, cause: error, cursor: c };
    }
    throw error;
  }
}

function absent(c: LookupCursor): FindCustomerResult {
  return { kind: 'absent', calls: c.calls, customers: c.current.count };
}
