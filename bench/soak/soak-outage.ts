/**
 * The soak's outage phase (`npm run soak -- --outage`): a while after the workload starts, Knox goes down
 * (the simulator's outage switch: every call, the token endpoint included, 500 or dropped) for `durationMs` real
 * milliseconds, while the chaos goes on before and after it. 1.5 s by default (about 50 scaled minutes): at the
 * soak's TIME_SCALE an hour is 1.8 s, and the retriers' backstop is scaled with it, so an outage past the hour would
 * rightly FAIL workflows. Then, from what was read back:
 * - a violation for every workflow the outage FAILED: its run of transient failures began during the outage and the
 *   step gave up at the end of its retry window (RETRY_WINDOW_EXCEEDED) or its retrier ran out;
 * - figures: Knox requests the outage refused, workflows that met it, refused requests per such workflow.
 * A run of failures that began before the outage (chaos) and outlasted the window with it is a legitimate FAILED.
 */
import type { KnoxSimControl } from '#knox-sim/control';
import type { OutageStatus, RequestLogEntry } from '#knox-sim/model';
import type { Outcome } from './checks';

export interface OutagePhaseOptions {
  /** When Knox goes down, counted from the start of the workload (real ms). */
  afterMs: number;
  /** How long it stays down (real ms). */
  durationMs: number;
  /** The share of refused requests whose connection is dropped instead of answered 500 (the simulator's default: 1/3). */
  dropRate?: number;
}

// Shorter than one scaled hour at the soak's TIME_SCALE (0.0005: 1.8 s): the retriers' backstop (MaxAttempts, from
// the deployed one-hour window) is scaled too, so a longer outage would rightly FAIL workflows.
export const SOAK_OUTAGE_DEFAULTS: OutagePhaseOptions = { afterMs: 3000, durationMs: 1_500 };

export interface OutageWindow {
  since: string;
  until: string;
}

export interface RunningOutagePhase {
  /** Waits for nothing: ends the outage if it is still on, and says when it was (undefined: it never began). */
  finish(): Promise<OutageWindow | undefined>;
}

export function startOutagePhase(control: KnoxSimControl, phase: OutagePhaseOptions, seed: number): RunningOutagePhase {
  let started: Promise<OutageStatus> | undefined;
  const timer = setTimeout(() => {
    started = control.outage({
      durationMs: phase.durationMs,
      seed,
      ...(phase.dropRate !== undefined ? { dropRate: phase.dropRate } : {}),
    });
  }, phase.afterMs);
  return {
    async finish() {
      clearTimeout(timer);
      if (!started) return undefined;
      const status = await started;
      if ((await control.outageStatus()).active) await control.endOutage();
      return status.since && status.until ? { since: status.since, until: status.until } : undefined;
    },
  };
}

export interface OutageReport {
  since: string;
  until: string;
  /** Knox requests the outage refused (500 or dropped), the token endpoint's included. */
  refused: number;
  /** Workflows whose history has a transient Knox error (disposition retry) from while Knox was down. */
  workflowsInOutage: number;
  refusedPerWorkflow: number;
  /** Workflows FAILED by a run of transient failures that began during the outage (each one a violation). */
  failedByOutage: string[];
}

export function checkOutage(
  window: OutageWindow,
  outcomes: Outcome[],
  requestLog: RequestLogEntry[],
): { report: OutageReport; violations: string[] } {
  const since = Date.parse(window.since);
  const until = Date.parse(window.until);
  const during = (at: string | undefined) => at !== undefined && Date.parse(at) >= since && Date.parse(at) <= until;
  const refused = requestLog.filter((r) => r.outage).length;
  let workflowsInOutage = 0;
  const failedByOutage: string[] = [];
  for (const o of outcomes) {
    if (!o.record) continue;
    if (o.record.history.some((h) => h.event === 'knox-error' && h.error?.disposition === 'retry' && during(h.at)))
      workflowsInOutage += 1;
    const retrySince = typeof o.record['retrySince'] === 'string' ? o.record['retrySince'] : undefined;
    if (o.outcome === 'retriesExhausted' && during(retrySince)) failedByOutage.push(o.record.pk);
  }
  return {
    report: {
      ...window,
      refused,
      workflowsInOutage,
      refusedPerWorkflow: workflowsInOutage ? Math.round((refused / workflowsInOutage) * 10) / 10 : 0,
      failedByOutage,
    },
    violations: failedByOutage.map(
      (pk) => `outage: record ${pk} was FAILED by transient failures that began while Knox was down`,
    ),
  };
}
