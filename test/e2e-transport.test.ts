/**
 * Transport trouble, end to end: Knox trouble that is not a code of the seed table. A 429 with Retry-After, bodies that are not
 * Knox's error object (an HTML page, an empty 502), a dropped connection: each is retried by the fast retrier and the
 * onboarding SUCCEEDS with exactly one accepted link. A token that expires mid-run is refreshed once by the client,
 * invisibly to the workflow. (4030000 AUTHORIZATION_FAIL, revoked rights, is the seed scenario in e2e-codes.)
 */
import { describe, expect, it } from 'vitest';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import { STATES } from '#domain/state-names';
import type { FaultType } from '#knox-sim/model';
import { statePath } from '#testkit/test-stack';
import {
  CALLS,
  FAULT_MATCH,
  PATHS,
  expectClosedRecord,
  expectRetried,
  finish,
  historyCodes,
  historyOf,
  knoxCalls,
  linkRequest,
  newCustomer,
  start,
  useE2e,
  waitingOnboarding,
} from './support/e2e-scenarios';

const e2e = useE2e();

interface OneFault {
  fault: FaultType;
  code: KnoxErrorCodeName;
  /** What the simulator logged for the faulted link: HTTP status (0: no answer). */
  status: number;
  retryAfterSeconds?: number;
}

const ONE_FAULT: OneFault[] = [
  { fault: 'status429', code: 'TOO_MANY_REQUESTS', status: 429, retryAfterSeconds: 1 },
  { fault: 'html', code: 'UNEXPECTED_RESPONSE', status: 502 },
  { fault: 'empty', code: 'UNEXPECTED_RESPONSE', status: 502 },
  { fault: 'drop', code: 'CONNECTION_FAILED', status: 0 },
];

describe('transient trouble on the link: retried, then SUCCEEDED with one accepted link', () => {
  for (const c of ONE_FAULT) {
    it(`${c.fault} -> ${c.code} (${specFor(c.code).disposition})`, async () => {
      const customerId = await newCustomer(e2e, { script: { onLink: 'approve' } });
      await e2e.control.fault({
        match: FAULT_MATCH.link,
        fault: {
          type: c.fault,
          ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
        },
      });
      const finished = await finish(e2e, await start(e2e, 'onboarding', linkRequest(customerId)));

      await expectClosedRecord(e2e, finished, 'SUCCEEDED');
      expect(finished.raw['lastError']).toBeUndefined();
      expect(historyCodes(finished.raw)).toEqual([c.code]);
      expect(historyOf(finished.raw).find((h) => h.event === 'knox-error')).toMatchObject({
        step: 'link',
        error: { disposition: 'retry' },
      });
      expect(finished.raw).toMatchObject({ attempts: { link: 2 }, knoxStatus: 'Active' });

      expect(statePath(finished.execution)).toEqual(PATHS.linked);
      expectRetried(finished.execution, STATES.linkCustomer, STEP_ERROR_NAMES.retry, 1);

      const links = knoxCalls(finished.requests).filter(CALLS.link);
      expect(links.map((r) => [r.status, r.fault, r.accepted])).toEqual([
        [c.status, c.fault, false],
        [200, undefined, true],
      ]);
      // That the step sleeps what Retry-After asks is proven in test/handlers-steps.test.ts without a clock:
      // tests here never assert on wall-clock time.
    });
  }
});

describe('tokens', () => {
  it('a token that expires mid-run is refreshed once, and the onboarding SUCCEEDS', async () => {
    const { customerId, started } = await waitingOnboarding(e2e);

    // Read where the log stands before the expiry: every request after it carries the expired token or a new one.
    const before = (await e2e.control.requests()).at(-1)?.seq ?? 0;
    expect(await e2e.control.expireTokens()).toBeGreaterThanOrEqual(1);
    await e2e.control.approveLink(customerId);
    const finished = await finish(e2e, started);

    await expectClosedRecord(e2e, finished, 'SUCCEEDED');
    // The client dealt with it: the workflow saw no error from the expiry.
    expect(historyCodes(finished.raw)).not.toContain('ACCESS_TOKEN_EXPIRED');
    expect(statePath(finished.execution)).toEqual(PATHS.linked);

    const after = finished.requests.filter((r) => r.seq > before);
    expect(after.filter(CALLS.token)).toEqual([expect.objectContaining({ method: 'POST', status: 200 })]);
    const refused = after.filter((r) => r.status === 401);
    expect(refused).toEqual([expect.objectContaining({ errorCode: specFor('ACCESS_TOKEN_EXPIRED').errorCode })]);
    // The refused call was asked again right after the new token, and answered.
    const tokenAt = after.findIndex(CALLS.token);
    expect(after.indexOf(refused[0]!)).toBeLessThan(tokenAt);
    expect(after[tokenAt + 1]).toMatchObject({ method: refused[0]!.method, path: refused[0]!.path, status: 200 });
  });
});
