/**
 * The runner every Knox step shares: count the attempt (a conditional write that refuses a missing or closed record),
 * call Knox, and turn the answer into a record update plus either a small result or an error whose `name` the state
 * machine's Retry and Catch match (STEP_ERROR_NAMES).
 *
 * A step module only says which Knox call to make (`call`) and, where the context changes what an error means,
 * how (`rules`, by Knox code). The rules that hold for every step live here:
 * - already done: the record moves on as after a success, and Knox.AlreadyDone is thrown (the Catch goes on);
 * - a `retry` error while the record waits on Knox itself (WAITING without a callback's task token) is thrown as
 *   Knox.Wait (the failed attempt is asked again on the wait's schedule);
 * - any other `retry` error counts against the retry window from the first of its run (`retrySince`): Knox.Retry
 *   while the window lasts, RETRY_WINDOW_EXCEEDED_ERROR (FAILED, nothing retries it) once it has passed;
 * - before any Knox.Wait, a record past its deadline gets WAIT_DEADLINE_EXCEEDED and Knox.Abort;
 * - a 429 with Retry-After sleeps (bounded) before Knox.Retry, so the next attempt does not come too early;
 * - an attempt that meets the same waiting answer again adds no history entry.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES, type Disposition } from '#domain/dispositions';
import { KnoxError } from '#domain/knox-answer';
import { specForErrorCode, type KnoxErrorCodeName } from '#domain/knox-errors';
import { RECORD_CLOSED_ERROR } from '#domain/state-names';
import type { KnoxStepPayload, KnoxStepResult } from '#domain/payloads';
import type { KnoxClient } from '#knox/types';
import { INVALID_PAYLOAD_ERROR, RECORD_NOT_FOUND_ERROR, hintOf, lastErrorOf, namedError } from './errors';
import { knoxClient } from './knox';
import { knoxConfig } from '../commons/config';
import { logKnoxError, logger, startInvocation } from '../commons/powertools';
import {
  getRecord,
  recordIdSchema,
  recordKnoxError,
  recordSuccess,
  startAttempt,
  type StepKey,
  type WorkflowRecord,
} from '../store';

/** Longest sleep for a Retry-After, and the Lambda time kept free after it. */
export const RETRY_AFTER_MAX_MS = 5_000;
export const RETRY_AFTER_MARGIN_MS = 2_000;

export const knoxStepPayloadSchema = z.object({
  id: recordIdSchema,
  executionName: z.string().max(80).optional(),
  mode: z.enum(['approval', 'delink']).optional(),
});

/** What a step's Knox call sees. */
export interface StepContext {
  /** The record after the attempt was counted. */
  record: WorkflowRecord;
  payload: KnoxStepPayload;
  knox: KnoxClient;
  /** When the attempt called Knox (ms): the retry window asks whether the attempt began inside it. */
  startedAt: number;
  /** The invocation's Lambda context (its remaining time bounds a long lookup); absent when called directly. */
  lambdaContext?: Partial<Context>;
}

/** What a successful call tells the runner to record and return. */
export interface StepOutcome {
  result: KnoxStepResult;
  knoxStatus?: string;
  customerId?: string;
  /** A sentence for the history entry (no personal data). */
  detail?: string;
}

/** How a context rule changes what a Knox error means. */
export type Reclassification =
  /** Our earlier call went through: continue as after a success. */
  | { kind: 'alreadyDone'; customerId?: string; knoxStatus?: string; detail: string }
  /** Handle this error instead (a different code, or the same code with another disposition). */
  | { kind: 'error'; error: KnoxError };

export interface KnoxStepDefinition {
  step: StepKey;
  /** True for the status check: each call is a poll, counted in pollCount. */
  poll?: boolean;
  /** The Knox call(s). Throws KnoxError for every answer that is not a success (statuses included). */
  call(context: StepContext): Promise<StepOutcome>;
  /**
   * Context rules, by the error table's name of the code they read again. A rule may call Knox; a KnoxError it throws
   * is handled in place of the original one; undefined lets the table's disposition stand.
   */
  rules?: Partial<Record<KnoxErrorCodeName, ContextRule>>;
}

/** What a Knox error means in a step's context (see KnoxStepDefinition.rules). */
export type ContextRule = (error: KnoxError, context: StepContext) => Promise<Reclassification | undefined>;

