/**
 * THE decision a Knox step makes about a Knox answer that is not a success: what the step throws (the name the state
 * machine's Retry and Catch route on), what the record keeps, and whether to sleep for Retry-After first. Pure data
 * in, plain data out: the step runner (lambdas/steps/runner.ts) only performs it (the record write, the log, the
 * sleep, the throw), and the decision matrix (docs/decision-matrix.md) is generated from it.
 *
 * The answer comes classified by the error table (lib/domain/knox-errors.ts, through KnoxError); a step's context
 * rule may have read it again (a Reclassification). Then, in this order:
 * 1. already done (the table's disposition, or the rule's verdict): the record moves on as after a success, and the
 *    step throws Knox.AlreadyDone (the Catch goes on where success goes);
 * 2. a `retry` answer while the record waits on Knox itself (WAITING without a callback's task token) is thrown as
 *    Knox.Wait: the failed attempt is asked again on the wait's schedule, the record stays WAITING;
 * 3. a wait (2 included) on a record past its deadline: WAIT_DEADLINE_EXCEEDED is recorded, Knox.Abort thrown;
 * 4. a wait that meets, while the record already waits on Knox, the answer it met last time adds no history entry;
 *    a first wait moves the record to WAITING;
 * 5. any other `retry` answer counts against the retry window from the first failure of its run (`retrySince`,
 *    measured at the attempt's start): Knox.Retry while the window lasts, Knox.RetryWindowExceeded (FAILED, nothing
 *    retries it) once it has passed; a 429's Retry-After is slept first (bounded), inside the window only;
 * 6. everything else is thrown under its disposition's name (Knox.Abort, Knox.InvalidRequest, Knox.Operator).
 */
import type { LastError } from './api-schemas';
import { RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES, type Disposition } from './dispositions';
import { KnoxError, type KnoxErrorFields } from './knox-answer';
import type { KnoxErrorCodeName } from './knox-errors';
import type { StepKey } from './record';
import { hintOf, lastErrorOf } from './recorded-error';

/** Longest sleep for a Retry-After, and the Lambda time kept free after it. */
export const RETRY_AFTER_MAX_MS = 5_000;
export const RETRY_AFTER_MARGIN_MS = 2_000;

/** How a step's context rule reads a Knox error again. */
export type Reclassification =
  /** Our earlier call went through: continue as after a success. */
  | { kind: 'alreadyDone'; customerId?: string; knoxStatus?: string; detail: string }
  /** Handle this error instead (a different code, or the same code with another disposition). */
  | { kind: 'error'; error: KnoxErrorFields };

/** What the step knows besides the answer. */
export interface DecisionContext {
  step: StepKey;
  /** The record was WAITING without a callback's task token before this attempt: it waits on Knox itself. */
  waitingOnKnox: boolean;
  /** The record's deadline, and whether it has passed. */
  deadline: { at: string; passed: boolean };
  /** The code of the record's lastError before this attempt (a repeated waiting answer is not news). */
  lastErrorCode?: string;
  /** The retry window: when the run of transient failures began (the record's retrySince), and its length. */
  retrySince?: string;
  retryWindowSeconds: number;
  /** When the attempt called Knox (ms): the window asks whether the attempt began inside it. */
  startedAt: number;
  /** The Lambda's time left (ms), if known: a Retry-After sleep never comes within RETRY_AFTER_MARGIN_MS of it. */
  remainingMs?: number;
}

/** What the record keeps of an error the step throws (see recordKnoxError). */
export interface ErrorRecord {
  lastError: LastError;
  /** False: the same waiting answer met again adds no history entry. */
  history: boolean;
  /** True while transient failures are retried: retrySince is kept (set if absent); false removes it. */
  retrying: boolean;
  /** Set when the record starts waiting on Knox. */
  status?: 'WAITING';
  /** The history entry's sentence. */
  detail?: string;
}

/** What the record keeps of an answer that proves our earlier call went through (see recordSuccess). */
export interface AlreadyDoneRecord {
  alreadyDone: LastError;
  customerId?: string;
  knoxStatus?: string;
  detail?: string;
}

interface Thrown {
  /** The error name the step throws. */
  throws: string;
  /** The thrown error's message: Knox's code, message and hint (what the execution history shows). */
  message: string;
  /** The answer the step handled (after its context rule): what is logged, with `logDetail`. */
  answer: KnoxErrorFields;
  logDetail?: string;
}

export type Decision =
  | (Thrown & { kind: 'alreadyDone'; success: AlreadyDoneRecord })
  | (Thrown & {
      kind: 'error';
      /** The disposition the state machine sees (the answer's, or wait for a retry while waiting on Knox). */
      handledAs: Disposition;
      record: ErrorRecord;
      /** Milliseconds to sleep before throwing (a Retry-After, bounded); 0 for none. */
      sleepMs: number;
    });

