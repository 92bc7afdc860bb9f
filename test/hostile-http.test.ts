/**
 * Hostile input over real HTTP against the local stack's API (started in-process: port 0, a temporary DATA_DIR), with
 * fast-check for what fetch can send and a raw socket for what it cannot (a body over 1 MB streamed without a length,
 * bad Content-Length headers, a repeated header, bytes that are not UTF-8, a path with dot segments).
 *
 * The property: every answer is a 4xx with a JSON `message` saying what is wrong (and `issues` naming the field for a
 * bad body); never a 5xx; nothing recorded: `GET /onboardings` lists nothing and `GET /executions` lists nothing.
 * A request Node's HTTP parser cannot read at all (a bad Content-Length, a lowercase method) never reaches the API:
 * the server's clientError handler answers it with a JSON 400 too.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATUSES } from '#domain/api-schemas';
import { FIXTURES } from '#knox-sim/server';
import { MAX_BODY_BYTES } from '#local/apigateway/rest-api';
import { eventually } from '#testkit/test-stack';
import {
  BROKEN_BODIES,
  COLLECTIONS,
  KINDS,
  anyValid,
  at,
  badIdempotencyKey,
  badListQuery,
  covers,
  hugeStringBodies,
  nonJsonContentType,
  pathsOf,
  recordId,
  replaced,
  type Json,
} from './support/hostile-support';
import { useTestStack } from './support/stack-support';

const local = useTestStack();

// --- Answers ----------------------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  contentType: string;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
  text: string;
}

interface Expectation {
  statuses: number[];
  message?: RegExp;
  /** A bad body: `issues` must name this dotted path (or an ancestor of it). */
  issueAt?: string;
}

async function call(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> | [string, string][] } = {},
): Promise<Answer> {
  const response = await fetch(`${local.stack.apiUrl}${path}`, {
    method,
    ...(init.body !== undefined ? { body: init.body } : {}),
    headers: init.headers ?? {},
  });
  return answerOf(response.status, response.headers.get('content-type') ?? '', await response.text());
}

function answerOf(status: number, contentType: string, text: string): Answer {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the checks below say so.
  }
  return { status, contentType, body, text };
}

/** A refusal: a 4xx with a JSON message (and issues at the broken field when asked). */
function expectRefusal(answer: Answer, expectation: Expectation): void {
  expect(answer.status, answer.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(expectation.statuses).toContain(answer.status);
  expect(answer.contentType).toMatch(/^application\/json/);
  const body = answer.body as { message?: unknown; issues?: unknown };
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
  // A sentence, not an echo of a huge input (the local server's 404 and 405 quote the path, which fetch keeps short here).
  expect((body.message as string).length).toBeLessThanOrEqual(16 * 1024);
  if (expectation.message) expect(body.message).toMatch(expectation.message);
  if (expectation.issueAt !== undefined) {
    const issues = body.issues as { path: string; message: string }[];
    expect(Array.isArray(issues), answer.text.slice(0, 300)).toBe(true);
    const where = expectation.issueAt;
    expect(
      issues.some((i) => typeof i.message === 'string' && covers(i.path, where)),
      `no issue at ${where}: ${answer.text.slice(0, 300)}`,
    ).toBe(true);
  }
}

/** Nothing recorded, seen through the API itself: no open onboarding, no execution. */
async function expectNothingRecorded(): Promise<void> {
  const onboardings = await call('GET', '/onboardings');
  expect(onboardings.status).toBe(200);
  expect((onboardings.body as { items: unknown[] }).items).toEqual([]);
  const executions = await call('GET', '/executions');
  expect(executions.status).toBe(200);
  expect((executions.body as { executions: unknown[] }).executions).toEqual([]);
}

async function expectRefused(answer: Promise<Answer>, expectation: Expectation): Promise<void> {
  expectRefusal(await answer, expectation);
  await expectNothingRecorded();
}

const JSON_HEADERS = { 'content-type': 'application/json' };

// --- Raw socket ---------------------------------------------------------------------------------------------------------

/** Every answer a raw exchange got (the server may answer once, or refuse the rest of the bytes with a 400). */
function parseAnswers(raw: Buffer): Answer[] {
  const answers: Answer[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const head = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
    const header = (name: string) =>
      head
        .slice(1)
        .find((h) => h.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    const length = Number(header('content-length') ?? 0);
    const body = rest.subarray(headEnd + 4, headEnd + 4 + length);
    answers.push(answerOf(status, header('content-type') ?? '', body.toString('utf8')));
    rest = rest.subarray(headEnd + 4 + length);
  }
  return answers;
}

/**
 * Writes `chunks` on a new connection (pausing between them, so that a server may answer early), then waits for the
 * server to close it, or for `waitMs`. What came back, parsed.
 */
function rawExchange(chunks: (string | Buffer)[], waitMs = 5_000): Promise<Answer[]> {
  return new Promise((resolve) => {
    const socket = connect(local.stack.ports.api, '127.0.0.1');
    const received: Buffer[] = [];
    let answered = false;
    const done = () => resolve(parseAnswers(Buffer.concat(received)));
    socket.on('data', (data) => {
      received.push(data);
      answered = true;
    });
    socket.on('error', () => undefined); // a reset after the answer: what was read counts
    socket.on('close', done);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        // A client that keeps sending after the answer would only meet a reset: stop as a polite client does.
        if (answered || socket.destroyed) break;
        socket.write(chunk);
        await new Promise((r) => setImmediate(r));
      }
    });
    setTimeout(() => socket.destroy(), waitMs);
  });
}

