/**
 * A Knox outage, end to end: Knox goes down (the simulator's outage switch: every call, the token endpoint included,
 * answers 500 or is dropped) while twenty workflows are in flight, for a scaled hour (TIME_SCALE 0.002: 7.2 s; the
 * retry window, one hour as well, scales to 8 s, whole seconds). Every workflow carries on afterwards with exactly one
 * accepted Knox write; the writes Knox committed just before going down are found as already done; waiting records
 * only see their next check delayed; the Knox calls spent on the outage stay within the schedule's bounds. The bench's
 * model of an hour-long outage (bench/models/outage-model.ts) is checked here against the synthesized schedule, counts only.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '#domain/configuration';
import { STATES } from '#domain/state-names';
import type { Script } from '#knox-sim/model';
import { SIM_OUR_MSP } from '#knox-sim/world';
import { eventually, getRecord } from '#testkit/test-stack';
import {
  OUTAGE_BUDGET_PER_HOUR,
  FAST_RETRIER_SCHEDULE,
  deployedSchedule,
  outageFigures,
  runThroughOutage,
  transientScheduleOf,
} from '#bench/models/outage-model';
import { computeRetryMaxAttempts } from '#infra/context-config';
import {
  CALLS,
  FAULT_MATCH,
  createRequest,
  definitionOf,
  finish,
  freshEmail,
  historyOf,
  linkRequest,
  newCustomer,
  reach,
  start,
  stepOf,
  useE2e,
  type E2e,
  type Finished,
  type Started,
} from './support/e2e-support';

// Starting thirteen workflows takes a second or two on a busy machine: an hour of 7.2 s keeps them inside it.
const TIME_SCALE = 0.002;
const e2e = useE2e({ timeScale: TIME_SCALE });
const HOUR_MS = 3600 * 1000 * TIME_SCALE;
/** The transient codes an outage produces: a 500 FAILURE, or a dropped connection. */
const OUTAGE_CODES = ['FAILURE', 'CONNECTION_FAILED'];

/** A customer of ours, Active and jointly managed: one we can delink. */
function ownedCustomer(e: E2e, script: Script): Promise<string> {
  return newCustomer(e, {
    status: 'Active',
    managementType: 'JointlyManaged',
    managedServices: ['KnoxMobileEnrollment'],
    script,
  });
}

function delinkRequestOf(customerId: string): Record<string, unknown> {
  return { customerId };
}

interface InFlight {
  started: Started;
  what: 'link' | 'create' | 'delink';
  /** The customer (links, delinks) or the contact e-mail (creates). */
  key: string;
  /** Started before Knox went down: waiting on the customer when it did. */
  waiting: boolean;
}

