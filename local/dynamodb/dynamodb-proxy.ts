/**
 * The local DynamoDB's front door on DYNAMODB_PORT: a streaming node:http proxy to dynalite (which listens on a
 * private Unix socket), running in dynalite's own process (dynalite-process.mjs), off the handlers' core. Every
 * request passes, in this order, before dynalite sees it:
 *
 * 1. the loopback guard (local/protocol/loopback-guard.ts): Host is this listener on 127.0.0.1/localhost, no foreign
 *    Origin; refused with 421/403 before the body is read;
 * 2. IAM (local/iam/endpoint-authorizers.ts): the signer (a local function's own credentials, verified, or the
 *    developer) and the action on the table or index ARNs the body names; AccessDeniedException in DynamoDB's
 *    JSON 1.0 shape (`{"__type":"com.amazon.coral.service#AccessDeniedException","Message":...}`, 400);
 *
 * then the request goes to dynalite and its answer streams back without dynalite's CORS headers
 * (`Access-Control-Allow-Origin: *` and the echo of requested headers are removed).
 *
 * `handleDynamoRequest` is the one place a request enters: a latency emulation fits at its start.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsServiceError, closeServer, listen } from '../protocol/aws-json-server';
import { admitLoopback, stripCorsHeaders } from '../protocol/loopback-guard';
import { AccessGate, type AccessSnapshot } from '../iam/access-gate';
import { dynamoAuthorizer, type EndpointAuthorizer } from '../iam/endpoint-authorizers';

/** DynamoDB's largest request (BatchWriteItem: 16 MB) with room for JSON: anything larger is refused unread. */
const MAX_REQUEST_BYTES = 17 * 1024 * 1024;
/** Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

export interface DynamoProxyOptions {
  port: number;
  /** dynalite's Unix socket. */
  socketPath: string;
  authorize?: EndpointAuthorizer;
}

export interface RunningDynamoProxy {
  port: number;
  endpoint: string;
  stop(): Promise<void>;
}

/** In dynalite's process: the proxy, judging requests as the stack's AccessGate does (its snapshot). */
export function startProxyFor(options: {
  port: number;
  socketPath: string;
  access?: AccessSnapshot;
}): Promise<RunningDynamoProxy> {
  return startDynamoProxy({
    port: options.port,
    socketPath: options.socketPath,
    ...(options.access ? { authorize: dynamoAuthorizer(AccessGate.fromSnapshot(options.access)) } : {}),
  });
}

export async function startDynamoProxy(options: DynamoProxyOptions): Promise<RunningDynamoProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server = createServer((req, res) => {
    handleDynamoRequest(options, agent, req, res).catch((error: unknown) => {
      if (!res.headersSent) answerError(res, new AwsServiceError('InternalFailure', (error as Error).message, 500));
      else res.destroy();
    });
  });
  await listen(server, options.port);
  const { port } = server.address() as AddressInfo;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

/** One request: guard, IAM, then dynalite. */
export async function handleDynamoRequest(
  options: DynamoProxyOptions,
  agent: Agent,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!admitLoopback(req, res)) return;
  const body = await readRequest(req, res);
  if (body === undefined) return;
  if (options.authorize) {
    try {
      options.authorize(String(req.headers['x-amz-target'] ?? ''), parseObject(body), {
        method: req.method ?? 'POST',
        url: req.url ?? '/',
        headers: req.headers,
        body,
      });
    } catch (error) {
      if (error instanceof AwsServiceError) return answerError(res, error);
      throw error;
    }
  }
  await forward(options.socketPath, agent, req, body, res);
}

function forward(
  socketPath: string,
  agent: Agent,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const upstream = httpRequest({ socketPath, agent, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, stripCorsHeaders(withoutHopByHop(answer.headers)));
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', reject);
    });
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function withoutHopByHop(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** The whole body, or undefined after answering 413 when it is larger than DynamoDB would take. */
async function readRequest(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) {
      answerError(res, new AwsServiceError('com.amazon.coral.service#RequestEntityTooLarge', 'Request too large', 413));
      req.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseObject(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {}; // dynalite answers the SerializationException
  }
}

/** DynamoDB's JSON 1.0 error: `__type` and a capitalised `Message`. */
function answerError(res: ServerResponse, error: AwsServiceError): void {
  const text = JSON.stringify({ __type: error.type, Message: error.message });
  res.writeHead(error.statusCode, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-errortype': error.type.slice(error.type.indexOf('#') + 1),
  });
  res.end(text);
}
