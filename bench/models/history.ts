/**
 * What an executed local history costs on AWS: state transitions (billed) and history events (an execution fails at
 * 25,000). Both are counted from the events the local engine recorded for the execution, not from the diagram.
 *
 * State transitions: every state entered, plus every retry of a state (AWS bills each retry as a transition).
 *
 * History events: the mapping of local events to the events AWS records lives with the local engine
 * (#local/stepfunctions/history-events.ts), which caps an execution at 25,000 of them as AWS does.
 */
export { awsHistoryEvents, type HistoryCount } from '#local/stepfunctions/history-events';

// Moved beside the local engine (the console counts them too); re-exported for the bench.
export { countTransitions, type TransitionCount } from '#local/stepfunctions/transition-count';

/** AWS history events one more poll adds (a failed attempt and the next one's start): for extrapolating a schedule. */
export const HISTORY_EVENTS_PER_POLL = 3;
