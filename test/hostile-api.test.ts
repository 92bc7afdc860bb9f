/**
 * Hostile input against the API handler (lambdas/api.ts), property-based with fast-check: malformed JSON, wrong types,
 * missing and extra fields at any depth, huge strings and bodies, control characters and NUL bytes, path and query
 * tricks, wrong content types and methods, bad Idempotency-Key headers.
 *
 * The property for every hostile request: a 4xx whose JSON body has a short `message` saying what is wrong (and, for a
 * body that fails validation, `issues` that point at the broken field); never a 5xx; nothing written to the table (a
 * real in-memory dynalite, scanned after every case) and no StartExecution (Step Functions is mocked).
 * The counter-property: generated valid bodies of every form are accepted with 202, so the validator does not simply
 * refuse everything.
 */
import 'aws-sdk-client-mock-vitest/extend';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordKind } from '#domain/api-schemas';
import { ID_PREFIX } from '#domain/table-layout';
import { handler } from '#lambdas/api';
import { MAX_BODY_BYTES } from '#lambdas/commons/http';
import { useApiHarness } from './support/api-harness';
import {
  BROKEN_BODIES,
  COLLECTIONS,
  KINDS,
  anyValid,
  badIdempotencyKey,
  badListQuery,
  covers,
  hugeStringBodies,
  nextSerial,
  nonJsonContentType,
  optional,
  recordId,
  type BrokenBody,
} from './support/hostile-support';

/** API Gateway's limit on a Lambda proxy answer: a bigger one would reach the caller as a 502. */
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;

const harness = useApiHarness();
const { sfn } = harness;

// --- Requests -------------------------------------------------------------------------------------------------------

interface Request {
  method: string;
  path: string;
  /** The raw body text (already JSON or deliberately not). */
  body?: string | null;
  base64?: boolean;
  /** Raw body bytes, sent base64-encoded (for bytes that are not UTF-8). */
  bytes?: Buffer;
  /** Single-value headers; a repeated header goes in `multiHeaders` too, as API Gateway does it. */
  headers?: Record<string, string>;
  multiHeaders?: Record<string, string[]>;
  query?: Record<string, string>;
  multiQuery?: Record<string, string[]>;
}

/** The API Gateway REST proxy event for a request (single-value maps hold the last value, as API Gateway's do). */
function eventOf(request: Request): APIGatewayProxyEvent {
  const body = request.body ?? null;
  const base64 = Boolean((request.base64 && body !== null) || request.bytes);
  const encoded = request.bytes
    ? request.bytes.toString('base64')
    : body !== null && base64
      ? Buffer.from(body, 'utf8').toString('base64')
      : body;
  const multiQuery =
    request.multiQuery ??
    (request.query ? Object.fromEntries(Object.entries(request.query).map(([k, v]) => [k, [v]])) : undefined);
  const query =
    request.query ??
    (multiQuery ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v.at(-1)!])) : undefined);
  const headers = request.headers ?? {};
  return {
    httpMethod: request.method,
    path: request.path,
    resource: request.path,
    body: encoded,
    isBase64Encoded: base64,
    headers,
    multiValueHeaders: request.multiHeaders ?? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query ?? null,
    multiValueQueryStringParameters: multiQuery ?? null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  size: number;
}

