/**
 * The one way a test waits for something the local stack does in its own time: ask `probe` again and again, a short
 * interval apart, until it answers something other than undefined, and never longer than the bound. A probe that never
 * answers fails the test with what it last saw (through `what`), not a hang.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** The bound (default 30 s of real time: the stack runs at a compressed TIME_SCALE, so answers come in ms). */
  timeoutMs?: number;
  /** Between two asks (default 25 ms). */
  intervalMs?: number;
  /** What is awaited, for the error message (a function: read when the error is made, e.g. with the last answer). */
  what?: string | (() => string);
}

/** Thrown when the bound passes, or when `stop` says that waiting longer cannot help. */
export class EventuallyTimeout extends Error {
  override readonly name = 'EventuallyTimeout';
}

/**
 * `probe` answers the awaited value, or undefined to be asked again; `stop` (optional) answers a reason when waiting
 * longer cannot help (a terminal status), which fails at once with that reason.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: EventuallyOptions & { stop?: () => string | undefined } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const what = () => (typeof options.what === 'function' ? options.what() : (options.what ?? 'the awaited answer'));
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const stopped = options.stop?.();
    if (stopped !== undefined) throw new EventuallyTimeout(`${what()}: ${stopped}`);
    if (Date.now() >= deadline) throw new EventuallyTimeout(`${what()}: not within ${timeoutMs} ms`);
    await sleep(options.intervalMs ?? 25);
  }
}
