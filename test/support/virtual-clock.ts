/**
 * A clock whose time moves only when the test says so; sleepers wake in time order as it moves. No test that uses it
 * waits for or reads wall-clock time.
 */
export interface VirtualClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Moves time to `target`, waking every sleeper due by then (in order) and letting its work run. */
  advanceTo(target: number): Promise<void>;
  advance(ms: number): Promise<void>;
  /** Lets pending promise chains run without moving time. */
  settle(): Promise<void>;
}

export function virtualClock(start = 1_700_000_000_000): VirtualClock {
  let t = start;
  const timers: { at: number; wake: () => void }[] = [];
  const settle = async () => {
    for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const clock: VirtualClock = {
    now: () => t,
    sleep: (ms) => new Promise<void>((wake) => timers.push({ at: t + Math.max(0, ms), wake })),
    settle,
    async advanceTo(target) {
      await settle();
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > target) break;
        timers.shift();
        t = Math.max(t, next.at);
        next.wake();
        await settle();
      }
      t = Math.max(t, target);
      await settle();
    },
    advance: (ms) => clock.advanceTo(t + ms),
  };
  return clock;
}
