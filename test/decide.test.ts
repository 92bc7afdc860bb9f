/**
 * The one decision a Knox step makes about an answer that is not a success (lib/domain/decide.ts), as a table: every
 * disposition, on a record that waits on Knox or not, before or past its deadline, inside or past the retry window;
 * then repeats of the same waiting answer, Retry-After, context rules' verdicts, and every row of the error table.
 */
import { describe, expect, it } from 'vitest';
import {
  RETRY_AFTER_MARGIN_MS,
  RETRY_AFTER_MAX_MS,
  decide,
  retryAfterSleepMs,
  retryWindowOf,
  type DecisionContext,
  type Reclassification,
} from '#domain/decide';
import { DISPOSITIONS, RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES, type Disposition } from '#domain/dispositions';
import { KnoxError } from '#domain/knox-answer';
import { KNOX_ERRORS, type KnoxErrorCodeName } from '#domain/knox-errors';

const START = Date.parse('2026-01-01T12:00:00.000Z');
const WINDOW_SECONDS = 3600;

/** A code of each disposition. */
const CODE_OF: Record<Disposition, KnoxErrorCodeName> = {
  retry: 'FAILURE',
  wait: 'ADD_EC_CUSTOMER_NOT_APPROVED',
  alreadyDone: 'ADD_EC_PENDING_CANNOT_ADD_AGAIN',
  abort: 'ADD_EC_ALREADY_MANAGED',
  invalidRequest: 'INVALID_COUNTRY',
  operator: 'AUTHORIZATION_FAIL',
};

interface Situation {
  waiting: boolean;
  deadlinePassed: boolean;
  windowExceeded: boolean;
}

function contextOf(s: Situation, extra: Partial<DecisionContext> = {}): DecisionContext {
  // A run of failures that began an hour and a minute ago has outlasted the window; one a minute ago has not.
  const since = new Date(START - (s.windowExceeded ? WINDOW_SECONDS + 60 : 60) * 1000).toISOString();
  return {
    step: 'link',
    waitingOnKnox: s.waiting,
    deadline: { at: '2026-01-15T12:00:00.000Z', passed: s.deadlinePassed },
    retrySince: since,
    retryWindowSeconds: WINDOW_SECONDS,
    startedAt: START,
    ...extra,
  };
}

const A = STEP_ERROR_NAMES;
const X = RETRY_WINDOW_EXCEEDED_ERROR;
const DEADLINE = 'WAIT_DEADLINE_EXCEEDED';

/**
 * disposition, waiting on Knox, deadline passed, window exceeded -> thrown name, status written, history entry,
 * retrySince kept, lastError code ('answer': the answer's own code; 'done': recorded as already done).
 */