const request = (method: string, path: string, headers: string[], body: string | Buffer = ''): Buffer =>
  Buffer.concat([
    Buffer.from(
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${local.stack.ports.api}\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`,
      'latin1',
    ),
    Buffer.from(body),
  ]);

/**
 * What a raw exchange must give: at least one answer, every answer a 4xx with the API's JSON refusal (bytes Node's
 * parser cannot read get a JSON 400 from the server's clientError handler).
 */
async function expectRawRefused(answers: Answer[], expectation: Expectation): Promise<void> {
  expect(answers.length).toBeGreaterThan(0);
  for (const answer of answers) {
    expectRefusal(answer, expectation);
  }
  await expectNothingRecorded();
}

// --- Properties over fetch --------------------------------------------------------------------------------------------

describe('hostile requests over HTTP', () => {
  it('starts with nothing recorded', async () => {
    await expectNothingRecorded();
  });

  it('refuses broken bodies of every kind with 400 naming the field (or 413 past 1 MB)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(...Object.values(BROKEN_BODIES)), async ({ kind, text, issueAt }) => {
        await expectRefused(call('POST', COLLECTIONS[kind], { body: text, headers: JSON_HEADERS }), {
          statuses: [400],
          issueAt,
        });
      }),
      { numRuns: 250 },
    );

    await fc.assert(
      fc.asyncProperty(hugeStringBodies(200_000, MAX_BODY_BYTES + 100_000), async ({ kind, text, issueAt }) => {
        const over = Buffer.byteLength(text) > MAX_BODY_BYTES;
        await expectRefused(
          call('POST', COLLECTIONS[kind], { body: text, headers: JSON_HEADERS }),
          over ? { statuses: [413] } : { statuses: [400], issueAt },
        );
      }),
      { numRuns: 20 },
    );
  });

  it('refuses wrong content types (415) and bad Idempotency-Key headers (400), beside valid bodies', async () => {
    const cases = fc.oneof(
      fc.tuple(anyValid, nonJsonContentType).map(([{ kind, body }, type]) => ({
        kind,
        body,
        headers: { 'content-type': type },
        expectation: { statuses: [415], message: /Content-Type/ },
      })),
      fc.tuple(anyValid, badIdempotencyKey(true)).map(([{ kind, body }, key]) => ({
        kind,
        body,
        headers: { ...JSON_HEADERS, 'idempotency-key': key },
        expectation: { statuses: [400], issueAt: 'Idempotency-Key' },
      })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ kind, body, headers, expectation }) => {
        await expectRefused(call('POST', COLLECTIONS[kind], { body: JSON.stringify(body), headers }), expectation);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses wrong methods, path tricks, unknown ids and bad list queries', async () => {
    const junk = fc
      .oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.integer({ min: 200, max: 5000 }).map((n) => 'a'.repeat(n)),
      )
      .filter((s) => !['onboardings', 'offboardings', 'changes', 'executions'].includes(s));
    const collection = fc.constantFrom(...Object.values(COLLECTIONS));
    const cases: fc.Arbitrary<{ method: string; path: string; body?: string; expectation: Expectation }> = fc.oneof(
      fc
        .tuple(fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'), collection, anyValid)
        .map(([method, path, { body }]) => ({
          method,
          path,
          body: JSON.stringify(body),
          expectation: { statuses: [405], message: /not allowed/ },
        })),
      fc.tuple(fc.constantFrom('POST', 'PUT', 'PATCH'), fc.constantFrom(...KINDS)).chain(([method, kind]) =>
        recordId(kind).map((id) => ({
          method,
          path: `${COLLECTIONS[kind]}/${id}`,
          body: '{}',
          expectation: { statuses: [405], message: /not allowed/ },
        })),
      ),
      fc.tuple(fc.constantFrom('GET', 'DELETE'), collection, junk).map(([method, path, id]) => ({
        method,
        path: `${path}/${encodeURIComponent(id)}`,
        expectation: { statuses: [404, 405] },
      })),
      fc
        .tuple(fc.constantFrom(...KINDS), fc.constantFrom(...KINDS))
        .filter(([a, b]) => a !== b)
        .chain(([a, b]) =>
          recordId(b).map((id) => ({
            method: 'GET',
            path: `${COLLECTIONS[a]}/${id}`,
            expectation: { statuses: [404], message: /^No / },
          })),
        ),
      fc
        .tuple(
          collection,
          fc.constantFrom('%2F..', '%2e%2e%2Fchanges', '..%2F..%2Fexecutions', '%00', 'x/y', 'x/../../y'),
        )
        .map(([path, trick]) => ({ method: 'GET', path: `${path}/${trick}`, expectation: { statuses: [404, 405] } })),
      fc.tuple(junk, fc.constantFrom('GET', 'POST')).map(([segment, method]) => ({
        method,
        path: `/${encodeURIComponent(segment)}`,
        body: method === 'POST' ? '{}' : undefined,
        expectation: { statuses: [404, 405] },
      })),
      badListQuery.map(({ params, issueAt }) => ({
        method: 'GET',
        path: `/onboardings?${new URLSearchParams(params).toString()}`,
        expectation: { statuses: [400], message: /query/, issueAt },
      })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ method, path, body, expectation }) => {
        const headers = body !== undefined ? JSON_HEADERS : undefined;
        await expectRefused(
          call(method, path, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) }),
          expectation,
        );
      }),
      { numRuns: 150 },
    );
  });
});

// --- What fetch cannot send -------------------------------------------------------------------------------------------

describe('raw requests', () => {
  it('answers 413 to a body over 1 MB streamed without a length, and to a declared length over 1 MB', async () => {
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const chunks: Buffer[] = [
      request('POST', '/onboardings', ['Content-Type: application/json', 'Transfer-Encoding: chunked']),
    ];
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length)
      chunks.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    chunks.push(Buffer.from('0\r\n\r\n'));
    await expectRawRefused(await rawExchange(chunks), { statuses: [413], message: /1048576 bytes/ });

    await expectRawRefused(
      await rawExchange([
        request(
          'POST',
          '/offboardings',
          ['Content-Type: application/json', `Content-Length: ${MAX_BODY_BYTES + 1}`],
          '{}',
        ),
      ]),
      { statuses: [413], message: /1048576 bytes/ },
    );
  });

  it('refuses bad Content-Length headers (never a 5xx, nothing recorded)', async () => {
    const body = JSON.stringify({ customerId: FIXTURES.ownedActive });
    const headerSets = [
      ['Content-Length: abc'],
      ['Content-Length: -5'],
      ['Content-Length: 1.5'],
      [`Content-Length: ${body.length}`, 'Content-Length: 2'],
      [`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'],
      ['Content-Length: 5'], // shorter than the body: the rest is read as a second, broken request
      [`Content-Length: ${body.length + 50}`], // longer than the body, then the client half-closes
      ['Transfer-Encoding: chunked'], // then a body that is not chunked
    ];
    for (const headers of headerSets) {
      const bytes = request('POST', '/offboardings', ['Content-Type: application/json', ...headers], body);
      await expectRawRefused(await rawExchangeThenEnd(bytes), { statuses: [400] });
    }
  });

  it('refuses a repeated Idempotency-Key, each line valid on its own', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyValid,
        fc.array(fc.stringMatching(/^[\x21-\x7e]{1,20}$/), { minLength: 2, maxLength: 3 }),
        async ({ kind, body }, keys) => {
          const text = JSON.stringify(body);
          const bytes = request(
            'POST',
            COLLECTIONS[kind],
            [
              'Content-Type: application/json',
              `Content-Length: ${Buffer.byteLength(text)}`,
              ...keys.map((k) => `Idempotency-Key: ${k}`),
            ],
            text,
          );
          await expectRawRefused(await rawExchange([bytes]), { statuses: [400], issueAt: 'Idempotency-Key' });
        },
      ),
      { numRuns: 30 },
    );
  });

  it('refuses bodies whose bytes are not UTF-8, naming the field they landed in', async () => {
    const invalid = fc.constantFrom(
      Buffer.from([0xff]),
      Buffer.from([0xe9]),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
      Buffer.from([0x80]),
    );
    const MARK = 'marker-for-invalid-bytes';
    const cases = anyValid.chain(({ kind, body }) => {
      const strings = pathsOf(body).filter((p) => p.length > 0 && typeof at(body, p) === 'string');
      return fc.tuple(fc.constantFrom(...strings), invalid).map(([path, bytes]) => {
        const [before, after] = JSON.stringify(replaced(body, path, `${String(at(body, path))}${MARK}` as Json)).split(
          MARK,
        ) as [string, string];
        return {
          kind,
          issueAt: path.join('.'),
          bytes: Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]),
        };
      });
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ kind, issueAt, bytes: body }) => {
        const bytes = request(
          'POST',
          COLLECTIONS[kind],
          ['Content-Type: application/json', `Content-Length: ${body.length}`],
          body,
        );
        await expectRawRefused(await rawExchange([bytes]), { statuses: [400], issueAt });
      }),
      { numRuns: 60 },
    );

    // Bytes that are not UTF-8 outside any string: not JSON at all.
    const latin1 = Buffer.from('{"customerId":"1"}\xff', 'latin1');
    await expectRawRefused(
      await rawExchange([
        request(
          'POST',
          '/offboardings',
          ['Content-Type: application/json', `Content-Length: ${latin1.length}`],
          latin1,
        ),
      ]),
      { statuses: [400], issueAt: '' },
    );
    const utf16 = Buffer.from(`\ufeff${JSON.stringify({ customerId: FIXTURES.ownedActive })}`, 'utf16le');
    await expectRawRefused(
      await rawExchange([
        request('POST', '/offboardings', ['Content-Type: application/json', `Content-Length: ${utf16.length}`], utf16),
      ]),
      { statuses: [400], issueAt: '' },
    );
  });

  it('refuses request lines fetch would normalize or never send: dot segments, encoded dots, unknown or lowercase methods', async () => {
    const cases: [string, string][] = [
      ['GET', '/onboardings/../changes'],
      ['GET', '/onboardings/./../offboardings/x'],
      ['POST', '/onboardings/%2e%2e/changes'],
      ['DELETE', '/offboardings/..%2F..%2Fonboardings'],
      ['GET', '/onboardings/onb-0123456789abcdef/../../executions/x'],
      ['GET', `/onboardings/${'%41'.repeat(3000)}`],
      ['get', '/onboardings'],
      ['FOO', '/onboardings'],
      ['GET', '/onboardings?status=WAITING&status=WAITING'],
    ];
    for (const [method, path] of cases) {
      const body = method === 'POST' ? JSON.stringify({ customerId: FIXTURES.ownedActive }) : '';
      const bytes = request(
        method,
        path,
        body ? ['Content-Type: application/json', `Content-Length: ${body.length}`] : [],
        body,
      );
      await expectRawRefused(await rawExchange([bytes]), { statuses: [400, 404, 405] });
    }
  });
});

