/**
 * Everything one running simulator holds, and the reset that brings it back to its starting point.
 */
import { TokenIssuer, type SimClient } from './auth';
import { FaultBoard } from './faults';
import { loadFixtures } from './fixtures';
import { settle } from './lifecycle';
import type { AutoSpec } from './model';
import { RequestLog } from './request-log';
import { CustomerStore } from './store';

export interface SimStateOptions {
  clients: readonly SimClient[];
  tokenTtlSeconds: number;
  fixtures: boolean;
}

export class SimState {
  readonly store = new CustomerStore();
  readonly faults = new FaultBoard();
  readonly log = new RequestLog();
  readonly tokens: TokenIssuer;
  auto: AutoSpec = {};

  constructor(private readonly options: SimStateOptions) {
    this.tokens = new TokenIssuer(options.clients, options.tokenTtlSeconds);
    this.reset();
  }

  /** A fresh store (with the fixtures unless turned off), and no log, faults, chaos, outage, tokens or automatic answers. */
  reset(fixtures = this.options.fixtures): void {
    this.store.clear();
    if (fixtures) loadFixtures(this.store);
    this.log.clear();
    this.faults.clearRules();
    this.faults.clearChaos();
    this.faults.clearOutage();
    this.tokens.clear();
    this.auto = {};
  }

  /** Lets every customer give the answers due by now (scripts, automatic answers, timed delinks). */
  settle(now: Date): void {
    for (const customer of this.store.all()) settle(customer, this.auto, now);
  }
}
