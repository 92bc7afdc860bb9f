/**
 * `npm run demo`'s scenarios (local/tools/demo-scenarios.ts) on a test stack: each ends as the demo says it does, along
 * the path the demo prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/world';
import { DEMO_SCENARIOS, formatOutcomes, runDemo, type DemoOutcome } from '#local/tools/demo-scenarios';
import type { LocalStack } from '#local/stack/local-stack';
import { startTestStack } from '#testkit/test-stack';

let stack: LocalStack;
let outcomes: DemoOutcome[];
const progress: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ knoxCredentials: { ...SIM_DEFAULT_CREDENTIALS } });
  outcomes = await runDemo(stack, { onProgress: (line) => progress.push(line) });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const byTitle = (title: string): DemoOutcome => {
  const outcome = outcomes.find((o) => o.title === title);
  if (!outcome) throw new Error(`no outcome for "${title}"`);
  return outcome;
};

describe('npm run demo', () => {
  it('plays every scenario, and each ends as expected', () => {
    expect(outcomes.map((o) => o.title)).toEqual(DEMO_SCENARIOS.map((s) => s.title));
    for (const o of outcomes) expect(o, o.title).toMatchObject({ ok: true, status: o.expected.status });
    expect(progress).toHaveLength(DEMO_SCENARIOS.length);
    expect(progress.every((line) => !line.includes('UNEXPECTED'))).toBe(true);
  });

  it('shows the important routes through the diagrams', () => {
    expect(byTitle('linked after the customer approved').path).toBe(
      'Link customer -> Wait for customer answer -> Needs a change? -> Record succeeded',
    );
    expect(byTitle('aborted: already managed by another MSP')).toMatchObject({
      status: 'ABORTED',
      lastError: 'ADD_EC_ALREADY_MANAGED',
      path: 'Link customer (x1 Knox.Abort, caught) -> Record aborted',
    });
    expect(byTitle('retried through Knox failures, then linked').path).toMatch(
      /^Link customer \(x2 Knox\.Retry\) -> Wait for customer answer -> /,
    );
    expect(byTitle('waited for Samsung to approve the account, then linked').path).toMatch(
      /^Link customer \(x\d+ Knox\.Wait\) -> Wait for customer answer -> /,
    );
    expect(byTitle('created as a new Knox customer').path).toBe('Create customer -> Record succeeded');
    expect(byTitle('linked, then completed by a change (Knox Manage tenant)').path).toBe(
      'Link customer -> Wait for customer answer -> Needs a change? -> Change customer -> Record succeeded',
    );
    expect(byTitle('offboarded: the customer accepted the delink').path).toBe(
      'Request delink -> Wait for customer answer -> Record succeeded',
    );
    expect(byTitle('changed: FullyManaged -> JointlyManaged')).toMatchObject({
      kind: 'change',
      path: 'Change customer -> Record succeeded',
    });
  });

  it('prints a table with a row per scenario', () => {
    const table = formatOutcomes(outcomes).split('\n');
    expect(table[0]).toMatch(/^SCENARIO\s+ID\s+STATUS\s+LAST ERROR\s+PATH$/);
    expect(table).toHaveLength(outcomes.length + 1);
    for (const [i, o] of outcomes.entries()) expect(table[i + 1]).toContain(o.id);
  });
});
