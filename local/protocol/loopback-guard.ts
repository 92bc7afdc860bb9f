/**
 * Who may talk to a local listener (product.md "Trust"): every server of the local stack (the HTTP API and its
 * console, Step Functions, the DynamoDB proxy, Secrets Manager, the Knox simulator's control routes) answers only
 * requests addressed to it on the loopback address, from no foreign browser origin, before it does any work:
 *
 * - `Host` must be `127.0.0.1:<the port the request came in on>` or `localhost:<that port>`; anything else is
 *   421 Misdirected Request. This defeats DNS rebinding: a page on `rebind.attacker.test` whose name now resolves to
 *   127.0.0.1 still sends `Host: rebind.attacker.test:PORT` (the Host is checked against the listener's own port,
 *   never against the request's own claims).
 * - an `Origin` other than `http://127.0.0.1:<port>` / `http://localhost:<port>` (another port is another origin,
 *   `null` is foreign too) is 403, preflights (OPTIONS) included; requests without Origin (the AWS CLI, the SDKs,
 *   curl) pass.
 * - `Sec-Fetch-Site` (sent by browsers, even on the no-cors GETs that carry no Origin) other than `same-origin` or
 *   `none` (a typed address) is 403: `same-site` is another port of the same host. One exception: a top-level
 *   navigation (GET, `Sec-Fetch-Mode: navigate`, `Sec-Fetch-Dest: document`), such as the operator following a link
 *   to the console: the page opens in its own tab on its own origin, and no GET changes anything.
 *
 * No listener ever answers CORS (no `Access-Control-Allow-*`): a browser on another origin can neither read an answer
 * nor pass a preflight. `stripCorsHeaders` removes what a proxied server (dynalite) would add.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export type LoopbackVerdict = { ok: true } | { ok: false; status: 403 | 421; message: string };

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'] as const;
const ALLOWED_FETCH_SITES = new Set(['same-origin', 'none']);

/** The Host values a listener on `port` accepts. */
function ownHosts(port: number): Set<string> {
  const hosts = LOOPBACK_NAMES.map((name) => `${name}:${port}`);
  // A client may leave out the default port.
  if (port === 80) hosts.push(...LOOPBACK_NAMES);
  return new Set(hosts);
}

/** Whether `origin` (an Origin header) is the listener's own page: `http://127.0.0.1:<port>` or `http://localhost:<port>`. */
export function isOwnOrigin(origin: string, port: number): boolean {
  const lower = origin.toLowerCase();
  return LOOPBACK_NAMES.some(
    (name) => lower === `http://${name}:${port}` || (port === 80 && lower === `http://${name}`),
  );
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** The verdict on a request that arrived on `port` (the listener's own port: `req.socket.localPort`). */
export function checkLoopback(headers: IncomingHttpHeaders, port: number, method = 'GET'): LoopbackVerdict {
  const host = single(headers.host)?.toLowerCase();
  if (host === undefined || !ownHosts(port).has(host)) {
    return {
      ok: false,
      status: 421,
      message: `This local endpoint answers requests for 127.0.0.1:${port} or localhost:${port} only`,
    };
  }
  const origin = single(headers.origin);
  if (origin !== undefined && !isOwnOrigin(origin, port)) {
    return { ok: false, status: 403, message: 'Requests from another origin are refused' };
  }
  const site = single(headers['sec-fetch-site'])?.toLowerCase();
  if (site !== undefined && !ALLOWED_FETCH_SITES.has(site) && !isTopLevelNavigation(headers, method)) {
    return { ok: false, status: 403, message: 'Requests from another site are refused' };
  }
  return { ok: true };
}

function isTopLevelNavigation(headers: IncomingHttpHeaders, method: string): boolean {
  return (
    (method === 'GET' || method === 'HEAD') &&
    single(headers['sec-fetch-mode'])?.toLowerCase() === 'navigate' &&
    single(headers['sec-fetch-dest'])?.toLowerCase() === 'document'
  );
}

/** The port a request came in on (the listener's own). */
export function listenerPort(req: IncomingMessage): number {
  return req.socket.localPort ?? -1;
}

/**
 * Answers the request itself when the guard refuses it (JSON `{message}`, connection closed, nothing read) and
 * returns false; true when the request may go on.
 */
export function admitLoopback(req: IncomingMessage, res: ServerResponse): boolean {
  const verdict = checkLoopback(req.headers, listenerPort(req), (req.method ?? 'GET').toUpperCase());
  if (verdict.ok) return true;
  req.resume();
  const body = JSON.stringify({ message: verdict.message });
  res.writeHead(verdict.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    connection: 'close',
  });
  res.end(body);
  return false;
}

/** A request listener that answers only what the guard admits. */
export function guarded(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (admitLoopback(req, res)) listener(req, res);
  };
}

/** Response headers without any `Access-Control-*` (what a proxied server must not tell a browser). */
export function stripCorsHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.toLowerCase().startsWith('access-control-')) continue;
    out[name] = value;
  }
  return out;
}
