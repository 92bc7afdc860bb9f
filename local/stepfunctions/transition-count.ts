/**
 * State transitions of an executed local history, counted as AWS bills them (Standard workflows: every state
 * entered, plus every retry of a state; https://aws.amazon.com/step-functions/pricing/). Pure: the bench's models
 * (bench/models/history.ts) and the console (local/console/execution-view.ts) both use it.
 */
import type { RecordedEvent } from './execution-store';

export interface TransitionCount {
  /** States entered + retries. */
  transitions: number;
  statesEntered: number;
  retries: number;
  /** Retries per state (e.g. the status check's polls beyond the first). */
  retriesByState: Record<string, number>;
}

export function countTransitions(events: readonly Pick<RecordedEvent, 'type' | 'state'>[]): TransitionCount {
  let statesEntered = 0;
  let retries = 0;
  const retriesByState: Record<string, number> = {};
  for (const event of events) {
    if (event.type === 'StateEntered') statesEntered += 1;
    if (event.type === 'StateRetried') {
      retries += 1;
      const state = event.state ?? '?';
      retriesByState[state] = (retriesByState[state] ?? 0) + 1;
    }
  }
  return { transitions: statesEntered + retries, statesEntered, retries, retriesByState };
}

const EXECUTION_END: Record<string, string> = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionAborted: 'ExecutionAborted',
  ExecutionTimeout: 'ExecutionTimedOut',
};

/**
 * The Step Functions history event type a local event stands for (`TaskStateEntered`, `TaskFailed`, ...), given the
 * type of its state; undefined for local events AWS records nothing for (a Catch, a local restart). The whole mapping,
 * with the events AWS adds beside these, is in bench/models/history.ts.
 */
export function awsEventType(type: string, stateType: string | undefined): string | undefined {
  if (type in EXECUTION_END) return EXECUTION_END[type];
  if (stateType === undefined) return undefined;
  switch (type) {
    case 'StateEntered':
      return `${stateType}StateEntered`;
    case 'StateExited':
      return stateType === 'Fail' ? undefined : `${stateType}StateExited`;
    case 'StateFailed':
      return stateType === 'Task' ? 'TaskFailed' : undefined;
    case 'StateRetried':
      return stateType === 'Task' ? 'TaskScheduled' : undefined;
    default:
      return undefined;
  }
}
