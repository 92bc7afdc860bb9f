/**
 * Knox answers that lie, over real HTTP: a tiny node:http server started here answers what the simulator never
 * would (a 200 whose body fails the schema, an unknown error code, a Retry-After that is not a number, a body that is
 * an array or null, a huge body, a list whose totalCount has the wrong type, a lying Content-Encoding or
 * Content-Length, a redirect), and the simulator's own faults cover the rest.
 *
 * Each lie must become a KnoxError with the disposition THE table gives it (lib/domain/knox-errors.ts; nothing here
 * lists codes), and a Knox step that meets it must record it on the record (lastError and a history entry) and throw
 * only an error named by STEP_ERROR_NAMES: never a crash, and never a write DynamoDB refuses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordKind } from '#domain/api-schemas';
import { DISPOSITIONS, STEP_ERROR_NAMES, type Disposition } from '#domain/dispositions';
import { KnoxError } from '#domain/knox-answer';
import { KNOX_ERRORS, specFor, specForErrorCode, type KnoxErrorCodeName } from '#domain/knox-errors';
import { customerSchema } from '#domain/knox-schemas';
import { ENV } from '#domain/configuration';
import type { KnoxStepPayload } from '#domain/payloads';
import { CUSTOMERS_PATH, createKnoxClient } from '#knox/client';
import { TOKEN_PATH } from '#knox/token-endpoint';
import type { KnoxClient } from '#knox/types';
import { FIXTURES, SIM_DEFAULT_CREDENTIALS } from '#knox-sim/server';
import { handler as linkCustomer } from '#lambdas/link-customer';
import { handler as createCustomer } from '#lambdas/create-customer';
import { resetKnoxClient } from '#lambdas/steps/knox';
import { RETRY_AFTER_MAX_MS, timing, type StepHandler } from '#lambdas/steps/runner';
import { HISTORY_EVENTS } from '#lambdas/store/index';
import { createRequest, linkRequest } from './support/handlers-support';
import { caught } from './support/knox-support';
import { useKnoxSimulator } from './support/sim-harness';
import { nextSerial, pollerAnswer, recordOf, seedRecord, useStepHarness } from './support/step-harness';

// --- The liar ---------------------------------------------------------------------------------------------------------

/** What the liar answers to an MSP call (the token endpoint always answers a good token). */
type Lie = (req: IncomingMessage, res: ServerResponse) => void;

interface Liar {
  url: string;
  /** Paths asked for since the last reset (token requests included). */
  paths: string[];
  set(lie: Lie): void;
  stop(): Promise<void>;
}

async function startLiar(): Promise<Liar> {
  let lie: Lie = (_req, res) => send(res, 500, '');
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      paths.push(req.url ?? '');
      if ((req.url ?? '').startsWith(TOKEN_PATH)) {
        send(res, 200, JSON.stringify({ access_token: 'liar-token', token_type: 'bearer', expires_in: 599 }), {
          'content-type': 'application/json',
        });
        return;
      }
      try {
        lie(req, res);
      } catch {
        // A lie node:http refuses to tell (a header it cannot send): the connection just drops.
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    set(next) {
      lie = next;
      paths.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/** An answer: status, body (JSON-encoded unless it is already text) and headers. */
const answer =
  (status: number, body: unknown, headers: Record<string, string> = {}): Lie =>
  (_req, res) =>
    send(res, status, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), {
      'content-type': 'application/json',
      ...headers,
    });

/** Raw bytes on the socket, for what node:http would not let us say (a Content-Length longer than the body). */
const raw =
  (bytes: string): Lie =>
  (req) => {
    req.socket.end(bytes);
  };

const customer = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  customerId: FIXTURES.unmanaged,
  companyName: 'Acme Ltd',
  managementType: 'JointlyManaged',
  status: 'Pending',
  managedServices: [{ service: 'KnoxMobileEnrollment', status: 'Pending' }],
  ...overrides,
});
const knoxError = (code: string, errorCode: unknown, extra: Record<string, unknown> = {}) => ({
  code,
  errorCode,
  errorMessage: 'Knox says no',
  ...extra,
});

// --- Expected dispositions, from the table ----------------------------------------------------------------------------

