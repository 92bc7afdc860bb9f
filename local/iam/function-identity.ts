/**
 * Which local function makes an AWS call, and its own credentials on the wire.
 *
 * On AWS each function runs with its role's credentials in its own environment. Locally every handler shares one
 * process, one environment and the same module-scope SDK clients, so a client cannot know which function calls it.
 * The Lambda runtime runs each invocation inside `runAsFunction(name, ...)` (an AsyncLocalStorage scope that follows
 * the invocation's promises), and a hook on outgoing HTTP requests re-signs every SigV4-signed request made inside
 * that scope with the function's own access key and secret (the SDK has already computed `x-amz-content-sha256` and
 * `x-amz-date`; the signature is recomputed over the same signed headers). The local endpoints read the key id from
 * the `Authorization` header, verify the signature, and apply that function's role (access-gate.ts).
 *
 * A request made inside a function's scope that cannot be re-signed (its headers already went out) is destroyed
 * rather than sent with the shared placeholder credentials: it would otherwise pass as the developer's own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ClientRequest } from 'node:http';
import { authorizationFor, parseAuthorization, sha256Hex } from './sigv4';

export interface FunctionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const scope = new AsyncLocalStorage<string>();

/** Runs `fn` as the local function `functionName`: its AWS calls are signed with that function's credentials. */
export function runAsFunction<T>(functionName: string, fn: () => T): T {
  return scope.run(functionName, fn);
}

/** The local function whose invocation is running here, if any. */
export function currentFunction(): string | undefined {
  return scope.getStore();
}

let credentialsOf: ((functionName: string) => FunctionCredentials | undefined) | undefined;
let installed = false;
const RESIGNED = Symbol('knox-local-resigned');

type Chunk = string | Buffer | Uint8Array | undefined | ((...args: unknown[]) => void);

/**
 * Signs the requests of local functions with their own credentials from now on (`lookup` answers a function's
 * credentials; undefined switches the signing off again). Installs the hook once per process.
 */
export function useFunctionCredentials(
  lookup: ((functionName: string) => FunctionCredentials | undefined) | undefined,
) {
  credentialsOf = lookup;
  if (installed) return;
  installed = true;
  const proto = ClientRequest.prototype as unknown as {
    end: (this: ClientRequest, chunk?: Chunk, ...rest: unknown[]) => ClientRequest;
    write: (this: ClientRequest, chunk: Chunk, ...rest: unknown[]) => boolean;
  };
  const end = proto.end;
  const write = proto.write;
  proto.end = function (this: ClientRequest, chunk?: Chunk, ...rest: unknown[]) {
    if (!resign(this, chunk, true)) return this;
    return end.call(this, chunk, ...rest);
  };
  proto.write = function (this: ClientRequest, chunk: Chunk, ...rest: unknown[]) {
    if (!resign(this, chunk, false)) return false;
    return write.call(this, chunk, ...rest);
  };
}

/** Re-signs `req` when a function's invocation sends it; false when it had to be destroyed instead. */
function resign(req: ClientRequest, chunk: Chunk, isWholeBody: boolean): boolean {
  const marked = req as ClientRequest & { [RESIGNED]?: true };
  if (marked[RESIGNED]) return true;
  marked[RESIGNED] = true;
  const functionName = scope.getStore();
  const lookup = credentialsOf;
  if (functionName === undefined || lookup === undefined) return true;
  const auth = parseAuthorization(headerText(req.getHeader('authorization')));
  if (!auth) return true;
  const credentials = lookup(functionName);
  if (!credentials || credentials.accessKeyId === auth.accessKeyId) return true;
  const declaredHash = headerText(req.getHeader('x-amz-content-sha256'));
  const body = typeof chunk === 'function' ? undefined : chunk;
  if (req.headersSent || (declaredHash === undefined && !isWholeBody)) {
    req.destroy(new Error(`the local runtime could not sign ${functionName}'s request with its own credentials`));
    return false;
  }
  const payloadHash = declaredHash ?? sha256Hex(body === undefined ? '' : Buffer.from(body));
  const headers = Object.fromEntries(
    Object.entries(req.getHeaders()).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
  );
  req.setHeader(
    'authorization',
    authorizationFor({ method: req.method, url: req.path, headers, payloadHash }, auth, credentials),
  );
  return true;
}

function headerText(value: string | number | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}
