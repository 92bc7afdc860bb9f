/**
 * The local console (README.md, "The local console"): a page at `/` of the local HTTP API, never deployed, and the
 * read-only JSON it reads under /console/api/. The only write is an answer of the built-in simulator's customer
 * (approve or reject a link, accept or refuse a delink), through the simulator's own control surface.
 *
 *   GET  /                               the page (assets under /console/assets/, built on first request)
 *   GET  /console/api/records            every record of every kind, newest first, and the batches they name
 *   GET  /console/api/records/{id}       one record with its history, and its execution drawn on the graph
 *   POST /console/api/answers            {customerId, answer: link|delink, accept}: the simulated customer answers
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { RECORD_KINDS, STATUSES, TERMINAL_STATUSES, type RecordKind } from '#domain/api-schemas';
import { customerIdSchema } from '#domain/knox-schemas';
import { KnoxSimControl, KnoxSimControlError } from '#knox-sim/control';
import type { LocalExecutions } from '../stepfunctions/engine';
import { buildAssets, type Assets } from './assets';
import { executionView } from './execution-view';
import { workflowGraph } from './graph';
import { layoutGraph } from './layout';
import {
  CONSOLE_API_PREFIX,
  type PendingAnswer,
  type RecordDetailAnswer,
  type RecordsAnswer,
  type LaidOutGraph,
} from './console-model';
import { RecordReader, pendingAnswers } from './record-list';
import { isOwnOrigin, listenerPort } from '../protocol/loopback-guard';

export interface ConsoleOptions {
  executions: LocalExecutions;
  /** The local DynamoDB (the stack's own client) and the records' table. */
  dynamo: DynamoDBClient;
  tableName: string;
  /** The built-in simulator's URL; absent when the stack talks to another Knox (KNOX_BASE_URL). */
  simulatorUrl?: string;
  log?: (line: string) => void;
}

const answerSchema = z.strictObject({
  customerId: customerIdSchema,
  answer: z.enum(['link', 'delink']),
  accept: z.boolean(),
});

