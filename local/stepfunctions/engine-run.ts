/**
 * One run of an execution on aws-local-stepfunctions: the engine started with AWS's context, its Tasks bound to the
 * Lambda runtime, the machine's timeout armed, the engine's events copied into the execution's history, and the
 * outcome handed back with the reason the run was stopped, if it was (engine.ts closes the execution from them).
 *
 * Engine facts this file works around (aws-local-stepfunctions 3.0.0):
 * - Aborting a run resolves a pending retry sleep at once and the engine then runs the Task again, over and over
 *   until MaxAttempts is spent: every Task is guarded (task-bindings.ts ExecutionStoppedError).
 * - The machine's TimeoutSeconds is enforced here, not by the engine: the engine's own timeout aborts the run the
 *   same way, and we need to know *why* a run was aborted (timeout, StopExecution, or the local stack stopping)
 *   before the guard above runs.
 * - The context it builds holds only Execution.Input and StartTime: Name, Id (the execution ARN), RoleArn and
 *   StateMachine are passed in, so that `$$.Execution.Name` resolves as in AWS.
 * - It cannot start an execution in the middle. A run interrupted by stop() is resumed from the state it was in with
 *   that state's input, by running a copy of the definition whose StartAt is that state. Retry counters start over
 *   (a resumed poll begins again at the first interval; the step's own deadline still bounds the wait), and
 *   `$$.Execution.Input` is the resumed state's input (our definitions do not read it).
 * - No task tokens of its own: the context's `Task.Token` is a getter that issues one per read (callbacks.ts), and a
 *   callback state's handler waits for SendTaskSuccess / SendTaskFailure on it. A resumed callback state issues a
 *   new token (its Lambda stores it on the record); the tokens of a run end with the run.
 */
import './polyfills';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { CallbackRegistry } from './task-tokens';
import { fromEngineEvent, type EngineEvent, type NewEvent } from './engine-events';
import type { ExecutionRecord } from './execution-store';
import { LOCAL_ACCOUNT } from '../template/intrinsics';
import type { LambdaRuntime } from '../lambda/lambda-runtime';
import type { PreparedMachine } from './prepare-machine';
import { ExecutionStoppedError, taskResourceLocalHandlers } from './task-bindings';
import { RunQuotas } from './quotas';
import { withRunHooks } from './run-hooks';
import { awsHistoryEvents } from './history-events';
import { scaledWaitMs } from './time-scale';
import { awsLatencyMs } from '../latency/aws-latency';

