/**
 * The HTTP API's routes as API Gateway has them: read from the template's AWS::ApiGateway::Resource / ::Method
 * resources (path parts, methods, and which methods make API Gateway check that the body is a JSON object), so that
 * the local API answers exactly the routes that deploy. API Gateway's own refusals are reproduced where they are
 * cheap: an unknown route, and the BAD_REQUEST_BODY gateway response for a body that is not a JSON object.
 * The stage's throttle (MethodSettings) and each method's integration timeout are read too (gateway-walls.ts).
 * Not reproduced: IAM (SigV4) authorization (the local API is on loopback and accepts unsigned requests).
 * A known path with a method it lacks answers 405 locally (API Gateway answers 403 "Missing Authentication Token").
 */
import type { CfnTemplate } from '../template/template';
import { DEFAULT_INTEGRATION_TIMEOUT_MS, type StageThrottle } from './gateway-walls';

export interface ApiRoute {
  method: string;
  /** API Gateway's resource path, e.g. `/onboardings/{onboardingId}` (the event's `resource`). */
  resource: string;
  /** Path parameter names in order. */
  params: string[];
  pattern: RegExp;
  /** API Gateway validates the body against a model of `type: object` before calling the Lambda. */
  requiresJsonObjectBody: boolean;
  /** The integration's TimeoutInMillis (API Gateway's default: 29 s). */
  integrationTimeoutMs: number;
}

export interface ApiGatewayModel {
  routes: ApiRoute[];
  /** What API Gateway answers when body validation fails (the template's BAD_REQUEST_BODY gateway response). */
  badRequestBody: { statusCode: number; body: string };
  /** The stage's throttle for every method (`/*`, `*`), when the template sets one. */
  throttle?: StageThrottle;
}

const DEFAULT_BAD_REQUEST_BODY = { statusCode: 400, body: JSON.stringify({ message: 'Invalid request body' }) };

type Resources = CfnTemplate['Resources'];

function props(resources: Resources, id: string | undefined): Record<string, unknown> {
  return (id !== undefined ? resources[id]?.Properties : undefined) ?? {};
}

/** The logical id a `{Ref: X}` or `{Fn::GetAtt: [X, ...]}` points at, and whether it is the API's root resource. */
function target(value: unknown): { id?: string; root: boolean } {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v['Ref'] === 'string') return { id: v['Ref'], root: false };
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt[1] === 'RootResourceId') return { root: true };
  }
  return { root: false };
}

function resourcePath(resources: Resources, id: string | undefined, root: boolean, seen = new Set<string>()): string {
  if (root || id === undefined) return '';
  if (seen.has(id)) throw new Error(`API resource ${id} is its own ancestor`);
  seen.add(id);
  const p = props(resources, id);
  const parent = target(p['ParentId']);
  return `${resourcePath(resources, parent.id, parent.root, seen)}/${String(p['PathPart'])}`;
}

export function routeFor(
  method: string,
  resource: string,
  requiresJsonObjectBody = false,
  integrationTimeoutMs = DEFAULT_INTEGRATION_TIMEOUT_MS,
): ApiRoute {
  const params: string[] = [];
  const regex = resource
    .split('/')
    .map((part) => {
      const param = /^\{(.+)\}$/.exec(part)?.[1];
      if (param === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param);
      return '([^/]+)';
    })
    .join('/');
  return {
    method,
    resource: resource || '/',
    params,
    pattern: new RegExp(`^${regex || '/'}/?$`),
    requiresJsonObjectBody,
    integrationTimeoutMs,
  };
}

/** The routes of the template's REST API; empty when the template has none. */
export function apiGatewayModel(template: CfnTemplate): ApiGatewayModel {
  const resources = template.Resources;
  const routes: ApiRoute[] = [];
  let badRequestBody = DEFAULT_BAD_REQUEST_BODY;
  let throttle: StageThrottle | undefined;
  for (const resource of Object.values(resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::ApiGateway::Stage') throttle = stageThrottle(p['MethodSettings']) ?? throttle;
    if (resource.Type === 'AWS::ApiGateway::GatewayResponse' && p['ResponseType'] === 'BAD_REQUEST_BODY') {
      const templates = (p['ResponseTemplates'] ?? {}) as Record<string, unknown>;
      const body = templates['application/json'];
      badRequestBody = {
        statusCode: Number(p['StatusCode'] ?? 400),
        body: typeof body === 'string' ? body : DEFAULT_BAD_REQUEST_BODY.body,
      };
    }
    if (resource.Type !== 'AWS::ApiGateway::Method' || p['HttpMethod'] === 'OPTIONS') continue;
    const at = target(p['ResourceId']);
    const path = resourcePath(resources, at.id, at.root);
    const validator = props(resources, target(p['RequestValidatorId']).id);
    const models = (p['RequestModels'] ?? {}) as Record<string, unknown>;
    const model = props(resources, target(models['application/json']).id);
    const schema = model['Schema'] as { type?: string } | undefined;
    const requiresJsonObjectBody = validator['ValidateRequestBody'] === true && schema?.type === 'object';
    const timeout = (p['Integration'] as { TimeoutInMillis?: unknown } | undefined)?.TimeoutInMillis;
    routes.push(
      routeFor(
        String(p['HttpMethod']),
        path,
        requiresJsonObjectBody,
        typeof timeout === 'number' ? timeout : DEFAULT_INTEGRATION_TIMEOUT_MS,
      ),
    );
  }
  return { routes, badRequestBody, ...(throttle ? { throttle } : {}) };
}

/** The stage-wide throttle of a Stage's MethodSettings (the `/*` `*` entry). */
function stageThrottle(settings: unknown): StageThrottle | undefined {
  if (!Array.isArray(settings)) return undefined;
  const all = (settings as Record<string, unknown>[]).find(
    (s) => s['ResourcePath'] === '/*' && s['HttpMethod'] === '*',
  );
  const rate = all?.['ThrottlingRateLimit'];
  const burst = all?.['ThrottlingBurstLimit'];
  return typeof rate === 'number' && typeof burst === 'number' ? { rateLimit: rate, burstLimit: burst } : undefined;
}

/** The route for a request: `route` when method and path match, `methodNotAllowed` when only the path does. */
export function matchRoute(
  routes: ApiRoute[],
  method: string,
  path: string,
): { route: ApiRoute; pathParameters: Record<string, string> } | 'methodNotAllowed' | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method && route.method !== 'ANY') continue;
    const pathParameters = Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
    return { route, pathParameters };
  }
  return pathMatched ? 'methodNotAllowed' : undefined;
}
