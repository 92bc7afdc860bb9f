/**
 * Knox calls one reconciliation costs (lib/knox/find-customer.ts): after a create whose answer was lost, finding our
 * customer by e-mail in the customer list, for an MSP with 50 and with 5,000 customers, against the simulator over
 * HTTP with the real client. Three cases per size: the customer we just created (newest id: at one end of the list),
 * one in the middle (the list sorted by name), and an e-mail that is not ours (the lookup must prove absence).
 * Each is held to the algorithm's own bound; the single pass of the old design is shown beside it as a ratio.
 *
 *   npx tsx bench/reconciliation.ts        (also part of `npm run bench`, BENCH_ONLY=reconciliation)
 */
import { fileURLToPath } from 'node:url';
import { KnoxSimControl } from '#knox-sim/control';
import { SIM_DEFAULT_CREDENTIALS, startKnoxSimulator } from '#knox-sim/server';
import { HttpKnoxClient } from '#knox/client';
import { FIND_DEFAULTS, findCustomerByEmail } from '#knox/find-customer';
import { newKnoxCustomer } from '#testkit/samples';
import { figure, renderTable, type Figure } from '../kit/figures';

export const RECONCILIATION_SIZES = [50, 5_000] as const;

export interface ReconciliationRun {
  customers: number;
  pageSize: number;
  justCreated: number;
  middle: number;
  absent: number;
}

/** Pages of one pass over `n` customers: the full ones, the last short one, and the empty page that ends it. */
const passPages = (n: number, s: number) => Math.ceil(n / s) + 1;

export async function measureReconciliation(
  options: { log?: (line: string) => void } = {},
): Promise<{ figures: Figure[]; runs: ReconciliationRun[] }> {
  const log = options.log ?? (() => undefined);
  const sim = await startKnoxSimulator({ port: 0, fixtures: false });
  const control = new KnoxSimControl(sim.url);
  const credentials = async () => SIM_DEFAULT_CREDENTIALS;
  const knox = new HttpKnoxClient({ baseUrl: sim.url, credentials, requestsPerSecond: 100_000 });
  const runs: ReconciliationRun[] = [];
  try {
    for (const size of RECONCILIATION_SIZES) {
      log(`reconciliation: ${size} customers`);
      await control.reset({ fixtures: false });
      for (let i = 0; i < size - 1; i += 1) {
        await control.addCustomer({
          customerId: String(1_600_000_000 + i),
          companyName: `Customer ${String(i).padStart(5, '0')}`,
          email: `admin@customer-${i}.bench.example`,
          status: 'Active',
        });
      }
      const created = await knox.createCustomer(
        newKnoxCustomer('ada@just-created.bench.example', { companyName: 'Customer 99999 (just created)' }),
      );
      const justCreated = await findCustomerByEmail(knox, 'ada@just-created.bench.example');
      if (justCreated.kind !== 'found' || justCreated.customer.customerId !== created.customerId) {
        throw new Error('the created customer was not found');
      }
      await control.paging({ sortBy: 'companyName' });
      const middle = await findCustomerByEmail(knox, `admin@customer-${Math.floor(size / 2)}.bench.example`);
      if (middle.kind !== 'found') throw new Error('the customer in the middle was not found');
      await control.paging({});
      const absent = await findCustomerByEmail(knox, 'someone@elsewhere.bench.example');
      if (absent.kind !== 'absent') throw new Error(`absence was not proven: ${absent.kind}`);
      runs.push({
        customers: size,
        pageSize: FIND_DEFAULTS.pageSize,
        justCreated: justCreated.calls,
        middle: middle.calls,
        absent: absent.calls,
      });
    }
  } finally {
    await sim.stop();
  }

  const figures: Figure[] = [];
  for (const r of runs) {
    const pass = passPages(r.customers, r.pageSize);
    const label = `reconciliation, ${r.customers.toLocaleString('en-US')} customers`;
    figures.push(
      figure(
        'reconciliation',
        `${label}: just created (list calls)`,
        r.justCreated,
        '',
        { max: 2 },
        'a customer we just created is at one end: page 1 ascending, page 1 descending',
      ),
      figure(
        'reconciliation',
        `${label}: in the middle (list calls)`,
        r.middle,
        '',
        { max: 2 + 2 * pass },
        'found during the first or second full pass',
      ),
      figure(
        'reconciliation',
        `${label}: not ours (list calls)`,
        r.absent,
        '',
        { max: 2 + pass - 1 + pass },
        'two ends, then two complete passes that agree (page 1 ascending doubles as the first pass’s page 1)',
      ),
      figure(
        'reconciliation',
        `${label}: not ours ÷ old single pass`,
        r.absent / (pass - 1),
        '×',
        undefined,
        'the old design read one pass bounded by totalCount, and could miss our customer under a moving list',
      ),
    );
  }
  return { figures, runs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { figures, runs } = await measureReconciliation({ log: (l) => console.error(`[bench] ${l}`) });
  console.log(renderTable(figures));
  console.log(JSON.stringify(runs));
}
