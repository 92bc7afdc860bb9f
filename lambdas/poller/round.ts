/**
 * One poll round: read every record that waits on its customer, ask Knox about all of them with the fewest calls,
 * and resume each execution whose customer answered. A round is safe to fail anywhere: each answer is written to
 * the record (conditioned on the record's task token) before the token goes back to Step Functions, and spent only
 * after; a round that stops in between leaves the token on a WAITING record, so the next round asks and delivers
 * again (Step Functions answers a token it already has with TaskTimedOut, which settles it).
 */
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import type { KnoxError } from '#domain/knox-answer';
import type { KnoxClient } from '#knox/types';
import { logKnoxError, logger } from '../commons/powertools';
import { hintOf, lastErrorOf } from '../steps/errors';
import {
  forgetTaskToken,
  readPollerState,
  recordAnswered,
  recordRefused,
  settleWait,
  writePollerState,
  type PollerState,
} from '../store';
import { answerOf, type Answer } from './answer-table';
import { sendAnswer, sendRefusal } from './callbacks';
import { readCustomers, type ReadStrategy } from './knox-reads';
import { waitingRecords, type WaitingRecord } from './waiting';

/** Deliveries in flight at once. */
const DELIVERY_CONCURRENCY = 4;

export interface RoundSummary {
  startedAt: string;
  /** Records waiting on their customer when the round began. */
  waiting: number;
  strategy: ReadStrategy;
  knoxCalls: number;
  answered: number;
  refused: number;
  /** Executions that no longer waited for the token (stopped, timed out): the token is forgotten. */
  gone: number;
  /** Records whose customer Knox could not be asked about this time, or whose answer could not be delivered. */
  unfinished: number;
  /** True when every waiting record was asked about and every answer delivered. */
  complete: boolean;
  /** The longest any still waiting record has gone without a complete round (0 when this round was complete). */
  oldestUncheckedSeconds: number;
}

export interface RoundDependencies {
  knox: KnoxClient;
  periodSeconds: number;
  now?: () => number;
}

type Outcome = 'answered' | 'refused' | 'gone' | 'stale' | 'waiting' | 'unfinished';

export async function runRound(deps: RoundDependencies): Promise<RoundSummary> {
  const now = deps.now ?? Date.now;
  const startedMs = now();
  const startedAt = new Date(startedMs).toISOString();
  const state = await readPollerState();
  const records = await waitingRecords();
  const reads = await readCustomers(
    records.map((r) => r.customerId),
    deps.knox,
    state.knoxCustomerCount,
  );

  const outcomes: Outcome[] = [];
  const queue = [...records];
  const worker = async (): Promise<void> => {
    for (let record = queue.shift(); record !== undefined; record = queue.shift()) {
      outcomes.push(await settle(record, reads.views, reads.refusals, reads.unread));
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, queue.length) }, worker));

  const count = (o: Outcome): number => outcomes.filter((x) => x === o).length;
  const complete = count('unfinished') === 0;
  const nextRoundAt = new Date(startedMs + deps.periodSeconds * 1000).toISOString();
  const summary: RoundSummary = {
    startedAt,
    waiting: records.length,
    strategy: reads.strategy,
    knoxCalls: reads.calls,
    answered: count('answered'),
    refused: count('refused'),
    gone: count('gone'),
    unfinished: count('unfinished'),
    complete,
    oldestUncheckedSeconds: oldestUnchecked(records, complete ? startedAt : state.lastCompleteRoundAt, startedMs),
  };
  const next: PollerState = {
    lastRoundStartedAt: startedAt,
    nextRoundAt,
    ...(complete ? { lastCompleteRoundAt: startedAt } : {}),
    ...(reads.listed !== undefined ? { knoxCustomerCount: reads.listed } : {}),
  };
  await writePollerState({ ...next, lastRound: { ...summary } });
  return summary;
}

/** Seconds since the oldest waiting record was last covered by a complete round (or began waiting, if never). */
function oldestUnchecked(records: WaitingRecord[], lastComplete: string | undefined, nowMs: number): number {
  let oldest = 0;
  for (const record of records) {
    const since = record.waitingSince ?? record.updatedAt;
    const checked = lastComplete !== undefined && lastComplete >= since ? lastComplete : since;
    oldest = Math.max(oldest, Math.round((nowMs - Date.parse(checked)) / 1000));
  }
  return oldest;
}

async function settle(
  record: WaitingRecord,
  views: Map<string, import('./answer-table').CustomerView>,
  refusals: Map<string, KnoxError>,
  unread: Map<string, KnoxError>,
): Promise<Outcome> {
  if (unread.has(record.customerId)) return 'unfinished';
  const refusal = refusals.get(record.customerId);
  const view = views.get(record.customerId);
  let answer: Answer;
  try {
    if (refusal) answer = { kind: 'refused', error: refusal };
    else if (view) answer = answerOf(record, view);
    else return 'unfinished';
    if (answer.kind === 'waiting') return 'waiting';
    return await deliver(record, answer);
  } catch (error) {
    // One record's trouble (a throttled write, a bad stored request) must not keep the others' answers back.
    logger.error('Could not settle a waiting record', { recordId: record.pk, errorName: (error as Error).name });
    return 'unfinished';
  }
}

async function deliver(record: WaitingRecord, answer: Exclude<Answer, { kind: 'waiting' }>): Promise<Outcome> {
  const { pk: id, taskToken: token } = record;
  // A round that failed after writing the answer and before delivering it: the answer is on the record already.
  const last = record.history.at(-1);
  const recorded =
    last?.step === 'check' &&
    (answer.kind === 'answered' ? last.detail === answer.detail : last.error?.code === answer.error.code);
  if (answer.kind === 'answered') {
    // The token was replaced (a resumed wait) or the record closed meanwhile: that wait is someone else's now.
    if (
      !recorded &&
      !(await recordAnswered(id, token, { knoxStatus: answer.output.knoxStatus, detail: answer.detail }))
    )
      return 'stale';
    const delivery = await sendAnswer(token, answer.output);
    if (!delivery.delivered) return forget(id, token, delivery.gone);
    await settleWait(id, token, 'answered');
    logger.info('The customer answered: execution resumed', { recordId: id, knoxStatus: answer.output.knoxStatus });
    return 'answered';
  }
  const { error } = answer;
  const thrownAs = STEP_ERROR_NAMES[error.disposition];
  logKnoxError(error, { step: 'poller', thrownAs });
  if (!recorded && !(await recordRefused(id, token, lastErrorOf(error), hintOf(error)))) return 'stale';
  const delivery = await sendRefusal(token, thrownAs, `${error.code} (${error.errorCode}): ${error.message}`);
  if (!delivery.delivered) return forget(id, token, delivery.gone);
  await settleWait(id, token, 'refused');
  return 'refused';
}

async function forget(id: string, token: string, reason: string): Promise<Outcome> {
  await forgetTaskToken(id, token, reason);
  logger.warn('The execution no longer waits for this answer: token forgotten', { recordId: id, reason });
  return 'gone';
}
