/**
 * Amazon States Language as this project reads it: the types of a resolved definition, and walks over its states.
 * The local engine, the template tests and the bench all read definitions through these.
 */

/** An Amazon States Language document (what the tests and the local engine read). */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  Comment?: string;
  [key: string]: unknown;
}
export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}
export interface AslCatcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultSelector?: Record<string, unknown>;
  ResultPath?: string | null;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
  TimeoutSeconds?: number;
  Seconds?: number;
  Choices?: Record<string, unknown>[];
  Default?: string;
  Error?: string;
  Cause?: string;
  [key: string]: unknown;
}

/** The Task states of a definition (nested Parallel/Map branches included), by state name. */
export function taskStates(definition: {
  States: Record<string, Record<string, unknown>>;
}): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state['Type'] === 'Task') out.push([name, state]);
    for (const nested of nestedMachines(state)) out.push(...taskStates(nested));
  }
  return out;
}

/** The sub-machines of a Parallel or Map state. */
export function nestedMachines(state: Record<string, unknown>): { States: Record<string, Record<string, unknown>> }[] {
  const out: { States: Record<string, Record<string, unknown>> }[] = [];
  if (Array.isArray(state['Branches']))
    out.push(...(state['Branches'] as { States: Record<string, Record<string, unknown>> }[]));
  for (const key of ['Iterator', 'ItemProcessor']) {
    const machine = state[key] as { States?: Record<string, Record<string, unknown>> } | undefined;
    if (machine?.States) out.push(machine as { States: Record<string, Record<string, unknown>> });
  }
  return out;
}