// biome-ignore format: the table reads best aligned
const TABLE: [Disposition, boolean, boolean, boolean, string, 'WAITING' | '-', boolean, boolean, string][] = [
  ['retry',          false, false, false, A.retry,       '-',       true,  true,  'answer'],
  ['retry',          false, false, true,  X,             '-',       true,  true,  'answer'],
  ['retry',          false, true,  false, A.retry,       '-',       true,  true,  'answer'],
  ['retry',          false, true,  true,  X,             '-',       true,  true,  'answer'],
  ['retry',          true,  false, false, A.wait,        '-',       true,  false, 'answer'],
  ['retry',          true,  false, true,  A.wait,        '-',       true,  false, 'answer'],
  ['retry',          true,  true,  false, A.abort,       '-',       true,  false, DEADLINE],
  ['retry',          true,  true,  true,  A.abort,       '-',       true,  false, DEADLINE],
  ['wait',           false, false, false, A.wait,        'WAITING', true,  false, 'answer'],
  ['wait',           false, false, true,  A.wait,        'WAITING', true,  false, 'answer'],
  ['wait',           false, true,  false, A.abort,       '-',       true,  false, DEADLINE],
  ['wait',           false, true,  true,  A.abort,       '-',       true,  false, DEADLINE],
  ['wait',           true,  false, false, A.wait,        '-',       true,  false, 'answer'],
  ['wait',           true,  false, true,  A.wait,        '-',       true,  false, 'answer'],
  ['wait',           true,  true,  false, A.abort,       '-',       true,  false, DEADLINE],
  ['wait',           true,  true,  true,  A.abort,       '-',       true,  false, DEADLINE],
  ['alreadyDone',    false, false, false, A.alreadyDone, '-',       true,  false, 'done'],
  ['alreadyDone',    false, false, true,  A.alreadyDone, '-',       true,  false, 'done'],
  ['alreadyDone',    false, true,  false, A.alreadyDone, '-',       true,  false, 'done'],
  ['alreadyDone',    false, true,  true,  A.alreadyDone, '-',       true,  false, 'done'],
  ['alreadyDone',    true,  false, false, A.alreadyDone, '-',       true,  false, 'done'],
  ['alreadyDone',    true,  false, true,  A.alreadyDone, '-',       true,  false, 'done'],
  ['alreadyDone',    true,  true,  false, A.alreadyDone, '-',       true,  false, 'done'],
  ['alreadyDone',    true,  true,  true,  A.alreadyDone, '-',       true,  false, 'done'],
  ['abort',          false, false, false, A.abort,       '-',       true,  false, 'answer'],
  ['abort',          false, false, true,  A.abort,       '-',       true,  false, 'answer'],
  ['abort',          false, true,  false, A.abort,       '-',       true,  false, 'answer'],
  ['abort',          false, true,  true,  A.abort,       '-',       true,  false, 'answer'],
  ['abort',          true,  false, false, A.abort,       '-',       true,  false, 'answer'],
  ['abort',          true,  false, true,  A.abort,       '-',       true,  false, 'answer'],
  ['abort',          true,  true,  false, A.abort,       '-',       true,  false, 'answer'],
  ['abort',          true,  true,  true,  A.abort,       '-',       true,  false, 'answer'],
  ['invalidRequest', false, false, false, A.invalidRequest, '-',    true,  false, 'answer'],
  ['invalidRequest', false, false, true,  A.invalidRequest, '-',    true,  false, 'answer'],
  ['invalidRequest', false, true,  false, A.invalidRequest, '-',    true,  false, 'answer'],
  ['invalidRequest', false, true,  true,  A.invalidRequest, '-',    true,  false, 'answer'],
  ['invalidRequest', true,  false, false, A.invalidRequest, '-',    true,  false, 'answer'],
  ['invalidRequest', true,  false, true,  A.invalidRequest, '-',    true,  false, 'answer'],
  ['invalidRequest', true,  true,  false, A.invalidRequest, '-',    true,  false, 'answer'],
  ['invalidRequest', true,  true,  true,  A.invalidRequest, '-',    true,  false, 'answer'],
  ['operator',       false, false, false, A.operator,    '-',       true,  false, 'answer'],
  ['operator',       false, false, true,  A.operator,    '-',       true,  false, 'answer'],
  ['operator',       false, true,  false, A.operator,    '-',       true,  false, 'answer'],
  ['operator',       false, true,  true,  A.operator,    '-',       true,  false, 'answer'],
  ['operator',       true,  false, false, A.operator,    '-',       true,  false, 'answer'],
  ['operator',       true,  false, true,  A.operator,    '-',       true,  false, 'answer'],
  ['operator',       true,  true,  false, A.operator,    '-',       true,  false, 'answer'],
  ['operator',       true,  true,  true,  A.operator,    '-',       true,  false, 'answer'],
];

