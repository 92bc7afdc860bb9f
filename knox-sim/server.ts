/**
 * The Knox simulator: a real HTTP server (node:http) that speaks the Knox MSP Portal API on its production paths,
 * keeps a customer store with the real lifecycle, and answers every error code from the condition that causes it.
 * Tests and the local stack start it in-process with `startKnoxSimulator`; `npm run knox-sim` runs it alone.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { knoxError, jsonAnswer, type SimAnswer } from './answers';
import type { SimClient } from './auth';
import { admitLoopback } from '#local/protocol/loopback-guard';
import { answerControl } from './control-routes';
import { answerKnox } from './knox-routes';
import type { Fault } from './model';
import { SimState } from './state';
import { knoxLatencyTable, knoxOperationOf, type KnoxLatency } from './latency';
import {
  CONTROL_PREFIX,
  SIM_DEFAULT_CREDENTIALS,
  SIM_EXTRA_CREDENTIALS,
  SIM_OTHER_MSP,
  SIM_OUR_MSP,
  SIM_OUR_REGION,
  TOKEN_PATH,
} from './world';

export { SIM_DEFAULT_CREDENTIALS, SIM_EXTRA_CREDENTIALS } from './world';
export { FIXTURES, FIXTURE_KM_TENANTS, FIXTURE_REGISTERED_EMAILS, UNKNOWN_CUSTOMER_ID } from './fixtures';

export interface KnoxSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Our MSP's credentials (default SIM_DEFAULT_CREDENTIALS). */
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of issued tokens, default 599 as Knox's. */
  tokenTtlSeconds?: number;
  /** Load the fixtures on start and on reset (default true). */
  fixtures?: boolean;
  /** Knox's own latency per operation (latency.ts): 'aws' for typical figures, or ms per operation. */
  latency?: 'aws' | 'none' | KnoxLatency;
  /**
   * What time it is for the simulator (token lifetimes, the spared window of a revocation, timed faults, customers'
   * timed answers); default the wall clock. Tests pass a clock they move, so that nothing sleeps on wall time.
   */
  clock?: SimClock;
}

/** The simulator's idea of now. */
export interface SimClock {
  now(): Date;
}

const WALL_CLOCK: SimClock = { now: () => new Date() };

export interface RunningKnoxSimulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Closes the server and every open (keep-alive) connection. */
  stop(): Promise<void>;
}

/** A token younger than this survives a `tokenRevoked` fault (so a client's one repetition goes through). */
const TOKEN_SPARED_MS = 1_000;

/** Knox request bodies are small; anything beyond this is refused rather than buffered. */
const MAX_BODY_BYTES = 1_000_000;

const HTML_PAGE = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';

class BodyTooLarge extends Error {}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function write(res: ServerResponse, answer: SimAnswer): void {
  if (res.destroyed) return;
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
  res.end(answer.body);
}

function clientsFor(options: KnoxSimulatorOptions): SimClient[] {
  return [
    {
      clientId: options.clientId ?? SIM_DEFAULT_CREDENTIALS.clientId,
      clientSecret: options.clientSecret ?? SIM_DEFAULT_CREDENTIALS.clientSecret,
      msp: SIM_OUR_MSP,
      region: SIM_OUR_REGION,
      authorized: true,
    },
    { ...SIM_EXTRA_CREDENTIALS.unauthorized, msp: 'msp-unauthorized', region: SIM_OUR_REGION, authorized: false },
    { ...SIM_EXTRA_CREDENTIALS.otherMsp, msp: SIM_OTHER_MSP, region: SIM_OUR_REGION, authorized: true },
  ];
}

