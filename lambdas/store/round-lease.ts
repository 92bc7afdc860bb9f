/**
 * One poll round at a time without reserved concurrency: a lease on the poller's own item (POLLER_STATE_KEY), taken
 * by a conditional update and given back by another. Reserved concurrency 1 did the same, but Lambda keeps 100
 * executions of an account's concurrency unreserved, so a reservation fails the deploy in an account whose quota is
 * below 101 (new accounts may have 10 in all; AWS documentation: Lambda developer guide, "Configuring reserved
 * concurrency").
 *
 * The lease lasts until the holder's invocation can no longer run (now + its remaining time: the function's timeout
 * at most), so a round that crashed or timed out frees it by itself; a round that finds it held exits at once,
 * without calling Knox (the next tick asks again). Only UpdateItem: the poller may not create or delete items.
 */
import { randomUUID } from 'node:crypto';
import { POLLER_STATE_KEY } from '#domain/table-layout';
import { conditionalUpdate } from './table-client';

export const ROUND_LEASE_FIELDS = { owner: 'roundLeaseOwner', until: 'roundLeaseUntil' } as const;
const LEASE_NAMES = { '#owner': ROUND_LEASE_FIELDS.owner, '#until': ROUND_LEASE_FIELDS.until };

export interface RoundLease {
  owner: string;
  /** Epoch ms when the lease ends on its own. */
  until: number;
}

/** Takes the round lease until `untilMs`, or answers undefined when another round holds it. */
export async function acquireRoundLease(nowMs: number, untilMs: number): Promise<RoundLease | undefined> {
  const lease: RoundLease = { owner: randomUUID(), until: untilMs };
  const taken = await conditionalUpdate(
    POLLER_STATE_KEY,
    'SET #owner = :owner, #until = :until',
    'attribute_not_exists(#until) OR #until <= :now',
    LEASE_NAMES,
    { ':owner': lease.owner, ':until': lease.until, ':now': nowMs },
  );
  return taken ? lease : undefined;
}

/** Gives the lease back, if this round still holds it (a round that outlived its lease leaves the new holder's). */
export async function releaseRoundLease(lease: RoundLease): Promise<void> {
  await conditionalUpdate(POLLER_STATE_KEY, 'REMOVE #owner, #until', '#owner = :owner', LEASE_NAMES, {
    ':owner': lease.owner,
  });
}
