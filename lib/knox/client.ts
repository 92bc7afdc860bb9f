/**
 * The Knox MSP Portal API client (docs/knox-contract.md): OAuth client credentials with one cached token, a rate
 * limit (a RateLimiter: the shared budget in the Lambdas), a timeout on every request, and every answer validated.
 * Each call returns validated data or throws a KnoxError whose disposition tells the workflow what to do; nothing
 * else escapes.
 *
 * The client does not retry 5xx or 429 answers: the state machine does, from the dispositions. Its one repetition is
 * a call whose token was refused (any 401; a 403 with a token code or 4030000), after one new token was fetched.
 */
import type * as z from 'zod';
import { DEFAULTS } from '#domain/configuration';
import { KnoxError, errorFromAnswer, parseJson, parseKnoxAnswer, type KnoxHttpAnswer } from '#domain/knox-answer';
import { specFor } from '#domain/knox-errors';
import {
  credentialsSchema,
  customerListSchema,
  customerSchema,
  knoxErrorBodySchema,
  type DelinkRequest,
  type KnoxCustomer,
  type KnoxCustomerList,
  type LinkRequest,
  type NewCustomer,
  type UpdateRequest,
} from '#domain/knox-schemas';
import { systemClock, type Clock } from './clock';
import { FIND_DEFAULTS, readPageWithRetry } from './find-customer';
import { TokenBucket } from './rate-limiter';
import { TokenCache } from './token-cache';
import { requestToken } from './token-endpoint';
import { KnoxTransport, type KnoxRequest } from './transport';
import type { KnoxClient, KnoxClientConfig, KnoxCredentials, ListCustomersOptions } from './types';

export const CUSTOMERS_PATH = '/msp/v1/managedCustomers';
export const DEFAULT_PAGE_SIZE = 50;
/** A page of a full listing that fails transiently is asked again in place, this many times in all. */
export const LIST_PAGE_ATTEMPTS = FIND_DEFAULTS.pageAttempts;

type MspRequest = Omit<KnoxRequest, 'headers'>;

/** What tests replace besides fetch: the clock behind the rate limiter and the token's lifetime. */
export interface KnoxClientInternals {
  clock?: Clock;
}

export class HttpKnoxClient implements KnoxClient {
  private readonly transport: KnoxTransport;
  private readonly tokens: TokenCache;
  private tokenRequestCount = 0;

  constructor(
    private readonly config: KnoxClientConfig,
    internals: KnoxClientInternals = {},
  ) {
    const clock = internals.clock ?? systemClock;
    this.transport = new KnoxTransport({
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs ?? DEFAULTS.knoxTimeoutMs,
      fetch: config.fetch ?? ((input, init) => fetch(input, init)),
      limiter:
        config.limiter ?? new TokenBucket(config.requestsPerSecond ?? DEFAULTS.knoxRequestsPerSecond, undefined, clock),
    });
    this.tokens = new TokenCache(
      async () => {
        const credentials = await this.loadCredentials();
        this.tokenRequestCount += 1;
        return requestToken(this.transport, credentials, config.tokenLifetimeMinutes);
      },
      () => clock.now(),
    );
  }

  get tokenRequests(): number {
    return this.tokenRequestCount;
  }

  createCustomer(body: NewCustomer): Promise<KnoxCustomer> {
    return this.call({ method: 'POST', path: CUSTOMERS_PATH, body: JSON.stringify(body) }, customerSchema);
  }

  linkCustomer(body: LinkRequest): Promise<KnoxCustomer> {
    return this.call({ method: 'POST', path: `${CUSTOMERS_PATH}/link`, body: JSON.stringify(body) }, customerSchema);
  }

  getCustomer(customerId: string): Promise<KnoxCustomer> {
    return this.call({ method: 'GET', path: customerPath(customerId) }, customerSchema);
  }

  listCustomers(options: ListCustomersOptions = {}): Promise<KnoxCustomerList> {
    const query = {
      pageNum: String(options.pageNum ?? 1),
      pageSize: String(options.pageSize ?? DEFAULT_PAGE_SIZE),
      sortOrder: options.sortOrder ?? 'ascending',
    };
    return this.call({ method: 'GET', path: CUSTOMERS_PATH, query }, customerListSchema);
  }

  async *listAllCustomers(pageSize: number = DEFAULT_PAGE_SIZE): AsyncGenerator<KnoxCustomer> {
    const size = Math.max(1, Math.floor(pageSize));
    const seen = new Set<string>();
    let maxPages = 1;
    for (let pageNum = 1; pageNum <= maxPages; pageNum += 1) {
      const page = await this.listPage({ pageNum, pageSize: size, sortOrder: 'ascending' });
      const total = Number(page.totalCount);
      // Bound the loop by the first total: a server that ignores pageNum or keeps growing the list cannot keep us here.
      // Pages hold what Knox serves, which may be fewer than asked: the bound counts in served pages.
      if (pageNum === 1) maxPages = Math.ceil(total / Math.max(1, Math.min(size, page.customers.length)));
      const fresh = page.customers.filter((c) => !seen.has(c.customerId));
      for (const customer of fresh) {
        seen.add(customer.customerId);
        yield customer;
      }
      // An empty page, or one with nothing new (a server that ignores pageNum and lies about totalCount), ends it.
      if (seen.size >= total || fresh.length === 0) return;
    }
  }

