/**
 * The local HTTP API: each request becomes the API Gateway proxy event (REST API, payload 1.0) that the deployed
 * stack's api Lambda receives, and the very same handler module answers it. Plus local-only routes: `GET /executions`
 * and `GET /executions/{name}` (the local Step Functions), and the console page at `/` (console/server.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MAX_BODY_BYTES, maxBodyBytesOf } from '#domain/routes';
import { closeServer, listen } from '../protocol/aws-json-server';
import { guarded } from '../protocol/loopback-guard';
import { matchRoute, type ApiGatewayModel } from './api-routes';
import type { LocalExecutions } from '../stepfunctions/engine';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../stepfunctions/execution-store';
import { detail, summarize } from '../stepfunctions/execution-path';
import { LOCAL_ACCOUNT } from '../template/intrinsics';
import type { LocalConsole } from '../console/console-server';
import { LambdaServiceError } from '../lambda/lambda-limits';
import {
  GATEWAY_ANSWERS,
  MAX_API_PAYLOAD_BYTES,
  TokenBucket,
  answerForLambdaRefusal,
  type GatewayAnswer,
  type StageThrottle,
} from './gateway-walls';

/** Bodies above the API's limit are refused with 413 before more is read. */
export { MAX_BODY_BYTES };
export const LOCAL_STAGE = 'local';

export interface HttpApiOptions {
  port: number;
  apiGateway: ApiGatewayModel;
  /** Invokes the api function (through the Lambda runtime: JSON in and out, errors as Lambda's). */
  invokeApi: (event: APIGatewayProxyEvent) => Promise<unknown>;
  executions: LocalExecutions;
  /** The stage's throttle (default: the template's, `apiGateway.throttle`; none: not throttled). */
  throttle?: StageThrottle | 'none';
  /** Overrides every route's integration timeout (tests: a 504 without waiting 29 s). */
  integrationTimeoutMs?: number;
  /** The local console (local only: `/` and `/console/...`); API Gateway has no such routes. */
  console?: Pick<LocalConsole, 'owns' | 'handle'>;
  log?: (line: string) => void;
}

