/**
 * The poller: one round per EventBridge Scheduler tick (every pollPeriodSeconds; never two at once: a lease on the
 * poller's item, lambdas/store/round-lease.ts, which a tick that finds it held leaves at once). See
 * lambdas/poller/round.ts for what a round does. The round's summary is logged as one line whose fields the stack's
 * metric filters and alarms read (`oldestUncheckedSeconds`).
 */
import type { Context } from 'aws-lambda';
import { KnoxError } from '#domain/knox-answer';
import { logger, startInvocation } from './commons/powertools';
import { pollerConfig } from './commons/config';
import { runRound, type RoundSummary } from './poller/round';
import { sweepBatches } from './batches/batch-sweep';
import { knoxClient } from './steps/knox';
import { acquireRoundLease, releaseRoundLease } from './store/round-lease';

/** What a tick that found another round running answers (it called neither Knox nor Step Functions). */
export interface SkippedRound {
  skipped: true;
  reason: string;
}

export async function handler(_event: unknown, context?: Partial<Context>): Promise<RoundSummary | SkippedRound> {
  startInvocation(context, { step: 'poller' });
  const { periodSeconds } = pollerConfig();
  const now = Date.now();
  // The lease ends when this invocation must have ended: its remaining time (the function's timeout at most).
  const lease = await acquireRoundLease(now, now + (context?.getRemainingTimeInMillis?.() ?? periodSeconds * 1000));
  if (lease === undefined) {
    logger.info('Poll round skipped: another round is running');
    return { skipped: true, reason: 'another round holds the round lease' };
  }
  try {
    // Batches waiting for their items: a lost wake-up is found here, within one poll period (never throws, and runs
    // even when Knox is down).
    const batches = await sweepBatches();
    const summary = await runRound({ knox: knoxClient(), periodSeconds });
    logger.info('Poll round finished', { ...summary, batchesWatched: batches.watched, batchesWoken: batches.woken });
    return summary;
  } catch (error) {
    // Nothing was delivered from here on: the next round asks again. Logged without the request data; a transient
    // Knox failure is expected while Knox has trouble (WARN), anything else is ERROR. Either way the function's
    // error metric (the thrown error) feeds the alarm.
    const transient = error instanceof KnoxError && error.disposition === 'retry';
    logger[transient ? 'warn' : 'error']('Poll round failed', {
      errorName: (error as Error).name,
      errorMessage: (error as Error).message.slice(0, 500),
    });
    throw error;
  } finally {
    // A lease that cannot be given back ends on its own when this invocation's time is up.
    await releaseRoundLease(lease).catch((error: unknown) =>
      logger.warn('Poll round lease not released', { errorName: (error as Error).name }),
    );
  }
}
