/**
 * TIME_SCALE: how the local stack makes a 7-day wait last minutes without changing the schedule's shape.
 *
 * aws-local-stepfunctions offers two overrides: `waitTimeOverrides` (a fixed time per Wait state) and
 * `retryIntervalOverrides` (a FIXED interval per retrier). The first is what we want for Wait states: their `Seconds`
 * times the scale. The second would flatten the exponential backoff (2 s, 4 s, 8 s... and the polling schedule 60 s,
 * 120 s, ... 3600 s would all become one interval) and switch jitter off, so instead we scale the numbers in the
 * engine's in-memory copy of the definition: every retrier's `IntervalSeconds` and `MaxDelaySeconds`, and the
 * machine's `TimeoutSeconds`. BackoffRate, MaxAttempts and JitterStrategy stay as synthesized, so the local run has
 * the same number of attempts with the same growth, only faster. The scaled numbers are fractional, which the ASL
 * validator refuses: validate the unscaled definition, then build the engine from the scaled copy with `noValidate`.
 *
 * Task `TimeoutSeconds` is not scaled: it bounds a Lambda's real compute time, which TIME_SCALE does not speed up.
 * The one exception is a callback Task (`.waitForTaskToken`): its TimeoutSeconds is the customer's deadline, a wait.
 */
import { nestedMachines } from '../template/template';

/** ASL's default IntervalSeconds: written out explicitly in the scaled copy so that it is scaled too. */
const ASL_DEFAULT_INTERVAL_SECONDS = 1;

type States = Record<string, Record<string, unknown>>;

/** A deep copy of `definition` with every retry interval, retry cap and the machine timeout multiplied by `factor`. */
export function scaleDefinition<T extends { States: States; TimeoutSeconds?: number }>(
  definition: T,
  factor: number,
): T {
  if (!(factor > 0) || !Number.isFinite(factor))
    throw new RangeError(`TIME_SCALE must be a positive number, got ${factor}`);
  const copy = structuredClone(definition);
  scaleStates(copy.States, factor);
  if (typeof copy.TimeoutSeconds === 'number') copy.TimeoutSeconds = copy.TimeoutSeconds * factor;
  return copy;
}

/** A callback Task: its TimeoutSeconds is a wait on the customer, not a bound on compute. */
export function isCallbackTask(state: Record<string, unknown>): boolean {
  return (
    state['Type'] === 'Task' && typeof state['Resource'] === 'string' && state['Resource'].endsWith('.waitForTaskToken')
  );
}

function scaleStates(states: States, factor: number): void {
  for (const state of Object.values(states)) {
    if (isCallbackTask(state) && typeof state['TimeoutSeconds'] === 'number')
      state['TimeoutSeconds'] = state['TimeoutSeconds'] * factor;
    if (Array.isArray(state['Retry'])) {
      for (const retrier of state['Retry'] as Record<string, unknown>[]) {
        const interval =
          typeof retrier['IntervalSeconds'] === 'number' ? retrier['IntervalSeconds'] : ASL_DEFAULT_INTERVAL_SECONDS;
        retrier['IntervalSeconds'] = interval * factor;
        if (typeof retrier['MaxDelaySeconds'] === 'number')
          retrier['MaxDelaySeconds'] = retrier['MaxDelaySeconds'] * factor;
      }
    }
    for (const nested of nestedMachines(state)) scaleStates(nested.States, factor);
  }
}

/**
 * The engine's `waitTimeOverrides` for `definition`: each Wait state with `Seconds` waits `Seconds * factor` (in ms).
 * Wait states driven by `SecondsPath`, `Timestamp` or `TimestampPath` get theirs as each is entered
 * (`scaledWaitMs`): their time depends on the input or the clock.
 */
export function waitTimeOverrides(definition: { States: States }, factor: number): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (states: States): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state['Type'] === 'Wait' && typeof state['Seconds'] === 'number')
        out[name] = state['Seconds'] * factor * 1000;
      for (const nested of nestedMachines(state)) visit(nested.States);
    }
  };
  visit(definition.States);
  return out;
}

/** A deadline is a wait too: WAIT_DEADLINE_SECONDS scaled, in whole seconds (at least 1). */
export function scaleSeconds(seconds: number, factor: number): number {
  return Math.max(1, Math.ceil(seconds * factor));
}

/**
 * The time a Wait state driven by `SecondsPath`, `Timestamp` or `TimestampPath` waits under TIME_SCALE, in ms, given
 * the input it entered with: the seconds it reads times `factor`, or the time left until the timestamp times
 * `factor`. Undefined (the engine then reads the state itself, unscaled) at a factor of 1, for a `Seconds` wait
 * (scaled by its fixed override), for a path the engine must judge (a context path `$$.`, a path that selects nothing,
 * a value that is not a non-negative integer or an RFC 3339 timestamp: the engine fails the state as AWS does).
 * `InputPath` applies first, as in the engine.
 */
export function scaledWaitMs(
  state: Record<string, unknown>,
  input: unknown,
  factor: number,
  now = Date.now(),
): number | undefined {
  if (factor === 1 || state['Type'] !== 'Wait') return undefined;
  const effective = typeof state['InputPath'] === 'string' ? readPath(input, state['InputPath']) : input;
  if (effective === NOT_FOUND) return undefined;
  if (typeof state['SecondsPath'] === 'string') {
    const seconds = readPath(effective, state['SecondsPath']);
    return Number.isInteger(seconds) && (seconds as number) >= 0 ? (seconds as number) * factor * 1000 : undefined;
  }
  const timestamp =
    typeof state['Timestamp'] === 'string'
      ? state['Timestamp']
      : typeof state['TimestampPath'] === 'string'
        ? readPath(effective, state['TimestampPath'])
        : undefined;
  if (typeof timestamp !== 'string' || !RFC3339.test(timestamp)) return undefined;
  return Math.max(0, Date.parse(timestamp) - now) * factor;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const NOT_FOUND = Symbol('not found');

/** A reference path (`$`, `$.a.b`, `$.a[0]`, `$['a']`) read from `value`; NOT_FOUND for anything else. */
function readPath(value: unknown, path: string): unknown {
  if (!path.startsWith('$') || path.startsWith('$$')) return NOT_FOUND;
  const steps = /^(?:\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\])/;
  let rest = path.slice(1);
  let current = value;
  while (rest.length > 0) {
    const match = steps.exec(rest);
    if (!match) return NOT_FOUND;
    const key = match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3] ?? '');
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return NOT_FOUND;
    current = (current as Record<string | number, unknown>)[key];
    rest = rest.slice(match[0].length);
  }
  return current;
}