describe('decide: every disposition x waiting on Knox x deadline x retry window', () => {
  it('covers every combination once', () => {
    expect(TABLE).toHaveLength(DISPOSITIONS.length * 8);
    const keys = new Set(TABLE.map(([d, w, p, x]) => `${d}/${w}/${p}/${x}`));
    expect(keys.size).toBe(TABLE.length);
  });

  it.each(TABLE)(
    '%s, waiting %s, deadline passed %s, window exceeded %s -> %s (status %s, history %s, retrying %s, lastError %s)',
    (disposition, waiting, deadlinePassed, windowExceeded, throws, status, history, retrying, recorded) => {
      const answer = KnoxError.of(CODE_OF[disposition]);
      const decision = decide(answer, undefined, contextOf({ waiting, deadlinePassed, windowExceeded }));
      expect(decision.throws).toBe(throws);
      expect(decision.answer).toBe(answer);
      if (recorded === 'done') {
        expect(decision.kind).toBe('alreadyDone');
        if (decision.kind !== 'alreadyDone') return;
        expect(decision.success.alreadyDone).toMatchObject({ code: answer.code, disposition: 'alreadyDone' });
        return;
      }
      expect(decision.kind).toBe('error');
      if (decision.kind !== 'error') return;
      expect(decision.record.status ?? '-').toBe(status);
      expect(decision.record.history).toBe(history);
      expect(decision.record.retrying).toBe(retrying);
      expect(decision.record.lastError.code).toBe(recorded === 'answer' ? answer.code : recorded);
      expect(decision.sleepMs).toBe(0);
      if (recorded === DEADLINE) {
        expect(decision.logDetail).toBe('deadline passed');
        expect(decision.record.lastError.message).toContain(`Knox last answered ${answer.code} (${answer.errorCode})`);
        expect(decision.message).toMatch(/^WAIT_DEADLINE_EXCEEDED \(0\): .* Hint: Remind the customer/);
      } else {
        expect(decision.record.lastError).toEqual({
          code: answer.code,
          errorCode: answer.errorCode,
          message: answer.message,
          disposition: answer.disposition,
        });
      }
    },
  );
});

describe('decide: what the record says', () => {
  const fresh = { waiting: false, deadlinePassed: false, windowExceeded: false };

  it('the first transient failure of a run starts the window at the attempt; the detail says until when', () => {
    const decision = decide(KnoxError.of('FAILURE'), undefined, contextOf(fresh, { retrySince: undefined }));
    const since = new Date(START).toISOString();
    const until = new Date(START + WINDOW_SECONDS * 1000).toISOString();
    expect(decision).toMatchObject({
      throws: A.retry,
      record: { retrying: true, detail: `Knox has failed since ${since}: retried until ${until}, then FAILED.` },
    });
  });

  it('past the window the detail says it ended, and the hint comes first', () => {
    const decision = decide(
      KnoxError.of('KNOX_BUDGET_EXHAUSTED'),
      undefined,
      contextOf({ ...fresh, windowExceeded: true }),
    );
    expect(decision.throws).toBe(X);
    expect(decision.kind === 'error' && decision.record.detail).toMatch(
      /^Steady exhaustion .* Knox has failed since .*: the retry window ended at /,
    );
  });

  it('the window is measured at the attempt’s start: an attempt that began inside it is still retried', () => {
    expect(retryWindowOf('2026-01-01T11:00:00.000Z', START - 1, WINDOW_SECONDS).exceeded).toBe(false);
    expect(retryWindowOf('2026-01-01T11:00:00.000Z', START, WINDOW_SECONDS).exceeded).toBe(true);
  });

  it('a transient failure while waiting on Knox says it is handled as a wait', () => {
    const decision = decide(KnoxError.of('REQUEST_TIMEOUT'), undefined, contextOf({ ...fresh, waiting: true }));
    expect(decision).toMatchObject({
      handledAs: 'wait',
      throws: A.wait,
      record: { detail: 'handled as wait: the record is waiting and is polled again', retrying: false },
    });
  });

  it('the thrown message carries Knox’s code, message and the hint', () => {
    const decision = decide(KnoxError.of('ADD_EC_ALREADY_MANAGED'), undefined, contextOf(fresh));
    expect(decision.message).toBe(
      'ADD_EC_ALREADY_MANAGED (4002103): This customer is already managed by someone else. ' +
        'Hint: Ask the customer to delink from its current MSP, then onboard again.',
    );
  });

  it('a huge code or message is clipped in the record and the thrown message', () => {
    const answer = new KnoxError({ ...KnoxError.of('FAILURE').toJSON(), message: 'x'.repeat(100_000) });
    const decision = decide(answer, undefined, contextOf(fresh));
    expect(decision.kind === 'error' && decision.record.lastError.message.length).toBe(1000);
    expect(decision.message.length).toBeLessThan(1300);
  });
});

