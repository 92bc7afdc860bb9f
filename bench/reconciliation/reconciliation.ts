/**
 * What one reconciliation costs (lib/knox/find-customer.ts): after a create whose answer was lost (or a 4002106), finding
 * our customer by e-mail in the customer list, for an MSP with 1,000, 10,000 and 50,000 customers. Three cases per
 * size: the customer we just created (newest id: at one end of the list), one deep in the list (sorted by name,
 * 100 customers from the end: just beyond page 1 descending, the deepest pass 1 reads), and an e-mail that is not ours (the lookup must prove absence).
 *
 * Model and measure. The list calls are measured by running the real lookup, invocation by invocation as the create
 * step runs it (paused when its paging time is up, resumed from the cursor through JSON), against an in-process list
 * that pages as the simulator does; at 1,000 customers the same lookup also runs against the simulator over HTTP
 * with the real client, and must ask exactly as many pages. Time is modelled: each page 250 ms (Knox's list page at
 * 50 customers), each invocation pages for the default step timeout less the step's margin
 * (reconcilePauseMarginMs: 40 s - 17 s = 23 s), and each further invocation waits the loop's 1 s retry interval.
 * Each further invocation is one state transition and three history events (a Retry).
 *
 *   npx tsx bench/reconciliation/reconciliation.ts        (also part of `npm run bench`, BENCH_ONLY=reconciliation)
 */
import { fileURLToPath } from 'node:url';
import { BUDGET_DEFAULTS } from '#budget/settings';
import { DEFAULTS } from '#domain/configuration';
import type { KnoxCustomer, KnoxCustomerList } from '#domain/knox-schemas';
import { RECONCILE_LOOP, reconcilePauseMarginMs } from '#domain/reconciling';
import { stepTimeoutSeconds } from '#infra/context-config';
import { KnoxSimControl } from '#knox-sim/control';
import { SIM_DEFAULT_CREDENTIALS, startKnoxSimulator } from '#knox-sim/server';
import { HttpKnoxClient } from '#knox/client';
import {
  type CustomerPages,
  FIND_DEFAULTS,
  type FindCustomerResult,
  type LookupCursor,
  findCustomerByEmail,
} from '#knox/find-customer';
import type { ListCustomersOptions } from '#knox/types';
import { figure, renderTable, type Figure } from '../kit/figures';

export const RECONCILIATION_SIZES = [1_000, 10_000, 50_000] as const;
/** Knox's list page at 50 customers (the figure the design is held to). */
export const LIST_PAGE_MS = 250;
const CASES = ['just created', 'deep in the list', 'not ours'] as const;
type Case = (typeof CASES)[number];

export interface ReconciliationRun {
  customers: number;
  case: Case;
  result: FindCustomerResult['kind'];
  listCalls: number;
  invocations: number;
  seconds: number;
  extraTransitions: number;
  extraHistoryEvents: number;
}

/** The customers of a bulk-seeded MSP (knox-sim/bulk-seed.ts's shapes), plus the one we just created. */
function world(size: number): KnoxCustomer[] {
  const customers = Array.from(
    { length: size - 1 },
    (_, n) =>
      ({
        customerId: String(1_500_000_000 + n),
        companyName: `Bulk Customer ${String(n).padStart(6, '0')}`,
        email: `admin@c${n}.bulk.example`,
      }) as KnoxCustomer,
  );
  customers.push({
    customerId: '9999999999',
    companyName: 'Just Created',
    email: 'ada@just-created.example',
  } as KnoxCustomer);
  return customers;
}

/** A still list that pages as the simulator does, sorted by `key`. */
function pages(customers: KnoxCustomer[], key: 'customerId' | 'companyName'): CustomerPages {
  const sorted = [...customers].sort((a, b) => (a[key] ?? '').localeCompare(b[key] ?? ''));
  return {
    async listCustomers({
      pageNum = 1,
      pageSize = 50,
      sortOrder = 'ascending',
    }: ListCustomersOptions): Promise<KnoxCustomerList> {
      const list = sortOrder === 'descending' ? [...sorted].reverse() : sorted;
      return {
        totalCount: String(list.length),
        customers: list.slice((pageNum - 1) * pageSize, pageNum * pageSize),
      } as KnoxCustomerList;
    },
  };
}

/** The lookup as the create step runs it: invocations of `pagingMs` each on a clock that pages take LIST_PAGE_MS. */
async function asTheStepRunsIt(knox: CustomerPages, email: string, pagingMs: number) {
  let resume: LookupCursor | undefined;
  for (let invocation = 1; invocation <= RECONCILE_LOOP.maxAttempts + 1; invocation += 1) {
    let spent = 0;
    const counted: CustomerPages = {
      listCustomers: (options) => {
        spent += LIST_PAGE_MS;
        return knox.listCustomers(options);
      },
    };
    const result = await findCustomerByEmail(counted, email, {
      ...(resume ? { resume } : {}),
      shouldPause: () => spent + LIST_PAGE_MS > pagingMs,
    });
    if (result.kind !== 'paused') return { result, invocations: invocation };
    resume = JSON.parse(JSON.stringify(result.cursor)) as LookupCursor;
  }
  throw new Error('the loop bound was reached');
}

