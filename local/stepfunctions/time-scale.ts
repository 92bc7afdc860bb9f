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
 * Wait states driven by `SecondsPath`/`Timestamp` are left alone (an override would ignore the path; our definitions
 * have none).
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
