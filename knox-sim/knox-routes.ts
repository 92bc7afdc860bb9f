/**
 * Knox's own paths: the token endpoint and the `/msp/v1` calls. Order of checks, as a gateway in front of Knox
 * would apply them: the route must exist, then the bearer token must be valid and carry MSP rights, then the body
 * must be JSON, then the call's own rules decide.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { knoxError, simOnlyError, type SimAnswer } from './answers';
import {
  createCustomer,
  delinkCustomer,
  getCustomer,
  linkCustomer,
  listCustomers,
  updateCustomer,
  type RuleContext,
} from './knox-rules';
import type { SimState } from './state';
import { CUSTOMERS_PATH, TOKEN_PATH } from './world';

export interface KnoxRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  bodyText: string;
}

interface RouteInput {
  id: string;
  body: unknown;
  query: URLSearchParams;
}

interface Route {
  method: string;
  /** Matched against the path without its trailing slash; group 1 is the customerId when there is one. */
  pattern: RegExp;
  hasBody: boolean;
  handle: (ctx: RuleContext, input: RouteInput) => SimAnswer;
}

function listRoute(ctx: RuleContext, input: RouteInput): SimAnswer {
  return listCustomers(ctx, input.query);
}

const base = CUSTOMERS_PATH.replace(/\//g, '\\/');
const ROUTES: Route[] = [
  { method: 'POST', pattern: new RegExp(`^${base}$`), hasBody: true, handle: (ctx, i) => createCustomer(ctx, i.body) },
  {
    method: 'POST',
    pattern: new RegExp(`^${base}\\/link$`),
    hasBody: true,
    handle: (ctx, i) => linkCustomer(ctx, i.body),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${base}\\/delink$`),
    hasBody: true,
    handle: (ctx, i) => delinkCustomer(ctx, i.body),
  },
  { method: 'GET', pattern: new RegExp(`^${base}$`), hasBody: false, handle: listRoute },
  {
    method: 'GET',
    pattern: new RegExp(`^${base}\\/([^/]+)$`),
    hasBody: false,
    handle: (ctx, i) => getCustomer(ctx, i.id),
  },
  {
    method: 'PUT',
    pattern: new RegExp(`^${base}\\/([^/]+)$`),
    hasBody: true,
    handle: (ctx, i) => updateCustomer(ctx, i.id, i.body),
  },
];

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The answer to one Knox request (faults are applied around this by the server). */
export function answerKnox(state: SimState, request: KnoxRequest, now: Date): SimAnswer {
  const path = request.url.pathname.replace(/\/+$/, '') || '/';
  if (request.method === 'POST' && path === TOKEN_PATH) {
    return state.tokens.issue(request.bodyText, request.headers.authorization, now);
  }

  const route = ROUTES.find((r) => r.method === request.method && r.pattern.test(path));
  if (!route) return simOnlyError('notFound', `No Knox MSP API route for ${request.method} ${path}`);

  const token = state.tokens.check(request.headers.authorization, now);
  if (!token.ok) return refusedToken(state, token.code);
  if (!token.authorized) return knoxError('AUTHORIZATION_FAIL');

  let body: unknown;
  if (route.hasBody) {
    const parsed = parseJson(request.bodyText);
    if (!parsed) return simOnlyError('badRequest', 'The request body is not JSON');
    body = parsed.value;
  }
  const id = safeDecode(route.pattern.exec(path)?.[1] ?? '');
  const ctx: RuleContext = {
    store: state.store,
    caller: token.caller,
    now,
    paging: state.paging,
    knoxGuardApproved: !state.knoxGuardUnapproved.has(token.caller.msp),
  };
  const answer = route.handle(ctx, { id, body, query: request.url.searchParams });
  // Armed list changes happen between two pages of a listing, so they count answered pages.
  if (route.handle === listRoute && answer.status >= 200 && answer.status < 300) state.afterListPage(now);
  return answer;
}

/**
 * A dead or unknown token, refused the way the control surface chose: Knox's status for these codes is not settled
 * (docs/knox-contract.md), so the simulator can answer each way a client must understand.
 */
function refusedToken(state: SimState, code: 'ACCESS_TOKEN_INVALID' | 'ACCESS_TOKEN_EXPIRED'): SimAnswer {
  if (state.tokenRefusal === 'authorizationFail') return knoxError('AUTHORIZATION_FAIL');
  const answer = knoxError(code);
  return state.tokenRefusal === 'status403' ? { ...answer, status: 403 } : answer;
}
