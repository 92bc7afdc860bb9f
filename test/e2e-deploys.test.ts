/**
 * A restart on changed code never changes a running workflow: an execution waiting for its customer when the local
 * stack stops finishes, after a start with a changed definition, on the definition it started with; a new execution
 * takes the new one (local/stepfunctions/definition-versions.ts, as Step Functions keeps an execution's definition and
 * lib/infra/live-alias.ts keeps its published version). The change is made to the synthesized definition the stack
 * reads (transformMachine): the onboarding's end state is renamed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { KnoxSimControl } from '#knox-sim/control';
import { startKnoxSimulator, type RunningKnoxSimulator } from '#knox-sim/server';
import type { LocalStack, LocalStackOptions } from '#local/stack/local-stack';
import type { LocalStateMachine } from '#local/template/template';
import {
  api,
  getExecution,
  startRecord,
  startTestStack,
  statePath,
  tempDataDir,
  waitForExecution,
  waitForStatus,
} from '#testkit/test-stack';
import { linkRequest } from './support/requests';

const RENAMED_END = `${STATES.onboardingSucceeded} (v2)`;

/** The changed code: the onboarding ends in a state of another name. */
function renameEnd(machine: LocalStateMachine): LocalStateMachine {
  if (machine.workflow !== 'onboarding') return machine;
  const states = structuredClone(machine.definition.States) as Record<string, Record<string, unknown>>;
  states[RENAMED_END] = states[STATES.onboardingSucceeded]!;
  delete states[STATES.onboardingSucceeded];
  states[STATES.recordSucceeded]!['Next'] = RENAMED_END;
  return { ...machine, definition: { ...machine.definition, States: states } as LocalStateMachine['definition'] };
}

async function waitingSince(apiUrl: string, id: string, after = ''): Promise<string> {
  for (let i = 0; i < 800; i++) {
    const answer = await api<Record<string, unknown>>(apiUrl, 'GET', `/onboardings/${id}`);
    const since = answer.body['waitingSince'];
    if (typeof since === 'string' && since > after) return since;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`onboarding ${id} is not waiting on a new callback`);
}

describe('a restart on a changed definition', () => {
  let knox: RunningKnoxSimulator;
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    knox = await startKnoxSimulator({ host: '127.0.0.1' });
  });
  afterAll(async () => {
    await stack?.stop();
    await knox?.stop();
  });

  it('keeps an in-flight execution on the definition it started with; new executions take the new one', async () => {
    const control = new KnoxSimControl(knox.url);
    const options: LocalStackOptions = { dataDir: tempDataDir(), knoxBaseUrl: knox.url, timeScale: 0.001 };
    stack = await startTestStack(options);
    const first = (await control.addCustomer({})).customerId;
    const started = await startRecord(stack.apiUrl, 'onboarding', linkRequest(first));
    expect(started.status).toBe(202);
    const id = String(started.body['onboardingId']);
    const executionName = String(started.body['executionName']);
    const before = await waitingSince(stack.apiUrl, id);

    // The "deploy": the stack stops and starts on the same data with a changed onboarding definition.
    const { ports } = stack;
    await stack.stop();
    stack = undefined;
    stack = await startTestStack({
      ...options,
      transformMachine: renameEnd,
      port: ports.api,
      dynamoPort: ports.dynamo,
      sfnPort: ports.sfn,
      secretsPort: ports.secrets,
    });
    const stored = readdirSync(join(options.dataDir!, 'definitions')).filter((f) => f.startsWith('onboarding--'));
    expect(stored).toHaveLength(2);

    // The waiting execution resumed (a new callback token) and finishes on its own definition.
    await waitingSince(stack.apiUrl, id, before);
    await control.approveLink(first);
    expect((await waitForStatus(stack.apiUrl, 'onboarding', id, ['SUCCEEDED', 'FAILED', 'ABORTED'])).status).toBe(
      'SUCCEEDED',
    );
    const old = await waitForExecution(stack.apiUrl, executionName, ['SUCCEEDED', 'FAILED'], { timeoutMs: 20_000 });
    expect(old.status).toBe('SUCCEEDED');
    expect(statePath(old).at(-1)).toBe(STATES.onboardingSucceeded);
    expect(statePath(old)).not.toContain(RENAMED_END);

    // A new execution runs the new definition.
    const second = (await control.addCustomer({})).customerId;
    const next = await startRecord(stack.apiUrl, 'onboarding', linkRequest(second));
    const nextId = String(next.body['onboardingId']);
    await waitingSince(stack.apiUrl, nextId);
    await control.approveLink(second);
    await waitForStatus(stack.apiUrl, 'onboarding', nextId, ['SUCCEEDED', 'FAILED', 'ABORTED']);
    const fresh = await waitForExecution(stack.apiUrl, String(next.body['executionName']), ['SUCCEEDED', 'FAILED'], {
      timeoutMs: 20_000,
    });
    expect(statePath(fresh).at(-1)).toBe(RENAMED_END);
    expect((await getExecution(stack.apiUrl, executionName))?.status).toBe('SUCCEEDED');
  });
});
