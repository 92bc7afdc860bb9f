/**
 * Step Functions quotas the local engine enforces as AWS does, with AWS's own error names:
 *
 * - History: "AWS Step Functions has a hard quota of 25,000 entries in the execution event history. When an execution
 *   reaches 24,999 events, it waits for the next event to happen. If the event number 25,000 is ExecutionSucceeded,
 *   the execution finishes successfully. If not, the ExecutionFailed event is logged" (Step Functions developer
 *   guide, "Avoid reaching the history quota"). The failure reads `States.Runtime`, cause "The execution reached the
 *   maximum number of history events (25000)." (as AWS reports it). History events are counted as AWS records them
 *   (history-events.ts). A local event that stands for several AWS events (a Task's entry: TaskStateEntered,
 *   TaskScheduled, TaskStarted) is refused whole when it does not fit, so a capped history may end a few events short
 *   of 25,000; it never exceeds it.
 * - Payload size: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded
 *   string" (developer guide, Service quotas). Over it, `States.DataLimitExceeded`: "Reported when: the output of a
 *   connector is larger than payload size quota; the output of a state is larger than payload size quota; after
 *   Parameters processing, the input of a state is larger than the payload size quota", "a terminal error that can't
 *   be caught by the States.ALL error type" (developer guide, Error handling). A Task's result over the limit is
 *   thrown into the Task, where a Retry or Catch that names `States.DataLimitExceeded` matches it and `States.ALL` /
 *   `States.TaskFailed` do not; a state's input or output over the limit fails the execution.
 * - Names: "Names of state machines, executions, and activity tasks must not exceed 80 characters in length ... and
 *   must not contain any of the following: whitespace, wildcard characters (? *), bracket characters (< > { } [ ]),
 *   special characters (" # % \ ^ | ~ ` $ & , ; : /), control characters (\u0000 - \u001f or \u007f - \u009f)"
 *   (developer guide, Service quotas, General quotas). StartExecution answers `InvalidName`.
 */
import { AwsServiceError } from '../protocol/aws-json-server';
import { AwsHistoryMapper, type LocalHistoryEvent } from './history-events';

export const MAX_HISTORY_EVENTS = 25_000;
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const MAX_EXECUTION_NAME = 80;

/** Whitespace, brackets, wildcards, AWS's special characters and control characters. */
const FORBIDDEN_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;
const isControl = (c: string): boolean => {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
};

/** Refuses a name AWS refuses, as StartExecution does (`InvalidName`). */
export function checkExecutionName(name: string): void {
  const characters = [...name];
  if (
    characters.length < 1 ||
    characters.length > MAX_EXECUTION_NAME ||
    FORBIDDEN_NAME_CHARACTER.test(name) ||
    characters.some(isControl)
  ) {
    throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
  }
}

/** The size Step Functions measures: the JSON text's UTF-8 bytes. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

interface RetryAndCatch {
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
}

/**
 * States.DataLimitExceeded thrown into a Task. aws-local-stepfunctions matches `States.ALL` and `States.TaskFailed`
 * for any error it may retry or catch, and asks the error whether it may (`isRetryable` for each retrier, then
 * `isCatchable` for each catcher, in the definition's order, once each). The answers follow the state's own
 * retriers and catchers: yes only to one that names States.DataLimitExceeded, as on AWS.
 */
export class DataLimitExceeded extends Error {
  override readonly name = 'States.DataLimitExceeded';
  private retrier = 0;
  private catcher = 0;
  constructor(
    message: string,
    private readonly state: RetryAndCatch = {},
  ) {
    super(message);
  }
  get isRetryable(): boolean {
    return names(this.state.Retry?.[this.retrier++]);
  }
  get isCatchable(): boolean {
    return names(this.state.Catch?.[this.catcher++]);
  }
}

function names(rule: { ErrorEquals: string[] } | undefined): boolean {
  return rule?.ErrorEquals.includes('States.DataLimitExceeded') ?? false;
}

/** Throws States.DataLimitExceeded when a Task's result (the integration's answer) is over the limit. */
export function checkTaskResult<T>(stateName: string, state: RetryAndCatch, result: T): T {
  if (payloadBytes(result) > MAX_PAYLOAD_BYTES) {
    throw new DataLimitExceeded(
      `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      state,
    );
  }
  return result;
}

/** The failure of an execution whose history is full (thrown into the engine's run loop: no state can catch it). */
export class HistoryLimitReached extends Error {
  override readonly name = 'States.Runtime';
  constructor() {
    super(`The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`);
  }
}

/** A state's input or output over the limit (thrown into the engine's run loop: the execution fails). */
class StateDataLimitExceeded extends Error {
  override readonly name = 'States.DataLimitExceeded';
}

/** The engine's event as it is dispatched (the fields the quotas read). */
export interface DispatchedEvent {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
}

/**
 * One run's quotas, told of each engine event before it is recorded (run-hooks.ts): throws to fail the execution.
 * `start` is the AWS history count the run starts from (a resumed run continues its execution's history).
 */
export class RunQuotas {
  private readonly mapper: AwsHistoryMapper;
  private count: number;

  constructor(definition: { States: Record<string, Record<string, unknown>> }, start = 0) {
    this.mapper = new AwsHistoryMapper(definition);
    this.count = start;
  }

  /** AWS history events counted so far. */
  get historyEvents(): number {
    return this.count;
  }

  /** Counts `event`; throws when it does not fit the history or carries data over the limit. */
  admit(event: DispatchedEvent): void {
    if (event.type === 'StateEntered' && event.state && payloadBytes(event.state.input ?? null) > MAX_PAYLOAD_BYTES)
      throw new StateDataLimitExceeded(
        `The state/task '${event.state.name}' has an input with a size exceeding the maximum number of bytes service limit.`,
      );
    if (event.type === 'StateExited' && event.state && payloadBytes(event.state.output ?? null) > MAX_PAYLOAD_BYTES)
      throw new StateDataLimitExceeded(
        `The state/task '${event.state.name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      );
    const local: LocalHistoryEvent = { type: event.type, state: event.state?.name, stateType: event.state?.type };
    const added = this.mapper.awsEvents(local).length;
    // Event 25,000 may only be the execution's end (ExecutionSucceeded, or the ExecutionFailed that reports this).
    const terminal = event.type.startsWith('Execution') && event.type !== 'ExecutionStarted';
    if (!terminal && this.count + added > MAX_HISTORY_EVENTS - 1) throw new HistoryLimitReached();
    this.count += added;
  }
}
