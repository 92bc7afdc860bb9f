/**
 * Knox calls, as the simulator's request log saw them: which kind each request was (token, create, link, get,
 * list, update, delink) and how often a token was fetched against how long the calls went on.
 */
import { CUSTOMERS_PATH } from '#knox/client';
import type { RequestLogEntry } from '#knox-sim/model';

export const TOKEN_PATH = '/ams/v1/oauth2/token';

export type KnoxCallKind = 'token' | 'create' | 'link' | 'get' | 'list' | 'update' | 'delink' | 'other';

export function callKind(entry: Pick<RequestLogEntry, 'method' | 'path'>): KnoxCallKind {
  const path = entry.path.split('?')[0]!;
  const method = entry.method.toUpperCase();
  if (path === TOKEN_PATH) return 'token';
  if (path === CUSTOMERS_PATH) return method === 'POST' ? 'create' : method === 'GET' ? 'list' : 'other';
  if (path === `${CUSTOMERS_PATH}/link` && method === 'POST') return 'link';
  if (path === `${CUSTOMERS_PATH}/delink` && method === 'POST') return 'delink';
  if (path.startsWith(`${CUSTOMERS_PATH}/`)) return method === 'GET' ? 'get' : method === 'PUT' ? 'update' : 'other';
  return 'other';
}

export interface KnoxCallCount {
  /** Every request but the token's. */
  calls: number;
  tokens: number;
  byKind: Partial<Record<KnoxCallKind, number>>;
  /** First and last request (ISO), to compare token fetches with token lifetimes. */
  firstAt?: string;
  lastAt?: string;
}

export function countCalls(entries: readonly RequestLogEntry[]): KnoxCallCount {
  const byKind: Partial<Record<KnoxCallKind, number>> = {};
  for (const entry of entries) {
    const kind = callKind(entry);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  const tokens = byKind.token ?? 0;
  return {
    calls: entries.length - tokens,
    tokens,
    byKind,
    ...(entries.length > 0 ? { firstAt: entries[0]!.at, lastAt: entries[entries.length - 1]!.at } : {}),
  };
}

/**
 * Token fetches one process may make for calls spread over `spanMs`: one per token lifetime started (the client
 * refreshes a little before expiry, which a lifetime of slack covers).
 */
export function allowedTokens(spanMs: number, tokenLifetimeSeconds: number): number {
  return Math.max(1, Math.ceil(spanMs / (tokenLifetimeSeconds * 1000)));
}

/** The simulator's token lifetime (knox-sim/server.ts `tokenTtlSeconds` default, Knox's own 599 s). */
export const SIM_TOKEN_LIFETIME_SECONDS = 599;