/** The answer a fault replaces the real one with; undefined for the faults that let the request do its work. */
function faultAnswer(fault: Fault): SimAnswer | undefined {
  switch (fault.type) {
    case 'error500':
      return knoxError('FAILURE');
    case 'status429':
      // null: no Retry-After at all, as Knox may answer.
      return fault.retryAfterSeconds === null
        ? knoxError('TOO_MANY_REQUESTS')
        : knoxError('TOO_MANY_REQUESTS', { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
    case 'html':
      return { status: 502, headers: { 'content-type': 'text/html' }, body: HTML_PAGE, accepted: false };
    case 'empty':
      return { status: 502, headers: {}, body: '', accepted: false };
    default:
      return undefined;
  }
}

export async function startKnoxSimulator(options: KnoxSimulatorOptions = {}): Promise<RunningKnoxSimulator> {
  const clock = options.clock ?? WALL_CLOCK;
  const state = new SimState({
    clients: clientsFor(options),
    tokenTtlSeconds: options.tokenTtlSeconds ?? 599,
    fixtures: options.fixtures ?? true,
  });
  state.latency = knoxLatencyTable(options.latency);
  const delays = new Set<NodeJS.Timeout>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer);
        resolve();
      }, ms);
      delays.add(timer);
    });

  async function handleKnox(req: IncomingMessage, res: ServerResponse, url: URL, bodyText: string, startedAt: Date) {
    const method = req.method ?? 'GET';
    const path = url.pathname + url.search;
    const t0 = performance.now();
    // Knox's own limit (when set) refuses what exceeds it before anything else; token requests are not counted.
    const limited = !path.startsWith(TOKEN_PATH) && !state.rateLimit.admit(performance.now());
    const picked = limited ? undefined : state.faults.pick(method, path, startedAt);
    const fault = picked?.fault;
    const record = (status: number, answer?: SimAnswer) =>
      state.log.record({
        method,
        path,
        status,
        startedAt,
        durationMs: Math.round(performance.now() - t0),
        ...(fault ? { fault: fault.type } : {}),
        ...(picked?.outage ? { outage: true } : {}),
        accepted: answer?.accepted ?? false,
        ...(answer?.errorCode !== undefined ? { errorCode: answer.errorCode } : {}),
      });

    if (fault?.type === 'drop') {
      record(0);
      req.socket.destroy();
      return;
    }
    // Knox revokes tokens before their expires_in: this request's (unless just issued) and every older one die now.
    if (fault?.type === 'tokenRevoked') state.tokens.revoke(startedAt, TOKEN_SPARED_MS);
    let answer = limited
      ? knoxError('TOO_MANY_REQUESTS', { 'retry-after': '1' })
      : fault
        ? faultAnswer(fault)
        : undefined;
    if (answer === undefined) {
      state.settle(startedAt);
      answer = answerKnox(state, { method, url, headers: req.headers, bodyText }, startedAt);
      // The lost-response case: the work is done, the answer says it failed.
      if (fault?.type === 'workThen500') answer = { ...knoxError('FAILURE'), accepted: answer.accepted };
      if (fault?.type === 'latency') await delay(fault.latencyMs ?? 1000);
    }
    // Knox's own latency (latency.ts), after the work and before the answer, as a remote API's round trip.
    const operation = knoxOperationOf(method, path);
    const latencyMs = operation === undefined ? 0 : (state.latency[operation] ?? 0);
    if (latencyMs > 0) await delay(latencyMs);
    record(answer.status, answer);
    write(res, answer);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const startedAt = clock.now();
    const url = new URL(req.url ?? '/', 'http://knox-sim.invalid');
    // The control surface changes the world (outages, answers): only for requests to this loopback listener from no
    // foreign browser origin (a cross-origin simple POST must not switch on an outage), refused before the body is read.
    if (url.pathname.startsWith(CONTROL_PREFIX) && !admitLoopback(req, res)) return;
    const bodyText = await readText(req);
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      state.settle(startedAt);
      const path = url.pathname.slice(CONTROL_PREFIX.length - 1).replace(/\/+$/, '');
      write(res, answerControl(state, { method: req.method ?? 'GET', path, bodyText }, startedAt));
      return;
    }
    await handleKnox(req, res, url, bodyText, startedAt);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof BodyTooLarge) {
        write(res, jsonAnswer(413, { message: 'Request body too large' }));
        return;
      }
      // A simulator bug: say so without echoing the request (it may carry secrets).
      console.error('knox-sim: unexpected error', error instanceof Error ? error.stack : error);
      write(res, jsonAnswer(500, { message: 'knox-sim internal error' }));
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stop() {
      stopping ??= new Promise<void>((resolve, reject) => {
        for (const timer of delays) clearTimeout(timer);
        delays.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets would hold close() open until they time out.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
