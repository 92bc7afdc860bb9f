/**
 * Starting and stopping the workflows' executions (Step Functions), with the instance's client from
 * commons/aws-clients (AWS_ENDPOINT_URL_SFN points it at the local stack's engine).
 */
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { BatchWorkflowInput } from '#domain/batch-schemas';
import type { WorkflowInput } from '#domain/payloads';
import { resetAwsClients, stepFunctionsClient as sfn } from '../commons/aws-clients';

/** Tests: drop the clients so that the next call builds them from the current environment. */
export function resetWorkflowClient(): void {
  resetAwsClients();
}

/**
 * The ARN Step Functions gives an execution: the state machine's ARN with `execution` and the name. An execution
 * started through an alias or a version (`...:stateMachine:<name>:<alias or version>`) is still
 * `...:execution:<name>:<execution name>` (the execution is only associated with the alias: Step Functions Developer
 * Guide, "How Step Functions associates executions with a version or alias"), so the qualifier is dropped.
 */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const [prefix, rest = ''] = stateMachineArn.split(':stateMachine:');
  const machineName = rest.split(':')[0];
  return `${prefix}:execution:${machineName}:${executionName}`;
}

/** A record's execution: the ARN it stored (older records), else the one its state machine and name make. */
export function recordExecutionArn(
  record: { executionArn?: string | undefined; executionName: string },
  stateMachineArn: string,
): string {
  return record.executionArn ?? executionArnFor(stateMachineArn, record.executionName);
}

/**
 * Starts the execution that runs a record. The name is deterministic, so a second start of the same record is
 * refused with ExecutionAlreadyExists (or answered with the running one): either way the record has its execution.
 */
export async function startWorkflow(
  stateMachineArn: string,
  executionName: string,
  input: WorkflowInput | BatchWorkflowInput,
): Promise<string> {
  try {
    const answer = await sfn().send(
      new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }),
    );
    return answer.executionArn ?? executionArnFor(stateMachineArn, executionName);
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists')
      return executionArnFor(stateMachineArn, executionName);
    throw error;
  }
}

/** Stops an execution; false when there is none (never started, or already gone). */
export async function stopWorkflow(executionArn: string, cause: string): Promise<boolean> {
  try {
    await sfn().send(new StopExecutionCommand({ executionArn, error: 'Cancelled', cause }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}