/** The security headers of every console answer: nothing the page shows can run as code (CSP), no sniffing. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export class LocalConsole {
  private assets: Promise<Assets> | undefined;
  private readonly graphs = new Map<RecordKind, LaidOutGraph>();
  private readonly control: KnoxSimControl | undefined;
  private readonly reader: RecordReader;

  constructor(private readonly options: ConsoleOptions) {
    this.control = options.simulatorUrl ? new KnoxSimControl(options.simulatorUrl) : undefined;
    this.reader = new RecordReader(options.dynamo, options.tableName);
  }

  /** Whether the console answers this path (the page, its assets, its JSON). */
  owns(pathname: string): boolean {
    return (
      pathname === '/' || pathname === '/index.html' || pathname === '/console' || pathname.startsWith('/console/')
    );
  }

  /** The page's assets, built once (the first request waits for esbuild). */
  loadAssets(): Promise<Assets> {
    this.assets ??= buildAssets().catch((error: unknown) => {
      this.assets = undefined; // a failed build is tried again on the next request
      throw error;
    });
    return this.assets;
  }

  async handle(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = url.pathname;
    if (path.startsWith(`${CONSOLE_API_PREFIX}/`))
      return this.api(method, path.slice(CONSOLE_API_PREFIX.length), req, res);
    req.resume();
    if (method !== 'GET' && method !== 'HEAD')
      return sendJson(res, 405, { message: `${method} is not allowed on ${path}` });
    const asset = (await this.loadAssets()).get(path);
    if (!asset) return sendJson(res, 404, { message: `No console asset at ${path}` });
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, { etag: asset.etag, ...SECURITY_HEADERS });
      return void res.end();
    }
    res.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': String(asset.body.length),
      etag: asset.etag,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(method === 'HEAD' ? undefined : asset.body);
  }

  private async api(method: string, route: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (route === '/records' && method === 'GET') {
      req.resume();
      return sendJson(res, 200, await this.records());
    }
    const one = /^\/records\/([A-Za-z0-9-]{1,64})$/.exec(route);
    if (one && method === 'GET') {
      req.resume();
      const detail = await this.detail(one[1]!);
      return detail ? sendJson(res, 200, detail) : sendJson(res, 404, { message: `No record ${one[1]}` });
    }
    if (route === '/answers' && method === 'POST') return this.answer(req, res);
    req.resume();
    return sendJson(res, 404, { message: `No console route for ${method} ${CONSOLE_API_PREFIX}${route}` });
  }

  private async records(): Promise<RecordsAnswer> {
    const list = await this.reader.list(() => this.answers());
    return {
      ...list,
      simulator: this.control !== undefined,
      kinds: [...RECORD_KINDS],
      statuses: [...STATUSES],
      terminalStatuses: [...TERMINAL_STATUSES],
    };
  }

  private async detail(id: string): Promise<RecordDetailAnswer | undefined> {
    const record = await this.reader.read(id, () => this.answers());
    if (!record) return undefined;
    const execution = record.executionName ? this.options.executions.findByName(record.executionName) : undefined;
    const graph = this.graphOf(record.kind);
    return {
      record,
      ...(execution && graph ? { execution: executionView(execution, graph) } : {}),
      simulator: this.control !== undefined,
    };
  }

  /** A workflow's graph, laid out once (on first use: stacks that nobody looks at never pay for it). */
  private graphOf(kind: RecordKind): LaidOutGraph | undefined {
    const cached = this.graphs.get(kind);
    if (cached) return cached;
    const machine = this.options.executions.stateMachines.find((m) => m.workflow === kind);
    if (!machine) return undefined;
    const graph = workflowGraph(kind, machine.definition);
    const laidOut = { ...graph, layout: layoutGraph(graph) };
    this.graphs.set(kind, laidOut);
    return laidOut;
  }

  /** The simulator's customers with a request to answer; none when the simulator does not answer. */
  private async answers(): Promise<Map<string, PendingAnswer>> {
    if (!this.control) return new Map();
    try {
      return pendingAnswers(await this.control.customers());
    } catch (error) {
      this.options.log?.(`console: the simulator's customers could not be read: ${(error as Error).message}`);
      return new Map();
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only the page itself: a JSON body (a cross-site form cannot send one without CORS, which we never allow) and,
    // when the browser says where it comes from, this very listener's origin (its own port: never the Host header,
    // which a rebound name controls). The listener's guard has checked Host and Origin already; this stays as a
    // second wall for the one route that changes something.
    const origin = req.headers['origin'];
    if (
      !String(req.headers['content-type'] ?? '').startsWith('application/json') ||
      (origin !== undefined && !isOwnOrigin(origin, listenerPort(req)))
    ) {
      req.resume();
      return sendJson(res, 403, { message: 'answers come from the console page only (JSON, same origin)' });
    }
    const text = await readSmallBody(req);
    const parsed = answerSchema.safeParse(safeJson(text));
    if (!parsed.success)
      return sendJson(res, 400, { message: 'expected {customerId, answer: "link"|"delink", accept: boolean}' });
    if (!this.control)
      return sendJson(res, 404, {
        message: 'the stack talks to another Knox (KNOX_BASE_URL): no simulated customers to answer for',
      });
    const { customerId, answer, accept } = parsed.data;
    const control = this.control;
    const act =
      answer === 'link'
        ? accept
          ? () => control.approveLink(customerId)
          : () => control.rejectLink(customerId)
        : accept
          ? () => control.acceptDelink(customerId)
          : () => control.rejectDelink(customerId);
    try {
      const customer = await act();
      return sendJson(res, 200, { customerId, status: customer.status });
    } catch (error) {
      if (error instanceof KnoxSimControlError)
        return sendJson(res, error.status === 404 ? 404 : 409, { message: `The simulator refused: ${error.message}` });
      throw error;
    }
  }
}

async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4096) return '';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(text);
}
