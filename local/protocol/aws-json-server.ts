/**
 * A loopback HTTP server speaking the AWS JSON protocol (1.0 or 1.1): `POST /` with `X-Amz-Target: <Prefix>.<Op>`
 * and a JSON body, answered with JSON or with an error the AWS SDK turns into its typed exception (`__type` in the
 * body and `x-amzn-ErrorType` in the headers). The local Step Functions and Secrets Manager endpoints are built on it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guarded } from './loopback-guard';

// Request bodies are capped at the API's own limit; AWS's are far below it (StartExecution input: 256 KiB).
import { MAX_BODY_BYTES } from '#domain/routes';

/** An error answered to the SDK as `{__type, message}` (e.g. ExecutionAlreadyExists). */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export type AwsJsonOperation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export interface AwsJsonServerOptions {
  /** `AWSStepFunctions` or `secretsmanager`: the part of X-Amz-Target before the dot. */
  targetPrefix: string;
  /** `1.0` or `1.1`. */
  jsonVersion: '1.0' | '1.1';
  operations: Record<string, AwsJsonOperation>;
  port?: number;
  /**
   * Judges each request before its operation runs (IAM: local/iam/access-gate.ts): throws an AwsServiceError
   * (AccessDeniedException, MissingAuthenticationTokenException, ...) to refuse it.
   */
  authorize?: (operation: string, input: Record<string, unknown>, request: AwsJsonRequest) => void;
  /** Called for operations that threw something other than an AwsServiceError. */
  onInternalError?: (operation: string, error: unknown) => void;
}

/** A request as the authorizer sees it: method, path, headers and the raw body (to verify a signature). */
export interface AwsJsonRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface RunningAwsJsonServer {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<RunningAwsJsonServer> {
  const server = createServer(guarded((req, res) => void handle(options, req, res)));
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => closeServer(server) };
}

async function handle(options: AwsJsonServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const send = (status: number, body: unknown, errorType?: string): void => {
    const text = JSON.stringify(body ?? {});
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  };
  const fail = (error: AwsServiceError): void =>
    send(error.statusCode, { __type: error.type, message: error.message }, error.type);

  const target = String(req.headers['x-amz-target'] ?? '');
  const [prefix, operationName] = target.split('.', 2);
  if (req.method !== 'POST' || prefix !== options.targetPrefix || !operationName) {
    req.resume();
    return fail(
      new AwsServiceError(
        'UnknownOperationException',
        `unsupported request: ${req.method} ${target || '(no X-Amz-Target)'}`,
      ),
    );
  }
  const operation = options.operations[operationName];
  if (!operation) {
    req.resume();
    return fail(
      new AwsServiceError('UnknownOperationException', `${operationName} is not supported by the local endpoint`),
    );
  }
  let input: Record<string, unknown>;
  let raw: Buffer;
  try {
    raw = await readBody(req);
    const text = raw.toString('utf8');
    const parsed: unknown = text.length === 0 ? {} : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    input = parsed as Record<string, unknown>;
  } catch (error) {
    return fail(
      new AwsServiceError(
        'SerializationException',
        `the request body is not a JSON object: ${(error as Error).message}`,
      ),
    );
  }
  try {
    options.authorize?.(operationName, input, {
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      body: raw,
    });
    send(200, await operation(input));
  } catch (error) {
    if (error instanceof AwsServiceError) return fail(error);
    options.onInternalError?.(operationName, error);
    fail(new AwsServiceError('InternalFailure', `${operationName} failed in the local endpoint`, 500));
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Closes a server: no new connections, idle keep-alive sockets dropped, in-flight requests finish. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}

/** A required string member of an operation's input, or the SDK's ValidationException. */
export function requireString(input: Record<string, unknown>, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value.length === 0) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}