export interface RunningHttpApi {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startHttpApi(options: HttpApiOptions): Promise<RunningHttpApi> {
  const throttle = options.throttle ?? options.apiGateway.throttle;
  const bucket = throttle !== undefined && throttle !== 'none' ? new TokenBucket(throttle) : undefined;
  // The guard (Host, Origin) answers first: a foreign page or a rebound name never reaches the API or the console.
  const server: Server = createServer(
    guarded((req, res) => {
      handle(options, bucket, req, res).catch((error: unknown) => {
        options.log?.(`HTTP API error on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
      });
    }),
  );
  // Bytes Node's HTTP parser cannot read (a bad Content-Length, an unknown method): still a JSON 400 with a message.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const body = JSON.stringify({
      message: `The request could not be parsed as HTTP (${error.code ?? 'bad request'})`,
    });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await listen(server, options.port);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, stop: () => closeHttpApi(server) };
}

/** How long stop() lets requests in flight finish before it drops the connections that are left. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Stops listening and closes the connections: a client that keeps reusing its keep-alive connection (the console
 * page polls every 1.5 s) would otherwise hold the server open, and stop() with it, for as long as it polls.
 */
async function closeHttpApi(server: Server): Promise<void> {
  const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  try {
    await closeServer(server);
  } finally {
    clearTimeout(timer);
  }
}

class BodyTooLarge extends Error {}

async function handle(
  options: HttpApiOptions,
  bucket: TokenBucket | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = (req.method ?? 'GET').toUpperCase();

  if (options.console?.owns(url.pathname)) return options.console.handle(method, url, req, res);

  if (url.pathname === '/executions' || url.pathname.startsWith('/executions/')) {
    req.resume();
    return answerExecutions(options.executions, method, url, res);
  }

  const matched = matchRoute(options.apiGateway.routes, method, url.pathname);
  if (matched === undefined) {
    req.resume();
    return sendJson(res, 404, { message: `No route for ${method} ${url.pathname}` });
  }
  if (matched === 'methodNotAllowed') {
    req.resume();
    return sendJson(res, 405, { message: `${method} is not allowed on ${url.pathname}` });
  }

  if (bucket && !bucket.take()) {
    req.resume();
    return sendAnswer(res, GATEWAY_ANSWERS.throttled);
  }
  if (Number(req.headers['content-length']) > MAX_API_PAYLOAD_BYTES) {
    req.resume();
    return sendAnswer(res, GATEWAY_ANSWERS.payloadTooLarge, { connection: 'close' });
  }
  // The batch POST reads larger bodies than the other routes (the api Lambda enforces the same limits).
  const maxBytes = maxBodyBytesOf(method, matched.route.resource);
  let body: string | null;
  try {
    body = await readBody(req, maxBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    return sendJson(res, 413, { message: `Request bodies are limited to ${maxBytes} bytes` }, { connection: 'close' });
  }
  // API Gateway picks the request model by content type: a text/csv body has none (the api Lambda reads it).
  const csv = /^text\/csv\s*(?:;|$)/i.test(String(req.headers['content-type'] ?? ''));
  if (matched.route.requiresJsonObjectBody && !csv && !isJsonObject(body)) {
    const { statusCode, body: gatewayBody } = options.apiGateway.badRequestBody;
    return sendRaw(res, statusCode, { 'content-type': 'application/json' }, gatewayBody);
  }

  const event = proxyEvent(req, url, method, matched.route.resource, matched.pathParameters, body);
  const invoked = await invokeWithin(
    options.invokeApi(event),
    options.integrationTimeoutMs ?? matched.route.integrationTimeoutMs,
  );
  if (invoked.kind === 'timedOut') return sendAnswer(res, GATEWAY_ANSWERS.integrationTimeout);
  if (invoked.kind === 'failed') {
    const error = invoked.error as Error;
    options.log?.(`api handler failed: ${error.name}: ${String(error.message).slice(0, 500)}`);
    // What API Gateway answers when the integration fails, or when Lambda refused to run the function.
    return sendAnswer(
      res,
      error instanceof LambdaServiceError ? answerForLambdaRefusal(error) : GATEWAY_ANSWERS.functionFailed,
    );
  }
  const result = invoked.result as APIGatewayProxyResult;
  if (typeof result?.statusCode !== 'number') return sendAnswer(res, GATEWAY_ANSWERS.functionFailed);
  const headers: Record<string, string | string[]> = { ...(result.headers as Record<string, string> | undefined) };
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const payload = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  sendRaw(res, result.statusCode, headers, payload);
}

/** The body as text (null when empty), refusing with BodyTooLarge as soon as it is known to exceed the limit. */
async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

function isJsonObject(text: string | null): boolean {
  if (text === null) return false;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** API Gateway's REST proxy event (payload format 1.0), header names as the client sent them. */
function proxyEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  resource: string,
  pathParameters: Record<string, string>,
  body: string | null,
): APIGatewayProxyEvent {
  // Prototype-free maps: a header or parameter named `constructor` or `__proto__` is just a name.
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = Object.create(null);
  const multiQuery: Record<string, string[]> = Object.create(null);
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = Date.now();
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  return {
    resource,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/${LOCAL_STAGE}${url.pathname}`,
      stage: LOCAL_STAGE,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: resource,
      identity: {
        accessKey: null,
        accountId: LOCAL_ACCOUNT,
        apiKey: null,
        apiKeyId: null,
        caller: 'local-operator',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: 'local-operator',
        userAgent: String(req.headers['user-agent'] ?? ''),
        userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-operator`,
      },
    },
  };
}

function answerExecutions(executions: LocalExecutions, method: string, url: URL, res: ServerResponse): void {
  if (method !== 'GET') return sendJson(res, 405, { message: `${method} is not allowed on ${url.pathname}` });
  const name =
    url.pathname === '/executions' ? undefined : decodeURIComponent(url.pathname.slice('/executions/'.length));
  if (name === undefined) {
    const status = url.searchParams.get('status') ?? undefined;
    if (status !== undefined && !(EXECUTION_STATUSES as readonly string[]).includes(status)) {
      return sendJson(res, 400, { message: `status must be one of ${EXECUTION_STATUSES.join(', ')}` });
    }
    const workflow = url.searchParams.get('workflow') ?? undefined;
    const list = executions
      .list(status ? { status: status as ExecutionStatus } : {})
      .filter((r) => workflow === undefined || r.workflow === workflow)
      .map(summarize);
    return sendJson(res, 200, { executions: list });
  }
  const record = executions.findByName(name);
  if (!record) return sendJson(res, 404, { message: `No execution named ${name}` });
  sendJson(res, 200, detail(record));
}

type Invoked = { kind: 'answered'; result: unknown } | { kind: 'failed'; error: unknown } | { kind: 'timedOut' };

/** The integration's answer, or `timedOut` after `timeoutMs` (the function keeps running, as on AWS). */
async function invokeWithin(invocation: Promise<unknown>, timeoutMs: number): Promise<Invoked> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Invoked>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timedOut' }), timeoutMs);
  });
  const answered = invocation.then(
    (result): Invoked => ({ kind: 'answered', result }),
    (error: unknown): Invoked => ({ kind: 'failed', error }),
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function sendAnswer(res: ServerResponse, answer: GatewayAnswer, extraHeaders: Record<string, string> = {}): void {
  sendRaw(res, answer.status, { ...answer.headers, ...extraHeaders }, answer.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  sendRaw(res, status, { 'content-type': 'application/json', ...extraHeaders }, JSON.stringify(body));
}

function sendRaw(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
