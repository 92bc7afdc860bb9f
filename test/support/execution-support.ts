/**
 * Execution records for the suites that read one without running it (the console's execution view, the redrive
 * rules): an execution `x` of the onboarding state machine in the local account.
 */
import type { ExecutionRecord } from '#local/stepfunctions/execution-store';

/** Execution `x` of the onboarding machine, one run, no events: what `fields` does not say. */
export function onboardingExecution(
  fields: Pick<ExecutionRecord, 'status' | 'startDate' | 'input'> & Partial<ExecutionRecord>,
): ExecutionRecord {
  return {
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:onboarding:x',
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:onboarding',
    stateMachineName: 'onboarding',
    workflow: 'onboarding',
    name: 'x',
    runs: 1,
    events: [],
    ...fields,
  };
}
