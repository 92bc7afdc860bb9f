/**
 * API Gateway (REST, Lambda proxy) helpers: JSON answers, case-insensitive headers, and the checks every POST body
 * goes through before validation (size, content type, JSON). Every answer is JSON, and bad input is always a 4xx.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { validationFailure, type ValidationFailure } from '#domain/api-schemas';
import { MAX_BODY_BYTES } from '#domain/routes';
import { boundedIssues, nameOf } from './body-bounds';
import { scanJsonShape } from './json-scan';

export { MAX_BODY_BYTES };

export interface RouteInput {
  event: APIGatewayProxyEvent;
  headers: Map<string, string>;
  /** The `{id}` path segment, for item routes. */
  id?: string;
}
/** One route's handler (the router is lambdas/api.ts). */
export type RouteHandler = (input: RouteInput) => Promise<APIGatewayProxyResult>;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** An answer decided deep in a request's handling: thrown, then turned into JSON by the router. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly body: { message: string } & Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }

  toResult(): APIGatewayProxyResult {
    return json(this.statusCode, this.body, this.headers);
  }
}

/** A 400 listing the failure's issues: at most MAX_LISTED_ISSUES and a count of the rest, each cut to its bound. */
export function badRequest(failure: ValidationFailure): HttpError {
  return new HttpError(400, { message: failure.message, issues: boundedIssues(failure.issues) });
}

/** Header lookup by lower-case name: API Gateway keeps the client's spelling (`Idempotency-Key`, `idempotency-key`). */
export function headersOf(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values[0] !== undefined) headers.set(name.toLowerCase(), values[0]);
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name.toLowerCase(), value);
  }
  return headers;
}

/**
 * Every value a header was sent with, whatever the spelling of its name (API Gateway keeps repeated headers, and the
 * same name in two spellings, in `multiValueHeaders`).
 */
export function headerValues(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>,
  name: string,
): string[] {
  const wanted = name.toLowerCase();
  const values = Object.entries(event.multiValueHeaders ?? {})
    .filter(([key]) => key.toLowerCase() === wanted)
    .flatMap(([, list]) => list ?? []);
  if (values.length > 0) return values;
  return Object.entries(event.headers ?? {})
    .filter(([key, v]) => key.toLowerCase() === wanted && v !== undefined)
    .map(([, v]) => v!);
}

/** Issues for query parameters sent more than once: the single-value map would silently keep only the last one. */
export function repeatedParameterIssues(
  event: Pick<APIGatewayProxyEvent, 'multiValueQueryStringParameters'>,
): { path: string; message: string }[] {
  return Object.entries(event.multiValueQueryStringParameters ?? {})
    .filter(([, values]) => (values?.length ?? 0) > 1)
    .map(([name]) => ({ path: name.slice(0, 64), message: 'may be given only once' }));
}

/**
 * Characters no field of our bodies may hold: control characters (NUL included), unpaired surrogates, and U+FFFD,
 * which stands for bytes that were not UTF-8. They would travel to Knox and into the records as they are.
 */
const UNFIT_TEXT = /[\p{Cc}\p{Cs}\uFFFD]/u;
const UNFIT_TEXT_MESSAGE = 'holds a control character, an unpaired surrogate or U+FFFD (text that was not valid UTF-8)';
const MAX_TEXT_ISSUES = 20;

/** Issues for every string in a parsed body that holds unfit characters (walked without recursion: depth is the caller's). */
export function unfitTextIssues(body: unknown): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const stack: { value: unknown; path: string }[] = [{ value: body, path: '' }];
  while (stack.length > 0 && issues.length < MAX_TEXT_ISSUES) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (UNFIT_TEXT.test(value)) issues.push({ path, message: UNFIT_TEXT_MESSAGE });
    } else if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [key, member] of entries.reverse())
        stack.push({ value: member, path: path === '' ? key : `${path}.${key}` });
    }
  }
  return issues;
}

/** The raw body; 413 when it is larger than `maxBytes`. */
export function bodyBytes(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): Buffer {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) {
    throw new HttpError(413, { message: `The request body is larger than ${maxBytes} bytes` });
  }
  return bytes;
}