describe('a one-hour Knox outage (scaled) with twenty workflows in flight', () => {
  it('every workflow rides it out and SUCCEEDS with one accepted write; the committed writes are already done', async () => {
    const flights: InFlight[] = [];
    const begin = async (what: InFlight['what'], key: string, waiting: boolean) => {
      const body = what === 'link' ? linkRequest(key) : what === 'create' ? createRequest(key) : delinkRequestOf(key);
      const kind = what === 'delink' ? 'offboarding' : 'onboarding';
      flights.push({ started: await start(e2e, kind, body), what, key, waiting });
    };

    // Before the outage: 4 links and 3 delinks the customers answer only after an hour. (By time, not by GETs: the
    // poller reads list pages when they are cheaper than a GET per customer.)
    const late: Script = { onLink: 'approve', onDelink: 'accept', afterMs: HOUR_MS };
    for (let i = 0; i < 4; i++) await begin('link', await newCustomer(e2e, { script: late }), true);
    for (let i = 0; i < 3; i++) await begin('delink', await ownedCustomer(e2e, late), true);
    for (const f of flights) await reach(e2e, f.started, 'WAITING');

    // The customers of the workflows that start during the outage (they answer as soon as Knox next looks).
    const soon: Script = { onLink: 'approve', onDelink: 'accept', afterMs: 1 };
    const later: [InFlight['what'], string][] = [];
    for (let i = 0; i < 3; i++) later.push(['link', await newCustomer(e2e, { script: soon })]);
    for (let i = 0; i < 7; i++) later.push(['create', freshEmail()]);
    for (let i = 0; i < 3; i++) later.push(['delink', await ownedCustomer(e2e, soon)]);

    // Knox commits one link, one create and one delink and loses their answers; then it goes down for an hour.
    for (const match of [FAULT_MATCH.link, FAULT_MATCH.create, { method: 'POST', path: '/delink' }]) {
      await e2e.control.fault({ match, fault: { type: 'workThen500' } });
    }
    const outage = await e2e.control.outage({ durationMs: HOUR_MS, seed: 13 });
    // During the outage: 3 links, 7 creates, 3 delinks, all at once.
    await Promise.all(later.map(([what, key]) => begin(what, key, false)));
    expect(flights).toHaveLength(20);

    const finished = new Map<InFlight, Finished>();
    for (const f of flights) finished.set(f, await finish(e2e, f.started));
    const requests = await e2e.control.requests();

    // Every workflow SUCCEEDED: none was FAILED by the hour without Knox.
    expect(flights.map((f) => finished.get(f)!.answer.status)).toEqual(Array(20).fill('SUCCEEDED'));
    expect(flights.map((f) => finished.get(f)!.execution.status)).toEqual(Array(20).fill('SUCCEEDED'));

    // The outage refused calls, the token endpoint's included, and then it was over.
    const refused = requests.filter((r) => r.outage);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((r) => r.fault))).toEqual(new Set(['error500', 'drop']));
    expect(refused.every((r) => Date.parse(r.at) < Date.parse(outage.since!) + HOUR_MS)).toBe(true);

    // Exactly one accepted write per workflow, and each customer where it should be.
    const accepted = requests.filter((r) => r.accepted);
    const count = (what: InFlight['what']) => flights.filter((f) => f.what === what).length;
    expect(accepted.filter(CALLS.link)).toHaveLength(count('link'));
    expect(accepted.filter(CALLS.create)).toHaveLength(count('create'));
    expect(accepted.filter(CALLS.delink)).toHaveLength(count('delink'));
    expect(accepted).toHaveLength(20);
    const customers = await e2e.control.customers();
    for (const f of flights) {
      const mine = customers.filter((c) => (f.what === 'create' ? c.email === f.key : c.customerId === f.key));
      expect(mine).toHaveLength(1);
      // Linked and created customers are ours and Active; delinked ones have no MSP any more.
      expect([mine[0]?.ownerMsp, mine[0]?.status]).toEqual(
        f.what === 'delink' ? [null, null] : [SIM_OUR_MSP, 'Active'],
      );
    }

    // The writes Knox committed before going down were found as already done after it.
    const alreadyDone = flights.flatMap((f) =>
      historyOf(finished.get(f)!.raw)
        .filter((h) => h.event === 'already-done')
        .map((h) => h.error?.errorCode),
    );
    // Their customers answered as soon as Knox was back, before the retries: the link's retry meets 4002103 for a
    // customer Knox shows us, the delink's 4002113 after a transient failure, the create's 4002106 for our e-mail.
    expect(alreadyDone.sort()).toEqual(['4002103', '4002106', '4002113']);

    const schedule = transientScheduleOf(definitionOf(e2e, 'onboarding'), STATES.linkCustomer);
    for (const f of flights) {
      const { raw, execution } = finished.get(f)!;
      const transient = historyOf(raw).filter(
        (h) => h.event === 'knox-error' && OUTAGE_CODES.includes(h.error?.code ?? ''),
      );
      if (f.waiting) {
        // Waiting on the customer: the callback state paid nothing for the outage (the poller's failed rounds change
        // nothing), and the answer came by callback once Knox was back.
        const wait = stepOf(execution, STATES.waitForAnswer);
        expect(wait.errors).toEqual([]);
        expect(transient).toEqual([]);
      } else {
        // A write step rode it out with the transient retrier; each failed attempt was one Knox call.
        expect(transient.length).toBeGreaterThan(0);
        expect(transient.every((h) => h.error?.disposition === 'retry' && h.detail?.includes('retried until'))).toBe(
          true,
        );
        expect(transient.length).toBeLessThanOrEqual(schedule.maxAttempts + 1);
      }
      expect(raw['retrySince']).toBeUndefined();
    }
    // The Knox calls the outage cost, per workflow on average, within the bound for an hour.
    expect(refused.length / flights.length).toBeLessThanOrEqual(OUTAGE_BUDGET_PER_HOUR);
  });
});

