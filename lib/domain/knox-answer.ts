/**
 * Turns any HTTP answer from Knox into either validated data or a typed KnoxError.
 *
 * Nothing Knox (or a proxy in front of it) can send makes this throw anything but a KnoxError:
 * unknown codes, HTML pages, empty bodies and bodies of the wrong shape all become errors with a disposition.
 */
import type * as z from 'zod';
import type { Disposition } from './dispositions';
import { specFor, specForErrorCode, type KnoxErrorCodeName } from './knox-errors';
import { knoxErrorBodySchema } from './knox-schemas';
import { definedFields } from './defined-fields';

export interface KnoxErrorFields {
  /** Knox's `code` name as Knox sent it (or ours for transport failures and odd bodies). */
  code: string;
  errorCode: string;
  httpStatus: number;
  transactionalId?: string;
  disposition: Disposition;
  /** Seconds from a `Retry-After` header, when Knox sent a usable one. */
  retryAfterSeconds?: number;
  message: string;
}

export class KnoxError extends Error implements KnoxErrorFields {
  override readonly name = 'KnoxError';
  readonly code: string;
  readonly errorCode: string;
  readonly httpStatus: number;
  readonly transactionalId?: string;
  readonly disposition: Disposition;
  readonly retryAfterSeconds?: number;

  constructor(fields: KnoxErrorFields) {
    super(fields.message);
    this.code = fields.code;
    this.errorCode = fields.errorCode;
    this.httpStatus = fields.httpStatus;
    this.disposition = fields.disposition;
    if (fields.transactionalId !== undefined) this.transactionalId = fields.transactionalId;
    if (fields.retryAfterSeconds !== undefined) this.retryAfterSeconds = fields.retryAfterSeconds;
  }

  /** A KnoxError for one of the table's rows, e.g. `KnoxError.of('REQUEST_TIMEOUT')`. */
  static of(code: KnoxErrorCodeName, overrides: Partial<KnoxErrorFields> = {}): KnoxError {
    const spec = specFor(code);
    return new KnoxError({
      code: spec.code,
      errorCode: spec.errorCode,
      httpStatus: spec.httpStatus,
      disposition: spec.disposition,
      message: spec.message,
      ...overrides,
    });
  }

  /** The plain fields, for records, logs and API answers. */
  toJSON(): KnoxErrorFields {
    return {
      code: this.code,
      errorCode: this.errorCode,
      httpStatus: this.httpStatus,
      disposition: this.disposition,
      message: this.message,
      ...definedFields(this as KnoxError, ['transactionalId', 'retryAfterSeconds']),
    };
  }
}

export interface KnoxHttpAnswer {
  status: number;
  /** Header lookup; names are case-insensitive (a `Headers` object fits). */
  headers: { get(name: string): string | null };
  bodyText: string;
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date); undefined when absent or not a usable value. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed), 86_400);
  // Otherwise only an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone accepts junk like "-5".
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** JSON.parse that answers undefined for text that is not JSON (an HTML page, an empty body). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The KnoxError for a failed answer (status outside 2xx). */
export function errorFromAnswer(answer: KnoxHttpAnswer): KnoxError {
  const retryAfterSeconds = parseRetryAfter(answer.headers.get('retry-after'));
  const withRetryAfter = retryAfterSeconds !== undefined ? { retryAfterSeconds } : {};
  const parsed = knoxErrorBodySchema.safeParse(parseJson(answer.bodyText));

  if (!parsed.success) {
    // Not Knox's error object: an HTML page from a proxy, an empty 502, a truncated body. Server-side trouble.
    return KnoxError.of('UNEXPECTED_RESPONSE', {
      httpStatus: answer.status,
      errorCode: String(answer.status),
      message: `Knox answered HTTP ${answer.status} with a body that is not its error object`,
      ...withRetryAfter,
    });
  }

  const body = parsed.data;
  const spec = specForErrorCode(body.errorCode);
  const common = {
    code: body.code,
    errorCode: body.errorCode,
    httpStatus: answer.status,
    message: body.errorMessage ?? spec?.message ?? body.code,
    ...(body.transactionalId !== undefined ? { transactionalId: body.transactionalId } : {}),
    ...withRetryAfter,
  };
  if (spec) return new KnoxError({ ...common, disposition: spec.disposition });
  // A code we do not know: a 429 or any 5xx is still transient; anything else needs a person.
  if (answer.status === 429 || answer.status >= 500) return new KnoxError({ ...common, disposition: 'retry' });
  return new KnoxError({ ...common, disposition: specFor('UNKNOWN_CODE').disposition });
}

/**
 * Validates a Knox answer: the parsed body for a 2xx that fits `schema`, else throws the KnoxError it stands for.
 */
export function parseKnoxAnswer<S extends z.ZodType>(answer: KnoxHttpAnswer, schema: S): z.infer<S> {
  if (answer.status < 200 || answer.status > 299) throw errorFromAnswer(answer);
  const parsed = schema.safeParse(parseJson(answer.bodyText));
  if (!parsed.success) {
    // A 200 that lies: we cannot know what Knox did, so ask again (a repeated link then meets 4002104).
    throw KnoxError.of('UNEXPECTED_RESPONSE', {
      httpStatus: answer.status,
      errorCode: String(answer.status),
      message: `Knox answered HTTP ${answer.status} with a body that does not fit the expected schema`,
    });
  }
  return parsed.data;
}
