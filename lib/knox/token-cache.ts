/**
 * The OAuth access token of one Knox client: fetched once, reused until shortly before it expires, refreshed by a
 * single request however many calls need it at the same moment.
 */
import type { TokenAnswer } from '#domain/knox-schemas';

/** Refresh this long before the token's announced expiry, so that no call leaves with a token about to die. */
export const REFRESH_MARGIN_MS = 60_000;

export class TokenCache {
  private current: { token: string; refreshAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  /** The last token Knox accepted for a call: a later refusal of it is a revocation, not bad credentials. */
  private lastAccepted: string | undefined;

  constructor(
    private readonly fetchToken: () => Promise<TokenAnswer>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A usable token: the cached one, or the result of the one token request in flight (started if none is). */
  get(): Promise<string> {
    if (this.current && this.now() < this.current.refreshAt) return Promise.resolve(this.current.token);
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * Forgets `token` after Knox refused it. Only that token: when several calls fail with the same stale token, the
   * first one's refresh must not be thrown away by the others.
   */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  /** Notes that Knox accepted a call made with `token`. */
  accepted(token: string): void {
    this.lastAccepted = token;
  }

  /**
   * Whether a refusal of `token` is no sign of bad credentials: Knox had accepted it for a call (then revoked it), or
   * another call has already replaced it (its own refusal came first, and a newer token is here or on its way).
   */
  diedInUse(token: string): boolean {
    if (this.lastAccepted === token) return true;
    return this.inflight !== undefined || (this.current !== undefined && this.current.token !== token);
  }

  private async refresh(): Promise<string> {
    // The lifetime counts from before the request left, so network time only makes us refresh earlier.
    const requestedAt = this.now();
    const answer = await this.fetchToken();
    const lifetimeMs = answer.expires_in * 1000;
    // A token that lives less than two margins is used for half its life rather than refetched on every call.
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    this.current = { token: answer.access_token, refreshAt: requestedAt + lifetimeMs - margin };
    return answer.access_token;
  }
}
