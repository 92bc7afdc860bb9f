/**
 * What the simulator sends back, before it is written to the socket: status, headers, body text, and whether the
 * request changed Knox state (for the request log's `accepted`). Knox error objects come from THE table
 * (lib/domain/knox-errors.ts) and nowhere else.
 */
import { randomUUID } from 'node:crypto';
import { specFor, type KnoxErrorCodeName } from '#domain/knox-errors';

export interface SimAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The request changed Knox state. */
  accepted: boolean;
  /** Knox's errorCode, when the body is an error object. */
  errorCode?: string;
}

export function jsonAnswer(status: number, value: unknown, accepted = false): SimAnswer {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value), accepted };
}

function errorObject(code: string, errorCode: string, errorMessage: string) {
  return { transactionalId: randomUUID(), code, errorCode, errorMessage };
}

/** Knox's error object for one row of the table, with the row's HTTP status and message. */
export function knoxError(code: KnoxErrorCodeName, headers: Record<string, string> = {}): SimAnswer {
  const spec = specFor(code);
  const answer = jsonAnswer(spec.httpStatus, errorObject(spec.code, spec.errorCode, spec.message));
  return { ...answer, headers: { ...answer.headers, ...headers }, errorCode: spec.errorCode };
}

/**
 * Answers that are the simulator's own, where Knox's exact answer is unknown: a body it cannot read, a path it does
 * not serve. They are error objects whose codes are not in the table, so a client treats them as an unknown code
 * (a person must look), which is what they are: a bug on our side.
 */
export const SIM_ONLY_ERRORS = {
  badRequest: { code: 'BAD_REQUEST', errorCode: '4000000', httpStatus: 400 },
  notFound: { code: 'NOT_FOUND', errorCode: '4040000', httpStatus: 404 },
} as const;

export function simOnlyError(kind: keyof typeof SIM_ONLY_ERRORS, message: string): SimAnswer {
  const e = SIM_ONLY_ERRORS[kind];
  return { ...jsonAnswer(e.httpStatus, errorObject(e.code, e.errorCode, message)), errorCode: e.errorCode };
}

/** OAuth 2.0 error form of the token endpoint. */
export function oauthError(status: number, error: string, description: string): SimAnswer {
  return jsonAnswer(status, { error, error_description: description });
}