/** Sends the bytes, then half-closes: the server has all it will ever get. */
function rawExchangeThenEnd(bytes: Buffer): Promise<Answer[]> {
  return new Promise((resolve) => {
    const socket = connect(local.stack.ports.api, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parseAnswers(Buffer.concat(received))));
    socket.on('connect', () => socket.end(bytes));
    setTimeout(() => socket.destroy(), 5_000);
  });
}

// --- The same path accepts a valid request ---------------------------------------------------------------------------

describe('after all of it', () => {
  it('no status lists anything (terminal records are listed only by status)', async () => {
    for (const status of STATUSES) {
      const byStatus = await call('GET', `/onboardings?status=${status}`);
      expect(byStatus.status).toBe(200);
      expect((byStatus.body as { items: unknown[] }).items).toEqual([]);
    }
    await expectNothingRecorded();
  });

  it('a valid request on the same path is accepted with 202, and the listings show it (so the checks could see one)', async () => {
    const accepted = await call('POST', '/onboardings', {
      body: JSON.stringify({
        customerId: FIXTURES.unmanaged,
        managementType: 'JointlyManaged',
        accessType: 'FullAccess',
        services: [{ service: 'KnoxMobileEnrollment' }],
      }),
      headers: JSON_HEADERS,
    });
    expect(accepted.status).toBe(202);
    const id = (accepted.body as { onboardingId: string }).onboardingId;

    // The open list runs one index query per open status: a record moving between them meanwhile can miss one
    // listing, so ask until it shows (the run is fast: REQUESTED, IN_PROGRESS, WAITING within milliseconds).
    const listedIds = async () =>
      ((await call('GET', '/onboardings')).body as { items: { onboardingId: string }[] }).items.map(
        (i) => i.onboardingId,
      );
    const ids = await eventually(
      async () => {
        const listed = await listedIds();
        return listed.length > 0 ? listed : undefined;
      },
      { what: 'the onboarding in the open list' },
    );
    expect(ids).toEqual([id]);
    const executions = await call('GET', '/executions');
    expect(
      (executions.body as { executions: { recordId?: string }[] }).executions.map((e) => e.recordId),
      executions.text,
    ).toEqual([id]);
  });
});
