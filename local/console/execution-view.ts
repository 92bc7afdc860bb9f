/**
 * One execution as the console draws it: for each state of the graph that the execution visited, how its last visit
 * ended (succeeded, caught, failed, in progress, stopped), its retries and its last input, output and error; and the
 * edges of the path taken (a Catch's edge when a Catch routed the failure, else the Next, Choice or Default edge).
 */
import { causeMessage } from '../stepfunctions/execution-path';
import type { ExecutionRecord } from '../stepfunctions/execution-store';
import { awsEventType, countTransitions } from '../stepfunctions/transition-count';
import {
  END_NODE,
  START_NODE,
  type ConsoleEvent,
  type ExecutionView,
  type GraphEdge,
  type StateOutcome,
  type StateVisit,
  type LaidOutGraph,
} from './console-model';
import { definedFields } from '#domain/defined-fields';

/** Inputs and outputs larger than this are cut (the inspector shows the start). */
const MAX_JSON_CHARS = 16_384;

type Phase = 'entered' | 'exited' | 'failed' | 'caught';

interface Visit {
  state: string;
  type: string;
  phase: Phase;
  visits: number;
  retries: number;
  lastInput?: string;
  lastOutput?: string;
  lastError?: { error: string; cause?: string; at: string };
}

export function executionView(record: ExecutionRecord, graph: LaidOutGraph): ExecutionView {
  const types = new Map(graph.nodes.map((n) => [n.id, n.type]));
  const visits = new Map<string, Visit>();
  const taken: Record<string, number> = {};
  const take = (edge: GraphEdge | undefined): void => {
    if (edge) taken[edge.id] = (taken[edge.id] ?? 0) + 1;
  };
  let previous: string = START_NODE;
  let caught: { from: string; next: string; errorEquals: string[] } | undefined;
  let resumedAt: string | undefined;

  for (const event of record.events) {
    const state = event.state;
    if (event.type === 'ExecutionResumed') {
      resumedAt = state;
      continue;
    }
    if (state === undefined || !types.has(state)) continue; // nested branch states are not drawn
    const visit = visits.get(state) ?? { state, type: types.get(state)!, phase: 'entered', visits: 0, retries: 0 };
    visits.set(state, visit);
    switch (event.type) {
      case 'StateEntered':
        // A resumed run enters again the state it was in: the same visit, no new edge.
        if (resumedAt === state && previous === state) {
          resumedAt = undefined;
          break;
        }
        resumedAt = undefined;
        take(edgeTaken(graph.edges, previous, state, caught));
        caught = undefined;
        previous = state;
        visit.visits += 1;
        visit.phase = 'entered';
        visit.lastOutput = undefined;
        if (event.input !== undefined) visit.lastInput = cut(event.input);
        break;
      case 'StateExited':
        // The engine also exits a state whose failure a Catch routed: it stays caught.
        if (visit.phase !== 'caught') visit.phase = 'exited';
        if (event.output !== undefined) visit.lastOutput = cut(event.output);
        break;
      case 'StateFailed':
        visit.phase = 'failed';
        visit.lastError = {
          error: event.error ?? '?',
          ...(event.cause !== undefined ? { cause: cut(event.cause) } : {}),
          at: event.timestamp,
        };
        break;
      case 'StateRetried':
        visit.retries += 1;
        visit.phase = 'entered';
        break;
      case 'StateCaught':
        visit.phase = 'caught';
        if (event.catch) caught = { from: state, next: event.catch.next, errorEquals: event.catch.errorEquals };
        break;
      default:
        break;
    }
  }
  if (record.status === 'SUCCEEDED' || record.status === 'FAILED') {
    take(graph.edges.find((e) => e.from === previous && e.to === END_NODE));
  }

  const states: StateVisit[] = [...visits.values()]
    .filter((v) => v.visits > 0)
    .map((v) => ({
      state: v.state,
      outcome: outcomeOf(v, record.status),
      visits: v.visits,
      retries: v.retries,
      ...definedFields(v, ['lastInput', 'lastOutput', 'lastError']),
    }));
  return {
    name: record.name,
    workflow: record.workflow,
    status: record.status,
    startDate: record.startDate,
    ...(record.stopDate !== undefined ? { stopDate: record.stopDate } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: cut(record.cause) } : {}),
    graph,
    states,
    taken,
    events: record.events.map((e) => consoleEvent(e, e.state !== undefined ? types.get(e.state) : undefined)),
    transitions: countTransitions(record.events).transitions,
  };
}

/** The edge from `from` to `to`: the Catch's when a Catch of `from` routed to `to`, else the plain transition. */
function edgeTaken(
  edges: GraphEdge[],
  from: string,
  to: string,
  caught: { from: string; next: string; errorEquals: string[] } | undefined,
): GraphEdge | undefined {
  const between = edges.filter((e) => e.from === from && e.to === to);
  if (caught && caught.from === from && caught.next === to) {
    const label = caught.errorEquals.join(', ');
    return between.find((e) => e.kind === 'catch' && e.label === label) ?? between.find((e) => e.kind === 'catch');
  }
  return between.find((e) => e.kind !== 'catch') ?? between[0];
}

function outcomeOf(visit: Visit, executionStatus: string): StateOutcome {
  switch (visit.phase) {
    case 'exited':
      return 'succeeded';
    case 'caught':
      return 'caught';
    case 'failed':
      return executionStatus === 'RUNNING' ? 'inProgress' : 'failed';
    case 'entered':
      if (executionStatus === 'RUNNING') return 'inProgress';
      // Succeed and Fail states end the execution without an exit event of their own.
      if (visit.type === 'Succeed') return 'succeeded';
      if (visit.type === 'Fail') return 'failed';
      return 'stopped';
  }
}

function consoleEvent(event: ExecutionRecord['events'][number], stateType: string | undefined): ConsoleEvent {
  const awsType = awsEventType(event.type, stateType);
  return {
    id: event.id,
    timestamp: event.timestamp,
    type: event.type,
    ...(awsType !== undefined ? { awsType } : {}),
    ...(event.state !== undefined ? { state: event.state } : {}),
    ...(event.error !== undefined ? { error: event.error } : {}),
    // The Lambda error's own message, without its stack (the inspector shows the whole cause).
    ...(event.cause !== undefined ? { cause: cut(causeMessage(event.cause) ?? event.cause, 2_000) } : {}),
  };
}

function cut(text: string, max = MAX_JSON_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
