/**
 * The customer's side of the lifecycle: answering link and delink requests. Control calls invoke these directly;
 * scripts, automatic answers and timed delinks invoke them through `settle`, which runs before every request so that
 * nothing depends on background timers.
 */
import { emailDomain } from '#domain/knox-schemas';
import type { AutoSpec, RelationStatus, SimCustomer } from './model';

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

/** Refuses an answer to a request the customer does not have open. */
function noRequest(customer: SimCustomer, what: 'pending link' | 'delink request'): LifecycleError {
  return new LifecycleError(`customer ${customer.customerId} has no ${what} (status ${customer.status ?? 'none'})`);
}

function touch(customer: SimCustomer, now: Date): void {
  customer.modified = now.toISOString();
  delete customer.waiting;
}

/**
 * Whether a requested service stays `Pending` after the customer approves the link, until the MSP switches it on
 * with an update (PUT): a KnoxManage asked for under a kmTenantPrefix, for a customer without a Knox Manage tenant.
 * Why (assumed, consistent with the contract): a prefixed tenant domain can be refused (4002121 taken, 4002111
 * malformed), and those codes are answered by create and update, never by link; so the approval does not set up the
 * tenant, and the MSP's next update naming the prefix does. This is what makes an onboarding run "Change customer".
 */
export function awaitsUpdateAfterApproval(
  service: { service: string; kmTenantPrefix?: string },
  customer: SimCustomer,
): boolean {
  return service.service === 'KnoxManage' && Boolean(service.kmTenantPrefix) && customer.kmTenantDomain === undefined;
}

/**
 * The customer approves the pending link: Active, management type as requested, requested services on but those
 * that await the MSP's update (`awaitsUpdateAfterApproval`), which stay `Pending`.
 */
export function approveLink(customer: SimCustomer, now: Date): void {
  const link = customer.pendingLink;
  if (customer.status !== 'Pending' || link === undefined) throw noRequest(customer, 'pending link');
  customer.status = 'Active';
  customer.managementType = link.managementType;
  if (link.accessType !== undefined) customer.accessType = link.accessType;
  customer.managedServices = link.services.map((s) => ({
    service: s.service,
    status: awaitsUpdateAfterApproval(s, customer) ? 'Pending' : 'Active',
  }));
  const km = link.services.find((s) => s.service === 'KnoxManage');
  if (km && !awaitsUpdateAfterApproval(km, customer) && customer.kmTenantDomain === undefined) {
    customer.kmTenantDomain = kmTenantDomain(customer.email, km.kmTenantPrefix);
  }
  delete customer.pendingLink;
  touch(customer, now);
}

/** The customer refuses the link: `Rejected`, still visible to the MSP that asked; a new link is allowed. */
export function rejectLink(customer: SimCustomer, now: Date): void {
  if (customer.status !== 'Pending' || customer.pendingLink === undefined) throw noRequest(customer, 'pending link');
  customer.status = 'Rejected';
  customer.managedServices = [];
  delete customer.pendingLink;
  touch(customer, now);
}

/** The customer accepts the delink: the MSP loses it, and it is free to be linked again. */
export function acceptDelink(customer: SimCustomer, now: Date): void {
  if (customer.status !== 'DelinkRequested') throw noRequest(customer, 'delink request');
  customer.ownerMsp = null;
  customer.status = null;
  customer.managedServices = [];
  delete customer.accessType;
  delete customer.delinkEndsAt;
  touch(customer, now);
}

/** The customer refuses the delink: back to `Active` with the same MSP. */
export function rejectDelink(customer: SimCustomer, now: Date): void {
  if (customer.status !== 'DelinkRequested') throw noRequest(customer, 'delink request');
  customer.status = 'Active';
  delete customer.delinkEndsAt;
  touch(customer, now);
}

/** The tenant domain Knox Manage gives an organisation: its e-mail domain, under the prefix when there is one. */
export function kmTenantDomain(email: string, prefix: string | undefined): string {
  const domain = emailDomain(email);
  return prefix ? `${prefix.toLowerCase()}.${domain}` : domain;
}

type Answer = 'approve' | 'reject' | 'accept' | 'never' | undefined;

/**
 * The answer due now for an open request, if any. A script decides alone when it covers the request (gets and time
 * both reached); otherwise the automatic answer with the shortest delay that has passed.
 */
function dueAnswer(
  scripted: Answer,
  automatic: [answer: Answer, afterMs: number | undefined][],
  script: SimCustomer['script'],
  elapsedMs: number,
  gets: number,
): Answer {
  if (scripted !== undefined) {
    if (scripted === 'never') return undefined;
    const reached = gets >= (script?.afterGets ?? 0) && elapsedMs >= (script?.afterMs ?? 0);
    return reached ? scripted : undefined;
  }
  const due = automatic
    .filter((a): a is [Answer, number] => a[1] !== undefined && elapsedMs >= a[1])
    .sort((a, b) => a[1] - b[1]);
  return due[0]?.[0];
}

/** A request the customer answers: the script's field for it, and each answer with its automatic delay and effect. */
interface OpenRequest {
  script: 'onLink' | 'onDelink';
  answers: [answer: Answer, afterMs: keyof AutoSpec, respond: (customer: SimCustomer, now: Date) => void][];
}

/** The open requests, by the status they leave the customer in. */
const OPEN_REQUESTS: Partial<Record<RelationStatus, OpenRequest>> = {
  Pending: {
    script: 'onLink',
    answers: [
      ['approve', 'approveLinksAfterMs', approveLink],
      ['reject', 'rejectLinksAfterMs', rejectLink],
    ],
  },
  DelinkRequested: {
    script: 'onDelink',
    answers: [
      ['accept', 'acceptDelinksAfterMs', acceptDelink],
      ['reject', 'rejectDelinksAfterMs', rejectDelink],
    ],
  },
};

/** Applies whatever answer is due now: a timed delink end, a script, or an automatic answer. */
export function settle(customer: SimCustomer, auto: AutoSpec, now: Date): void {
  if (
    customer.status === 'DelinkRequested' &&
    customer.delinkEndsAt !== undefined &&
    now.getTime() >= Date.parse(customer.delinkEndsAt)
  ) {
    acceptDelink(customer, now);
    return;
  }
  const waiting = customer.waiting;
  if (waiting === undefined) return;
  const elapsed = now.getTime() - Date.parse(waiting.since);
  const request = customer.status === null ? undefined : OPEN_REQUESTS[customer.status];
  if (request === undefined) return;
  const answer = dueAnswer(
    customer.script?.[request.script],
    request.answers.map(([option, afterMs]) => [option, auto[afterMs]]),
    customer.script,
    elapsed,
    waiting.gets,
  );
  request.answers.find(([candidate]) => candidate === answer)?.[2](customer, now);
}