export type StepHandler = (payload: unknown, context?: Partial<Context>) => Promise<KnoxStepResult>;

/** The handler for a step definition. */
export function knoxStepHandler(definition: KnoxStepDefinition): StepHandler {
  return (payload, context) => runKnoxStep(definition, payload, context);
}

export async function runKnoxStep(
  definition: KnoxStepDefinition,
  rawPayload: unknown,
  lambdaContext?: Partial<Context>,
): Promise<KnoxStepResult> {
  const parsed = knoxStepPayloadSchema.safeParse(rawPayload);
  if (!parsed.success)
    throw namedError(INVALID_PAYLOAD_ERROR, `The ${definition.step} step needs {id, executionName?, mode?}`);
  const payload = parsed.data;
  startInvocation(lambdaContext, { recordId: payload.id, executionName: payload.executionName, step: definition.step });

  const { executionName } = payload;
  const started = await startAttempt(payload.id, definition.step, { poll: definition.poll ?? false, executionName });
  if (started === undefined) {
    // Rare: read the record only to say why.
    const current = await getRecord(payload.id);
    if (current === undefined) throw namedError(RECORD_NOT_FOUND_ERROR, `No record ${payload.id}`);
    throw closed(current.pk, current.status);
  }
  const { record, statusBefore } = started;

  const context: StepContext = { record, payload, knox: knoxClient(), startedAt: Date.now(), lambdaContext };
  let outcome: StepOutcome;
  try {
    outcome = await definition.call(context);
  } catch (error) {
    // Anything but a KnoxError is a bug or a set-up problem: it leaves as a Lambda error (Record failed).
    if (!(error instanceof KnoxError)) throw error;
    // A record that waits on the customer (a callback) is answered by the poller, not by a step's retries.
    const waitingOnKnox = statusBefore === 'WAITING' && record.taskToken === undefined;
    return handleKnoxError(definition, error, context, waitingOnKnox, lambdaContext);
  }

  const { knoxStatus, customerId, detail } = outcome;
  const after = await recordSuccess(record.pk, definition.step, { knoxStatus, customerId, detail });
  if (after === undefined) throw closed(record.pk, 'closed while Knox was called');
  logger.info('Knox step succeeded', { knoxStatus: outcome.knoxStatus });
  return outcome.result;
}

/** The table's name for the error's code: rules are keyed by it, and Knox's numeric errorCode is what identifies it. */
function ruleKeyOf(error: KnoxError): KnoxErrorCodeName {
  return specForErrorCode(error.errorCode)?.code ?? (error.code as KnoxErrorCodeName);
}

function closed(id: string, why: string): Error {
  return namedError(RECORD_CLOSED_ERROR, `Record ${id} is ${why}: Knox was not called`);
}

