/**
 * A synchronous tap on the engine's events, for what must happen *before* the engine goes on: the quotas
 * (quotas.ts: an event that does not fit fails the execution at that very event, not some events later) and the
 * TIME_SCALE of Wait states that read their time from the input (time-scale.ts: the wait's override must be set
 * between the state's entry and its execution, which run in one synchronous stretch in the engine).
 *
 * aws-local-stepfunctions 3.0.0 hands a run's events out only as an async generator; its run loop
 * (`StateMachine.execute(input, options, cleanup)`) dispatches each event through `options.eventLogger.dispatch`
 * synchronously, and passes the run's options as `options.runOptions`. The tap wraps that logger's `dispatch` for a
 * run whose options carry hooks (RUN_HOOKS), once per run: a Map or Parallel branch's own logger is left alone (its
 * events reach the run's logger, and the tap, when forwarded). A hook that throws fails the execution where it is:
 * inside the run loop, where no Retry or Catch applies.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { DispatchedEvent } from './quotas';

export const RUN_HOOKS = Symbol.for('knox-onboarding.local.run-hooks');

export interface RunHooks {
  /** Told of each event before it is recorded; may throw to fail the execution. */
  beforeEvent(event: DispatchedEvent): void;
  /** Set once the tap is on the run's own logger. */
  installed?: boolean;
}

interface EngineLogger {
  dispatch(event: DispatchedEvent): void;
}
type Execute = (
  this: unknown,
  input: unknown,
  options: { eventLogger: EngineLogger; runOptions?: Record<PropertyKey, unknown> },
  cleanup: () => void,
) => Promise<unknown>;

const prototype = StateMachine.prototype as unknown as { execute: Execute; [RUN_HOOKS]?: true };
if (!prototype[RUN_HOOKS]) {
  const original = prototype.execute;
  if (typeof original !== 'function') throw new Error('aws-local-stepfunctions changed: no StateMachine.execute');
  prototype.execute = function execute(input, options, cleanup) {
    const hooks = options.runOptions?.[RUN_HOOKS] as RunHooks | undefined;
    if (hooks && !hooks.installed) {
      hooks.installed = true;
      const logger = options.eventLogger;
      const dispatch = logger.dispatch.bind(logger);
      logger.dispatch = (event) => {
        // ExecutionAborted is the engine's answer to abort(): it needs no room and must never throw.
        if (event.type !== 'ExecutionAborted') hooks.beforeEvent(event);
        dispatch(event);
      };
    }
    return original.call(this, input, options, cleanup);
  };
  prototype[RUN_HOOKS] = true;
}

/** The run options with the hooks attached (the engine spreads them into `runOptions`). */
export function withRunHooks<T extends object>(runOptions: T, hooks: RunHooks): T {
  return { ...runOptions, [RUN_HOOKS]: hooks };
}
