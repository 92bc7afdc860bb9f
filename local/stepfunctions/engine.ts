/**
 * The local Step Functions service: runs executions of the synthesized state machines with aws-local-stepfunctions,
 * with the semantics the code under test relies on: idempotent StartExecution by name, StopExecution, execution
 * timeouts, an event history per execution (kept in memory and on disk), and the EventBridge status-change event for
 * FAILED, TIMED_OUT and ABORTED executions. sfn-server.ts puts the AWS JSON API in front of it.
 *
 * The machines are prepared in prepare-machine.ts, a run on the engine (and the engine's quirks it works around) is
 * engine-run.ts, the history's events are engine-events.ts.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError } from 'aws-local-stepfunctions';
import { AwsServiceError } from '../protocol/aws-json-server';
import { CallbackRegistry } from './task-tokens';
import { checkExecutionName } from './quotas';
import { appendEvent, truncate, type NewEvent } from './engine-events';
import { startRun, type LiveRun, type RunOutcome, type StopDetails, type StopReason } from './engine-run';
import type { LambdaRuntime } from '../lambda/lambda-runtime';
import { ExecutionStore, type ExecutionRecord, type ExecutionStatus } from './execution-store';
import type { PreparedMachine } from './prepare-machine';
import { localExecutionArn, type LocalWorkflow } from '../template/template';

export interface LocalExecutionsOptions {
  machines: PreparedMachine[];
  runtime: LambdaRuntime;
  dataDir: string;
  /** Called for FAILED, TIMED_OUT and ABORTED executions (as EventBridge would deliver the status change). */
  onClosed?: (record: ExecutionRecord) => Promise<void>;
  log?: (line: string) => void;
  /** The task tokens of callback states (the SendTask* calls answer from it). */
  callbacks?: CallbackRegistry;
  /** AWS's quotas (quotas.ts); false only in a test that shows what a wall changes. Default true. */
  awsQuotas?: boolean;
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
    if (this.options.awsQuotas !== false) checkExecutionName(name);
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
    const run = startRun(record, machine, resumed, {
      runtime: this.options.runtime,
      callbacks: this.callbacks,
      awsQuotas: this.options.awsQuotas !== false,
      append: (event, timestamp) => this.append(record, event, timestamp),
      ended: async (outcome, reason, details) => {
        this.finish(record, outcome, reason, details);
        this.live.delete(record.executionArn);
        await this.store.saveNow(record);
        if (record.status !== 'RUNNING' && record.status !== 'SUCCEEDED') this.notify(record);
      },
    });
    this.live.set(record.executionArn, run);
    this.store.save(record);
  }

  private finish(
    record: ExecutionRecord,
    outcome: RunOutcome,
    reason: StopReason | undefined,
    details: StopDetails,
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

  private close(record: ExecutionRecord, status: ExecutionStatus, details: StopDetails): void {
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

  private append(record: ExecutionRecord, event: NewEvent, timestamp = Date.now()): void {
    appendEvent(record, event, timestamp);
    this.store.save(record);
  }
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