/** Always throws: the error name the state machine routes on. */
async function handleKnoxError(
  definition: KnoxStepDefinition,
  original: KnoxError,
  context: StepContext,
  wasWaiting: boolean,
  lambdaContext: Partial<Context> | undefined,
): Promise<never> {
  const { record } = context;
  const step = definition.step;
  let error = original;
  let rule: Reclassification | undefined;
  try {
    rule = await definition.rules?.[ruleKeyOf(original)]?.(original, context);
  } catch (ruleError) {
    if (!(ruleError instanceof KnoxError)) throw ruleError;
    logKnoxError(original, { step, detail: 'a context rule could not finish; handling its own error instead' });
    error = ruleError;
  }
  if (rule?.kind === 'error') error = rule.error;

  if (rule?.kind === 'alreadyDone' || error.disposition === 'alreadyDone') {
    const found = rule?.kind === 'alreadyDone' ? rule : undefined;
    const detail = found ? found.detail : hintOf(error);
    logKnoxError(error, { step, thrownAs: STEP_ERROR_NAMES.alreadyDone });
    const after = await recordSuccess(record.pk, step, {
      alreadyDone: lastErrorOf(error, 'alreadyDone'),
      customerId: found?.customerId,
      knoxStatus: found?.knoxStatus,
      detail,
    });
    if (after === undefined) throw closed(record.pk, 'closed while Knox was called');
    throw namedError(STEP_ERROR_NAMES.alreadyDone, describe(error, detail));
  }

  let thrown: Disposition = error.disposition;
  // A failed poll is asked again at the next poll: the fast retrier would give up long before the customer answers.
  if (thrown === 'retry' && wasWaiting) thrown = 'wait';

  if (thrown === 'wait' && Date.now() > Date.parse(record.deadline)) {
    const deadlineError = KnoxError.of('WAIT_DEADLINE_EXCEEDED', {
      message: `The customer did not answer before the deadline ${record.deadline}; Knox last answered ${error.code} (${error.errorCode})`,
    });
    logKnoxError(error, { step, thrownAs: STEP_ERROR_NAMES.abort, detail: 'deadline passed' });
    await recordKnoxError(record.pk, step, lastErrorOf(deadlineError), { detail: hintOf(deadlineError) });
    throw namedError(STEP_ERROR_NAMES.abort, describe(deadlineError, hintOf(deadlineError)));
  }

  // A poll that meets the answer it met last time is not news: lastError stays, pollCount counts it.
  const repeat = wasWaiting && thrown === 'wait' && record.lastError?.code === lastErrorOf(error).code;
  const becomesWaiting = thrown === 'wait' && !wasWaiting;
  // Measured at the attempt's start, which Knox's answer follows: an outage no longer than the window is ridden out
  // however late the answer is handled.
  const window = thrown === 'retry' ? retryWindowOf(record, context.startedAt) : undefined;
  const thrownName = window?.exceeded ? RETRY_WINDOW_EXCEEDED_ERROR : STEP_ERROR_NAMES[thrown];
  const detail = window
    ? joinSentences(
        hintOf(error),
        window.exceeded
          ? `Knox has failed since ${window.since}: the retry window ended at ${window.until}.`
          : `Knox has failed since ${window.since}: retried until ${window.until}, then FAILED.`,
      )
    : thrown !== error.disposition
      ? `handled as ${thrown}: the record is waiting and is polled again`
      : hintOf(error);
  logKnoxError(error, { step, thrownAs: thrownName });
  await recordKnoxError(record.pk, step, lastErrorOf(error), {
    history: !repeat,
    retrying: window !== undefined,
    ...(becomesWaiting ? { status: 'WAITING' as const } : {}),
    ...(detail ? { detail } : {}),
  });

  if (window?.exceeded === false && error.retryAfterSeconds !== undefined) {
    await sleepForRetryAfter(error.retryAfterSeconds, lambdaContext);
  }
  throw namedError(thrownName, describe(error, detail));
}

/**
 * Where a run of transient failures stands: when it began (the record's retrySince, or now for its first), when the
 * step gives up (retryWindowSeconds later), and whether that time has come.
 */
export function retryWindowOf(record: Pick<WorkflowRecord, 'retrySince'>, now = Date.now()): RetryWindow {
  const since = record.retrySince ?? new Date(now).toISOString();
  const untilMs = Date.parse(since) + knoxConfig().retryWindowSeconds * 1000;
  return { since, until: new Date(untilMs).toISOString(), exceeded: now >= untilMs };
}

export interface RetryWindow {
  since: string;
  until: string;
  exceeded: boolean;
}

function joinSentences(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' ');
}

/** The thrown error's message: Knox code, message and hint (what the console's execution history shows), bounded. */
function describe(error: KnoxError, hint: string | undefined): string {
  const { code, errorCode, message } = lastErrorOf(error);
  return `${code} (${errorCode}): ${message}${hint ? ` Hint: ${hint}` : ''}`;
}

/**
 * Waits what Knox asked for before the retrier's next attempt: at most RETRY_AFTER_MAX_MS, and never so long that
 * the function would time out (the state machine's backoff adds on top of it).
 */
async function sleepForRetryAfter(seconds: number, lambdaContext: Partial<Context> | undefined): Promise<void> {
  const remaining = lambdaContext?.getRemainingTimeInMillis?.();
  const bound =
    remaining === undefined ? RETRY_AFTER_MAX_MS : Math.min(RETRY_AFTER_MAX_MS, remaining - RETRY_AFTER_MARGIN_MS);
  const ms = Math.min(seconds * 1000, bound);
  if (ms > 0) await timing.sleep(ms);
}

/** How the runner sleeps; tests replace `sleep` to see the Retry-After wait without spending it. */
export const timing = {
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};
