/**
 * The history events AWS Step Functions records for what the local engine did: one place for the mapping, used by
 * the history cap (quotas.ts, counted as each event happens) and by the bench's cost model (bench/models/history.ts).
 *
 *   local event                  events AWS records
 *   ExecutionStarted             ExecutionStarted
 *   StateEntered (type T)        <T>StateEntered; a Task also TaskScheduled + TaskStarted (its first attempt), and a
 *                                callback Task TaskSubmitted (its Lambda returned; then it waits for the token)
 *   StateFailed (Task)           TaskFailed (one per failed attempt)
 *   StateRetried (Task)          TaskScheduled + TaskStarted of the next attempt (AWS has no event for a retry)
 *   StateCaught                  nothing (the Catch shows as the state's exit and the next state's entry)
 *   StateExited (Task)           TaskSucceeded + TaskStateExited; only TaskStateExited after a caught failure
 *   StateExited (other type T)   <T>StateExited (a Fail state has none: ExecutionFailed follows its entry)
 *   StateFailed (not a Task)     nothing (ExecutionFailed carries the error)
 *   Execution{Succeeded,Failed,Aborted,Timeout}   one event each (ExecutionTimeout is ExecutionTimedOut)
 *   ExecutionResumed, ExecutionInterrupted        nothing (local restarts; AWS does not stop)
 *   Map/Parallel iteration and branch events       one each (our definitions have none)
 *
 * Our Tasks use the optimized integration `arn:aws:states:::lambda:invoke`, which records Task* events. A Task whose
 * Resource is a function ARN (the legacy form) records LambdaFunctionScheduled/Started/Succeeded/Failed instead: the
 * same number of events, named differently. Event types: AWS Step Functions API reference, HistoryEvent.
 */

/** What the mapping needs of a local event (a recorded event, or the engine's as it happens). */
export interface LocalHistoryEvent {
  type: string;
  state?: string | undefined;
  stateType?: string | undefined;
}

interface DefinitionStates {
  States: Record<string, Record<string, unknown>>;
}

/** The local events whose AWS counterpart is nothing at all. */
const LOCAL_ONLY = new Set(['ExecutionResumed', 'ExecutionInterrupted', 'StateCaught']);
const EXECUTION_END: Record<string, string> = {
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionAborted: 'ExecutionAborted',
  ExecutionTimeout: 'ExecutionTimedOut',
};

/** Follows one execution's local events and answers the AWS events each stands for (stateful: a Task's failures). */
export class AwsHistoryMapper {
  /** Per state: whether its last attempt failed (an exit then follows a Catch). */
  private readonly failed = new Map<string, boolean>();

  constructor(private readonly definition: DefinitionStates) {}

  /** The AWS event types `event` stands for, in order (none for a local-only event). */
  awsEvents(event: LocalHistoryEvent): string[] {
    const state = event.state ?? '?';
    const task = event.stateType === 'Task';
    const resource = event.state === undefined ? undefined : this.definition.States[event.state]?.['Resource'];
    const legacy = typeof resource === 'string' && resource.startsWith('arn:aws:lambda:');
    const names = legacy
      ? { scheduled: 'LambdaFunctionScheduled', started: 'LambdaFunctionStarted', succeeded: 'LambdaFunctionSucceeded' }
      : { scheduled: 'TaskScheduled', started: 'TaskStarted', succeeded: 'TaskSucceeded' };
    switch (event.type) {
      case 'ExecutionStarted':
        return ['ExecutionStarted'];
      case 'StateEntered': {
        const out = [`${event.stateType}StateEntered`];
        if (task) {
          out.push(names.scheduled, names.started);
          if (typeof resource === 'string' && resource.endsWith('.waitForTaskToken')) out.push('TaskSubmitted');
          this.failed.set(state, false);
        }
        return out;
      }
      case 'StateFailed':
        if (!task) return [];
        this.failed.set(state, true);
        return [legacy ? 'LambdaFunctionFailed' : 'TaskFailed'];
      case 'StateRetried':
        if (!task) return [];
        this.failed.set(state, false);
        return [names.scheduled, names.started];
      case 'StateExited':
        if (task) return this.failed.get(state) ? ['TaskStateExited'] : [names.succeeded, 'TaskStateExited'];
        return event.stateType === 'Fail' ? [] : [`${event.stateType}StateExited`];
      default:
        if (LOCAL_ONLY.has(event.type)) return [];
        if (event.type in EXECUTION_END) return [EXECUTION_END[event.type] as string];
        return [event.type];
    }
  }
}

/** Whether AWS has an event type of that name (else the mapping met a local event it does not know). */
export function isKnownLocalEvent(type: string): boolean {
  return (
    LOCAL_ONLY.has(type) ||
    type in EXECUTION_END ||
    ['ExecutionStarted', 'StateEntered', 'StateFailed', 'StateRetried', 'StateExited'].includes(type) ||
    /^(MapIteration|ParallelBranch)/.test(type)
  );
}

export interface HistoryCount {
  total: number;
  byType: Record<string, number>;
  /** Local event types the mapping does not know (counted as one event each, and worth a look). */
  unmapped: string[];
}

/** The AWS history a local execution's events stand for (see the table above). */
export function awsHistoryEvents(events: readonly LocalHistoryEvent[], definition: DefinitionStates): HistoryCount {
  const mapper = new AwsHistoryMapper(definition);
  const byType: Record<string, number> = {};
  const unmapped = new Set<string>();
  for (const event of events) {
    if (!isKnownLocalEvent(event.type)) unmapped.add(event.type);
    for (const type of mapper.awsEvents(event)) byType[type] = (byType[type] ?? 0) + 1;
  }
  const total = Object.values(byType).reduce((a, b) => a + b, 0);
  return { total, byType, unmapped: [...unmapped] };
}
