/**
 * The writes of a callback wait (a record waiting on the customer's answer): "Wait for customer answer" stores its
 * task token; the poller records the answer before it hands the token back to Step Functions, then settles the wait.
 * Every write after the first is conditioned on the token it was made for: a token replaced meanwhile (a retried or
 * resumed wait stored a new one) or a closed record is left alone, and the caller learns it (undefined).
 */
import type { LastError } from '#domain/api-schemas';
import { HISTORY_EVENTS, type WorkflowRecord } from '#domain/record';
import { nowIso } from './table-client';
import { RecordUpdate, apply, type WriteCondition } from './record-update';

/** The step name the answers are recorded under (the status check's, as before callbacks). */
const ANSWER_STEP = 'check';

/** An update that only applies while the record still holds `token` (besides its write condition). */
async function applyForToken(
  update: RecordUpdate,
  condition: WriteCondition,
  token: string,
): Promise<WorkflowRecord | undefined> {
  const guarded = Object.create(update) as RecordUpdate;
  guarded.input = (c: WriteCondition) => {
    const input = update.input(c);
    return {
      ...input,
      ConditionExpression: `(${input.ConditionExpression}) AND #taskToken = :expectedToken`,
      ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#taskToken': 'taskToken' },
      ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ':expectedToken': token },
    };
  };
  return apply(guarded, condition);
}

/**
 * "Wait for customer answer" entered: the record keeps the task token and waits (WAITING: the poller reads only
 * those). A wait entered again (a retry, a restart) replaces the token. Undefined when the record is closed.
 */
export async function storeTaskToken(
  record: WorkflowRecord,
  token: string,
  now = nowIso(),
): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(record.pk, now).set('taskToken', token).set('waitingSince', now);
  if (record.status !== 'WAITING') {
    update.status('WAITING').history({
      event: HISTORY_EVENTS.statusChanged,
      status: 'WAITING',
      detail: 'waiting for the customer to answer',
    });
  }
  return apply(update, 'notTerminal');
}

/** The customer said yes: the answer goes on the record (still WAITING until Step Functions has it). */
export function recordAnswered(
  id: string,
  token: string,
  fields: { knoxStatus: string; detail: string },
): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(id, nowIso()).set('knoxStatus', fields.knoxStatus).remove('lastError').history({
    event: HISTORY_EVENTS.knoxCall,
    step: ANSWER_STEP,
    knoxStatus: fields.knoxStatus,
    detail: fields.detail,
  });
  return applyForToken(update, 'open', token);
}

/** The customer said no (or Knox answered something no wait changes): lastError, before SendTaskFailure. */
export function recordRefused(
  id: string,
  token: string,
  error: LastError,
  detail?: string,
): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(id, nowIso())
    .set('lastError', error)
    .history({ event: HISTORY_EVENTS.knoxError, step: ANSWER_STEP, error, detail });
  return applyForToken(update, 'open', token);
}

/**
 * Step Functions has the answer: the token is spent. After a success the record is IN_PROGRESS (the execution
 * goes on); after a failure its status is left to the execution's "Record aborted".
 */
export async function settleWait(
  id: string,
  token: string,
  outcome: 'answered' | 'refused',
): Promise<WorkflowRecord | undefined> {
  const spent = (): RecordUpdate => new RecordUpdate(id, nowIso()).remove('taskToken').remove('waitingSince');
  if (outcome === 'answered') {
    const moved = await applyForToken(spent().status('IN_PROGRESS'), 'open', token);
    if (moved) return moved;
  }
  // The execution may already have closed the record (Record succeeded ran first): only the token goes.
  return applyForToken(spent(), 'exists', token);
}

/** Step Functions no longer knows the token (the execution was stopped or timed out): forget it, once. */
export function forgetTaskToken(id: string, token: string, reason: string): Promise<WorkflowRecord | undefined> {
  const update = new RecordUpdate(id, nowIso())
    .remove('taskToken')
    .remove('waitingSince')
    .history({
      event: HISTORY_EVENTS.callbackGone,
      detail: `the execution no longer waits for this answer (${reason})`,
    });
  return applyForToken(update, 'exists', token);
}
