/**
 * What an executed local history costs on AWS: state transitions (billed) and history events (an execution fails at
 * 25,000). Both are counted from the events the local engine recorded for the execution, not from the diagram.
 *
 * State transitions: every state entered, plus every retry of a state (AWS bills each retry as a transition).
 *
 * History events: each local event is mapped to the events Step Functions records for it:
 *
 *   local event                  events AWS records
 *   ExecutionStarted             ExecutionStarted
 *   StateEntered (type T)        <T>StateEntered; a Task also TaskScheduled + TaskStarted (its first attempt)
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
 * same number of events, named differently. `awsHistoryEvents` returns the counts by AWS event type.
 */
import type { RecordedEvent } from '#local/stepfunctions/execution-store';
import type { AslDefinition } from '#local/template/template';

/** The local events whose AWS counterpart is nothing at all. */
const LOCAL_ONLY = new Set(['ExecutionResumed', 'ExecutionInterrupted', 'StateCaught']);
const EXECUTION_END: Record<string, string> = {
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionAborted: 'ExecutionAborted',
  ExecutionTimeout: 'ExecutionTimedOut',
};

// Moved beside the local engine (the console counts them too); re-exported for the bench.
export { countTransitions, type TransitionCount } from '#local/stepfunctions/transition-count';

export interface HistoryCount {
  total: number;
  byType: Record<string, number>;
  /** Local event types the mapping does not know (counted as one event each, and worth a look). */
  unmapped: string[];
}

/** The AWS history a local execution's events stand for (see the table above). */
export function awsHistoryEvents(events: readonly RecordedEvent[], definition: AslDefinition): HistoryCount {
  const byType: Record<string, number> = {};
  const unmapped = new Set<string>();
  const add = (type: string, n = 1): void => {
    byType[type] = (byType[type] ?? 0) + n;
  };
  /** Per state: whether its last attempt failed (an exit then follows a Catch). */
  const failed = new Map<string, boolean>();
  const lambdaEvents = (
    state: string | undefined,
  ): { scheduled: string; started: string; succeeded: string; failed: string } => {
    const resource = state === undefined ? undefined : definition.States[state]?.['Resource'];
    const legacy = typeof resource === 'string' && resource.startsWith('arn:aws:lambda:');
    return legacy
      ? {
          scheduled: 'LambdaFunctionScheduled',
          started: 'LambdaFunctionStarted',
          succeeded: 'LambdaFunctionSucceeded',
          failed: 'LambdaFunctionFailed',
        }
      : { scheduled: 'TaskScheduled', started: 'TaskStarted', succeeded: 'TaskSucceeded', failed: 'TaskFailed' };
  };
  const isCallback = (state: string | undefined): boolean => {
    const resource = state === undefined ? undefined : definition.States[state]?.['Resource'];
    return typeof resource === 'string' && resource.endsWith('.waitForTaskToken');
  };
  for (const event of events) {
    const state = event.state;
    const type = event.stateType;
    const task = type === 'Task';
    const names = lambdaEvents(state);
    switch (event.type) {
      case 'ExecutionStarted':
        add('ExecutionStarted');
        break;
      case 'StateEntered':
        add(`${type}StateEntered`);
        if (task) {
          add(names.scheduled);
          add(names.started);
          // A callback Task also records TaskSubmitted when its Lambda has returned (then it waits for the token).
          if (isCallback(state)) add('TaskSubmitted');
          failed.set(state ?? '?', false);
        }
        break;
      case 'StateFailed':
        if (task) {
          add(names.failed);
          failed.set(state ?? '?', true);
        }
        break;
      case 'StateRetried':
        if (task) {
          add(names.scheduled);
          add(names.started);
          failed.set(state ?? '?', false);
        }
        break;
      case 'StateExited':
        if (task) {
          if (!failed.get(state ?? '?')) add(names.succeeded);
          add('TaskStateExited');
        } else if (type !== 'Fail') {
          add(`${type}StateExited`);
        }
        break;
      default:
        if (LOCAL_ONLY.has(event.type)) break;
        if (event.type in EXECUTION_END) add(EXECUTION_END[event.type]!);
        else if (/^(MapIteration|ParallelBranch)/.test(event.type)) add(event.type);
        else {
          unmapped.add(event.type);
          add(event.type);
        }
    }
  }
  const total = Object.values(byType).reduce((a, b) => a + b, 0);
  return { total, byType, unmapped: [...unmapped] };
}

/** AWS history events one more poll adds (a failed attempt and the next one's start): for extrapolating a schedule. */
export const HISTORY_EVENTS_PER_POLL = 3;