describe('decide: the same waiting answer again', () => {
  const waiting = { waiting: true, deadlinePassed: false, windowExceeded: false };

  it.each([
    ['the same wait code', 'ADD_EC_CUSTOMER_NOT_APPROVED', 'ADD_EC_CUSTOMER_NOT_APPROVED', false],
    ['another wait code', 'ADD_EC_CUSTOMER_NOT_APPROVED', 'ADD_EC_DELINK_PENDING', true],
    ['the same transient code (handled as a wait)', 'FAILURE', 'FAILURE', false],
    ['a wait after a transient failure', 'FAILURE', 'ADD_EC_CUSTOMER_NOT_APPROVED', true],
    ['no lastError before', undefined, 'ADD_EC_CUSTOMER_NOT_APPROVED', true],
  ] as const)('%s: history entry %s', (_name, before, code, history) => {
    const decision = decide(
      KnoxError.of(code),
      undefined,
      contextOf(waiting, before !== undefined ? { lastErrorCode: before } : {}),
    );
    expect(decision).toMatchObject({ throws: A.wait, record: { history } });
    expect(decision.kind === 'error' && decision.record.status).toBeFalsy();
  });

  it('a record that does not wait yet always records its first wait, and becomes WAITING', () => {
    const decision = decide(
      KnoxError.of('ADD_EC_CUSTOMER_NOT_APPROVED'),
      undefined,
      contextOf({ ...waiting, waiting: false }, { lastErrorCode: 'ADD_EC_CUSTOMER_NOT_APPROVED' }),
    );
    expect(decision).toMatchObject({ record: { history: true, status: 'WAITING' } });
  });

  it('past the deadline even a repeat is recorded, as WAIT_DEADLINE_EXCEEDED', () => {
    const decision = decide(
      KnoxError.of('ADD_EC_CUSTOMER_NOT_APPROVED'),
      undefined,
      contextOf({ ...waiting, deadlinePassed: true }, { lastErrorCode: 'ADD_EC_CUSTOMER_NOT_APPROVED' }),
    );
    expect(decision).toMatchObject({ throws: A.abort, record: { history: true, lastError: { code: DEADLINE } } });
  });
});

describe('decide: 429 with Retry-After', () => {
  const fresh = { waiting: false, deadlinePassed: false, windowExceeded: false };
  const tooMany = (seconds?: number) =>
    KnoxError.of('TOO_MANY_REQUESTS', seconds === undefined ? {} : { retryAfterSeconds: seconds });

  it.each([
    ['Retry-After 3 s', 3, undefined, 3000],
    ['Retry-After 60 s: at most RETRY_AFTER_MAX_MS', 60, undefined, RETRY_AFTER_MAX_MS],
    ['Retry-After 0 s', 0, undefined, 0],
    ['Retry-After 3 s with 4 s of Lambda time left: the margin stays free', 3, 4000, 4000 - RETRY_AFTER_MARGIN_MS],
    ['Retry-After 3 s with 1 s left: no sleep', 3, 1000, 0],
    ['Retry-After 1 s with 60 s left', 1, 60_000, 1000],
  ] as const)('%s -> sleeps %s', (_name, seconds, remainingMs, sleepMs) => {
    const decision = decide(
      tooMany(seconds),
      undefined,
      contextOf(fresh, remainingMs !== undefined ? { remainingMs } : {}),
    );
    expect(decision).toMatchObject({ throws: A.retry, sleepMs });
    expect(retryAfterSleepMs(seconds, remainingMs)).toBe(sleepMs);
  });

  it('without Retry-After: no sleep (the backoff is the state machine’s)', () => {
    expect(decide(tooMany(), undefined, contextOf(fresh))).toMatchObject({ throws: A.retry, sleepMs: 0 });
  });

  it('past the window: no sleep, the step ends the run at once', () => {
    expect(decide(tooMany(3), undefined, contextOf({ ...fresh, windowExceeded: true }))).toMatchObject({
      throws: X,
      sleepMs: 0,
    });
  });

  it('while waiting on Knox: no sleep, the wait’s schedule is slower anyway', () => {
    expect(decide(tooMany(3), undefined, contextOf({ ...fresh, waiting: true }))).toMatchObject({
      throws: A.wait,
      sleepMs: 0,
    });
  });
});

