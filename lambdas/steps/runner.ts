/**
 * The runner every Knox step shares: count the attempt (a conditional write that refuses a missing or closed record),
 * call Knox, and turn the answer into a record update plus either a small result or an error whose `name` the state
 * machine's Retry and Catch match (STEP_ERROR_NAMES).
 *
 * A step module only says which Knox call to make (`call`) and, where the context changes what an error means,
 * how (`rules`, by Knox code, each with the verdicts it can reach). What an error then means is decided in one place,
 * lib/domain/decide.ts (pure): this runner only performs the decision (the record write, the log, the Retry-After
 * sleep, the throw).
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { decide, type Decision, type Reclassification, type RuleVerdict } from '#domain/decide';
import { KnoxError } from '#domain/knox-answer';
import { specForErrorCode, type KnoxErrorCodeName } from '#domain/knox-errors';
import type { KnoxStepPayload, KnoxStepResult } from '#domain/payloads';
import type { KnoxClient } from '#knox/types';
import { INVALID_PAYLOAD_ERROR, RECORD_NOT_FOUND_ERROR, namedError, recordClosedError } from './errors';
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

export { RETRY_AFTER_MARGIN_MS, RETRY_AFTER_MAX_MS, type Reclassification } from '#domain/decide';

export const knoxStepPayloadSchema = z.object({
  id: recordIdSchema,
  executionName: z.string().max(80).optional(),
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

export interface KnoxStepDefinition {
  step: StepKey;
  /** The Knox call(s). Throws KnoxError for every answer that is not a success (statuses included). */
  call(context: StepContext): Promise<StepOutcome>;
  /**
   * Context rules, by the error table's name of the code they read again. A rule may call Knox; a KnoxError it throws
   * is handled in place of the original one; undefined lets the table's disposition stand.
   */
  rules?: Partial<Record<KnoxErrorCodeName, ContextRule>>;
}

/** What a Knox error means in a step's context (see KnoxStepDefinition.rules). */
export interface ContextRule {
  /** Every verdict the rule can reach, and when: the decision matrix (docs/decision-matrix.md) shows them. */
  verdicts: readonly RuleVerdict[];
  read(error: KnoxError, context: StepContext): Promise<Reclassification | undefined>;
}

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
    throw namedError(INVALID_PAYLOAD_ERROR, `The ${definition.step} step needs {id, executionName?}`);
  const payload = parsed.data;
  startInvocation(lambdaContext, { recordId: payload.id, executionName: payload.executionName, step: definition.step });

  const { executionName } = payload;
  const started = await startAttempt(payload.id, definition.step, { executionName });
  if (started === undefined) throw await closedRecord(payload.id, 'Knox was not called');
  const { record, statusBefore } = started;

  const context: StepContext = { record, payload, knox: knoxClient(), startedAt: Date.now(), lambdaContext };
  let outcome: StepOutcome;
  try {
    outcome = await definition.call(context);
  } catch (error) {
    // Anything but a KnoxError is a bug or a set-up problem: it leaves as a Lambda error (the execution fails here).
    if (!(error instanceof KnoxError)) throw error;
    // A record that waits on the customer (a callback) is answered by the poller, not by a step's retries.
    const waitingOnKnox = statusBefore === 'WAITING' && record.taskToken === undefined;
    return handleKnoxError(definition, error, context, waitingOnKnox, lambdaContext);
  }

  const { knoxStatus, customerId, detail } = outcome;
  const after = await recordSuccess(record.pk, definition.step, { knoxStatus, customerId, detail });
  if (after === undefined) {
    // Closed while Knox was called (a cancel between the attempt and the answer): the answer is logged, not recorded.
    logger.warn('Knox answered after the record closed', { knoxStatus });
    throw await closedRecord(record.pk, 'Knox was called before it closed; its answer is not recorded');
  }
  logger.info('Knox step succeeded', { knoxStatus: outcome.knoxStatus });
  return outcome.result;
}

/** The table's name for the error's code: rules are keyed by it, and Knox's numeric errorCode is what identifies it. */
function ruleKeyOf(error: KnoxError): KnoxErrorCodeName {
  return specForErrorCode(error.errorCode)?.code ?? (error.code as KnoxErrorCodeName);
}

/** The error for a record that refused a step's write (rare: read it only to say why). */
async function closedRecord(id: string, message: string): Promise<Error> {
  const current = await getRecord(id);
  if (current === undefined) return namedError(RECORD_NOT_FOUND_ERROR, `No record ${id}`);
  return recordClosedError(current.pk, current.status, message);
}

/** Always throws: the error name the state machine routes on. */
async function handleKnoxError(
  definition: KnoxStepDefinition,
  original: KnoxError,
  context: StepContext,
  waitingOnKnox: boolean,
  lambdaContext: Partial<Context> | undefined,
): Promise<never> {
  const { record } = context;
  const step = definition.step;
  let reclassification: Reclassification | undefined;
  try {
    reclassification = await definition.rules?.[ruleKeyOf(original)]?.read(original, context);
  } catch (ruleError) {
    if (!(ruleError instanceof KnoxError)) throw ruleError;
    logKnoxError(original, { step, detail: 'a context rule could not finish; handling its own error instead' });
    reclassification = { kind: 'error', error: ruleError };
  }
  const decision = decide(original, reclassification, {
    step,
    waitingOnKnox,
    deadline: { at: record.deadline, passed: Date.now() > Date.parse(record.deadline) },
    ...(record.lastError !== undefined ? { lastErrorCode: record.lastError.code } : {}),
    ...(record.retrySince !== undefined ? { retrySince: record.retrySince } : {}),
    retryWindowSeconds: knoxConfig().retryWindowSeconds,
    startedAt: context.startedAt,
    ...remainingTimeOf(lambdaContext),
  });
  return perform(decision, record.pk, step);
}

/** Carries out a decision: log, record, sleep, throw. */
async function perform(decision: Decision, id: string, step: StepKey): Promise<never> {
  const answer = decision.answer instanceof KnoxError ? decision.answer : new KnoxError(decision.answer);
  logKnoxError(answer, {
    step,
    thrownAs: decision.throws,
    ...(decision.logDetail !== undefined ? { detail: decision.logDetail } : {}),
  });
  let after: WorkflowRecord | undefined;
  if (decision.kind === 'alreadyDone') after = await recordSuccess(id, step, decision.success);
  else {
    const { lastError, ...options } = decision.record;
    after = await recordKnoxError(id, step, lastError, options);
  }
  // Closed while Knox was called: whatever Knox answered, the record's end stands.
  if (after === undefined) throw await closedRecord(id, 'Knox was called before it closed; its answer is not recorded');
  if (decision.kind !== 'alreadyDone' && decision.sleepMs > 0) await timing.sleep(decision.sleepMs);
  throw namedError(decision.throws, decision.message);
}

function remainingTimeOf(lambdaContext: Partial<Context> | undefined): { remainingMs?: number } {
  const remaining = lambdaContext?.getRemainingTimeInMillis?.();
  return remaining === undefined ? {} : { remainingMs: remaining };
}

/** How the runner sleeps; tests replace `sleep` to see the Retry-After wait without spending it. */
export const timing = {
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};
