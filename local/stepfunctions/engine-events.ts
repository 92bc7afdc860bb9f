/** The engine's events as an execution's history records them (execution-store.ts `RecordedEvent`). */
import type { ExecutionRecord, RecordedEvent } from './execution-store';

/** Step Functions caps error causes at 32,768 characters. */
const MAX_CAUSE_CHARS = 32_768;

/** An event to add to a history: the history numbers and dates it. */
export type NewEvent = Omit<RecordedEvent, 'id' | 'timestamp'>;

/** The engine's event (its type is not exported by aws-local-stepfunctions). */
export type EngineEvent = Parameters<typeof fromEngineEvent>[0];

/** What the history records of one engine event (fields left undefined are dropped by appendEvent). */
export function fromEngineEvent(event: {
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
}): NewEvent {
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

/** Adds an event to the execution's history, numbered after the last one, without its undefined fields. */
export function appendEvent(record: ExecutionRecord, event: NewEvent, timestamp: number): void {
  const last = record.events[record.events.length - 1];
  const clean = Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)) as NewEvent;
  record.events.push({ id: (last?.id ?? 0) + 1, timestamp: new Date(timestamp).toISOString(), ...clean });
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? String(cause);
}

/** A cause as Step Functions keeps it: at most MAX_CAUSE_CHARS. */
export function truncate(text: string): string {
  return text.length > MAX_CAUSE_CHARS ? text.slice(0, MAX_CAUSE_CHARS) : text;
}