async function send(request: Request): Promise<Answer> {
  const result = await handler(eventOf(request), { awsRequestId: 'hostile' });
  expect(result.headers?.['content-type']).toMatch(/^application\/json/);
  const body: unknown = JSON.parse(result.body);
  expect(body).toBeTypeOf('object');
  return { status: result.statusCode, body: body as Record<string, unknown>, size: Buffer.byteLength(result.body) };
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const post = (kind: RecordKind, body: string, headers: Record<string, string> = JSON_HEADERS): Request => ({
  method: 'POST',
  path: COLLECTIONS[kind],
  body,
  headers,
});

// --- What a refusal must look like ------------------------------------------------------------------------------------

interface Expectation {
  /** The statuses this request may answer (all 4xx). */
  statuses: number[];
  /** The message must match this (it says what is wrong). */
  message?: RegExp;
  /** A body validation failure: `issues` must name this dotted path (or one of its ancestors). */
  issueAt?: string;
}

function issuesOf(body: Record<string, unknown>): { path: string; message: string }[] {
  const issues = body.issues;
  expect(Array.isArray(issues)).toBe(true);
  const list = issues as { path: unknown; message: unknown }[];
  expect(list.length).toBeGreaterThan(0);
  for (const issue of list) {
    expect(typeof issue.path).toBe('string');
    expect(typeof issue.message).toBe('string');
    expect((issue.message as string).length).toBeGreaterThan(0);
  }
  return list as { path: string; message: string }[];
}

/** The property of every hostile request: a refusal that says why, and nothing recorded or started. */
async function expectRefused(request: Request, expectation: Expectation): Promise<void> {
  const answer = await send(request);
  expect(answer.status, JSON.stringify(answer.body).slice(0, 500)).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(expectation.statuses).toContain(answer.status);
  expect(answer.size).toBeLessThan(LAMBDA_RESPONSE_LIMIT);

  const message = answer.body.message;
  expect(typeof message).toBe('string');
  expect((message as string).length).toBeGreaterThan(0);
  // A refusal names the problem; it does not echo a huge input back in its headline.
  expect((message as string).length).toBeLessThanOrEqual(500);
  if (expectation.message) expect(message).toMatch(expectation.message);
  if (expectation.issueAt !== undefined) {
    const issues = issuesOf(answer.body);
    const at = expectation.issueAt;
    expect(
      issues.some((i) => covers(i.path, at)),
      `no issue at ${at}: ${JSON.stringify(issues).slice(0, 500)}`,
    ).toBe(true);
  }

  expect(await harness.dynamo.items(harness.table)).toEqual([]);
  expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
}

/** A broken body must be refused with 400 and an issue at the broken field (and a message matching `message`). */
async function expectInvalidBody({ kind, text, issueAt }: BrokenBody, base64 = false, message?: RegExp): Promise<void> {
  await expectRefused({ ...post(kind, text), base64 }, { statuses: [400], issueAt, message });
}

/** The property of each kind of broken body: its title, how many runs, whether bodies go base64 too. */
const BROKEN_BODY_PROPERTIES: Record<
  keyof typeof BROKEN_BODIES,
  { title: string; numRuns: number; base64?: true; message?: RegExp }
> = {
  brokenJson: {
    title: 'refuses bodies that are not JSON (truncated, garbage, trailing junk, JavaScript) with 400',
    numRuns: 400,
    base64: true,
    message: /JSON/,
  },
  notObjectJson: {
    title: 'refuses JSON that is not an object (null, numbers, strings, arrays) with 400 and issues',
    numRuns: 200,
  },
  wrongTypeBodies: {
    title: 'refuses a field of the wrong JSON type, at any depth, naming it',
    numRuns: 500,
    base64: true,
  },
  missingFieldBodies: { title: 'refuses a body that lacks a required field, at any depth, naming it', numRuns: 300 },
  extraFieldBodies: {
    title: 'refuses an unknown field at any depth (the body, customer, contact, a service), naming where',
    numRuns: 400,
  },
  ambiguousOnboardings: {
    title: 'refuses an onboarding with both customerId and customer, or with empty services',
    numRuns: 100,
  },
  unfitTextBodies: {
    title: 'refuses control characters, NUL bytes, lone surrogates and U+FFFD in any text field, naming the field',
    numRuns: 400,
    base64: true,
  },
  lookalikeBodies: {
    title:
      'refuses look-alike unicode in ids, codes and vocabularies (digits of other scripts, homoglyphs, width forms)',
    numRuns: 200,
  },
};

describe('bodies broken in one place', () => {
  const cases = Object.entries(BROKEN_BODY_PROPERTIES).map(
    ([name, p]) => [p.title, { ...p, bodies: name as keyof typeof BROKEN_BODIES }] as const,
  );
  it.each(cases)('%s', async (_title, { bodies, numRuns, base64, message }) => {
    const asBase64 = base64 ? fc.boolean() : fc.constant(false);
    await fc.assert(
      fc.asyncProperty(BROKEN_BODIES[bodies], asBase64, (broken, b64) => expectInvalidBody(broken, b64, message)),
      { numRuns },
    );
  });
});

describe('sizes and bytes', () => {
  it('refuses a huge string in any field (100 kB to 1 MB) with 400 naming it, or 413 once the body passes 1 MB', async () => {
    await fc.assert(
      fc.asyncProperty(hugeStringBodies(100_000, MAX_BODY_BYTES + 1000), async (broken) => {
        const over = Buffer.byteLength(broken.text) > MAX_BODY_BYTES;
        if (over) await expectRefused(post(broken.kind, broken.text), { statuses: [413], message: /larger/ });
        else await expectInvalidBody(broken);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses any body over 1 MB with 413, as text or base64, whatever it holds', async () => {
    const padded = fc
      .tuple(anyValid, fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('x', ' ', '\n', 'ü'))
      .map(([{ kind, body }, extra, char]) => {
        const text = JSON.stringify(body);
        // Whitespace after valid JSON still parses: only the size refuses it.
        const pad = char.repeat(
          Math.ceil((MAX_BODY_BYTES - Buffer.byteLength(text) + extra) / Buffer.byteLength(char)),
        );
        return { kind, text: char === 'x' ? JSON.stringify({ ...body, pad }) : text + pad };
      });
    await fc.assert(
      fc.asyncProperty(padded, fc.boolean(), async ({ kind, text }, base64) => {
        await expectRefused({ ...post(kind, text), base64 }, { statuses: [413], message: /larger than/ });
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a base64 body whose bytes are not UTF-8', async () => {
    const invalidUtf8 = [
      Buffer.from([0xff]),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0xe9]),
      Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
    ];
    await fc.assert(
      fc.asyncProperty(anyValid, fc.constantFrom(...invalidUtf8), fc.nat(), async ({ kind, body }, bytes, n) => {
        const text = Buffer.from(JSON.stringify(body), 'utf8');
        // Inside the first string value, where a lenient decoder would quietly put U+FFFD.
        const i = text.indexOf('":"') + 3 + (n % 3);
        const raw = Buffer.concat([text.subarray(0, i), bytes, text.subarray(i)]);
        await expectRefused({ ...post(kind, ''), bytes: raw }, { statuses: [400], message: /not valid/ });
      }),
      { numRuns: 100 },
    );
  });
});

describe('headers', () => {
  it('refuses a content type that is not JSON with 415, before reading the body', async () => {
    const contentType = fc.oneof(
      nonJsonContentType,
      fc.constantFrom('', ' ', 'application/json\u0000'),
      fc.string({ maxLength: 40 }).filter((s) => !/json/i.test(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        anyValid,
        contentType,
        fc.constantFrom('Content-Type', 'content-type', 'CONTENT-TYPE'),
        async ({ kind, body }, type, name) => {
          await expectRefused(post(kind, JSON.stringify(body), { [name]: type }), {
            statuses: [415],
            message: /Content-Type: application\/json/,
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a bad Idempotency-Key beside a valid body with 400 naming the header', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyValid,
        badIdempotencyKey(),
        fc.constantFrom('Idempotency-Key', 'idempotency-key'),
        async ({ kind, body }, key, name) => {
          await expectRefused(post(kind, JSON.stringify(body), { ...JSON_HEADERS, [name]: key }), {
            statuses: [400],
            issueAt: 'Idempotency-Key',
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a repeated Idempotency-Key (which one would count?)', async () => {
    const keys = fc.array(fc.stringMatching(/^[\x21-\x7e]{1,20}$/), { minLength: 2, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(anyValid, keys, async ({ kind, body }, values) => {
        const request: Request = {
          ...post(kind, JSON.stringify(body)),
          headers: { ...JSON_HEADERS, 'Idempotency-Key': values.at(-1)! },
          multiHeaders: { 'Content-Type': ['application/json'], 'Idempotency-Key': values },
        };
        await expectRefused(request, { statuses: [400], issueAt: 'Idempotency-Key' });
      }),
      { numRuns: 50 },
    );
  });
});

describe('methods, paths and queries', () => {
  const collectionName = fc.constantFrom('onboardings', 'offboardings', 'changes');
  /** Percent-encoded where it can be (a lone surrogate cannot), with its slashes encoded either way. */
  const encoded = (text: string) => {
    try {
      return encodeURIComponent(text);
    } catch {
      return text.replaceAll('/', '%2F');
    }
  };

  it('refuses methods a route does not have with 405', async () => {
    const notAllowed: Record<string, string[]> = {
      '/onboardings': ['PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'FOO', 'PROPFIND'],
      '/offboardings': ['GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      '/changes': ['GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      '/onboardings/{id}': ['POST', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'],
      '/offboardings/{id}': ['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'],
      '/changes/{id}': ['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'],
    };
    const cases = fc
      .constantFrom(...Object.keys(notAllowed))
      .chain((route) =>
        fc.tuple(fc.constant(route), fc.constantFrom(...notAllowed[route]!), anyValid, recordId('onboarding')),
      );
    await fc.assert(
      fc.asyncProperty(cases, async ([route, method, { body }, id]) => {
        const path = route.replace('{id}', id);
        await expectRefused(
          { method, path, body: JSON.stringify(body), headers: JSON_HEADERS },
          { statuses: [405], message: /not allowed/ },
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuses path tricks: dot segments, encoded slashes, long ids, unicode ids, ids of another kind', async () => {
    const junkId = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1000, max: 100_000 }).map((n) => 'a'.repeat(n)),
      fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        'onb-0123456789abcdef/..',
        'onb-0123456789ABCDEF',
        'onb-0123456789abcdeg',
        'onb-0123456789abcde',
        'onb-0123456789abcdef0',
        'ONB-0123456789abcdef',
        'onb_0123456789abcdef',
        ' onb-0123456789abcdef',
        'onb-０１２３４５６７８９abcdef',
        'onb-0123456789abcdef\u0000',
      ),
    );
    const itemPath = fc
      .tuple(collectionName, junkId, fc.boolean())
      .map(([c, id, encode]) => `/${c}/${encode ? encoded(id) : id.replaceAll('/', '%2F')}`);
    const crossKind = fc
      .tuple(fc.constantFrom(...KINDS), fc.constantFrom(...KINDS))
      .filter(([a, b]) => a !== b)
      .chain(([a, b]) => recordId(b).map((id) => `${COLLECTIONS[a]}/${id}`));
    const unknown = fc.oneof(
      fc.tuple(collectionName, collectionName).map(([a, b]) => `/${a}/../${b}`),
      fc.tuple(collectionName, collectionName).map(([a, b]) => `/${a}/%2e%2e/${b}`),
      fc.tuple(collectionName, recordId('onboarding')).map(([c, id]) => `/${c}%2F${id}`),
      fc.tuple(collectionName, recordId('onboarding')).map(([c, id]) => `/${c}/${id}/x`),
      collectionName.map((c) => `/${c.toUpperCase()}`),
      collectionName.map((c) => `/${c};x=1`),
      collectionName.map((c) => `/${c}.json`),
      collectionName.map((c) => `/api/${c}`),
      fc
        .string({ unit: 'grapheme', maxLength: 80 })
        .map((s) => `/${encoded(s)}`)
        .filter((p) => !/^\/(onboardings|offboardings|changes)$/.test(p)),
      fc.integer({ min: 1000, max: 100_000 }).map((n) => `/${'x/'.repeat(n)}`),
    );
    const cases = fc.oneof(
      fc.tuple(fc.constantFrom('GET', 'DELETE'), fc.oneof(itemPath, crossKind)),
      fc.tuple(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), unknown),
    );
    await fc.assert(
      fc.asyncProperty(cases, anyValid, async ([method, path], { body }) => {
        await expectRefused(
          {
            method,
            path,
            body: method === 'POST' || method === 'PUT' ? JSON.stringify(body) : null,
            headers: JSON_HEADERS,
          },
          { statuses: [404, 405], message: /^No |not allowed/ },
        );
      }),
      { numRuns: 400 },
    );
  });

  it('refuses query and header names that are Object.prototype names like any other unknown name', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const multiQuery: Record<string, string[]> = Object.create(null);
      multiQuery[name] = ['x'];
      await expectRefused({ method: 'GET', path: '/onboardings', multiQuery }, { statuses: [400], message: /query/ });
    }
  });

  it('refuses query tricks on GET /onboardings: unknown, repeated, non-status words, bad limits and cursors', async () => {
    await fc.assert(
      fc.asyncProperty(badListQuery, async ({ params, issueAt }) => {
        const multiQuery: Record<string, string[]> = Object.create(null);
        for (const [name, value] of params) multiQuery[name] = [...(multiQuery[name] ?? []), value];
        await expectRefused(
          { method: 'GET', path: '/onboardings', multiQuery },
          { statuses: [400], message: /query/, issueAt },
        );
      }),
      { numRuns: 400 },
    );
  });

  it('answers GET and DELETE of ids that do not exist with 404, and writes nothing', async () => {
    const cases = fc
      .tuple(fc.constantFrom(...KINDS), fc.constantFrom('GET', 'DELETE'))
      .chain(([kind, method]) => recordId(kind).map((id) => ({ kind, method, id })));
    await fc.assert(
      fc.asyncProperty(cases, async ({ kind, method, id }) => {
        const allowed = method === 'GET' || kind === 'onboarding';
        await expectRefused(
          { method, path: `${COLLECTIONS[kind]}/${id}` },
          allowed ? { statuses: [404], message: new RegExp(`^No ${kind} ${id}$`) } : { statuses: [405] },
        );
      }),
      { numRuns: 100 },
    );
  });
});

// --- Valid bodies are accepted ---------------------------------------------------------------------------------------

describe('valid bodies', () => {
  it('accepts generated valid bodies of every form with 202, one record and one execution each', async () => {
    const contentType = fc.constantFrom<Record<string, string>>(
      JSON_HEADERS,
      { 'content-type': 'application/json; charset=utf-8' },
      { 'CONTENT-TYPE': 'APPLICATION/JSON' },
    );
    const idempotencyKey = optional(
      fc.stringMatching(/^[A-Za-z0-9._:~+/=-]{1,100}$/).map((k) => `${nextSerial()}${k}`),
    );
    let started = 0;
    await fc.assert(
      fc.asyncProperty(
        anyValid,
        contentType,
        idempotencyKey,
        fc.boolean(),
        async ({ kind, body }, headers, key, base64) => {
          const request: Request = {
            ...post(kind, JSON.stringify(body), {
              ...headers,
              ...(key !== undefined ? { 'Idempotency-Key': key } : {}),
            }),
            base64,
          };
          const answer = await send(request);
          expect(answer.status, JSON.stringify(answer.body)).toBe(202);
          const id = answer.body[`${kind}Id`];
          expect(id).toMatch(new RegExp(`^${ID_PREFIX[kind]}-[0-9a-f]{16}$`));
          expect(answer.body.status).toBe('REQUESTED');
          started += 1;
          expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, started);
        },
      ),
      { numRuns: 300 },
    );

    const records = (await harness.dynamo.items(harness.table)).filter((i) => /^(onb|off|chg)-/.test(String(i.pk)));
    expect(records).toHaveLength(started);
  });
});
