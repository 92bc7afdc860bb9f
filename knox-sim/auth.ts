/**
 * The simulated OAuth 2.0 token endpoint and the bearer-token check every `/msp/v1` call goes through.
 * Tokens are random opaque strings; nothing here logs or echoes a token or a secret.
 */
import { randomBytes } from 'node:crypto';
import { MAX_TOKEN_LIFETIME_MINUTES, TOKEN_LIFETIME_FIELD } from '#domain/knox-schemas';
import { oauthError, jsonAnswer, type SimAnswer } from './answers';
import type { Caller } from './knox-rules';

/** A client the simulated Knox knows. `authorized: false` gets tokens but no MSP rights (403 AUTHORIZATION_FAIL). */
export interface SimClient {
  clientId: string;
  clientSecret: string;
  msp: string;
  region: string;
  authorized: boolean;
}

interface IssuedToken {
  client: SimClient;
  issuedAt: number;
  expiresAt: number;
}

/** The longest token lifetime a client may ask for (documented: up to 60 minutes). */
export const MAX_TOKEN_LIFETIME_SECONDS = MAX_TOKEN_LIFETIME_MINUTES * 60;

export type TokenCheck =
  | { ok: true; caller: Caller; authorized: boolean }
  | { ok: false; code: 'ACCESS_TOKEN_INVALID' | 'ACCESS_TOKEN_EXPIRED' };

/** Client credentials from the form body or, as OAuth 2.0 also allows, from HTTP Basic authentication. */
function credentialsOf(form: URLSearchParams, authorization: string | undefined): { id?: string; secret?: string } {
  const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    }
  }
  return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
}

export class TokenIssuer {
  private readonly tokens = new Map<string, IssuedToken>();
  /** Clients whose MSP rights were revoked through the control surface (until reset). */
  private readonly revoked = new Set<string>();

  constructor(
    private readonly clients: readonly SimClient[],
    private readonly ttlSeconds: number,
  ) {}

  /** Revokes or restores a known client's MSP rights; false when no such client exists. */
  setAuthorized(clientId: string, authorized: boolean): boolean {
    if (!this.clients.some((c) => c.clientId === clientId)) return false;
    if (authorized) this.revoked.delete(clientId);
    else this.revoked.add(clientId);
    return true;
  }

  /** `POST /ams/v1/oauth2/token` with a form body. */
  issue(bodyText: string, authorization: string | undefined, now: Date): SimAnswer {
    const form = new URLSearchParams(bodyText);
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    const { id, secret } = credentialsOf(form, authorization);
    const client = this.clients.find((c) => c.clientId === id && c.clientSecret === secret);
    if (!client) return oauthError(401, 'invalid_client', 'Client authentication failed');
    if (form.get('scope') !== 'msp') return oauthError(400, 'invalid_scope', 'scope must be msp');

    // A client may ask for a longer (or shorter) lifetime in minutes, up to 60 (assumed field name).
    const asked = Number(form.get(TOKEN_LIFETIME_FIELD) ?? '');
    const ttl =
      Number.isInteger(asked) && asked > 0 ? Math.min(asked * 60, MAX_TOKEN_LIFETIME_SECONDS) : this.ttlSeconds;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { client, issuedAt: now.getTime(), expiresAt: now.getTime() + ttl * 1000 });
    return {
      ...jsonAnswer(200, { access_token: token, token_type: 'Bearer', expires_in: ttl, scope: 'msp' }),
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    };
  }

  /** The caller behind an `Authorization: Bearer ...` header, or the token error Knox answers. */
  check(authorization: string | undefined, now: Date): TokenCheck {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const issued = bearer?.[1] !== undefined ? this.tokens.get(bearer[1]) : undefined;
    if (!issued) return { ok: false, code: 'ACCESS_TOKEN_INVALID' };
    if (now.getTime() >= issued.expiresAt) return { ok: false, code: 'ACCESS_TOKEN_EXPIRED' };
    return {
      ok: true,
      caller: { msp: issued.client.msp, region: issued.client.region },
      authorized: issued.client.authorized && !this.revoked.has(issued.client.clientId),
    };
  }

  /** Every issued token expires now (they are remembered, so they answer EXPIRED rather than INVALID). */
  expireAll(): number {
    for (const issued of this.tokens.values()) issued.expiresAt = 0;
    return this.tokens.size;
  }

  /**
   * Knox revokes tokens before their expires_in: every token issued at least `minAgeMs` ago is forgotten (it then
   * answers ACCESS_TOKEN_INVALID). A token younger than that is spared, so that a client's one repetition with a fresh
   * token is not refused by the next random revocation. Returns how many were revoked.
   */
  revoke(now: Date, minAgeMs = 0): number {
    let revoked = 0;
    for (const [token, issued] of this.tokens) {
      if (now.getTime() - issued.issuedAt < minAgeMs) continue;
      this.tokens.delete(token);
      revoked += 1;
    }
    return revoked;
  }

  clear(): void {
    this.tokens.clear();
    this.revoked.clear();
  }
}
