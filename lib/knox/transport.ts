/**
 * One HTTP exchange with Knox: paced by the client's rate limiter (told about every 429, so that a shared budget can
 * shrink), bounded by a timeout, and with every transport failure turned into a KnoxError. The answer is returned raw (status, headers, body text) for parseKnoxAnswer.
 *
 * Error messages name the method and the path only: never the query, the headers (bearer token) or the body
 * (client secret).
 */
import { KnoxError, type KnoxHttpAnswer } from '#domain/knox-answer';
import type { RateLimiter } from './rate-limiter';

export interface KnoxRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Path below the base URL, starting with '/'. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
  limiter: RateLimiter;
}

/** `https://host/` and `https://host` alike: the paths we add always start with '/'. */
export function normalizeBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/** A short, secret-free reason from a fetch failure: undici puts the socket error's code on `cause`. */
function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : undefined;
}

export class KnoxTransport {
  private readonly baseUrl: string;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
  }

  async send(request: KnoxRequest): Promise<KnoxHttpAnswer> {
    await this.options.limiter.take();
    const url = new URL(this.baseUrl + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);

    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const what = `${request.method} ${request.path}`;
    try {
      const response = await this.options.fetch(url, {
        method: request.method,
        headers: { accept: 'application/json', ...request.headers },
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal,
        // Knox never redirects: a 3xx is answered as it is (an unexpected response), and the bearer token stays here.
        redirect: 'manual',
      });
      // The body is read under the same timeout: a server that sends headers and then stalls is a timeout too.
      const bodyText = await response.text();
      if (response.status === 429) await this.options.limiter.throttled?.();
      return { status: response.status, headers: response.headers, bodyText };
    } catch (error) {
      if (error instanceof KnoxError) throw error;
      if (signal.aborted) {
        throw KnoxError.of('REQUEST_TIMEOUT', {
          message: `Knox did not answer ${what} within ${this.options.timeoutMs} ms`,
        });
      }
      // Refused, reset or dropped connections, DNS failures, a body cut short: fetch rejects with a TypeError.
      // Anything else a replacement fetch may throw is treated the same way, so that no raw error escapes.
      const code = causeCode(error);
      throw KnoxError.of('CONNECTION_FAILED', {
        message: `The connection to Knox failed during ${what}${code ? ` (${code})` : ''}`,
      });
    }
  }
}