const EMAILS: Record<Case, (size: number) => string> = {
  'just created': () => 'ada@just-created.example',
  // Sorted by name, just beyond page 1 descending (the last 50): the deepest a pass 1 ascending finds it.
  'deep in the list': (size) => `admin@c${size - 2 * FIND_DEFAULTS.pageSize - 1}.bulk.example`,
  'not ours': () => 'someone@elsewhere.example',
};

export async function measureReconciliation(
  options: { log?: (line: string) => void } = {},
): Promise<{ figures: Figure[]; runs: ReconciliationRun[] }> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = stepTimeoutSeconds({ knoxTimeoutMs: DEFAULTS.knoxTimeoutMs }) * 1000;
  const pagingMs = timeoutMs - reconcilePauseMarginMs(timeoutMs, DEFAULTS.knoxTimeoutMs, BUDGET_DEFAULTS.maxWaitMs);
  const runs: ReconciliationRun[] = [];
  for (const size of RECONCILIATION_SIZES) {
    log(`reconciliation: ${size} customers`);
    const customers = world(size);
    for (const which of CASES) {
      const knox = pages(customers, which === 'deep in the list' ? 'companyName' : 'customerId');
      const { result, invocations } = await asTheStepRunsIt(knox, EMAILS[which](size), pagingMs);
      const expected = which === 'not ours' ? 'absent' : 'found';
      if (result.kind !== expected) throw new Error(`${size}, ${which}: ${result.kind}, expected ${expected}`);
      runs.push({
        customers: size,
        case: which,
        result: result.kind,
        listCalls: result.calls,
        invocations,
        seconds: (result.calls * LIST_PAGE_MS) / 1000 + (invocations - 1) * RECONCILE_LOOP.intervalSeconds,
        extraTransitions: invocations - 1,
        extraHistoryEvents: 3 * (invocations - 1),
      });
    }
  }
  await checkAgainstSimulator(
    runs.filter((r) => r.customers === RECONCILIATION_SIZES[0]),
    log,
  );

  const pass = (n: number) => Math.ceil(n / FIND_DEFAULTS.pageSize) + 1;
  const figures: Figure[] = [];
  for (const r of runs) {
    const label = `reconciliation, ${r.customers.toLocaleString('en-US')} customers, ${r.case}`;
    const bound =
      r.case === 'just created'
        ? 2
        : r.case === 'not ours'
          ? 2 + pass(r.customers) - 1 + pass(r.customers)
          : 2 + pass(r.customers);
    figures.push(
      figure(
        'reconciliation',
        `${label} (list calls)`,
        r.listCalls,
        '',
        { max: bound },
        'each draws from the shared Knox budget',
      ),
      figure(
        'reconciliation',
        `${label} (invocations)`,
        r.invocations,
        '',
        { max: RECONCILE_LOOP.maxAttempts + 1 },
        `${Math.round(pagingMs / 1000)} s of paging each; +${r.extraTransitions} transitions, +${r.extraHistoryEvents} history events`,
      ),
      figure('reconciliation', `${label} (time at ${LIST_PAGE_MS} ms a page)`, r.seconds, 's', undefined, 'modelled'),
    );
  }
  return { figures, runs };
}

/** At the smallest size, the simulator over HTTP with the real client must be asked exactly the modelled pages. */
async function checkAgainstSimulator(runs: ReconciliationRun[], log: (line: string) => void): Promise<void> {
  const size = RECONCILIATION_SIZES[0];
  log(`reconciliation: ${size} customers over HTTP, to check the in-process list`);
  const sim = await startKnoxSimulator({ port: 0, fixtures: false });
  try {
    const control = new KnoxSimControl(sim.url);
    await control.bulkSeed({ count: size - 1, idStart: 1_500_000_000 });
    await control.addCustomer({
      customerId: '9999999999',
      email: 'ada@just-created.example',
      companyName: 'Just Created',
      status: 'Active',
    });
    const knox = new HttpKnoxClient({
      baseUrl: sim.url,
      credentials: async () => SIM_DEFAULT_CREDENTIALS,
      requestsPerSecond: 100_000,
    });
    for (const run of runs) {
      await control.paging(run.case === 'deep in the list' ? { sortBy: 'companyName' } : {});
      const result = await findCustomerByEmail(knox, EMAILS[run.case](size));
      if (result.kind !== run.result || result.calls !== run.listCalls)
        throw new Error(
          `${size}, ${run.case}: over HTTP ${result.kind} in ${result.calls} calls, in process ${run.result} in ${run.listCalls}`,
        );
    }
  } finally {
    await sim.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { figures, runs } = await measureReconciliation({ log: (l) => console.error(`[bench] ${l}`) });
  console.log(renderTable(figures));
  console.log(JSON.stringify(runs, null, 2));
}