/** The decision for a Knox answer that is not a success, after the step's context rule (if any) has read it. */
export function decide(
  original: KnoxErrorFields,
  reclassification: Reclassification | undefined,
  context: DecisionContext,
): Decision {
  const answer = reclassification?.kind === 'error' ? reclassification.error : original;

  if (reclassification?.kind === 'alreadyDone' || answer.disposition === 'alreadyDone') {
    const found = reclassification?.kind === 'alreadyDone' ? reclassification : undefined;
    const detail = found ? found.detail : hintOf(answer);
    return {
      kind: 'alreadyDone',
      throws: STEP_ERROR_NAMES.alreadyDone,
      message: describe(answer, detail),
      answer,
      success: {
        alreadyDone: lastErrorOf(answer, 'alreadyDone'),
        ...(found?.customerId !== undefined ? { customerId: found.customerId } : {}),
        ...(found?.knoxStatus !== undefined ? { knoxStatus: found.knoxStatus } : {}),
        ...(detail !== undefined ? { detail } : {}),
      },
    };
  }

  // A failed attempt while waiting on Knox is asked again on the wait's schedule: the fast retrier would give up long
  // before Knox moves.
  const handledAs: Disposition = answer.disposition === 'retry' && context.waitingOnKnox ? 'wait' : answer.disposition;

  if (handledAs === 'wait' && context.deadline.passed) {
    const deadlineError = KnoxError.of('WAIT_DEADLINE_EXCEEDED', {
      message: `The customer did not answer before the deadline ${context.deadline.at}; Knox last answered ${answer.code} (${answer.errorCode})`,
    });
    const hint = hintOf(deadlineError);
    return {
      kind: 'error',
      handledAs: deadlineError.disposition,
      throws: STEP_ERROR_NAMES[deadlineError.disposition],
      message: describe(deadlineError, hint),
      answer,
      logDetail: 'deadline passed',
      record: {
        lastError: lastErrorOf(deadlineError),
        history: true,
        retrying: false,
        ...(hint ? { detail: hint } : {}),
      },
      sleepMs: 0,
    };
  }

  const lastError = lastErrorOf(answer);
  const repeat = context.waitingOnKnox && handledAs === 'wait' && context.lastErrorCode === lastError.code;
  const becomesWaiting = handledAs === 'wait' && !context.waitingOnKnox;
  const window =
    handledAs === 'retry'
      ? retryWindowOf(context.retrySince, context.startedAt, context.retryWindowSeconds)
      : undefined;
  const throws = window?.exceeded ? RETRY_WINDOW_EXCEEDED_ERROR : STEP_ERROR_NAMES[handledAs];
  const detail = window
    ? joinSentences(
        hintOf(answer),
        window.exceeded
          ? `Knox has failed since ${window.since}: the retry window ended at ${window.until}.`
          : `Knox has failed since ${window.since}: retried until ${window.until}, then FAILED.`,
      )
    : handledAs !== answer.disposition
      ? `handled as ${handledAs}: the record is waiting and is polled again`
      : hintOf(answer);
  return {
    kind: 'error',
    handledAs,
    throws,
    message: describe(answer, detail),
    answer,
    record: {
      lastError,
      history: !repeat,
      retrying: window !== undefined,
      ...(becomesWaiting ? { status: 'WAITING' as const } : {}),
      ...(detail ? { detail } : {}),
    },
    sleepMs:
      window?.exceeded === false && answer.retryAfterSeconds !== undefined
        ? retryAfterSleepMs(answer.retryAfterSeconds, context.remainingMs)
        : 0,
  };
}

/** Where a run of transient failures stands: when it began, when the step gives up, and whether that time has come. */
export interface RetryWindow {
  since: string;
  until: string;
  exceeded: boolean;
}

/** The retry window of a run that began at `retrySince` (or now, for its first failure), `seconds` long. */
export function retryWindowOf(retrySince: string | undefined, now: number, seconds: number): RetryWindow {
  const since = retrySince ?? new Date(now).toISOString();
  const untilMs = Date.parse(since) + seconds * 1000;
  return { since, until: new Date(untilMs).toISOString(), exceeded: now >= untilMs };
}

/**
 * What Knox asked for before the retrier's next attempt: at most RETRY_AFTER_MAX_MS, and never so long that the
 * function would time out (the state machine's backoff adds on top of it).
 */
export function retryAfterSleepMs(seconds: number, remainingMs: number | undefined): number {
  const bound =
    remainingMs === undefined ? RETRY_AFTER_MAX_MS : Math.min(RETRY_AFTER_MAX_MS, remainingMs - RETRY_AFTER_MARGIN_MS);
  return Math.max(0, Math.min(seconds * 1000, bound));
}

function joinSentences(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' ');
}

/** The thrown error's message: Knox code, message and hint (what the console's execution history shows), bounded. */
function describe(error: KnoxErrorFields, hint: string | undefined): string {
  const { code, errorCode, message } = lastErrorOf(error);
  return `${code} (${errorCode}): ${message}${hint ? ` Hint: ${hint}` : ''}`;
}

/**
 * What a step's context rule can conclude about a code, declared beside the rule (KnoxStepDefinition.rules) so that
 * the decision matrix shows every way the rule can go: already done, the table's row stands, a transient error of the
 * rule's own lookup (a retry), or another row of the table.
 */
export interface RuleVerdict {
  when: string;
  gives: 'alreadyDone' | 'table' | 'transient' | KnoxErrorCodeName;
}
