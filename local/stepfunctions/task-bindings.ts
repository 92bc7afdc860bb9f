/**
 * Binds each Task state of a definition to a handler module, as Step Functions would invoke the Lambda function:
 * - `arn:aws:states:::lambda:invoke` (CDK's LambdaInvoke): the state's input after Parameters is
 *   `{FunctionName, Payload}`; the answer is the integration's `{Payload, StatusCode: 200, ExecutedVersion}`.
 * - `arn:aws:states:::lambda:invoke.waitForTaskToken` (a callback): the Lambda is invoked with the payload that
 *   carries `$$.Task.Token`; the state's answer is what SendTaskSuccess sends (callbacks.ts), its error what
 *   SendTaskFailure sends, or States.Timeout after the state's TimeoutSeconds.
 * - a plain function ARN as Resource: the input is the payload and the answer is the function's result.
 * Any other Resource (`.sync`, other services) is refused when the stack starts.
 */
import type { CallbackRegistry } from './task-tokens';
import type { Json as JSONValue } from '../template/intrinsics';
import type { LambdaRuntime } from '../lambda/lambda-runtime';
import { taskStates } from '../template/template';
import { checkTaskResult } from './quotas';
import { awsLatency } from '../latency/aws-latency';

export const LAMBDA_INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_CALLBACK_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** What a run's callback states need: the registry, the run's key, and each callback state's timeout (scaled). */
export interface RunCallbacks {
  registry: CallbackRegistry;
  runKey: string;
  timeoutMs(stateName: string): number;
}

export type LocalTaskHandler = (input: JSONValue) => Promise<JSONValue>;

/**
 * Thrown into the engine when a stopped execution would run another Task. aws-local-stepfunctions resolves a retry's
 * sleep as soon as the run is aborted and then runs the Task again at once (and again, until MaxAttempts is spent):
 * an error it may neither retry nor catch (`isRetryable`/`isCatchable` false, the engine's own flags) ends that
 * orphaned run instead of letting it call Knox after StopExecution.
 */
export class ExecutionStoppedError extends Error {
  override readonly name = 'Local.ExecutionStopped';
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super('the execution was stopped');
  }
}

/** The function a Task state invokes, as the definition names it (an ARN, maybe version-qualified, or a name). */
function taskFunctionName(stateName: string, state: Record<string, unknown>): string {
  const resource = String(state['Resource']);
  if (resource === LAMBDA_INVOKE_RESOURCE || resource === LAMBDA_CALLBACK_RESOURCE) {
    const functionName = (state['Parameters'] as Record<string, unknown> | undefined)?.['FunctionName'];
    if (typeof functionName !== 'string') {
      throw new Error(
        `Task "${stateName}": lambda:invoke needs a literal FunctionName (FunctionName.$ is not supported locally)`,
      );
    }
    return functionName;
  }
  if (resource.startsWith('arn:aws:lambda:')) return resource;
  throw new Error(`Task "${stateName}": Resource ${resource} is not supported by the local stack (Lambda only)`);
}

/** Which handler module each Task state runs (state name -> handler); throws when one cannot be bound. */
export function taskHandlerNames(
  definition: { States: Record<string, Record<string, unknown>> },
  runtime: Pick<LambdaRuntime, 'handlerOf'>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [stateName, state] of taskStates(definition)) {
    const functionName = taskFunctionName(stateName, state);
    const handler = runtime.handlerOf(functionName);
    if (!handler) throw new Error(`Task "${stateName}": no function in the template is ${functionName}`);
    out[stateName] = handler;
  }
  return out;
}

/** Who invokes: the execution's state machine (IAM: its role must allow lambda:InvokeFunction on the function). */
export interface TaskInvoker {
  stateMachineArn: string;
  executionName: string;
}

/** The engine's `taskResourceLocalHandlers` for one run; `isStopped` guards against the orphaned-retry behaviour. */
export function taskResourceLocalHandlers(
  definition: { States: Record<string, Record<string, unknown>> },
  runtime: LambdaRuntime,
  isStopped: () => boolean,
  callbacks?: RunCallbacks,
  invoker?: TaskInvoker,
  awsQuotas = true,
): Record<string, LocalTaskHandler> {
  const checkResult = awsQuotas ? checkTaskResult : <T>(_state: string, _rules: unknown, result: T): T => result;
  const handlers: Record<string, LocalTaskHandler> = {};
  const names = taskHandlerNames(definition, runtime);
  const states = Object.fromEntries(taskStates(definition));
  for (const [stateName, handler] of Object.entries(names)) {
    const resource = states[stateName]?.['Resource'];
    const viaIntegration = resource === LAMBDA_INVOKE_RESOURCE;
    const functionName = taskFunctionName(stateName, states[stateName]!);
    // The state machine's role, checked at each invoke as Step Functions does (a Task error, retried and caught).
    const authorize = (): void => {
      if (invoker)
        runtime.gate?.authorizeStateMachineInvoke(invoker.stateMachineArn, invoker.executionName, functionName);
    };
    if (resource === LAMBDA_CALLBACK_RESOURCE) {
      if (!callbacks) throw new Error(`Task "${stateName}": a callback state needs the run's callbacks`);
      const state = states[stateName] ?? {};
      handlers[stateName] = async (input) => {
        await awsLatency('transition');
        authorize();
        return checkResult(
          stateName,
          state,
          await runCallback(stateName, handler, input, runtime, isStopped, callbacks),
        );
      };
      continue;
    }
    const state = states[stateName] ?? {};
    handlers[stateName] = async (input) => {
      await awsLatency('transition'); // LATENCY=aws: the transition into this Task (local/latency/aws-latency.ts)
      if (isStopped()) throw new ExecutionStoppedError();
      authorize();
      if (!viaIntegration) return checkResult(stateName, state, (await runtime.invoke(handler, input)) as JSONValue);
      const payload = (input as { Payload?: JSONValue } | null)?.Payload ?? null;
      const result = (await runtime.invoke(handler, payload)) as JSONValue;
      // The connector's output is what the quota measures (quotas.ts).
      return checkResult(stateName, state, { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' });
    };
  }
  return handlers;
}

/** A callback state: start waiting on the token the Parameters carry, invoke the Lambda, then wait for the answer. */
async function runCallback(
  stateName: string,
  handler: string,
  input: JSONValue,
  runtime: LambdaRuntime,
  isStopped: () => boolean,
  callbacks: RunCallbacks,
): Promise<JSONValue> {
  if (isStopped()) throw new ExecutionStoppedError();
  const token = callbacks.registry.tokenIn(callbacks.runKey, input);
  if (token === undefined) throw new Error(`Task "${stateName}": its Parameters do not pass $$.Task.Token`);
  const answer = callbacks.registry.wait(token, callbacks.timeoutMs(stateName));
  // The answer may settle while the Lambda still runs; a failed Lambda ends the wait with its own error.
  answer.catch(() => undefined);
  try {
    await runtime.invoke(handler, (input as { Payload?: JSONValue } | null)?.Payload ?? null);
  } catch (error) {
    callbacks.registry.abandon(token, error as Error);
    throw error;
  }
  return (await answer) as JSONValue;
}
