/**
 * The HTTP API (API Gateway REST, Lambda proxy integration). The routes are lib/domain/routes.ts' table; this module
 * maps each operation to its handler and finds a request's route by a lookup on method and resource.
 *
 * Unknown path: 404; known path, other method: 405 with Allow. Every answer is JSON; bad input is a 4xx, never a 5xx.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { API_ROUTES, routeKey, type ApiOperation } from '#domain/routes';
import { cancel, getOne, list, postRequest } from './api/operations';
import { batchItems, cancelBatchRoute, readBatchRoute, submitBatch } from './batches/batch-routes';
import { HttpError, headersOf, json, type RouteHandler } from './commons/http';
import { batchReportRoute } from './batches/report-route';
import { retryBatchRoute } from './batches/retry-route';
import { itemEnded } from './batches/item-ended';
import { redrive } from './api/redrive-route';
import { describeError, logger, startInvocation } from './commons/powertools';

const OPERATIONS: Record<ApiOperation, RouteHandler> = {
  'submit:onboarding': postRequest('onboarding'),
  'list:onboarding': list('onboarding'),
  'read:onboarding': getOne('onboarding'),
  // An onboarding of a batch: its end counts down the batch's open items (and may wake the batch's workflow).
  'cancel:onboarding': cancel('onboarding', itemEnded),
  'redrive:onboarding': redrive('onboarding'),
  'redrive:offboarding': redrive('offboarding'),
  'redrive:change': redrive('change'),
  'submit:offboarding': postRequest('offboarding'),
  'read:offboarding': getOne('offboarding'),
  'submit:change': postRequest('change'),
  'read:change': getOne('change'),
  'submit:batch': submitBatch,
  'read:batch': readBatchRoute,
  'items:batch': batchItems,
  'cancel:batch': cancelBatchRoute,
  'report:batch': batchReportRoute,
  'retry:batch': retryBatchRoute,
};

const HANDLERS = new Map<string, RouteHandler>(
  API_ROUTES.map((r): [string, RouteHandler] => [routeKey(r.method, r.resource), OPERATIONS[r.operation]]),
);
/** Each resource's path segments (`{x}` for a parameter) and the methods it has, for the 405's Allow. */
const RESOURCES = [...new Set(API_ROUTES.map((r) => r.resource))].map((resource) => ({
  resource,
  segments: resource.split('/').filter((s) => s !== ''),
  methods: API_ROUTES.filter((r) => r.resource === resource).map((r) => r.method),
}));

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The resource a path (`/onboardings/onb-…`, a trailing slash tolerated) belongs to, and its one `{id}` if any. */
function match(path: string): { resource: (typeof RESOURCES)[number]; id?: string } | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  const resource = RESOURCES.find(
    (r) => r.segments.length === segments.length && r.segments.every((s, i) => s.startsWith('{') || s === segments[i]),
  );
  if (resource === undefined) return undefined;
  const at = resource.segments.findIndex((s) => s.startsWith('{'));
  return at < 0 ? { resource } : { resource, id: decode(segments[at]!) };
}

export async function handler(event: APIGatewayProxyEvent, context?: Partial<Context>): Promise<APIGatewayProxyResult> {
  startInvocation(context);
  try {
    const found = match(event.path ?? '/');
    if (found === undefined) return json(404, { message: 'No such resource' });
    const method = (event.httpMethod ?? '').toUpperCase();
    const run = HANDLERS.get(routeKey(method, found.resource.resource));
    if (run === undefined) {
      const allow = found.resource.methods.join(', ');
      return json(405, { message: `Method ${method.slice(0, 16)} is not allowed here; allowed: ${allow}` }, { allow });
    }
    return await run({ event, headers: headersOf(event), ...(found.id !== undefined ? { id: found.id } : {}) });
  } catch (error) {
    if (error instanceof HttpError) return error.toResult();
    logger.error('Request failed', describeError(error));
    return json(500, {
      message: 'The request could not be processed; it is safe to send it again',
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
    });
  }
}