/**
 * A POST body's content type must say what it is (product.md, "Bad input stays cheap"): `application/json`, with at
 * most `; charset=utf-8`. A missing one is refused too: a browser page on another site can send a body without a
 * content type (or as text/plain) without a CORS preflight, so a body is read only when the caller said it is JSON.
 */
const JSON_CONTENT_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;
/** `text/csv`, with at most `; charset=utf-8` (the batch POST's other form). */
const CSV_CONTENT_TYPE = /^text\/csv[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && JSON_CONTENT_TYPE.test(value.trim());
}

export function isCsvContentType(value: string | undefined): boolean {
  return value !== undefined && CSV_CONTENT_TYPE.test(value.trim());
}

/** The 415 a POST gets when its content type is missing or not one the route reads. */
export function unsupportedMediaType(accepted: string): HttpError {
  return new HttpError(415, { message: `Send the request body as ${accepted}` });
}

/**
 * The JSON body of a POST: 415 when the content type is not `application/json` (checked first: nothing is read), 413
 * when too large, 400 when its text passes a shape bound (json-scan.ts: before anything is parsed; `arrays` names the
 * arrays the route reads more entries of) or does not parse.
 */
export function readJsonBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>,
  headers: Map<string, string>,
  maxBytes = MAX_BODY_BYTES,
  arrays: Record<string, number> = {},
): unknown {
  if (!isJsonContentType(headers.get('content-type')))
    throw unsupportedMediaType('JSON (Content-Type: application/json)');
  const text = bodyBytes(event, maxBytes).toString('utf8');
  const beyond = scanJsonShape(text, arrays);
  if (beyond !== undefined) throw badRequest({ message: 'The request body is not valid', issues: [beyond] });
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'not JSON';
    throw badRequest({ message: 'The request body is not valid JSON', issues: [{ path: '', message: reason }] });
  }
}

/**
 * Our 400 body for a zod failure, listing every issue. A failed union (link or create) is replaced by the issues of
 * the branch the body was meant for (the one whose top-level keys fit the body best), so the caller learns what to
 * fix instead of "send either this or that".
 */
export function describeFailure(error: z.ZodError, input: unknown, message?: string): ValidationFailure {
  const issues = error.issues.flatMap((issue) => expandUnion(issue, input, [])).map(boundedNames);
  return validationFailure(new z.ZodError(issues), message);
}

/** Unknown keys named by zod's message are cut to a bounded length, and at most a few of them listed. */
function boundedNames(issue: Issue): Issue {
  if (issue.code !== 'unrecognized_keys') return issue;
  const shown = issue.keys.slice(0, 5).map((k) => JSON.stringify(nameOf(k)));
  const more = issue.keys.length > shown.length ? ` and ${issue.keys.length - shown.length} more` : '';
  const message = `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${shown.join(', ')}${more}`;
  return { ...issue, keys: issue.keys.slice(0, 5), message };
}

type Issue = z.core.$ZodIssue;

function expandUnion(issue: Issue, input: unknown, prefix: PropertyKey[]): Issue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }];
  const target = valueAt(input, path);
  const scored = issue.errors.map((branch, index) => ({ branch, index, misfit: keyMisfits(branch, target) }));
  scored.sort((a, b) => a.misfit - b.misfit || a.branch.length - b.branch.length || a.index - b.index);
  const best = scored[0]!;
  const expanded = best.branch.flatMap((inner) =>
    expandUnion(inner, target, []).map((i) => ({ ...i, path: [...path, ...i.path] })),
  );
  // When the body fits no branch's keys, the union's own sentence says what the choice is.
  return best.misfit > 0 ? [{ ...issue, path, errors: [] } as Issue, ...expanded] : expanded;
}

/** How many of a branch's issues are about top-level keys the input lacks or has too many of. */
function keyMisfits(branch: Issue[], input: unknown): number {
  const present = input !== null && typeof input === 'object' ? new Set(Object.keys(input)) : new Set<string>();
  return branch.filter(
    (i) =>
      (i.code === 'unrecognized_keys' && i.path.length === 0) ||
      (i.path.length === 1 && typeof i.path[0] === 'string' && !present.has(i.path[0])),
  ).length;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
