/**
 * The poller: one round per EventBridge Scheduler tick (every pollPeriodSeconds; never two at once: reserved
 * concurrency 1 on AWS, one loop in the local stack). See lambdas/poller/round.ts for what a round does. The round's
 * summary is logged as one line whose fields the stack's metric filters and alarms read (`oldestUncheckedSeconds`).
 */
import type { Context } from 'aws-lambda';
import { KnoxError } from '#domain/knox-answer';
import { logger, startInvocation } from './commons/powertools';
import { pollerConfig } from './commons/config';
import { runRound, type RoundSummary } from './poller/round';
import { sweepBatches } from './batches/batch-sweep';
import { knoxClient } from './steps/knox';

export async function handler(_event: unknown, context?: Partial<Context>): Promise<RoundSummary> {
  startInvocation(context, { step: 'poller' });
  try {
    // Batches waiting for their items: a lost wake-up is found here, within one poll period (never throws, and runs
    // even when Knox is down).
    const batches = await sweepBatches();
    const summary = await runRound({ knox: knoxClient(), periodSeconds: pollerConfig().periodSeconds });
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
  }
}
