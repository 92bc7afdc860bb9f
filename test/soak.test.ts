/**
 * The fault soak, small: the same run function as `npm run soak` with 60 onboardings and 6 offboardings, a fixed
 * seed, the full fault mix. It must report no violation, and the simulator's request log must show that the faults
 * really were injected. Before it, the soak's own checks are shown to catch what they look for (a check that cannot
 * fail proves nothing).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { STATES } from '#domain/state-names';
import type { ExecutionDetail } from '#local/stepfunctions/execution-path';
import type { AslDefinition } from '#local/template/template';
import { checkHistories, checkLogs, exhaustedRetrier, operationOf, readRecords, scanSecrets } from '#bench/soak/checks';
import { SOAK_OUTAGE_DEFAULTS } from '#bench/soak/soak-outage';
import {
  DEFAULT_SEEDS,
  runSoak,
  SOAK_CHAOS_RATES,
  tokenRefusalFor,
  type SoakOptions,
  type SoakReport,
} from '#bench/soak/soak-run';
import {
  buildWorkload,
  bystanders,
  companyNameOf,
  EXPECTED_STATUS,
  ONBOARDING_SCENARIOS,
} from '#bench/soak/soak-scenarios';
import { TOKEN_REFUSAL_STYLES } from '#knox-sim/model';

describe('the soak checks catch what they look for', () => {
  it('finds a secret or a token in any corpus, and names where', () => {
    const found = scanSecrets(
      [
        { name: 'log lines', texts: ['{"level":"INFO"}', 'token abcdefghijkl leaked'] },
        { name: 'items', texts: ['{"pk":{"S":"onb-1"}}'] },
      ],
      [
        { label: 'bearer token #1', value: 'abcdefghijkl' },
        { label: 'canary', value: 'canary-000000' },
      ],
    );
    expect(found).toEqual(['secret scan: the bearer token #1 appears in 1 of 2 log lines']);
  });

  it('flags ERROR lines, unhandled rejections, "Bearer " and anything the local stack complains about', () => {
    const lines = [
      '{"level":"INFO","message":"Knox step succeeded"}',
      '{"level":"WARN","message":"Knox error","disposition":"retry"}',
      '{"level":"ERROR","message":"Knox error","disposition":"operator"}',
      'authorization: Bearer abc.def',
      '(node:1) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)',
    ];
    const violations = checkLogs(
      lines,
      ['Synthesizing the CDK app (npx cdk synth --quiet)...', 'api handler failed: Error: boom'],
      ['unhandledRejection: Error: x'],
    );
    expect(violations).toEqual([
      'process: unhandledRejection: Error: x',
      'log at ERROR: {"level":"ERROR","message":"Knox error","disposition":"operator"}',
      'log: a "Bearer " string: authorization: Bearer <redacted>',
      'local stack: api handler failed: Error: boom',
    ]);
    // An operator error a scenario provokes on purpose may be declared.
    expect(checkLogs([lines[2]!], [], [], (l) => l.includes('"operator"'))).toEqual([]);
  });

  it('tells an exhausted fast retrier from a failure that had retries left', () => {
    const definition = {
      StartAt: STATES.createCustomer,
      States: {
        [STATES.createCustomer]: {
          Type: 'Task',
          Retry: [{ ErrorEquals: [STEP_ERROR_NAMES.retry], MaxAttempts: 2 }, { ErrorEquals: [STEP_ERROR_NAMES.wait] }],
        },
      },
    } as unknown as AslDefinition;
    const execution = (errors: string[]): ExecutionDetail =>
      ({
        path: [
          {
            state: STATES.createCustomer,
            type: 'Task',
            enteredAt: '',
            errors: errors.map((error) => ({ error, at: '' })),
            retries: errors.length - 1,
          },
        ],
      }) as unknown as ExecutionDetail;
    const retry = STEP_ERROR_NAMES.retry;
    expect(exhaustedRetrier(execution([retry, retry, retry]), definition)).toBe(STATES.createCustomer);
    expect(exhaustedRetrier(execution([retry, retry]), definition)).toBeUndefined();
    expect(exhaustedRetrier(execution([retry, retry, 'Knox.Operator']), definition)).toBeUndefined();
  });

  it('checks every history from REQUESTED to its one terminal status, and leftover locks', () => {
    const item = (pk: string, status: string, statuses: string[]) => ({
      pk,
      kind: 'onboarding',
      status,
      executionName: `new-${pk}`,
      history: statuses.map((s) => ({ at: '2026-01-01T00:00:00.000Z', event: 'status-changed', status: s })),
    });
    const records = readRecords([
      item('onb-0000000000000001', 'SUCCEEDED', ['REQUESTED', 'IN_PROGRESS', 'SUCCEEDED']),
      item('onb-0000000000000002', 'SUCCEEDED', ['IN_PROGRESS', 'SUCCEEDED']),
      item('onb-0000000000000003', 'ABORTED', ['REQUESTED', 'ABORTED', 'FAILED']),
      { pk: 'lock#customer#1100000001', recordId: 'onb-0000000000000002', kind: 'onboarding' },
    ]);
    const runs = [1, 2, 3].map((i) => ({ recordId: `onb-000000000000000${i}` })) as never;
    expect(checkHistories(records, runs)).toEqual([
      'table: customer lock lock#customer#1100000001 (record onb-0000000000000002) left behind',
      'record onb-0000000000000002: history starts with status-changed/IN_PROGRESS, not REQUESTED',
      'record onb-0000000000000003: history ends with status-changed/FAILED, the record is ABORTED',
      'record onb-0000000000000003: 2 terminal statuses in the history',
    ]);
  });

  it('reads what a Knox request was from its method and path', () => {
    expect(operationOf({ method: 'POST', path: '/msp/v1/managedCustomers' })).toBe('create');
    expect(operationOf({ method: 'POST', path: '/msp/v1/managedCustomers/link' })).toBe('link');
    expect(operationOf({ method: 'POST', path: '/msp/v1/managedCustomers/delink' })).toBe('delink');
    expect(operationOf({ method: 'GET', path: '/msp/v1/managedCustomers?pageNum=2&pageSize=50' })).toBe('list');
    expect(operationOf({ method: 'GET', path: '/msp/v1/managedCustomers/1100000001' })).toBe('get');
    expect(operationOf({ method: 'POST', path: '/ams/v1/oauth2/token' })).toBe('token');
  });

  it('builds the same mixed workload from the same seed', () => {
    const options = { onboardings: 60, offboardings: 6, seed: 42, delinkElsewhereMs: [500, 2500] as [number, number] };
    const workload = buildWorkload(options);
    expect(workload).toEqual(buildWorkload(options));
    expect(workload.filter((c) => c.kind === 'offboarding')).toHaveLength(6);
    for (const scenario of ONBOARDING_SCENARIOS)
      expect(
        workload.some((c) => c.scenario === scenario),
        scenario,
      ).toBe(true);
    expect(new Set(workload.map((c) => c.customerId ?? c.email)).size).toBe(66);
  });
});

describe('the soak hunts races', () => {
  it('runs at least three seeds by default, among them every way Knox refuses a dead token, with revoked tokens in the mix', () => {
    expect(DEFAULT_SEEDS.length).toBeGreaterThanOrEqual(3);
    expect(new Set(DEFAULT_SEEDS.map(tokenRefusalFor))).toEqual(new Set(TOKEN_REFUSAL_STYLES));
    expect(SOAK_CHAOS_RATES.tokenRevoked).toBeGreaterThan(0);
  });

  it('mixes creates, links and offboardings among standing customers whose names interleave with theirs', () => {
    const workload = buildWorkload({ onboardings: 100, offboardings: 10, seed: 5, delinkElsewhereMs: [500, 2500] });
    const created = workload.filter((c) => c.scenario === 'created').length;
    const linked = workload.filter(
      (c) => c.scenario === 'linkApproved' || c.scenario === 'delinkElsewhereThenApproved',
    ).length;
    expect(created).toBeGreaterThanOrEqual(30);
    expect(linked).toBeGreaterThanOrEqual(30);
    const names = [...bystanders(20, 100).map((b) => b.companyName!), companyNameOf(50)].sort();
    const at = names.indexOf(companyNameOf(50));
    expect(at).toBeGreaterThan(5);
    expect(at).toBeLessThan(names.length - 5);
  });
});

/**
 * Runs a small soak once for the describe block, quietly; its DATA_DIR is removed unless the run found a violation
 * (then it is kept to look at). A record that never gets its answer ends at the 60 s deadline (real seconds); every
 * scenario's customer answers within seconds, even when a poll in three fails.
 */
