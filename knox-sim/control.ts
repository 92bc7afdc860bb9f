/**
 * A small typed client for the simulator's control surface (`/_sim/...`), over fetch. Tests and demos use it to play
 * the customer's part and to inject trouble; every answer is validated with the simulator's own schemas.
 */
import * as z from 'zod';
import {
  outageStatusSchema,
  requestLogEntrySchema,
  simCustomerSchema,
  type AutoSpec,
  type ChaosInput,
  type FaultRuleInput,
  type ListChangeInput,
  type PagingSpec,
  type OutageInput,
  type OutageStatus,
  type RequestLogEntry,
  type Script,
  type SimCustomer,
  type SimCustomerInput,
  type TokenRefusalStyle,
} from './model';
import type { RateLimitInput } from './rate-limit';
import type { BulkSeedInput } from './bulk-seed';

export class KnoxSimControlError extends Error {
  override readonly name = 'KnoxSimControlError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const anything = z.unknown();

export class KnoxSimControl {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const response = await fetch(`${this.baseUrl}/_sim${path}`, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok)
      throw new KnoxSimControlError(`${method} /_sim${path} answered ${response.status}: ${text}`, response.status);
    return schema.parse(JSON.parse(text));
  }

  private customerCall(id: string, action: string, body?: unknown): Promise<SimCustomer> {
    return this.call('POST', `/customers/${encodeURIComponent(id)}/${action}`, simCustomerSchema, body);
  }

  /** The customer approves our pending link: Active. */
  approveLink(id: string): Promise<SimCustomer> {
    return this.customerCall(id, 'approve-link');
  }

  /** The customer refuses the link: Rejected. */
  rejectLink(id: string): Promise<SimCustomer> {
    return this.customerCall(id, 'reject-link');
  }

  /** The customer accepts the delink: no longer managed (get answers 4002113). */
  acceptDelink(id: string): Promise<SimCustomer> {
    return this.customerCall(id, 'accept-delink');
  }

  /** The customer refuses the delink: Active again. */
  rejectDelink(id: string): Promise<SimCustomer> {
    return this.customerCall(id, 'reject-delink');
  }

  /** Samsung approves the customer's own Knox account: links stop answering 4002101. */
  samsungApprove(id: string): Promise<SimCustomer> {
    return this.customerCall(id, 'samsung-approve');
  }

  /** Revokes (`false`) or restores (`true`) a client's MSP rights: revoked, every MSP call answers 403 AUTHORIZATION_FAIL. */
  async setClientAuthorized(clientId: string, authorized: boolean): Promise<void> {
    await this.call('POST', '/clients/authorization', anything, { clientId, authorized });
  }

  /** Adds a Knox customer; omitted fields take the documented defaults. */
  addCustomer(customer: SimCustomerInput): Promise<SimCustomer> {
    return this.call('POST', '/customers', simCustomerSchema, customer);
  }

  /** Adds `count` customers of ours in one call (knox-sim/bulk-seed.ts says what they look like). */
  bulkSeed(input: BulkSeedInput): Promise<{ added: number; firstId: string; lastId: string }> {
    return this.call(
      'POST',
      '/customers/bulk',
      z.object({ added: z.number(), firstId: z.string(), lastId: z.string() }),
      input,
    );
  }

  customers(): Promise<SimCustomer[]> {
    return this.call('GET', '/customers', z.array(simCustomerSchema));
  }

  customer(id: string): Promise<SimCustomer> {
    return this.call('GET', `/customers/${encodeURIComponent(id)}`, simCustomerSchema);
  }

  /** Fresh store with the fixtures (unless `fixtures: false`); clears the log, faults, chaos, tokens, auto answers. */
  async reset(options: { fixtures?: boolean } = {}): Promise<void> {
    await this.call('POST', '/reset', anything, options);
  }

  requests(): Promise<RequestLogEntry[]> {
    return this.call('GET', '/requests', z.array(requestLogEntrySchema));
  }

  async clearRequests(): Promise<void> {
    await this.call('DELETE', '/requests', anything);
  }

  /** The next `count` (default 1) matching Knox requests get `fault`. */
  async fault(spec: FaultRuleInput): Promise<void> {
    await this.call('POST', '/faults', anything, spec);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults', anything);
  }

  /** Seeded random faults on every matching request. */
  async chaos(spec: ChaosInput): Promise<void> {
    await this.call('POST', '/chaos', anything, spec);
  }

  async clearChaos(): Promise<void> {
    await this.call('DELETE', '/chaos', anything);
  }

  /** Knox's own rate limit: MSP calls beyond `requestsPerSecond` (bucket of `burst`) answer 429. */
  async rateLimit(spec: RateLimitInput): Promise<void> {
    await this.call('POST', '/rate-limit', anything, spec);
  }

  async clearRateLimit(): Promise<void> {
    await this.call('DELETE', '/rate-limit', anything);
  }

  /**
   * Knox goes down: every Knox request, the token endpoint included, answers 500 or (a third, by default) is dropped,
   * for `durationMs`, until `until`, or until endOutage(). Counted fault rules still come first.
   */
  outage(spec: OutageInput = {}): Promise<OutageStatus> {
    return this.call('POST', '/outage', outageStatusSchema, spec);
  }

  outageStatus(): Promise<OutageStatus> {
    return this.call('GET', '/outage', outageStatusSchema);
  }

  /** Knox is back. Answers how many requests the outage refused. */
  endOutage(): Promise<OutageStatus> {
    return this.call('DELETE', '/outage', outageStatusSchema);
  }

  /** Expires every issued token: the next MSP call with one answers 401 ACCESS_TOKEN_EXPIRED. */
  async expireTokens(): Promise<number> {
    const answer = await this.call('POST', '/tokens/expire', z.object({ expired: z.number() }));
    return answer.expired;
  }

  /** Revokes every issued token before its expires_in: the next MSP call with one answers ACCESS_TOKEN_INVALID. */
  async revokeTokens(): Promise<number> {
    const answer = await this.call('POST', '/tokens/revoke', z.object({ revoked: z.number() }));
    return answer.revoked;
  }

  /** How dead tokens are refused: 401 (default), 403 with the token codes, or 403 4030000. */
  async tokenRefusal(style: TokenRefusalStyle): Promise<void> {
    await this.call('POST', '/tokens/refusal', anything, { style });
  }

  /** Whether Samsung approved our MSP (or `msp`) to manage Knox Guard: not approved, KnoxGuard answers 4002124. */
  async knoxGuardApproval(approved: boolean, msp?: string): Promise<void> {
    await this.call('POST', '/knox-guard', anything, { approved, ...(msp !== undefined ? { msp } : {}) });
  }

  /** How the list pages: a page size cap, a sort key, 206 pages, a lying totalCount. `{}` restores the defaults. */
  async paging(spec: PagingSpec): Promise<void> {
    await this.call('POST', '/paging', anything, spec);
  }

  /** Customers that leave or join our list once `afterListPages` (1) more list pages have been answered. */
  async listChange(change: ListChangeInput): Promise<void> {
    await this.call('POST', '/list-changes', anything, change);
  }

  /** Automatic answers after a delay for every customer without a script; `{}` turns them off. */
  async auto(spec: AutoSpec): Promise<void> {
    await this.call('POST', '/auto', anything, spec);
  }

  /** How one customer answers link/delink requests, e.g. `{ onLink: 'approve', afterGets: 3 }`. */
  script(id: string, spec: Script): Promise<SimCustomer> {
    return this.customerCall(id, 'script', spec);
  }
}
