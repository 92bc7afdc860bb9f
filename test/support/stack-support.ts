/**
 * The hooks of the suites that run one plain test stack (`startTestStack()`) for the whole file: started before the
 * first test, stopped after the last. The returned object is filled in before the first test runs.
 */
import { afterAll, beforeAll } from 'vitest';
import { BatchClient, plainSend } from '#cli/batch-client';
import { KnoxSimControl } from '#knox-sim/control';
import type { LocalStack } from '#local/stack/local-stack';
import { startTestStack } from '#testkit/test-stack';

export interface TestStack {
  stack: LocalStack;
}

/** One test stack for the file. */
export function useTestStack(): TestStack {
  const local = {} as TestStack;
  beforeAll(async () => {
    local.stack = await startTestStack();
  });
  afterAll(async () => {
    await local.stack?.stop();
  });
  return local;
}

export interface BatchStack extends TestStack {
  control: KnoxSimControl;
  client: BatchClient;
}

/** One test stack for the file, with the simulator's control and the CLI's batch client over plain HTTP. */
export function useBatchStack(ready?: (local: BatchStack) => Promise<unknown>): BatchStack {
  const local = {} as BatchStack;
  beforeAll(async () => {
    local.stack = await startTestStack();
    local.control = new KnoxSimControl(local.stack.knoxUrl);
    local.client = new BatchClient(plainSend(local.stack.apiUrl));
    await ready?.(local);
  });
  afterAll(async () => {
    await local.stack?.stop();
  });
  return local;
}
