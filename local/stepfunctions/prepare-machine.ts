/**
 * The synthesized state machines made ready for the local engine: validated as synthesized, every Task bound to a
 * handler, and a copy scaled by TIME_SCALE that the engine runs (time-scale.ts).
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LambdaRuntime } from '../lambda/lambda-runtime';
import { taskHandlerNames } from './task-bindings';
import type { AslDefinition, LocalStateMachine, LocalWorkflow } from '../template/template';
import { isCallbackTask, scaleDefinition, waitTimeOverrides } from './time-scale';

/** A state machine ready to run: validated as synthesized, scaled in time for the engine. */
export interface PreparedMachine {
  workflow: LocalWorkflow;
  name: string;
  arn: string;
  /** The definition as synthesized (unscaled). */
  definition: AslDefinition;
  engine: StateMachine;
  /** The scaled definition the engine runs (without TimeoutSeconds), to start a resumed run elsewhere. */
  engineDefinition: AslDefinition;
  /** The machine's TimeoutSeconds after scaling, enforced by LocalExecutions. */
  timeoutMs?: number;
  waitOverrides: Record<string, number>;
  /** TIME_SCALE (Wait states that read their time from the input are scaled as they are entered). */
  timeScale: number;
  /** Wait states left in real time (PrepareOptions.realTimeWaits). */
  realTimeWaits: ReadonlySet<string>;
  /** Each callback state's TimeoutSeconds after scaling (the customer's deadline), in ms. */
  callbackTimeoutsMs: Record<string, number>;
}

export interface PrepareOptions {
  /** Replaces every callback state's TimeoutSeconds, unscaled (tests: a deadline of a few seconds). */
  callbackTimeoutSeconds?: number;
  /** Wait states that TIME_SCALE leaves in real time (a wait that paces calls against a real-time budget). */
  realTimeWaits?: readonly string[];
}

/**
 * Validates the synthesized definition with the engine's own validator (asl-validator, ARNs and paths checked),
 * checks that every Task binds to a handler, then builds the engine from the time-scaled copy (`noValidate`: the
 * scaled numbers are fractional).
 */
export function prepareMachine(
  machine: LocalStateMachine,
  timeScale: number,
  runtime: Pick<LambdaRuntime, 'handlerOf'>,
  options: PrepareOptions = {},
): PreparedMachine {
  new StateMachine(machine.definition as unknown as StateMachineDefinition);
  taskHandlerNames(machine.definition, runtime);
  const { TimeoutSeconds, ...scaled } = scaleDefinition(machine.definition, timeScale);
  const callbackTimeoutsMs: Record<string, number> = {};
  for (const [name, state] of Object.entries(scaled.States)) {
    if (!isCallbackTask(state)) continue;
    if (options.callbackTimeoutSeconds !== undefined) state['TimeoutSeconds'] = options.callbackTimeoutSeconds;
    // ASL's default Task timeout is 60 s (Step Functions: 99999999 s for a callback; the engine applies 60 s).
    const seconds = typeof state['TimeoutSeconds'] === 'number' ? state['TimeoutSeconds'] : 60;
    callbackTimeoutsMs[name] = seconds * 1000;
  }
  return {
    workflow: machine.workflow,
    name: machine.name,
    arn: machine.arn,
    definition: machine.definition,
    engine: new StateMachine(scaled as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } }),
    engineDefinition: scaled as AslDefinition,
    ...(TimeoutSeconds !== undefined ? { timeoutMs: TimeoutSeconds * 1000 } : {}),
    waitOverrides: waitTimeOverrides(machine.definition, timeScale),
    timeScale,
    realTimeWaits: new Set(options.realTimeWaits ?? []),
    callbackTimeoutsMs,
  };
}
