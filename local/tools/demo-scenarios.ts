/**
 * The scenarios `npm run demo` plays on a local stack with the built-in Knox simulator: each one sets Knox up
 * through the simulator's control surface (scripts, faults, fixtures), sends one request to the HTTP API, plays the
 * customer's part where the scenario needs it, and reads the outcome back through the API: final status, lastError
 * and the execution's path through the diagram. local/tools/demo.ts prints them; test/demo.test.ts asserts them.
 */
import type { RecordKind, RecordStatus } from '#domain/api-schemas';
import { TERMINAL_STATUSES } from '#domain/api-schemas';
import type { KnoxErrorCodeName } from '#domain/knox-errors';
import { STATES } from '#domain/state-names';
import { ID_FIELD } from '#domain/routes';
import { KnoxSimControl } from '#knox-sim/control';
import { FIXTURES } from '#knox-sim/fixtures';
import type { ExecutionDetail } from '../stepfunctions/execution-path';
import { createRequest, linkRequest } from '#testkit/samples';
import { startRecord, waitForExecution, waitForStatus } from '#testkit/test-stack';

/** What the demo needs of a running stack. */
export interface DemoTarget {
  apiUrl: string;
  /** The built-in simulator (its control surface is under /_sim/). */
  knoxUrl: string;
}

export interface DemoScenario {
  title: string;
  kind: RecordKind;
  expected: { status: RecordStatus; lastError?: KnoxErrorCodeName };
  /** Sets Knox up and returns the request body. */
  prepare(control: KnoxSimControl): Promise<unknown>;
  /** The customer's (or Samsung's) part, once the record is WAITING. */
  whileWaiting?(control: KnoxSimControl): Promise<unknown>;
}

export interface DemoOutcome {
  title: string;
  kind: RecordKind;
  id: string;
  status: string;
  lastError?: string;
  /** The execution's path, compact: `Link customer -> ... -> Record succeeded`. */
  path: string;
  expected: DemoScenario['expected'];
  /** The status (and the lastError code, where one is expected) are as expected. */
  ok: boolean;
}

const LINK_PATH = { method: 'POST', path: '/managedCustomers/link' };

/** The routes worth seeing, on the simulator's fixtures (a fresh simulator: the stack's own). */
export const DEMO_SCENARIOS: DemoScenario[] = [
  {
    title: 'linked after the customer approved',
    kind: 'onboarding',
    expected: { status: 'SUCCEEDED' },
    // The customer answers at the poller's fourth look: three rounds see it Pending, the execution waits on a callback.
    prepare: async (control) => {
      await control.script(FIXTURES.unmanaged, { onLink: 'approve', afterGets: 3 });
      return linkRequest(FIXTURES.unmanaged);
    },
  },
  {
    title: 'aborted: already managed by another MSP',
    kind: 'onboarding',
    expected: { status: 'ABORTED', lastError: 'ADD_EC_ALREADY_MANAGED' },
    prepare: async () => linkRequest(FIXTURES.managedByOtherMsp),
  },
  {
    title: 'retried through Knox failures, then linked',
    kind: 'onboarding',
    expected: { status: 'SUCCEEDED' },
    prepare: async (control) => {
      await control.fault({ match: LINK_PATH, fault: { type: 'error500' } });
      await control.fault({ match: LINK_PATH, fault: { type: 'drop' } });
      await control.script(FIXTURES.formerlyOwned, { onLink: 'approve' });
      return linkRequest(FIXTURES.formerlyOwned);
    },
  },
  {
    title: 'waited for Samsung to approve the account, then linked',
    kind: 'onboarding',
    expected: { status: 'SUCCEEDED' },
    prepare: async (control) => {
      await control.script(FIXTURES.samsungApprovalPending, { onLink: 'approve' });
      return linkRequest(FIXTURES.samsungApprovalPending);
    },
    whileWaiting: (control) => control.samsungApprove(FIXTURES.samsungApprovalPending),
  },
  {
    title: 'created as a new Knox customer',
    kind: 'onboarding',
    expected: { status: 'SUCCEEDED' },
    prepare: async () => createRequest('ada@acme-demo.example'),
  },
  {
    title: 'linked, then completed by a change (Knox Manage tenant)',
    kind: 'onboarding',
    expected: { status: 'SUCCEEDED' },
    // The approval leaves a KnoxManage asked for under a prefix Pending: the workflow switches it on.
    prepare: async (control) => {
      const customer = await control.addCustomer({
        companyName: 'Globex Corp',
        email: 'it@globex.example',
        script: { onLink: 'approve' },
      });
      return linkRequest(customer.customerId, {
        services: [{ service: 'KnoxMobileEnrollment' }, { service: 'KnoxManage', kmTenantPrefix: 'globex' }],
      });
    },
  },
  {
    title: 'offboarded: the customer accepted the delink',
    kind: 'offboarding',
    expected: { status: 'SUCCEEDED' },
    prepare: async (control) => {
      await control.script(FIXTURES.ownedActive, { onDelink: 'accept', afterGets: 1 });
      return { customerId: FIXTURES.ownedActive };
    },
  },
  {
    title: 'changed: FullyManaged -> JointlyManaged',
    kind: 'change',
    expected: { status: 'SUCCEEDED' },
    prepare: async () => ({ customerId: FIXTURES.ownedFullyManaged, managementType: 'JointlyManaged' }),
  },
];

