/**
 * The Knox client's contract: what the Lambda steps call. The implementation is in ./client.ts.
 * Every call returns validated data or throws a KnoxError (lib/domain/knox-answer.ts); nothing else escapes.
 */
import type {
  DelinkRequest,
  KnoxCustomer,
  KnoxCustomerList,
  LinkRequest,
  NewCustomer,
  UpdateRequest,
} from '#domain/knox-schemas';
import type { RateLimiter } from './rate-limiter';

export interface KnoxCredentials {
  clientId: string;
  clientSecret: string;
}

export interface KnoxClientConfig {
  /** e.g. https://api.samsungknox.com (no trailing slash needed). */
  baseUrl: string;
  /** Where the credentials come from: called when a token is needed (Secrets Manager in Lambda, cached there). */
  credentials: () => Promise<KnoxCredentials>;
  /** Per-request timeout (AbortSignal), default 10 s. */
  timeoutMs?: number;
  /** In-process rate limit (requests per second of this client alone), default 10; ignored when `limiter` is given. */
  requestsPerSecond?: number;
  /** What paces every request (token calls included), e.g. the shared Knox budget; default a TokenBucket. */
  limiter?: RateLimiter;
  /** Ask Knox for tokens that live this many minutes (1-60); unset, Knox's default. The answer's expires_in rules. */
  tokenLifetimeMinutes?: number;
  /** For tests and benches: replace the global fetch. */
  fetch?: typeof fetch;
}

export interface ListCustomersOptions {
  pageNum?: number;
  pageSize?: number;
  sortOrder?: 'ascending' | 'descending';
}

export interface KnoxClient {
  createCustomer(body: NewCustomer): Promise<KnoxCustomer>;
  linkCustomer(body: LinkRequest): Promise<KnoxCustomer>;
  getCustomer(customerId: string): Promise<KnoxCustomer>;
  listCustomers(options?: ListCustomersOptions): Promise<KnoxCustomerList>;
  /** Every customer of this MSP, page by page. */
  listAllCustomers(pageSize?: number): AsyncGenerator<KnoxCustomer>;
  updateCustomer(customerId: string, body: UpdateRequest): Promise<KnoxCustomer>;
  delinkCustomer(body: DelinkRequest): Promise<KnoxCustomer>;
  /** How many token requests this client has made (benches and tests). */
  readonly tokenRequests: number;
}