  /**
   * One page of a full listing. Pages are idempotent reads, so a transient failure is asked again in place (a few
   * times, briefly): otherwise one failed page out of ten would throw the whole listing away, and under a flaky Knox
   * a long listing might never complete. Single calls are not retried here: that is the state machine's job.
   */
  private listPage(options: ListCustomersOptions): Promise<KnoxCustomerList> {
    return readPageWithRetry(this, options, { attempts: LIST_PAGE_ATTEMPTS });
  }

  updateCustomer(customerId: string, body: UpdateRequest): Promise<KnoxCustomer> {
    return this.call({ method: 'PUT', path: customerPath(customerId), body: JSON.stringify(body) }, customerSchema);
  }

  delinkCustomer(body: DelinkRequest): Promise<KnoxCustomer> {
    return this.call({ method: 'POST', path: `${CUSTOMERS_PATH}/delink`, body: JSON.stringify(body) }, customerSchema);
  }

  /**
   * One MSP call with the cached token. A refusal that may be about the token (`mayBeTokenRefusal`) means it died
   * early (revoked, Knox restarted, clocks disagree): fetch one new token and repeat the call once. A refusal of the
   * fresh token is our set-up's problem, not something a retry fixes, unless that token died in use: Knox had accepted
   * it for another call, or another call met its refusal first and replaced it (two revocations while this call was in
   * flight). Then the call is repeated once more with the newer token. At most three requests.
   */
  private async call<S extends z.ZodType>(request: MspRequest, schema: S): Promise<z.infer<S>> {
    let sent = await this.sendWithToken(request);
    for (let repeat = 0; repeat < 2 && mayBeTokenRefusal(sent.answer); repeat += 1) {
      if (repeat === 1 && !this.tokens.diedInUse(sent.token)) break;
      this.tokens.invalidate(sent.token);
      sent = await this.sendWithToken(request);
    }
    if (mayBeTokenRefusal(sent.answer)) throw refusedTokenError(sent.answer);
    return parseKnoxAnswer(sent.answer, schema);
  }

  private async sendWithToken(request: MspRequest): Promise<{ token: string; answer: KnoxHttpAnswer }> {
    const token = await this.tokens.get();
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const answer = await this.transport.send({ ...request, headers });
    if (!mayBeTokenRefusal(answer)) this.tokens.accepted(token);
    return { token, answer };
  }

  /**
   * The configured credentials source. A failure there, or credentials with an empty field, is our set-up's problem;
   * the source's own message stays out of ours, since it may quote the secret.
   */
  private async loadCredentials(): Promise<KnoxCredentials> {
    let value: unknown;
    try {
      value = await this.config.credentials();
    } catch (error) {
      if (error instanceof KnoxError) throw error;
      const name = error instanceof Error && /^[A-Za-z.]{1,64}$/.test(error.name) ? error.name : 'Error';
      throw KnoxError.of('INVALID_CLIENT', { message: `The Knox client credentials could not be read (${name})` });
    }
    const parsed = credentialsSchema.safeParse(value);
    if (!parsed.success) {
      throw KnoxError.of('INVALID_CLIENT', {
        message: 'The Knox client credentials need a non-empty clientId and clientSecret',
      });
    }
    return parsed.data;
  }
}

function customerPath(customerId: string): string {
  return `${CUSTOMERS_PATH}/${encodeURIComponent(customerId)}`;
}

/** Knox's codes for a dead token, and the one its KBA-1242 shows for an expired token. */
const TOKEN_REFUSAL_CODES: ReadonlySet<string> = new Set(
  (['ACCESS_TOKEN_EXPIRED', 'ACCESS_TOKEN_INVALID', 'AUTHORIZATION_FAIL'] as const).map((c) => specFor(c).errorCode),
);

/**
 * Whether an answer may mean "your token is dead": any 401, and a 403 carrying 4032251, 4032252 or 4030000. Knox's
 * status for the token codes is not settled (docs/knox-contract.md): the contract's status rule gives 403, other
 * Knox services answer 401, and KBA-1242 shows an expired token answered 403 4030000.
 */
export function mayBeTokenRefusal(answer: KnoxHttpAnswer): boolean {
  if (answer.status === 401) return true;
  if (answer.status !== 403) return false;
  const body = knoxErrorBodySchema.safeParse(parseJson(answer.bodyText));
  return body.success && TOKEN_REFUSAL_CODES.has(body.data.errorCode);
}

/**
 * A token refused right after a refresh. Knox's own error object (ACCESS_TOKEN_EXPIRED or _INVALID) is kept; a 401
 * without one still counts as a refused token, which the table sends to an operator.
 */
function refusedTokenError(answer: KnoxHttpAnswer): KnoxError {
  const error = errorFromAnswer(answer);
  if (error.disposition === 'operator') return error;
  return KnoxError.of('ACCESS_TOKEN_INVALID', {
    httpStatus: answer.status,
    message: `Knox refused a freshly fetched access token (HTTP ${answer.status})`,
    ...(error.transactionalId !== undefined ? { transactionalId: error.transactionalId } : {}),
  });
}

/** The Knox client the Lambda steps use. */
export function createKnoxClient(config: KnoxClientConfig): KnoxClient {
  return new HttpKnoxClient(config);
}