describe('while Knox is down', () => {
  it('the record shows it is waiting out Knox trouble; a waiting record keeps waiting; both go on after', async () => {
    const waitingCustomer = await newCustomer(e2e, { script: { onLink: 'never' } });
    const waiting = await start(e2e, 'onboarding', linkRequest(waitingCustomer));
    await reach(e2e, waiting, 'WAITING');

    // Until switched off: the test looks at the records while Knox is down, then brings it back. The functions start
    // afresh (no token cached, as a new Lambda instance): the token endpoint is down too.
    await e2e.stack.lambda.coldStart();
    await e2e.control.outage({ dropRate: 0 });
    // A waiting record is checked by the poller: a round that meets the outage changes nothing, so the record stays
    // WAITING on its callback, with no retry window; the next round after the outage asks again.
    const waitingDuring = (await getRecord(e2e.stack.apiUrl, 'onboarding', waiting.id)).body;
    expect(waitingDuring).toMatchObject({ status: 'WAITING' });
    expect(waitingDuring['retrySince']).toBeUndefined();

    // A create meets the outage: IN_PROGRESS, lastError the transient code, retrySince when the trouble began.
    const creating = await start(e2e, 'onboarding', createRequest(freshEmail()));
    const during = await until(async () => {
      const answer = (await getRecord(e2e.stack.apiUrl, 'onboarding', creating.id)).body;
      return answer.lastError !== undefined ? answer : undefined;
    });
    expect(during).toMatchObject({
      status: 'IN_PROGRESS',
      lastError: { code: 'FAILURE', errorCode: '5000000', disposition: 'retry' },
    });
    expect(Date.parse(String(during['retrySince']))).not.toBeNaN();
    expect((await e2e.control.outageStatus()).active).toBe(true);
    expect((await e2e.control.requests()).filter((r) => r.outage).some(CALLS.token)).toBe(true);
    await e2e.control.endOutage();
    await e2e.control.approveLink(waitingCustomer);

    const created = await finish(e2e, creating);
    const linked = await finish(e2e, waiting);
    expect([created.answer.status, linked.answer.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    for (const raw of [created.raw, linked.raw]) {
      expect(raw['lastError']).toBeUndefined();
      expect(raw['retrySince']).toBeUndefined();
    }
    expect(created.requests.filter((r) => r.accepted)).toHaveLength(2);
  });
});

describe("the schedule for a one-hour outage, from the synthesized template (the bench's model)", () => {
  it('is the deployed retrier and window: every workflow rides the hour out within 25 calls (expected and p99)', () => {
    const schedule = deployedSchedule(e2e.stack.model);
    expect(schedule).toEqual({
      intervalSeconds: DEFAULTS.retryIntervalSeconds,
      backoffRate: DEFAULTS.retryBackoffRate,
      maxDelaySeconds: DEFAULTS.retryMaxDelaySeconds,
      maxAttempts: computeRetryMaxAttempts(DEFAULTS),
      jitter: 'FULL',
      windowSeconds: DEFAULTS.retryWindowSeconds,
    });
    const hour = outageFigures(schedule, 3600);
    expect(hour.rideOutShare).toBe(1);
    expect(hour.expectedAttempts).toBeLessThanOrEqual(OUTAGE_BUDGET_PER_HOUR);
    expect(hour.p99Attempts).toBeLessThanOrEqual(OUTAGE_BUDGET_PER_HOUR);
    expect(hour.maxNoticeSeconds).toBeLessThanOrEqual(schedule.maxDelaySeconds);
    // The fast retrier alone (no retry window) gave up after its seventh call, a minute or two into the hour.
    expect(outageFigures(FAST_RETRIER_SCHEDULE, 3600)).toMatchObject({
      rideOutShare: 0,
      expectedAttempts: 7,
      worstAttempts: 7,
    });
    // Longer than the window: FAILED, by the step, whatever the draws.
    expect(outageFigures(schedule, 2 * DEFAULTS.retryWindowSeconds).rideOutShare).toBe(0);
  });

  it('counts attempts the way the retrier spaces them (no jitter: every gap is the whole delay)', () => {
    const steady = {
      ...FAST_RETRIER_SCHEDULE,
      maxDelaySeconds: 600,
      maxAttempts: 32,
      jitter: 'NONE' as const,
      windowSeconds: 3600,
    };
    // Fails at 0, then after 2, 4, ... 512 s (t = 1,022 s), then every 600 s: 1,622 ... 3,422; the next at 4,022 works.
    expect(runThroughOutage(steady, 3600, () => 0)).toEqual({
      failedAttempts: 14,
      rodeOut: true,
      noticedAfterSeconds: 422,
    });
    expect(runThroughOutage({ ...steady, maxAttempts: 10 }, 3600, () => 0)).toEqual({
      failedAttempts: 11,
      rodeOut: false,
    });
  });
});

/** Asks `probe` until it answers something (bounded: a probe that never answers fails the test). */
function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return eventually(probe, { timeoutMs, intervalMs: 20 });
}
