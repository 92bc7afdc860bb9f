/**
 * The local Step Functions service: runs executions of the synthesized state machines with aws-local-stepfunctions,
 * with the semantics the code under test relies on: idempotent StartExecution by name, StopExecution, execution
 * timeouts, an event history per execution (kept in memory and on disk), and the EventBridge status-change event for
 * FAILED, TIMED_OUT and ABORTED executions. sfn-server.ts puts the AWS JSON API in front of it.
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
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { AwsServiceError } from './aws-json-server';
import { CallbackRegistry } from './callbacks';
import { LOCAL_ACCOUNT } from './intrinsics';
import type { LambdaRuntime } from './lambda-runtime';
import { ExecutionStore, type ExecutionRecord, type ExecutionStatus, type RecordedEvent } from './execution-store';
import { ExecutionStoppedError, taskHandlerNames, taskResourceLocalHandlers } from './task-bindings';
import { localExecutionArn, type AslDefinition, type LocalStateMachine, type LocalWorkflow } from './template';
import { isCallbackTask, scaleDefinition, waitTimeOverrides } from './time-scale';

/** The role executions run as (only `$$.Execution.RoleArn` shows it). */
const LOCAL_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/knox-onboarding-local-stepfunctions`;
/** Step Functions caps error causes at 32,768 characters. */
const MAX_CAUSE_CHARS = 32_768;
/** AWS allows 80 characters; we also keep names file-name safe (they name the history files). */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

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
  /** Each callback state's TimeoutSeconds after scaling (the customer's deadline), in ms. */
  callbackTimeoutsMs: Record<string, number>;
}

export interface PrepareOptions {
  /** Replaces every callback state's TimeoutSeconds, unscaled (tests: a deadline of a few seconds). */
  callbackTimeoutSeconds?: number;
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
    callbackTimeoutsMs,
  };
}

type StopReason = 'stop' | 'timeout' | 'shutdown';

interface LiveRun {
  stop(reason: StopReason, error?: { error?: string; cause?: string }): void;
  done: Promise<void>;
}

export interface LocalExecutionsOptions {
  machines: PreparedMachine[];
  runtime: LambdaRuntime;
  dataDir: string;
  /** Called for FAILED, TIMED_OUT and ABORTED executions (as EventBridge would deliver the status change). */
  onClosed?: (record: ExecutionRecord) => Promise<void>;
  log?: (line: string) => void;
  /** The task tokens of callback states (the SendTask* calls answer from it). */
  callbacks?: CallbackRegistry;
}

export interface StartExecutionInput {
  stateMachineArn: string;
  name?: string;
  input?: string;
}

export class LocalExecutions {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly live = new Map<string, LiveRun>();
  private readonly notifications = new Set<Promise<void>>();
  private readonly store: ExecutionStore;
  private readonly machines: Map<string, PreparedMachine>;
  private closed = false;
  readonly callbacks: CallbackRegistry;

  constructor(private readonly options: LocalExecutionsOptions) {
    this.callbacks = options.callbacks ?? new CallbackRegistry();
    this.machines = new Map(options.machines.map((m) => [m.arn, m]));
    this.store = new ExecutionStore(options.dataDir);
    for (const record of this.store.loadAll((file, reason) =>
      options.log?.(`skipping execution file ${file}: ${reason}`),
    )) {
      this.records.set(record.executionArn, record);
    }
  }

  get stateMachines(): PreparedMachine[] {
    return [...this.machines.values()];
  }

  machineOf(workflow: LocalWorkflow): PreparedMachine {
    const machine = this.stateMachines.find((m) => m.workflow === workflow);
    if (!machine) throw new Error(`no ${workflow} state machine`);
    return machine;
  }

  // --- The Step Functions API -----------------------------------------------------------------------------------------

  /**
   * StartExecution, idempotent as in AWS for Standard workflows: the same name and input as a RUNNING execution
   * answers that execution; a closed one, or a different input, is ExecutionAlreadyExists.
   */
  startExecution(request: StartExecutionInput): { executionArn: string; startDate: string; alreadyRunning: boolean } {
    if (this.closed) throw new AwsServiceError('ServiceUnavailable', 'the local Step Functions is stopping', 503);
    const machine = this.machines.get(request.stateMachineArn);
    if (!machine)
      throw new AwsServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    const name = request.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input ?? '{}';
    const parsed = parseInput(input);
    const executionArn = localExecutionArn(machine.name, name);
    const existing = this.records.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && sameJson(existing.input, parsed)) {
        return { executionArn, startDate: existing.startDate, alreadyRunning: true };
      }
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      workflow: machine.workflow,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      runs: 0,
      events: [],
    };
    this.records.set(executionArn, record);
    this.run(record, machine, false);
    return { executionArn, startDate: record.startDate, alreadyRunning: false };
  }

  /** StopExecution: the run is aborted, the execution ends ABORTED (and its status change is delivered). */
  async stopExecution(
    executionArn: string,
    reason: { error?: string; cause?: string } = {},
  ): Promise<{ stopDate: string }> {
    const record = this.requireRecord(executionArn);
    const run = this.live.get(executionArn);
    if (run) {
      run.stop('stop', reason);
      await run.done;
    } else if (record.status === 'RUNNING') {
      // Interrupted by a restart and not resumed yet: nothing runs, close it here.
      this.close(record, 'ABORTED', reason);
      await this.store.saveNow(record);
      this.notify(record);
    }
    return { stopDate: record.stopDate ?? new Date().toISOString() };
  }

  describe(executionArn: string): ExecutionRecord | undefined {
    return this.records.get(executionArn);
  }

  requireRecord(executionArn: string): ExecutionRecord {
    const record = this.records.get(executionArn);
    if (!record) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /** The execution of that name in any of the machines (names hold record ids, so they are unique in practice). */
  findByName(name: string): ExecutionRecord | undefined {
    return this.list().find((r) => r.name === name);
  }

  /** Executions, newest first, optionally of one machine and/or one status. */
  list(filter: { stateMachineArn?: string; status?: ExecutionStatus } = {}): ExecutionRecord[] {
    return [...this.records.values()]
      .filter((r) => filter.stateMachineArn === undefined || r.stateMachineArn === filter.stateMachineArn)
      .filter((r) => filter.status === undefined || r.status === filter.status)
      .sort((a, b) => b.startDate.localeCompare(a.startDate) || b.name.localeCompare(a.name));
  }

  isRunning(executionArn: string): boolean {
    return this.live.has(executionArn);
  }

  /** Resolves when the execution is no longer running here (closed, or interrupted by stop()). */
  async waitUntilSettled(executionArn: string): Promise<ExecutionRecord> {
    await this.live.get(executionArn)?.done;
    return this.requireRecord(executionArn);
  }

  // --- Restarts -------------------------------------------------------------------------------------------------------

  /** Executions that were RUNNING when the local stack last stopped and are not running now. */
  interrupted(): ExecutionRecord[] {
    return this.list({ status: 'RUNNING' }).filter((r) => !this.live.has(r.executionArn));
  }

  /**
   * Runs an interrupted execution again under the same name and ARN, from the state it was in (with that state's
   * input) and with the remaining part of its timeout. To the API it is the same execution, still RUNNING, as it
   * would be in AWS, where nothing stopped.
   */
  resume(executionArn: string): void {
    const record = this.requireRecord(executionArn);
    if (record.status !== 'RUNNING' || this.live.has(executionArn)) return;
    const machine = this.machines.get(record.stateMachineArn);
    if (!machine)
      throw new Error(`execution ${record.name} belongs to an unknown state machine ${record.stateMachineArn}`);
    this.run(record, machine, true);
  }

  /**
   * Stops every run without closing its execution (they stay RUNNING on disk and are resumed by the next start),
   * waits for pending status-change deliveries and writes.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    const runs = [...this.live.values()];
    for (const run of runs) run.stop('shutdown');
    await Promise.all(runs.map((r) => r.done));
    await Promise.all(this.notifications);
    await this.store.flush(this.records.values());
  }

  // --- Running --------------------------------------------------------------------------------------------------------

  private run(record: ExecutionRecord, machine: PreparedMachine, resumed: boolean): void {
    record.runs += 1;
    const from = resumed ? record.position : undefined;
    if (resumed) {
      this.append(record, {
        type: 'ExecutionResumed',
        ...(from ? { state: from.state } : {}),
        cause: `the local stack restarted; the execution continues at "${from?.state ?? machine.engineDefinition.StartAt}"`,
      });
    }
    let stopReason: StopReason | undefined;
    let stopDetails: { error?: string; cause?: string } = {};
    const engine = from ? resumedEngine(machine, from.state) : machine.engine;
    const registry = this.callbacks;
    const runKey = `${record.executionArn}#${record.runs}`;
    const callbacks = { registry, runKey, timeoutMs: (state: string) => machine.callbackTimeoutsMs[state] ?? 60_000 };
    const { result, abort, eventLogs } = engine.run(JSON.parse(from?.input ?? record.input) as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers(
          machine.definition,
          this.options.runtime,
          () => stopReason !== undefined,
          callbacks,
        ),
        waitTimeOverrides: machine.waitOverrides,
      },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: LOCAL_ROLE_ARN, StartTime: record.startDate },
        StateMachine: { Id: machine.arn, Name: machine.name },
        // Read once per state entry that passes $$.Task.Token: each entry gets its own token.
        Task: {
          get Token(): string {
            return registry.issue(runKey);
          },
        },
      },
    });
    const stop = (reason: StopReason, details: { error?: string; cause?: string } = {}): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      stopDetails = details;
      abort();
    };
    let timer: { clear(): void } | undefined;
    if (machine.timeoutMs !== undefined) {
      timer = timeoutAt(Date.parse(record.startDate) + machine.timeoutMs, () => stop('timeout'));
    }
    const recording = this.recordEvents(eventLogs, record, resumed, () => stopReason);
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
        this.finish(record, outcome, stopReason, stopDetails);
        this.live.delete(record.executionArn);
        await this.store.saveNow(record);
        if (record.status !== 'RUNNING' && record.status !== 'SUCCEEDED') this.notify(record);
      });
    this.live.set(record.executionArn, { stop, done });
    this.store.save(record);
  }

  private finish(
    record: ExecutionRecord,
    outcome: { output: unknown; error: unknown },
    reason: StopReason | undefined,
    details: { error?: string; cause?: string },
  ): void {
    // The outcome decides: a stop that arrives after the run has already ended does not rewrite how it ended.
    if (outcome.error === undefined) {
      record.output = JSON.stringify(outcome.output ?? null);
      return this.close(record, 'SUCCEEDED', {});
    }
    if (outcome.error instanceof ExecutionAbortedError) {
      if (reason === 'shutdown') return; // still RUNNING: the next start resumes it
      if (reason === 'timeout')
        return this.close(record, 'TIMED_OUT', {
          error: 'States.Timeout',
          cause: 'The execution timed out (TimeoutSeconds).',
        });
      return this.close(record, 'ABORTED', details);
    }
    if (outcome.error instanceof ExecutionError) {
      const cause = outcome.error.cause as Error | undefined;
      return this.close(record, 'FAILED', {
        error: cause?.name ?? 'States.Runtime',
        cause: cause?.message ?? outcome.error.message,
      });
    }
    this.options.log?.(`execution ${record.name} ended with an unexpected engine error: ${String(outcome.error)}`);
    this.close(record, 'FAILED', { error: 'States.Runtime', cause: String(outcome.error) });
  }

  private close(record: ExecutionRecord, status: ExecutionStatus, details: { error?: string; cause?: string }): void {
    record.status = status;
    record.stopDate = new Date().toISOString();
    if (details.error !== undefined) record.error = details.error;
    if (details.cause !== undefined) record.cause = truncate(details.cause);
    if (status === 'ABORTED' || status === 'TIMED_OUT') {
      this.append(record, {
        type: status === 'ABORTED' ? 'ExecutionAborted' : 'ExecutionTimeout',
        error: record.error,
        cause: record.cause,
      });
    }
  }

  /** Delivers the status change to the execution-events handler, in the background (as EventBridge does). */
  private notify(record: ExecutionRecord): void {
    const onClosed = this.options.onClosed;
    if (!onClosed) return;
    const delivery = onClosed(record)
      .catch((error: unknown) =>
        this.options.log?.(`status change of ${record.name} not delivered: ${(error as Error).name}`),
      )
      .finally(() => this.notifications.delete(delivery));
    this.notifications.add(delivery);
  }

  /** Copies the engine's events into the execution's history until the engine closes its log. */
  private async recordEvents(
    events: AsyncGenerator<EngineEvent>,
    record: ExecutionRecord,
    resumed: boolean,
    stopReason: () => StopReason | undefined,
  ): Promise<void> {
    for await (const event of events) {
      if (event.type === 'ExecutionStarted' && resumed) continue;
      // An aborted run's ExecutionAborted is recorded by close() with the reason (stop, timeout); a shutdown leaves
      // the execution RUNNING and says so.
      if (event.type === 'ExecutionAborted') {
        if (stopReason() === 'shutdown') {
          this.append(
            record,
            {
              type: 'ExecutionInterrupted',
              cause: 'the local stack stopped; the execution resumes when it starts again',
            },
            event.timestamp,
          );
        }
        continue;
      }
      if (
        event.type === 'StateEntered' &&
        event.state &&
        isTopLevelState(this.machines.get(record.stateMachineArn), event.state.name)
      ) {
        record.position = { state: event.state.name, input: JSON.stringify(event.state.input ?? null) };
      }
      this.append(record, fromEngineEvent(event), event.timestamp);
    }
  }

  private append(
    record: ExecutionRecord,
    event: Omit<RecordedEvent, 'id' | 'timestamp'>,
    timestamp = Date.now(),
  ): void {
    const last = record.events[record.events.length - 1];
    const clean = Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)) as Omit<
      RecordedEvent,
      'id' | 'timestamp'
    >;
    record.events.push({ id: (last?.id ?? 0) + 1, timestamp: new Date(timestamp).toISOString(), ...clean });
    this.store.save(record);
  }
}

