/**
 * Everything one running simulator holds, and the reset that brings it back to its starting point.
 */
import type { KnoxLatency } from './latency';
import { TokenIssuer, type SimClient } from './auth';
import { FaultBoard } from './faults';
import { loadFixtures } from './fixtures';
import { settle } from './lifecycle';
import type { AutoSpec, ListChange, PagingSpec, SimCustomerInput, TokenRefusalStyle } from './model';
import { SimRateLimit } from './rate-limit';
import { RequestLog } from './request-log';
import { buildCustomer, CustomerStore } from './customer-store';
import { SIM_OUR_MSP } from './world';

export interface SimStateOptions {
  clients: readonly SimClient[];
  tokenTtlSeconds: number;
  fixtures: boolean;
}

export class SimState {
  readonly store = new CustomerStore();
  readonly faults = new FaultBoard();
  readonly log = new RequestLog();
  readonly rateLimit = new SimRateLimit();
  readonly tokens: TokenIssuer;
  auto: AutoSpec = {};
  paging: PagingSpec = {};
  /** Knox's latency per operation (knox-sim/latency.ts); kept across resets: it is how the simulator runs. */
  latency: KnoxLatency = {};
  tokenRefusal: TokenRefusalStyle = 'status401';
  /** MSPs Samsung has not approved to manage Knox Guard (4002124); every MSP is approved until the control says not. */
  readonly knoxGuardUnapproved = new Set<string>();
  private listChanges: { remaining: number; change: ListChange }[] = [];

  constructor(private readonly options: SimStateOptions) {
    this.tokens = new TokenIssuer(options.clients, options.tokenTtlSeconds);
    this.reset();
  }

  /** A fresh store (with the fixtures unless turned off), and no log, faults, chaos, outage, rate limit, tokens or
   * automatic answers. */
  reset(fixtures = this.options.fixtures): void {
    this.store.clear();
    if (fixtures) loadFixtures(this.store);
    this.log.clear();
    this.faults.clearRules();
    this.faults.clearChaos();
    this.rateLimit.clear();
    this.faults.clearOutage();
    this.tokens.clear();
    this.auto = {};
    this.paging = {};
    this.tokenRefusal = 'status401';
    this.knoxGuardUnapproved.clear();
    this.listChanges = [];
  }

  /** Arms a change of our list that happens once `afterListPages` more list pages have been answered. */
  addListChange(change: ListChange): number {
    this.listChanges.push({ remaining: change.afterListPages, change });
    return this.listChanges.length;
  }

  /** Called after each answered list page: applies the changes that are due. */
  afterListPage(now: Date): void {
    for (const armed of this.listChanges) armed.remaining -= 1;
    const due = this.listChanges.filter((a) => a.remaining <= 0);
    this.listChanges = this.listChanges.filter((a) => a.remaining > 0);
    for (const { change } of due) {
      for (const id of change.remove) {
        const customer = this.store.get(id);
        if (!customer) continue;
        // It leaves our list as after an accepted delink.
        Object.assign(customer, { ownerMsp: null, status: null, managedServices: [], modified: now.toISOString() });
        delete customer.accessType;
        delete customer.waiting;
      }
      for (const input of change.add) this.joinList(input, now);
    }
  }

  private joinList(input: SimCustomerInput, now: Date): void {
    const customerId = input.customerId ?? this.store.newCustomerId();
    if (this.store.get(customerId)) return;
    const withUs: SimCustomerInput = { ownerMsp: SIM_OUR_MSP, status: 'Active', ...input };
    this.store.put(buildCustomer(withUs, { customerId, now, awaitingAnswer: false }));
  }

  /** Lets every customer give the answers due by now (scripts, automatic answers, timed delinks). */
  settle(now: Date): void {
    for (const customer of this.store.all()) settle(customer, this.auto, now);
  }
}
