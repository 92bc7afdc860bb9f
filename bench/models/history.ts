/**
 * What an executed local history costs on AWS: state transitions (billed) and history events (an execution fails at
 * 25,000). Both are counted from the events the local engine recorded for the execution, not from the diagram.
 *
 * State transitions: every state entered, plus every retry of a state (AWS bills each retry as a transition).
 *
 * History events: the mapping of local events to the events AWS records lives with the local engine
 * (#local/stepfunctions/history-events.ts), which caps an execution at 25,000 of them as AWS does.
 */
import type { RecordedEvent } from '#local/stepfunctions/execution-store';
export { awsHistoryEvents, type HistoryCount } from '#local/stepfunctions/history-events';

export interface TransitionCount {
  /** States entered + retries. */
  transitions: number;
  statesEntered: number;
  retries: number;
  /** Retries per state (e.g. the status check's polls beyond the first). */
  retriesByState: Record<string, number>;
}

export function countTransitions(events: readonly RecordedEvent[]): TransitionCount {
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

/** AWS history events one more poll adds (a failed attempt and the next one's start): for extrapolating a schedule. */
export const HISTORY_EVENTS_PER_POLL = 3;
