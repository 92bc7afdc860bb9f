/**
 * The HTTP API (API Gateway REST, Lambda proxy integration), routes as in product.md:
 *
 *   POST   /onboardings               GET /onboardings?status=   (list)
 *   GET    /onboardings/{id}          DELETE /onboardings/{id}   (cancel)
 *   POST   /offboardings              GET /offboardings/{id}
 *   POST   /changes                   GET /changes/{id}
 *
 * Unknown path: 404; known path, other method: 405 with Allow. Every answer is JSON; bad input is a 4xx, never a 5xx.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { RecordKind } from '../lib/domain/api-schemas';
import { HttpError, headersOf, json } from './commons/http';
import { describeError, logger, startInvocation } from './commons/powertools';
import { cancel, getOne, list, postRequest, type RouteHandler } from './commons/routes';

interface Route {
  /** `/onboardings` or `/onboardings/{id}`. */
  collection: string;
  item: boolean;
  methods: Partial<Record<string, RouteHandler>>;
}

function routesOf(collection: string, kind: RecordKind, extra: { list?: boolean; cancel?: boolean } = {}): Route[] {
  return [
    { collection, item: false, methods: { POST: postRequest(kind), ...(extra.list ? { GET: list(kind) } : {}) } },
    { collection, item: true, methods: { GET: getOne(kind), ...(extra.cancel ? { DELETE: cancel(kind) } : {}) } },
  ];
}

const ROUTES: Route[] = [
  ...routesOf('onboardings', 'onboarding', { list: true, cancel: true }),
  ...routesOf('offboardings', 'offboarding'),
  ...routesOf('changes', 'change'),
];

/** The route for a path (`/onboardings`, `/onboardings/onb-…`, a trailing slash tolerated) and its `{id}`. */
function match(path: string): { route: Route; id?: string } | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length < 1 || segments.length > 2) return undefined;
  const route = ROUTES.find((r) => r.collection === segments[0] && r.item === (segments.length === 2));
  if (route === undefined) return undefined;
  if (segments.length === 1) return { route };
  try {
    return { route, id: decodeURIComponent(segments[1]!) };
  } catch {
    return { route, id: segments[1]! };
  }
}

export async function handler(event: APIGatewayProxyEvent, context?: Partial<Context>): Promise<APIGatewayProxyResult> {
  startInvocation(context);
  try {
    const found = match(event.path ?? '/');
    if (found === undefined) return json(404, { message: 'No such resource' });
    const method = (event.httpMethod ?? '').toUpperCase();
    const run = found.route.methods[method];
    if (run === undefined) {
      const allow = Object.keys(found.route.methods).join(', ');
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