/** The role executions run as (only `$$.Execution.RoleArn` shows it). */
const LOCAL_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/knox-onboarding-local-stepfunctions`;

export type StopReason = 'stop' | 'timeout' | 'shutdown';
export interface StopDetails {
  error?: string;
  cause?: string;
}
/** How the engine's run ended: its output, or what it threw. */
export interface RunOutcome {
  output: unknown;
  error: unknown;
}

export interface LiveRun {
  stop(reason: StopReason, details?: StopDetails): void;
  done: Promise<void>;
}

export interface RunOptions {
  runtime: LambdaRuntime;
  callbacks: CallbackRegistry;
  /** Whether AWS's quotas apply (quotas.ts). */
  awsQuotas: boolean;
  /** Adds an event to the execution's history (dated now unless `timestamp` says when). */
  append(event: NewEvent, timestamp?: number): void;
  /** Once the run is over and its events recorded: how it ended, and why it was stopped if it was. */
  ended(outcome: RunOutcome, reason: StopReason | undefined, details: StopDetails): Promise<void>;
}

/** Starts a run of `record` on its machine: from the start, or (resumed) from the state it was in. */
export function startRun(
  record: ExecutionRecord,
  machine: PreparedMachine,
  resumed: boolean,
  options: RunOptions,
): LiveRun {
  record.runs += 1;
  const from = resumed ? record.position : undefined;
  if (resumed) {
    options.append({
      type: 'ExecutionResumed',
      ...(from ? { state: from.state } : {}),
      cause: `the local stack restarted; the execution continues at "${from?.state ?? machine.engineDefinition.StartAt}"`,
    });
  }
  let stopReason: StopReason | undefined;
  let stopDetails: StopDetails = {};
  const engine = from ? resumedEngine(machine, from.state) : machine.engine;
  const registry = options.callbacks;
  const runKey = `${record.executionArn}#${record.runs}`;
  const callbacks = { registry, runKey, timeoutMs: (state: string) => machine.callbackTimeoutsMs[state] ?? 60_000 };
  // Quotas (quotas.ts) and the time of Wait states that read it from the input (time-scale.ts), as each state is
  // entered (run-hooks.ts). A resumed run's history goes on from the events its execution already has.
  const states = machine.engineDefinition.States;
  const quotas = new RunQuotas(machine.engineDefinition, awsHistoryEvents(record.events, machine.definition).total);
  const waitOverrides: Record<string, number> = { ...machine.waitOverrides };
  const beforeEvent = (event: Parameters<RunQuotas['admit']>[0]): void => {
    if (options.awsQuotas) quotas.admit(event);
    const state = event.type === 'StateEntered' && event.state ? states[event.state.name] : undefined;
    if (!event.state || state?.['Type'] !== 'Wait') return;
    if (machine.realTimeWaits.has(event.state.name)) {
      delete waitOverrides[event.state.name];
      return;
    }
    const ms = machine.waitOverrides[event.state.name] ?? scaledWaitMs(state, event.state.input, machine.timeScale);
    // LATENCY=aws: the transition into the Wait state (local/latency/aws-latency.ts).
    if (ms === undefined) delete waitOverrides[event.state.name];
    else waitOverrides[event.state.name] = ms + awsLatencyMs('transition');
  };
  const { result, abort, eventLogs } = engine.run(
    JSON.parse(from?.input ?? record.input) as never,
    withRunHooks(
      {
        overrides: {
          taskResourceLocalHandlers: taskResourceLocalHandlers(
            machine.definition,
            options.runtime,
            () => stopReason !== undefined,
            callbacks,
            { stateMachineArn: machine.arn, executionName: record.name },
            options.awsQuotas,
          ),
          waitTimeOverrides: waitOverrides,
        },
        context: {
          Execution: {
            Id: record.executionArn,
            Name: record.name,
            RoleArn: LOCAL_ROLE_ARN,
            StartTime: record.startDate,
          },
          StateMachine: { Id: machine.arn, Name: machine.name },
          // Read once per state entry that passes $$.Task.Token: each entry gets its own token.
          Task: {
            get Token(): string {
              return registry.issue(runKey);
            },
          },
        },
      },
      { beforeEvent },
    ),
  );
  const stop = (reason: StopReason, details: StopDetails = {}): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    stopDetails = details;
    abort();
  };
  let timer: { clear(): void } | undefined;
  if (machine.timeoutMs !== undefined) {
    timer = timeoutAt(Date.parse(record.startDate) + machine.timeoutMs, () => stop('timeout'));
  }
  const recording = recordEvents(eventLogs, record, machine, resumed, () => stopReason, options.append);
  const done = result
    .then(
      (output) => ({ output, error: undefined as unknown }),
      (error: unknown) => ({ output: undefined, error }),
    )
    .then(async (outcome) => {
      timer?.clear();
      // A token of a run that is over answers TaskTimedOut (stopped, timed out, interrupted by a restart).
      registry.closeRun(runKey, new ExecutionStoppedError());
      await recording;
      await options.ended(outcome, stopReason, stopDetails);
    });
  return { stop, done };
}

/** Copies the engine's events into the execution's history until the engine closes its log. */
async function recordEvents(
  events: AsyncGenerator<EngineEvent>,
  record: ExecutionRecord,
  machine: PreparedMachine,
  resumed: boolean,
  stopReason: () => StopReason | undefined,
  append: RunOptions['append'],
): Promise<void> {
  for await (const event of events) {
    if (event.type === 'ExecutionStarted' && resumed) continue;
    // An aborted run's ExecutionAborted is recorded by close() with the reason (stop, timeout); a shutdown leaves
    // the execution RUNNING and says so.
    if (event.type === 'ExecutionAborted') {
      if (stopReason() === 'shutdown') {
        append(
          {
            type: 'ExecutionInterrupted',
            cause: 'the local stack stopped; the execution resumes when it starts again',
          },
          event.timestamp,
        );
      }
      continue;
    }
    if (event.type === 'StateEntered' && event.state && isTopLevelState(machine, event.state.name)) {
      record.position = { state: event.state.name, input: JSON.stringify(event.state.input ?? null) };
    }
    append(fromEngineEvent(event), event.timestamp);
  }
}

/** setTimeout fires at once beyond 2^31-1 ms (24.8 days): long timeouts are re-armed until their time. */
const MAX_TIMER_MS = 2 ** 31 - 1;
function timeoutAt(at: number, fn: () => void): { clear(): void } {
  let handle: NodeJS.Timeout;
  const arm = (): void => {
    const left = at - Date.now();
    handle = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return { clear: () => clearTimeout(handle) };
}

/** A copy of the machine's engine that starts at `state` (a resumed run); the definition was validated before. */
function resumedEngine(machine: PreparedMachine, state: string): StateMachine {
  if (!(state in machine.engineDefinition.States)) return machine.engine;
  return new StateMachine({ ...machine.engineDefinition, StartAt: state } as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
}

/** Whether `state` is one of the machine's own states (not inside a Parallel or Map branch). */
function isTopLevelState(machine: PreparedMachine, state: string): boolean {
  return Object.hasOwn(machine.engineDefinition.States, state);
}