/** The disposition of one of the table's rows. */
const dispositionOf = (code: KnoxErrorCodeName): Disposition => specFor(code).disposition;

/**
 * What an error object with a code the table does not know means: the disposition the table gives its HTTP status
 * class (every 5xx row, and the 429 row, are transient), else the UNKNOWN_CODE row's.
 */
function unknownCodeDisposition(status: number): Disposition {
  const sameClass = KNOX_ERRORS.filter(
    (e) => (status >= 500 ? e.httpStatus >= 500 : e.httpStatus === status) && e.source !== 'ours',
  );
  const transient = status === 429 || status >= 500;
  if (transient) {
    const dispositions = new Set(sameClass.map((e) => e.disposition));
    if (dispositions.size !== 1) throw new Error(`The table gives HTTP ${status} ${dispositions.size} dispositions`);
    return [...dispositions][0]!;
  }
  return dispositionOf('UNKNOWN_CODE');
}

/** A code name and errorCode the table has never heard of. */
const UNKNOWN = { code: 'SOMETHING_NEW_AT_KNOX', errorCode: '4009999' };
if (specForErrorCode(UNKNOWN.errorCode) !== undefined)
  throw new Error(`${UNKNOWN.errorCode} is in the table now: pick another`);

interface Expected {
  code: string;
  disposition: Disposition;
  httpStatus?: number;
  errorCode?: string;
  /** undefined: the error must carry no retryAfterSeconds. */
  retryAfterSeconds?: number;
}

/** The client calls each lie can meet. */
type Call = (knox: KnoxClient) => Promise<unknown>;
const CALLS: Record<string, Call> = {
  getCustomer: (knox) => knox.getCustomer(FIXTURES.unmanaged),
  linkCustomer: (knox) =>
    knox.linkCustomer({
      customerId: FIXTURES.unmanaged,
      managementType: 'JointlyManaged',
      accessType: 'FullAccess',
      services: [{ service: 'KnoxMobileEnrollment' }],
    }),
  updateCustomer: (knox) => knox.updateCustomer(FIXTURES.unmanaged, { accessType: 'FullAccess' }),
  delinkCustomer: (knox) => knox.delinkCustomer({ customerId: FIXTURES.unmanaged }),
};

const unexpected = (httpStatus: number): Expected => ({
  code: 'UNEXPECTED_RESPONSE',
  disposition: dispositionOf('UNEXPECTED_RESPONSE'),
  httpStatus,
});

