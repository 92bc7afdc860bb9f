/**
 * The HTTP API's one route table (README.md, "The HTTP API"). API Gateway's resources and methods
 * (lib/infra/http-api.ts), the api Lambda's router (lambdas/api.ts) and, through the synthesized template, the local
 * stack's HTTP API (local/apigateway/api-routes.ts) are all derived from it. A route names its operation; the router maps each
 * operation to its handler, so a route without a handler (or the reverse) does not type-check.
 */
import type { RecordKind } from './api-schemas';

/** The collection path of each record kind, and the name of its id in answers and in the item path. */
export const KIND_PATHS: Record<RecordKind, string> = {
  onboarding: '/onboardings',
  offboarding: '/offboardings',
  change: '/changes',
};
export const ID_FIELD: Record<RecordKind, string> = {
  onboarding: 'onboardingId',
  offboarding: 'offboardingId',
  change: 'changeId',
};

/** Largest request body we read (API Gateway's own limit is 10 MB; our bodies are a few hundred bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Largest batch body (`POST /onboarding-batches`): 1,000 items of a few hundred bytes each fit with room to spare, and
 * it stays far below API Gateway's 10 MB and Lambda's 6 MB invocation payload.
 */
export const MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024;

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface ApiRouteSpec {
  method: HttpMethod;
  /** API Gateway's resource path: `/onboardings/{onboardingId}`. */
  resource: string;
  operation: string;
  /** A POST whose body API Gateway checks to be a JSON object (the api Lambda validates the fields). */
  jsonBody?: boolean;
  /** Optional query string parameters API Gateway passes on. */
  query?: readonly string[];
  /** The body may also be `text/csv` (API Gateway's JSON-object model applies to application/json only). */
  csvBody?: boolean;
  /** The largest body the route reads (default MAX_BODY_BYTES). */
  maxBodyBytes?: number;
}

/** Every route, as API Gateway has it. */
export const API_ROUTES = [
  { method: 'POST', resource: '/onboardings', operation: 'submit:onboarding', jsonBody: true },
  { method: 'GET', resource: '/onboardings', operation: 'list:onboarding', query: ['status'] },
  { method: 'GET', resource: '/onboardings/{onboardingId}', operation: 'read:onboarding' },
  { method: 'DELETE', resource: '/onboardings/{onboardingId}', operation: 'cancel:onboarding' },
  // A FAILED workflow continues from the step that failed (lambdas/api/redrive.ts).
  { method: 'POST', resource: '/onboardings/{onboardingId}/redrive', operation: 'redrive:onboarding' },
  { method: 'POST', resource: '/offboardings', operation: 'submit:offboarding', jsonBody: true },
  { method: 'GET', resource: '/offboardings/{offboardingId}', operation: 'read:offboarding' },
  { method: 'POST', resource: '/offboardings/{offboardingId}/redrive', operation: 'redrive:offboarding' },
  { method: 'POST', resource: '/changes', operation: 'submit:change', jsonBody: true },
  { method: 'GET', resource: '/changes/{changeId}', operation: 'read:change' },
  { method: 'POST', resource: '/changes/{changeId}/redrive', operation: 'redrive:change' },
  {
    method: 'POST',
    resource: '/onboarding-batches',
    operation: 'submit:batch',
    jsonBody: true,
    csvBody: true,
    maxBodyBytes: MAX_BATCH_BODY_BYTES,
  },
  { method: 'GET', resource: '/onboarding-batches/{batchId}', operation: 'read:batch' },
  {
    method: 'GET',
    resource: '/onboarding-batches/{batchId}/items',
    operation: 'items:batch',
    query: ['limit', 'cursor'],
  },
  { method: 'DELETE', resource: '/onboarding-batches/{batchId}', operation: 'cancel:batch' },
  { method: 'GET', resource: '/onboarding-batches/{batchId}/report', operation: 'report:batch' },
  // A new batch of the items that did not get through; the body (`{"include": [...]}`) is optional, so API Gateway
  // does not require a JSON object: the api Lambda reads and validates it (lambdas/batches/retry-route.ts).
  { method: 'POST', resource: '/onboarding-batches/{batchId}/retries', operation: 'retry:batch' },
] as const satisfies readonly ApiRouteSpec[];

export type ApiOperation = (typeof API_ROUTES)[number]['operation'];

/** The collection path of batches. */
export const BATCHES_PATH = '/onboarding-batches';

/** The largest body a route reads: the batch POST has its own limit, every other route MAX_BODY_BYTES. */
export function maxBodyBytesOf(method: string, resource: string): number {
  const route = (API_ROUTES as readonly ApiRouteSpec[]).find((r) => r.method === method && r.resource === resource);
  return route?.maxBodyBytes ?? MAX_BODY_BYTES;
}

/** `{ "GET /onboardings/{onboardingId}": route }`: the router's lookup. */
export function routeKey(method: string, resource: string): string {
  return `${method} ${resource}`;
}

/** The path parameter names of a resource, in order (`/a/{b}` -> `['b']`). */
export function pathParameterNames(resource: string): string[] {
  return [...resource.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}