describe('decide: a context rule’s verdict', () => {
  const fresh = { waiting: false, deadlinePassed: false, windowExceeded: false };
  const managed = KnoxError.of('ADD_EC_ALREADY_MANAGED');

  it('already done: recorded as a success with what the rule found, thrown as Knox.AlreadyDone', () => {
    const verdict: Reclassification = {
      kind: 'alreadyDone',
      customerId: '1000000001',
      knoxStatus: 'Active',
      detail: 'ours',
    };
    expect(decide(managed, verdict, contextOf(fresh))).toEqual({
      kind: 'alreadyDone',
      throws: A.alreadyDone,
      message: 'ADD_EC_ALREADY_MANAGED (4002103): This customer is already managed by someone else. Hint: ours',
      answer: managed,
      success: {
        alreadyDone: {
          code: 'ADD_EC_ALREADY_MANAGED',
          errorCode: '4002103',
          message: managed.message,
          disposition: 'alreadyDone',
        },
        customerId: '1000000001',
        knoxStatus: 'Active',
        detail: 'ours',
      },
    });
  });

  it('already done even past the deadline and while waiting', () => {
    const verdict: Reclassification = { kind: 'alreadyDone', detail: 'ours' };
    expect(
      decide(managed, verdict, contextOf({ waiting: true, deadlinePassed: true, windowExceeded: true })),
    ).toMatchObject({
      kind: 'alreadyDone',
      throws: A.alreadyDone,
    });
  });

  it('no verdict: the table’s row stands', () => {
    expect(decide(managed, undefined, contextOf(fresh))).toMatchObject({
      throws: A.abort,
      answer: managed,
      record: { lastError: { code: 'ADD_EC_ALREADY_MANAGED' } },
    });
  });

  it('another error: handled in place of the answer (a lookup’s transient failure is retried)', () => {
    const lookup = KnoxError.of('CUSTOMER_LOOKUP_INCONCLUSIVE', { message: 'the list moved' });
    const decision = decide(KnoxError.of('EMAIL_ALREADY_IN_USAGE'), { kind: 'error', error: lookup }, contextOf(fresh));
    expect(decision).toMatchObject({
      throws: A.retry,
      answer: lookup,
      record: { retrying: true, lastError: { code: 'CUSTOMER_LOOKUP_INCONCLUSIVE', message: 'the list moved' } },
    });
  });

  it('an already-done row by the table needs no rule: the detail is the row’s hint (none for 4002104)', () => {
    const decision = decide(KnoxError.of('ADD_EC_PENDING_CANNOT_ADD_AGAIN'), undefined, contextOf(fresh));
    expect(decision.kind === 'alreadyDone' && decision.success).toEqual({
      alreadyDone: expect.objectContaining({ code: 'ADD_EC_PENDING_CANNOT_ADD_AGAIN' }),
    });
  });
});

describe('decide: every row of the error table', () => {
  const fresh = { waiting: false, deadlinePassed: false, windowExceeded: false };

  it.each(KNOX_ERRORS.map((e) => [e.code, e] as const))('%s is thrown under its disposition’s name', (_c, spec) => {
    const decision = decide(KnoxError.of(spec.code), undefined, contextOf(fresh));
    expect(decision.throws).toBe(STEP_ERROR_NAMES[spec.disposition]);
    expect(decision.kind).toBe(spec.disposition === 'alreadyDone' ? 'alreadyDone' : 'error');
    if (decision.kind === 'error') {
      expect(decision.record.status).toBe(spec.disposition === 'wait' ? 'WAITING' : undefined);
      expect(decision.record.retrying).toBe(spec.disposition === 'retry');
      if (spec.disposition !== 'retry') expect(decision.record.detail).toBe(spec.hint);
    }
  });

  it('an unknown code keeps the disposition the answer was classified with', () => {
    const unknown = new KnoxError({
      code: 'NEW_THING',
      errorCode: '4009999',
      httpStatus: 400,
      disposition: 'operator',
      message: 'new',
    });
    expect(decide(unknown, undefined, contextOf(fresh))).toMatchObject({
      throws: A.operator,
      record: { lastError: { code: 'NEW_THING', disposition: 'operator' } },
    });
  });
});