/** Lies every customer call can meet, and what each must become. */
const CUSTOMER_LIES: { name: string; lie: Lie; expected: Expected }[] = [
  {
    name: '200 with a customer that lacks its status',
    lie: answer(200, customer({ status: undefined })),
    expected: unexpected(200),
  },
  {
    name: '200 with a status Knox never sends',
    lie: answer(200, customer({ status: 'Approved' })),
    expected: unexpected(200),
  },
  {
    name: '200 with customerId as a number',
    lie: answer(200, customer({ customerId: 1000000001 })),
    expected: unexpected(200),
  },
  {
    name: '200 with managedServices as a string',
    lie: answer(200, customer({ managedServices: 'all' })),
    expected: unexpected(200),
  },
  {
    name: '200 with Knox’s error object',
    lie: answer(200, knoxError('ADD_EC_ALREADY_MANAGED', '4002103')),
    expected: unexpected(200),
  },
  {
    name: '200 with an HTML page',
    lie: answer(200, '<html><body>Maintenance</body></html>', { 'content-type': 'text/html' }),
    expected: unexpected(200),
  },
  { name: '200 with an empty body', lie: answer(200, ''), expected: unexpected(200) },
  {
    name: '201 with truncated JSON',
    lie: answer(201, JSON.stringify(customer()).slice(0, 30)),
    expected: unexpected(201),
  },
  ...[[], 42, null, 'Active', true].map((body) => ({
    name: `200 with the JSON ${JSON.stringify(body)}`,
    lie: answer(200, body),
    expected: unexpected(200),
  })),
  ...[[], 42, null].map((body) => ({
    name: `400 with the JSON ${JSON.stringify(body)}`,
    lie: answer(400, body),
    expected: unexpected(400),
  })),
  { name: '500 with a JSON array', lie: answer(500, [knoxError('FAILURE', '5000000')]), expected: unexpected(500) },
  ...[400, 403, 404, 409, 422].map((status) => ({
    name: `an unknown code on a ${status}`,
    lie: answer(status, knoxError(UNKNOWN.code, UNKNOWN.errorCode)),
    expected: { ...UNKNOWN, disposition: unknownCodeDisposition(status), httpStatus: status },
  })),
  ...[429, 500, 502, 503, 504].map((status) => ({
    name: `an unknown code on a ${status}`,
    lie: answer(status, knoxError(UNKNOWN.code, UNKNOWN.errorCode)),
    expected: { ...UNKNOWN, disposition: unknownCodeDisposition(status), httpStatus: status },
  })),
  {
    name: 'a known errorCode under a code name Knox never used (the errorCode decides)',
    lie: answer(400, knoxError('ALREADY_TAKEN', specFor('ADD_EC_ALREADY_MANAGED').errorCode)),
    expected: {
      code: 'ALREADY_TAKEN',
      errorCode: specFor('ADD_EC_ALREADY_MANAGED').errorCode,
      disposition: dispositionOf('ADD_EC_ALREADY_MANAGED'),
      httpStatus: 400,
    },
  },
  {
    name: 'a known code name with an errorCode the table does not have',
    lie: answer(400, knoxError('ADD_EC_ALREADY_MANAGED', UNKNOWN.errorCode)),
    expected: {
      code: 'ADD_EC_ALREADY_MANAGED',
      errorCode: UNKNOWN.errorCode,
      disposition: dispositionOf('UNKNOWN_CODE'),
      httpStatus: 400,
    },
  },
  {
    name: 'an errorCode sent as a number',
    lie: answer(400, knoxError('ADD_EC_ALREADY_MANAGED', 4002103)),
    expected: unexpected(400),
  },
  {
    name: 'an errorCode that is not digits',
    lie: answer(400, knoxError('ADD_EC_ALREADY_MANAGED', '4002103a')),
    expected: unexpected(400),
  },
  { name: 'an error object without a code', lie: answer(400, { errorCode: '4002103' }), expected: unexpected(400) },
  ...[
    '-5',
    '-0',
    'abc',
    '1.5',
    '',
    '   ',
    'Infinity',
    'NaN',
    '0x10',
    '5s',
    '1e3',
    '+5',
    'Wed, 99 Foo 2015 00:00:00 GMT',
    'tomorrow',
    '5, 10',
  ].map((value) => ({
    name: `a 429 with Retry-After ${JSON.stringify(value)}`,
    lie: answer(429, knoxError('TOO_MANY_REQUESTS', specFor('TOO_MANY_REQUESTS').errorCode), { 'retry-after': value }),
    expected: { code: 'TOO_MANY_REQUESTS', disposition: dispositionOf('TOO_MANY_REQUESTS'), httpStatus: 429 },
  })),
  {
    name: 'a 429 with a Retry-After of 10^20 seconds (capped at one day)',
    lie: answer(429, knoxError('TOO_MANY_REQUESTS', specFor('TOO_MANY_REQUESTS').errorCode), {
      'retry-after': '100000000000000000000',
    }),
    expected: {
      code: 'TOO_MANY_REQUESTS',
      disposition: dispositionOf('TOO_MANY_REQUESTS'),
      httpStatus: 429,
      retryAfterSeconds: 86_400,
    },
  },
  {
    name: 'a 503 HTML page with a Retry-After date in the past',
    lie: answer(503, '<html>busy</html>', {
      'content-type': 'text/html',
      'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT',
    }),
    expected: { ...unexpected(503), retryAfterSeconds: 0 },
  },
  {
    name: 'a 302 redirect (never followed)',
    lie: answer(302, '', { location: '/ams/v1/oauth2/token?stolen=1' }),
    expected: unexpected(302),
  },
  {
    name: 'a body that claims gzip and is not',
    lie: answer(200, JSON.stringify(customer()), { 'content-encoding': 'gzip' }),
    expected: { code: 'CONNECTION_FAILED', disposition: dispositionOf('CONNECTION_FAILED') },
  },
  {
    name: 'a gzip body that inflates to a schema failure',
    lie: answer(200, gzipSync(JSON.stringify(customer({ status: 7 }))), { 'content-encoding': 'gzip' }),
    expected: unexpected(200),
  },
  {
    name: 'a Content-Length longer than the body, then a closed socket',
    lie: raw(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n${JSON.stringify(customer())}`,
    ),
    expected: { code: 'CONNECTION_FAILED', disposition: dispositionOf('CONNECTION_FAILED') },
  },
  {
    name: 'a status line that is not HTTP',
    lie: raw('SMTP 220 hello\r\n\r\n'),
    expected: { code: 'CONNECTION_FAILED', disposition: dispositionOf('CONNECTION_FAILED') },
  },
];

/** Huge answers: the client must read them and classify them without blowing up. */
const HUGE_LIES: { name: string; lie: Lie; expected: Expected }[] = [
  { name: 'a 200 with 8 MB of garbage', lie: answer(200, 'x'.repeat(8 * 1024 * 1024)), expected: unexpected(200) },
  {
    name: 'a 200 with a 4 MB JSON array',
    lie: answer(200, `[${'0,'.repeat(2 * 1024 * 1024)}0]`),
    expected: unexpected(200),
  },
  {
    name: 'a known error code with a 2 MB errorMessage',
    lie: answer(
      400,
      knoxError('ADD_EC_ALREADY_MANAGED', specFor('ADD_EC_ALREADY_MANAGED').errorCode, {
        errorMessage: 'm'.repeat(2 * 1024 * 1024),
      }),
    ),
    expected: { code: 'ADD_EC_ALREADY_MANAGED', disposition: dispositionOf('ADD_EC_ALREADY_MANAGED'), httpStatus: 400 },
  },
  {
    name: 'an unknown 1 MB code name and a 1 MB transactionalId',
    lie: answer(
      400,
      knoxError('C'.repeat(1024 * 1024), UNKNOWN.errorCode, { transactionalId: 't'.repeat(1024 * 1024) }),
    ),
    expected: { code: 'C'.repeat(1024 * 1024), disposition: dispositionOf('UNKNOWN_CODE'), httpStatus: 400 },
  },
  {
    name: 'an unknown errorCode of 500 000 digits',
    lie: answer(400, knoxError(UNKNOWN.code, '4'.repeat(500_000))),
    expected: {
      code: UNKNOWN.code,
      errorCode: '4'.repeat(500_000),
      disposition: dispositionOf('UNKNOWN_CODE'),
      httpStatus: 400,
    },
  },
];

/** Lists whose totalCount has the right name and the wrong type or value. */
const TOTAL_COUNT_LIES = [3, null, true, '3.5', '-1', '', ' 3', 'three', ['3'], { value: 3 }];

// --- Set-up -------------------------------------------------------------------------------------------------------

let liar: Liar;
useStepHarness(async () => {
  liar = await startLiar();
  return liar;
});

afterEach(() => {
  vi.restoreAllMocks();
});

function liarClient(): KnoxClient {
  return createKnoxClient({
    baseUrl: liar.url,
    credentials: async () => ({ ...SIM_DEFAULT_CREDENTIALS }),
    requestsPerSecond: 1000,
    timeoutMs: 5000,
  });
}

function expectMatches(error: KnoxError, expected: Expected): void {
  expect(error.code).toBe(expected.code);
  expect(error.disposition).toBe(expected.disposition);
  expect(DISPOSITIONS).toContain(error.disposition);
  if (expected.httpStatus !== undefined) expect(error.httpStatus).toBe(expected.httpStatus);
  if (expected.errorCode !== undefined) expect(error.errorCode).toBe(expected.errorCode);
  expect(error.retryAfterSeconds).toBe(expected.retryAfterSeconds);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
}

// --- Records and steps ------------------------------------------------------------------------------------------------

/** A REQUESTED onboarding: a link when it names its customer (the key of its lock), else a create. */
const seed = (kind: RecordKind, request: Record<string, unknown>, customerId?: string) =>
  seedRecord(kind, request, {
    customerId,
    path: kind === 'onboarding' ? (customerId !== undefined ? 'link' : 'create') : undefined,
  });

/** Runs a step; the error it throws (which must be an Error), or undefined when it succeeds. */
async function stepError(step: StepHandler, payload: KnoxStepPayload): Promise<Error | undefined> {
  try {
    await step(payload, { getRemainingTimeInMillis: () => 60_000 });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
}

/** What a record may keep of a Knox message or code: enough to read, never enough to break a DynamoDB item. */
const RECORDED_TEXT_MAX = 4096;

/**
 * The step's side of a lie: the thrown error is named by the disposition, lastError and a knox-error history entry
 * say what Knox answered (bounded in size), and the status says whether the record now waits.
 */
async function expectRecorded(id: string, error: Error | undefined, expected: Expected): Promise<void> {
  expect(error, 'the step must fail').toBeDefined();
  expect(Object.values(STEP_ERROR_NAMES)).toContain(error!.name);
  expect(error!.name).toBe(STEP_ERROR_NAMES[expected.disposition]);
  expect(error!.message).toContain(expected.code.slice(0, 40));
  // What the console shows as the cause stays readable (Step Functions cuts causes at 32 768 characters).
  expect(error!.message.length).toBeLessThanOrEqual(RECORDED_TEXT_MAX);

  const record = await recordOf(id);
  expect(record.status).toBe(expected.disposition === 'wait' ? 'WAITING' : 'IN_PROGRESS');
  expect(record.lastError).toBeDefined();
  expect(record.lastError!.disposition).toBe(expected.disposition);
  // A huge code is kept as its beginning, marked with an ellipsis.
  const kept = (text: string) => text.replace(/…$/, '');
  expect(record.lastError!.code.length).toBeGreaterThan(0);
  expect(expected.code.startsWith(kept(record.lastError!.code))).toBe(true);
  if (expected.errorCode !== undefined)
    expect(expected.errorCode.startsWith(kept(record.lastError!.errorCode))).toBe(true);
  for (const text of [record.lastError!.code, record.lastError!.errorCode, record.lastError!.message]) {
    expect(text.length).toBeLessThanOrEqual(RECORDED_TEXT_MAX);
  }
  const entry = record.history.at(-1)!;
  expect(entry).toMatchObject({ event: HISTORY_EVENTS.knoxError, error: record.lastError });
}

// --- The client -----------------------------------------------------------------------------------------------------

describe('the Knox client, on answers that lie', () => {
  it.each(CUSTOMER_LIES)(
    '$name: a KnoxError with the table’s disposition, from every customer call',
    async ({ lie, expected }) => {
      liar.set(lie);
      for (const call of Object.values(CALLS)) {
        expectMatches(await caught(call(liarClient())), expected);
      }
    },
  );

  it('never follows a redirect, so the bearer token never travels elsewhere', async () => {
    liar.set(answer(302, '', { location: `${liar.url}/elsewhere` }));
    await caught(CALLS.getCustomer!(liarClient()));
    expect(liar.paths.filter((p) => !p.startsWith(TOKEN_PATH))).toEqual([`${CUSTOMERS_PATH}/${FIXTURES.unmanaged}`]);
  });

  it.each(HUGE_LIES)('$name: read and classified', async ({ lie, expected }) => {
    liar.set(lie);
    expectMatches(await caught(CALLS.getCustomer!(liarClient())), expected);
  });

  it('accepts a customer with a huge but well-typed field (the schema has no limit to lie about)', async () => {
    liar.set(answer(200, customer({ companyName: 'A'.repeat(3 * 1024 * 1024) })));
    const found = await liarClient().getCustomer(FIXTURES.unmanaged);
    expect(found.companyName).toHaveLength(3 * 1024 * 1024);
  });

  it.each(TOTAL_COUNT_LIES.map((totalCount) => ({ totalCount })))(
    'a list whose totalCount is $totalCount: UNEXPECTED_RESPONSE, also through listAllCustomers',
    async ({ totalCount }) => {
      liar.set(answer(200, { totalCount, customers: [customer()] }));
      expectMatches(await caught(liarClient().listCustomers()), unexpected(200));
      const all = async () => {
        for await (const found of liarClient().listAllCustomers()) expect(found).toBeDefined();
      };
      expectMatches(await caught(all()), unexpected(200));
    },
  );

  it('a token endpoint that lies is classified too: no token, a negative lifetime, an array, an OAuth error on a 500', async () => {
    const tokenLies: { body: unknown; status: number; expected: Expected }[] = [
      { status: 200, body: { token_type: 'bearer', expires_in: 599 }, expected: unexpected(200) },
      { status: 200, body: { access_token: 't', token_type: 'bearer', expires_in: -1 }, expected: unexpected(200) },
      { status: 200, body: { access_token: 't', token_type: 'bearer', expires_in: '599' }, expected: unexpected(200) },
      { status: 200, body: [], expected: unexpected(200) },
      { status: 500, body: { error: 'server_error' }, expected: unexpected(500) },
      {
        status: 400,
        body: knoxError(UNKNOWN.code, UNKNOWN.errorCode),
        expected: { ...UNKNOWN, disposition: unknownCodeDisposition(400), httpStatus: 400 },
      },
    ];
    for (const { status, body, expected } of tokenLies) {
      const server = createServer((req, res) => {
        req.resume();
        send(res, status, JSON.stringify(body), { 'content-type': 'application/json' });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const knox = createKnoxClient({
          baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          credentials: async () => ({ ...SIM_DEFAULT_CREDENTIALS }),
          requestsPerSecond: 1000,
        });
        expectMatches(await caught(knox.getCustomer(FIXTURES.unmanaged)), expected);
      } finally {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    }
  });

  it('any status, header and body: either validated data or a KnoxError whose disposition follows the table', async () => {
    const knownRow = fc.constantFrom(...KNOX_ERRORS.filter((e) => e.errorCode !== '0'));
    const errorBody = fc.oneof(
      knownRow.map((row) => knoxError(row.code, row.errorCode)),
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.stringMatching(/^\d{1,9}$/))
        .map(([code, errorCode]) => knoxError(code, errorCode)),
      fc.record({ code: fc.jsonValue(), errorCode: fc.jsonValue() }),
    );
    const customerBody = fc.oneof(
      fc.constant(customer()),
      fc
        .tuple(
          fc.constantFrom('customerId', 'companyName', 'managementType', 'status', 'managedServices'),
          fc.jsonValue({ maxDepth: 1 }),
        )
        .map(([key, value]) => customer({ [key]: value })),
    );
    const body = fc.oneof(
      errorBody.map((b) => JSON.stringify(b)),
      customerBody.map((b) => JSON.stringify(b)),
      fc.jsonValue({ maxDepth: 2 }).map((b) => JSON.stringify(b)),
      fc.string({ maxLength: 100, unit: 'binary' }),
    );
    const status = fc.constantFrom(
      200,
      201,
      202,
      300,
      302,
      307,
      400,
      401,
      403,
      404,
      405,
      409,
      418,
      422,
      429,
      500,
      501,
      502,
      503,
      504,
      599,
    );
    const retryAfter = fc.option(
      fc.oneof(
        fc.nat().map(String),
        fc.integer({ min: -1000, max: -1 }).map(String),
        fc.string({ maxLength: 12, unit: 'grapheme-ascii' }),
      ),
      { nil: undefined },
    );

    await fc.assert(
      fc.asyncProperty(status, body, retryAfter, async (code, text, after) => {
        liar.set((_req, res) =>
          send(res, code, text, {
            'content-type': 'application/json',
            ...(after !== undefined ? { 'retry-after': after } : {}),
          }),
        );
        const outcome = await liarClient()
          .getCustomer(FIXTURES.unmanaged)
          .then(
            (c) => ({ ok: c }),
            (error: unknown) => ({ error }),
          );
        const parsed = parseJsonOrUndefined(text);
        if ('ok' in outcome) {
          // Only a 2xx whose body is a customer is ever data.
          expect(code >= 200 && code < 300).toBe(true);
          expect(customerSchema.safeParse(parsed).success).toBe(true);
          return;
        }
        expect(outcome.error).toBeInstanceOf(KnoxError);
        const error = outcome.error as KnoxError;
        expect(error.disposition).toBe(expectedDisposition(code, parsed));
        if (error.retryAfterSeconds !== undefined) {
          expect(after?.trim()).toMatch(/^\d+$/);
          expect(error.retryAfterSeconds).toBe(Math.min(Number(after), 86_400));
        } else if (code !== 401 && !(code >= 200 && code < 300)) {
          expect(after === undefined || !/^\d+$/.test(after.trim())).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The oracle of the property above, written from the disposition table of docs/knox-contract.md: 2xx that is not a customer and any
 * answer that is not the error object -> UNEXPECTED_RESPONSE's row; a 401 twice -> a refused token (operator); a
 * known errorCode -> its row; an unknown one -> the status class (429 and 5xx transient) or UNKNOWN_CODE's row.
 */
function expectedDisposition(status: number, body: unknown): Disposition {
  if (status === 401) return dispositionOf('ACCESS_TOKEN_INVALID');
  if (status >= 200 && status < 300) return dispositionOf('UNEXPECTED_RESPONSE');
  const object = body as Record<string, unknown> | null;
  const isErrorObject =
    object !== null &&
    typeof object === 'object' &&
    !Array.isArray(object) &&
    typeof object.code === 'string' &&
    object.code.length > 0 &&
    typeof object.errorCode === 'string' &&
    /^\d+$/.test(object.errorCode) &&
    (object.errorMessage === undefined || typeof object.errorMessage === 'string');
  if (!isErrorObject) return dispositionOf('UNEXPECTED_RESPONSE');
  const row = specForErrorCode(object.errorCode as string);
  return row ? row.disposition : unknownCodeDisposition(status);
}

// --- The steps --------------------------------------------------------------------------------------------------------

describe('Knox steps, on answers that lie', () => {
  beforeEach(() => {
    // A Retry-After is slept for before Knox.Retry: seen, not spent.
    vi.spyOn(timing, 'sleep').mockResolvedValue(undefined);
  });

  const STEP_LIES = [...CUSTOMER_LIES, ...HUGE_LIES];

  it.each(STEP_LIES)(
    'link-customer, $name: recorded, and thrown under the disposition’s name',
    async ({ lie, expected }) => {
      liar.set(lie);
      const id = await seed('onboarding', linkRequest(FIXTURES.unmanaged), FIXTURES.unmanaged);
      await expectRecorded(id, await stepError(linkCustomer, { id, executionName: 'liar' }), expected);
      expect((await recordOf(id)).attempts).toEqual({ link: 1 });
    },
  );

  it.each(STEP_LIES)(
    'the poller’s read of a waiting customer, $name: the table’s error, never an answer',
    async ({ lie, expected }) => {
      liar.set(lie);
      const id = await seed('onboarding', linkRequest(FIXTURES.unmanaged), FIXTURES.unmanaged);
      const verdict = await pollerAnswer(id);
      expect(verdict.kind).toBe(pollerKindOf(expected.disposition));
      if (verdict.kind === 'answered') return;
      expect(verdict.error.code).toBe(expected.code);
      expect(verdict.error.disposition).toBe(expected.disposition);
    },
  );

  it('sleeps only for a usable Retry-After, never longer than the bound', async () => {
    const sleep = vi.mocked(timing.sleep);
    const tooMany = (value: string) =>
      answer(429, knoxError('TOO_MANY_REQUESTS', specFor('TOO_MANY_REQUESTS').errorCode), { 'retry-after': value });
    for (const value of ['-5', 'abc', '1.5', '', 'NaN']) {
      sleep.mockClear();
      liar.set(tooMany(value));
      const id = await seed('onboarding', linkRequest(FIXTURES.unmanaged), `${FIXTURES.unmanaged}${nextSerial()}`);
      expect((await stepError(linkCustomer, { id }))?.name).toBe(STEP_ERROR_NAMES[dispositionOf('TOO_MANY_REQUESTS')]);
      expect(sleep).not.toHaveBeenCalled();
    }
    sleep.mockClear();
    liar.set(tooMany('100000000000000000000'));
    const id = await seed('onboarding', linkRequest(FIXTURES.unmanaged), `${FIXTURES.unmanaged}${nextSerial()}`);
    expect((await stepError(linkCustomer, { id }))?.name).toBe(STEP_ERROR_NAMES[dispositionOf('TOO_MANY_REQUESTS')]);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(sleep.mock.calls[0]![0]).toBeLessThanOrEqual(RETRY_AFTER_MAX_MS);
  });

  it.each(TOTAL_COUNT_LIES.map((totalCount) => ({ totalCount })))(
    'create-customer: 4002106, then a list whose totalCount is $totalCount: the list’s error is recorded',
    async ({ totalCount }) => {
      const emailInUse = specFor('EMAIL_ALREADY_IN_USAGE');
      liar.set((req, res) =>
        req.method === 'POST'
          ? answer(emailInUse.httpStatus, knoxError(emailInUse.code, emailInUse.errorCode))(req, res)
          : answer(200, { totalCount, customers: [customer({ email: 'someone@else.example' })] })(req, res),
      );
      const id = await seed('onboarding', createRequest(`ada.${nextSerial()}@acme.example`));
      await expectRecorded(id, await stepError(createCustomer, { id, executionName: 'liar' }), unexpected(200));
    },
  );

  it('any lie on the poller’s status read: the table’s error, or an answer only for a real Active customer', async () => {
    const lie = fc.record({
      status: fc.constantFrom(200, 400, 403, 404, 409, 429, 500, 502, 503),
      body: fc.oneof(
        fc
          .constantFrom(...KNOX_ERRORS.filter((e) => e.errorCode !== '0'))
          .map((row) => JSON.stringify(knoxError(row.code, row.errorCode))),
        fc
          .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.stringMatching(/^\d{1,9}$/))
          .map(([c, e]) => JSON.stringify(knoxError(c, e))),
        fc
          .constantFrom(...['Active', 'Pending', 'Rejected', 'DelinkRequested', 'Gone', 7])
          .map((s) => JSON.stringify(customer({ status: s }))),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 60 }),
      ),
    });
    const id = await seed('onboarding', linkRequest(FIXTURES.unmanaged), FIXTURES.unmanaged);
    await fc.assert(
      fc.asyncProperty(lie, async ({ status, body }) => {
        liar.set(answer(status, body));
        resetKnoxClient();
        const verdict = await pollerAnswer(id);
        if (verdict.kind === 'answered') {
          expect(status).toBe(200);
          expect(customerSchema.parse(JSON.parse(body)).status).toBe('Active');
          return;
        }
        expect(DISPOSITIONS).toContain(verdict.error.disposition);
        if (verdict.kind === 'waiting') {
          // A customer status that means "not yet" (Pending, DelinkRequested): the table's wait row for it.
          expect([status, verdict.error.disposition]).toEqual([200, 'wait']);
          return;
        }
        expect(verdict.kind).toBe(
          verdict.error.errorCode === specFor('CUSTOMER_NOT_MANAGED_BY_MSP').errorCode
            ? 'refused'
            : pollerKindOf(verdict.error.disposition),
        );
      }),
      { numRuns: 150 },
    );
  });
});

/** Where the poller puts a read that failed with this disposition (lambdas/poller/knox-reads.ts), or a status. */
function pollerKindOf(disposition: Disposition): 'unread' | 'roundFails' | 'refused' {
  if (disposition === 'retry' || disposition === 'wait') return 'unread';
  return disposition === 'operator' ? 'roundFails' : 'refused';
}

// --- The simulator's faults -------------------------------------------------------------------------------------------

describe('the simulator’s faults, through a step', () => {
  const sim = useKnoxSimulator();
  beforeEach(() => {
    process.env[ENV.knoxBaseUrl] = sim.url;
    resetKnoxClient();
    vi.spyOn(timing, 'sleep').mockResolvedValue(undefined);
  });
  afterAll(() => {
    process.env[ENV.knoxBaseUrl] = liar.url;
  });

  it.each([
    { type: 'html' as const, code: 'UNEXPECTED_RESPONSE' as const },
    { type: 'empty' as const, code: 'UNEXPECTED_RESPONSE' as const },
    { type: 'drop' as const, code: 'CONNECTION_FAILED' as const },
    { type: 'error500' as const, code: 'FAILURE' as const },
    { type: 'status429' as const, code: 'TOO_MANY_REQUESTS' as const },
  ])('a $type fault on the link is $code: recorded and thrown by the table', async ({ type, code }) => {
    await sim.control.fault({ match: { path: '/link' }, fault: { type } });
    const id = await seed('onboarding', linkRequest(FIXTURES.unmanaged), FIXTURES.unmanaged);
    await expectRecorded(id, await stepError(linkCustomer, { id }), { code, disposition: dispositionOf(code) });
  });
});