function smallSoak(options: Partial<SoakOptions>): { report: SoakReport } {
  const soak = {} as { report: SoakReport };
  beforeAll(async () => {
    soak.report = await runSoak({ waitDeadlineSeconds: 60, maxWallMs: 150_000, ...options, progress: () => undefined });
  }, 300_000);
  afterAll(() => {
    const { report } = soak;
    if (report && report.violations.length === 0) rmSync(report.settings.dataDir, { recursive: true, force: true });
  });
  return soak;
}

describe('the fault soak, small', () => {
  const soak = smallSoak({ onboardings: 60, offboardings: 6, seed: 20_260_105, concurrency: 33 });

  it('reports no violation', () => {
    expect(soak.report.violations).toEqual([]);
  });

  it('followed every request to its end, each scenario as it dictates (or FAILED with its retries spent)', () => {
    const total = soak.report.rows.reduce((n, r) => n + r.total, 0);
    expect(total).toBe(66);
    for (const row of soak.report.rows) {
      expect(row.outcomes.expected + row.outcomes.retriesExhausted, row.scenario).toBe(row.total);
      expect(row.statuses[EXPECTED_STATUS[row.scenario]] ?? 0, row.scenario).toBe(row.outcomes.expected);
    }
    expect(soak.report.retriesExhausted).toHaveLength(
      soak.report.rows.reduce((n, r) => n + r.outcomes.retriesExhausted, 0),
    );
    expect(soak.report.executions.byStatus['RUNNING']).toBeUndefined();
  });

  it('ran under real faults: the request log shows 500s, 429s, timeouts, drops and lost answers', () => {
    const { byFault, byOperation } = soak.report.knox;
    for (const fault of ['error500', 'status429', 'latency', 'drop', 'workThen500'] as const) {
      expect(byFault[fault], fault).toBeGreaterThan(0);
    }
    const calls = soak.report.knox.total - byOperation.token;
    const faulted = soak.report.knox.total - byFault.none; // the token endpoint is never faulted
    const configured = Object.values(SOAK_CHAOS_RATES).reduce<number>((a, b) => a + (b ?? 0), 0);
    // Chaos draws once per request: the share lands near the configured 36%.
    expect(faulted / calls).toBeGreaterThan(configured / 2);
    expect(faulted / calls).toBeLessThan(Math.min(1, configured * 1.5));
  });

  it('kept the canary secret and the bearer tokens out of every log, record, execution and answer', () => {
    expect(soak.report.secretScan.canaryServedByTheStack).toBe(true);
    expect(soak.report.secretScan.bearerTokensSeen).toBeGreaterThan(0);
    for (const corpus of soak.report.secretScan.corpora.filter((c) => !c.name.startsWith('local stack'))) {
      expect(corpus.texts, corpus.name).toBeGreaterThan(0);
    }
    expect(soak.report.violations.filter((v) => v.startsWith('secret scan'))).toEqual([]);
  });
});

describe('the fault soak, small, with a Knox outage phase', () => {
  const soak = smallSoak({
    onboardings: 24,
    offboardings: 4,
    seed: 13,
    concurrency: 28,
    // Knox goes down one second into the workload, while every workflow is open.
    outage: { ...SOAK_OUTAGE_DEFAULTS, afterMs: 1000 },
  });

  it('reports no violation: no workflow FAILED by the outage, one accepted write each, every record terminal', () => {
    expect(soak.report.violations).toEqual([]);
    expect(soak.report.outage?.failedByOutage).toEqual([]);
    expect(soak.report.rows.reduce((n, r) => n + r.total, 0)).toBe(28);
  });

  it('ran through a real outage: refused requests (500s and drops), met by workflows that were in flight', () => {
    const outage = soak.report.outage;
    expect(outage).toBeDefined();
    expect(Date.parse(outage!.until) - Date.parse(outage!.since)).toBe(SOAK_OUTAGE_DEFAULTS.durationMs);
    expect(outage!.refused).toBeGreaterThan(0);
    expect(outage!.workflowsInOutage).toBeGreaterThan(0);
  });
});
