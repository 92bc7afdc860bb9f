/**
 * The soak's summary as text: scenario x outcome table, retries, Knox calls, injected faults, the secret scan,
 * wall time, and the violations (if any). The same figures go to bench/soak-results.json.
 */
import type { SoakReport } from './soak-run';

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const fixed = (n: number, digits = 1) => n.toFixed(digits);
const seconds = (ms: number) => `${fixed(ms / 1000)} s`;

export function formatReport(report: SoakReport): string {
  const s = report.settings;
  const out: string[] = [];
  out.push(
    `Fault soak: ${s.onboardings} onboardings + ${s.offboardings} offboardings, seed ${s.seed}, ` +
      `TIME_SCALE ${s.timeScale}, KNOX_TIMEOUT_MS ${s.knoxTimeoutMs} (chaos latency ${s.latencyMs} ms), ` +
      `${s.concurrency} open at a time`,
  );
  out.push('');

  const totals = { total: 0, expected: 0, retriesExhausted: 0, unexpected: 0, unfinished: 0, fast: 0, polls: 0 };
  const rows = report.rows.map((r) => {
    totals.total += r.total;
    totals.expected += r.outcomes.expected;
    totals.retriesExhausted += r.outcomes.retriesExhausted;
    totals.unexpected += r.outcomes.unexpected;
    totals.unfinished += r.outcomes.unfinished;
    totals.fast += r.fastRetries;
    totals.polls += r.polls;
    return [
      r.scenario,
      r.expected,
      r.total,
      r.outcomes.expected,
      r.outcomes.retriesExhausted,
      r.outcomes.unexpected,
      r.outcomes.unfinished,
      r.fastRetries,
      fixed(r.total ? r.fastRetries / r.total : 0, 2),
      r.maxFastRetries,
      fixed(r.total ? r.polls / r.total : 0),
      fixed(r.meanStepCalls),
    ];
  });
  rows.push([
    'all',
    '',
    totals.total,
    totals.expected,
    totals.retriesExhausted,
    totals.unexpected,
    totals.unfinished,
    totals.fast,
    fixed(totals.total ? totals.fast / totals.total : 0, 2),
    '',
    fixed(totals.total ? totals.polls / totals.total : 0),
    '',
  ]);
  out.push(
    table(
      [
        'scenario',
        'expected',
        'runs',
        'as expected',
        'FAILED: retries exhausted',
        'unexpected',
        'unfinished',
        'fast retries',
        'per run',
        'max',
        'polls/run',
        'Knox step calls/run',
      ],
      rows,
    ),
  );
  for (const r of report.retriesExhausted) {
    out.push(`  retries exhausted: ${r.scenario} ${r.recordId} in "${r.state}", lastError ${r.lastError}`);
  }
  out.push('');

  const k = report.knox;
  const ops = Object.entries(k.byOperation)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const faults = Object.entries(k.byFault)
    .filter(([f, n]) => f !== 'none' && n > 0)
    .map(([f, n]) => `${f} ${n}`)
    .join(', ');
  const faulted = Object.entries(k.byFault)
    .filter(([f]) => f !== 'none')
    .reduce((sum, [, n]) => sum + n, 0);
  out.push(
    `Knox requests: ${k.total} (${ops}); ${fixed(k.perWorkflow)} Knox calls per workflow (token calls excluded)`,
  );
  out.push(
    `Faults injected: ${faulted} of ${k.total - k.byOperation.token} Knox calls (${fixed((100 * faulted) / Math.max(1, k.total - k.byOperation.token))}%): ${faults}`,
  );
  if (report.outage) {
    const o = report.outage;
    out.push(
      `Outage: Knox down from ${o.since} to ${o.until}: ${o.refused} requests refused, ${o.workflowsInOutage} ` +
        `workflows met it (${fixed(o.refusedPerWorkflow)} refused each), ${o.failedByOutage.length} FAILED by it`,
    );
  }
  const a = k.acceptance;
  out.push(
    `Accepted at Knox: ${a.accepted.link} links for ${a.customersLinked} linked customers, ${a.accepted.create} creates for ` +
      `${a.customersCreated} created customers, ${a.accepted.delink} delinks for ${a.customersDelinked} customers asked to ` +
      `accept one (equal counts = exactly one each), ${a.accepted.update} updates`,
  );
  out.push(
    `Executions: ${report.executions.total} (${Object.entries(report.executions.byStatus)
      .map(([st, n]) => `${st} ${n}`)
      .join(', ')})`,
  );
  out.push(
    `Log lines captured: ${report.logs.lines} (${Object.entries(report.logs.levels)
      .map(([l, n]) => `${l} ${n}`)
      .join(', ')})`,
  );
  const scan = report.secretScan;
  out.push(
    `Secret scan: canary ${scan.canaryServedByTheStack ? 'served by the stack' : 'NOT served'}, ${scan.bearerTokensSeen} bearer token(s) seen; ` +
      `searched ${scan.corpora.map((c) => `${c.texts} ${c.name}`).join(', ')}`,
  );
  out.push(
    `Wall time: ${seconds(report.wallMs.total)} (start ${seconds(report.wallMs.setup)}, workload ${seconds(report.wallMs.workload)}, ` +
      `read-back ${seconds(report.wallMs.readBack)}); data in ${report.settings.dataDir}`,
  );
  out.push('');
  if (report.violations.length === 0) {
    out.push('No violations.');
  } else {
    out.push(`${report.violations.length} violation(s):`);
    for (const v of report.violations.slice(0, 50)) out.push(`  - ${v}`);
    if (report.violations.length > 50)
      out.push(`  ... and ${report.violations.length - 50} more (bench/soak-results.json)`);
  }
  return out.join('\n');
}