/**
 * The path through the diagram in one line: the states that did something (the "Link or create?" router and the
 * Succeed/Fail ends left out), each failed attempt counted by error name, and where a Catch took over.
 */
export function compactPath(execution: ExecutionDetail): string {
  return execution.path
    .filter((step) => step.state !== STATES.linkOrCreate && step.type !== 'Succeed' && step.type !== 'Fail')
    .map((step) => {
      const counts = new Map<string, number>();
      for (const e of step.errors) counts.set(e.error, (counts.get(e.error) ?? 0) + 1);
      const marks = [...counts].map(([error, n]) => `x${n} ${error}`);
      if (step.caught) marks.push('caught');
      return marks.length > 0 ? `${step.state} (${marks.join(', ')})` : step.state;
    })
    .join(' -> ');
}

export interface RunDemoOptions {
  /** One line per scenario, as it ends. */
  onProgress?: (line: string) => void;
  /** How long one scenario may take (grows with TIME_SCALE). */
  timeoutMs?: number;
}

/** Plays one scenario to its end. */
export async function runScenario(
  target: DemoTarget,
  scenario: DemoScenario,
  timeoutMs = 30_000,
): Promise<DemoOutcome> {
  const control = new KnoxSimControl(target.knoxUrl);
  const body = await scenario.prepare(control);
  const started = await startRecord(target.apiUrl, scenario.kind, body);
  if (started.status !== 202)
    throw new Error(`${scenario.title}: POST answered ${started.status} ${JSON.stringify(started.body)}`);
  const id = String(started.body[ID_FIELD[scenario.kind]]);
  const wait = { timeoutMs };
  if (scenario.whileWaiting) {
    await waitForStatus(target.apiUrl, scenario.kind, id, 'WAITING', wait);
    await scenario.whileWaiting(control);
  }
  const record = await waitForStatus(target.apiUrl, scenario.kind, id, TERMINAL_STATUSES, wait);
  const execution = await waitForExecution(
    target.apiUrl,
    String(started.body['executionName']),
    ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'],
    wait,
  );
  const lastError = (record['lastError'] as { code?: string } | undefined)?.code;
  const ok =
    record.status === scenario.expected.status &&
    (scenario.expected.lastError === undefined || lastError === scenario.expected.lastError);
  return {
    title: scenario.title,
    kind: scenario.kind,
    id,
    status: record.status,
    ...(lastError !== undefined ? { lastError } : {}),
    path: compactPath(execution),
    expected: scenario.expected,
    ok,
  };
}

/** Plays every scenario, one after the other (faults are global in the simulator, so they must not overlap). */
export async function runDemo(
  target: DemoTarget,
  options: RunDemoOptions = {},
  scenarios = DEMO_SCENARIOS,
): Promise<DemoOutcome[]> {
  const outcomes: DemoOutcome[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    const outcome = await runScenario(target, scenario, options.timeoutMs);
    outcomes.push(outcome);
    const expected = `${outcome.expected.status}${outcome.expected.lastError ? ` ${outcome.expected.lastError}` : ''}`;
    options.onProgress?.(
      `[${i + 1}/${scenarios.length}] ${outcome.title}: ${outcome.id} ${outcome.status}${outcome.lastError ? ` (${outcome.lastError})` : ''}` +
        (outcome.ok ? '' : `  UNEXPECTED, wanted ${expected}`),
    );
  }
  return outcomes;
}

/** The outcomes as a plain-text table. */
export function formatOutcomes(outcomes: DemoOutcome[]): string {
  const rows = [['SCENARIO', 'ID', 'STATUS', 'LAST ERROR', 'PATH']];
  for (const o of outcomes) rows.push([o.title, o.id, o.ok ? o.status : `${o.status} (!)`, o.lastError ?? '-', o.path]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
