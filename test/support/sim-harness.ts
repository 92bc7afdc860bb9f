/**
 * The Knox simulator for the suites that meet it over loopback HTTP: one per test file (or describe block), started
 * before all and stopped after all, reset before each test (its fixtures back, unless `reset` says otherwise), and
 * clients of it with the simulator's default credentials, fast enough never to wait on their own limiter.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { KnoxSimControl } from '#knox-sim/control';
import {
  SIM_DEFAULT_CREDENTIALS,
  startKnoxSimulator,
  type KnoxSimulatorOptions,
  type RunningKnoxSimulator,
  type SimClock,
} from '#knox-sim/server';
import { HttpKnoxClient, type KnoxClientInternals } from '#knox/client';
import type { KnoxClientConfig } from '#knox/types';

export interface SimHarness {
  /** The running simulator's base URL (set once beforeAll has run). */
  readonly url: string;
  /** Its control surface (set once beforeAll has run). */
  readonly control: KnoxSimControl;
  /** A fresh client of the simulator: its own token and limiter. */
  client(extra?: Partial<KnoxClientConfig>, internals?: KnoxClientInternals): HttpKnoxClient;
}

/** Registers the hooks; `reset: false` leaves the simulator as the previous test left it. */
export function useKnoxSimulator(
  options: { simulator?: KnoxSimulatorOptions; reset?: { fixtures?: boolean } | false } = {},
): SimHarness {
  let sim: RunningKnoxSimulator | undefined;
  let control: KnoxSimControl | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the Knox simulator is not started yet (use it inside a test or hook)');
    return value;
  };
  beforeAll(async () => {
    sim = await startKnoxSimulator({ port: 0, ...options.simulator });
    control = new KnoxSimControl(sim.url);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  const { reset = {} } = options;
  if (reset !== false) beforeEach(() => started(control).reset(reset));
  return {
    get url() {
      return started(sim).url;
    },
    get control() {
      return started(control);
    },
    client(extra = {}, internals = {}) {
      return new HttpKnoxClient(
        {
          baseUrl: started(sim).url,
          credentials: async () => ({ ...SIM_DEFAULT_CREDENTIALS }),
          requestsPerSecond: 10_000,
          ...extra,
        },
        internals,
      );
    },
  };
}

/** A simulator clock that runs with the wall clock and that a test moves forward instead of sleeping. */
export interface MovableClock extends SimClock {
  advance(ms: number): void;
}

export function movableClock(): MovableClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms) {
      offsetMs += ms;
    },
  };
}