/** The engine's event (its type is not exported by aws-local-stepfunctions). */
type EngineEvent = Parameters<typeof fromEngineEvent>[0];

function fromEngineEvent(event: {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  retry?: { retrier: { ErrorEquals: string[] }; attempt: number };
  catch?: { catcher: { ErrorEquals: string[]; Next: string } };
  input?: unknown;
  output?: unknown;
}): Omit<RecordedEvent, 'id' | 'timestamp'> {
  const state = event.state ?? event.parentState;
  // The execution's input or output on its own event, whole; a state's on its own, truncated.
  const data = (key: 'input' | 'output', executionEvent: string, stateEvent: string): string | undefined => {
    if (event.type === executionEvent) return JSON.stringify(event[key] ?? null);
    return event.type === stateEvent ? truncate(JSON.stringify(state?.[key] ?? null)) : undefined;
  };
  return {
    type: event.type,
    state: state?.name,
    stateType: state?.type,
    error: event.Error,
    cause:
      event.Cause === undefined
        ? undefined
        : truncate(typeof event.Cause === 'string' ? event.Cause : causeText(event.Cause)),
    retry: event.retry ? { errorEquals: event.retry.retrier.ErrorEquals, attempt: event.retry.attempt } : undefined,
    catch: event.catch ? { errorEquals: event.catch.catcher.ErrorEquals, next: event.catch.catcher.Next } : undefined,
    input: data('input', 'ExecutionStarted', 'StateEntered'),
    output: data('output', 'ExecutionSucceeded', 'StateExited'),
  };
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
function isTopLevelState(machine: PreparedMachine | undefined, state: string): boolean {
  return machine !== undefined && Object.hasOwn(machine.engineDefinition.States, state);
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? String(cause);
}

function truncate(text: string): string {
  return text.length > MAX_CAUSE_CHARS ? text.slice(0, MAX_CAUSE_CHARS) : text;
}

function parseInput(input: string): unknown {
  try {
    const value: unknown = JSON.parse(input);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new AwsServiceError(
      'InvalidExecutionInput',
      'Invalid State Machine Execution Input: the input must be a JSON object',
    );
  }
}

function sameJson(text: string, value: unknown): boolean {
  return canonical(JSON.parse(text)) === canonical(value);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
