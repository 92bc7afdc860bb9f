/**
 * An execution's path through the diagram, from its recorded events: the states in the order they ran, each with its
 * failed attempts (error names), how many times it was retried and where a Catch sent it. `GET /executions/{name}`
 * answers it and `npm run executions <name>` prints it.
 */
import type { ExecutionRecord, RecordedEvent } from './execution-store';

export interface PathStep {
  state: string;
  type: string;
  enteredAt: string;
  exitedAt?: string;
  /** Every failed attempt of this state, in order (a retried Task fails once per attempt). */
  errors: { error: string; message?: string; at: string }[];
  retries: number;
  /** A Catch routed the failure: which errors it matched and the state it went to. */
  caught?: { errorEquals: string[]; next: string };
}

export interface ExecutionSummary {
  name: string;
  executionArn: string;
  workflow: string;
  status: string;
  startDate: string;
  stopDate?: string;
  /** The record this execution works on (its input's `id`). */
  recordId?: string;
}

export interface ExecutionDetail extends ExecutionSummary {
  error?: string;
  cause?: string;
  /** Runs made of it locally: more than 1 when a restart resumed it. */
  runs: number;
  path: PathStep[];
  events: RecordedEvent[];
}

export function recordIdOf(record: ExecutionRecord): string | undefined {
  try {
    const input = JSON.parse(record.input) as { id?: unknown };
    return typeof input.id === 'string' ? input.id : undefined;
  } catch {
    return undefined;
  }
}

export function summarize(record: ExecutionRecord): ExecutionSummary {
  const recordId = recordIdOf(record);
  return {
    name: record.name,
    executionArn: record.executionArn,
    workflow: record.workflow,
    status: record.status,
    startDate: record.startDate,
    ...(record.stopDate ? { stopDate: record.stopDate } : {}),
    ...(recordId ? { recordId } : {}),
  };
}

export function detail(record: ExecutionRecord): ExecutionDetail {
  return {
    ...summarize(record),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
    runs: record.runs,
    path: executionPath(record.events),
    events: record.events,
  };
}

/** The Lambda error's own message when the cause is Lambda's JSON `{errorType, errorMessage}`. */
export function causeMessage(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message.
  }
  return cause;
}

/** The states in the order they ran (a resumed execution starts over: its path shows both runs). */
export function executionPath(events: RecordedEvent[]): PathStep[] {
  const steps: PathStep[] = [];
  let current: PathStep | undefined;
  for (const event of events) {
    switch (event.type) {
      case 'StateEntered':
        current = {
          state: event.state ?? '?',
          type: event.stateType ?? '?',
          enteredAt: event.timestamp,
          errors: [],
          retries: 0,
        };
        steps.push(current);
        break;
      case 'StateExited':
        if (current && current.state === event.state) current.exitedAt = event.timestamp;
        break;
      case 'StateFailed':
        if (current) {
          const message = causeMessage(event.cause);
          current.errors.push({
            error: event.error ?? '?',
            ...(message !== undefined ? { message } : {}),
            at: event.timestamp,
          });
        }
        break;
      case 'StateRetried':
        if (current) current.retries += 1;
        break;
      case 'StateCaught':
        if (current && event.catch) {
          current.caught = event.catch;
          current.exitedAt = event.timestamp;
        }
        break;
      default:
        break;
    }
  }
  return steps;
}
