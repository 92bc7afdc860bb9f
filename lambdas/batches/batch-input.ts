/**
 * Reading a batch body (`POST /onboarding-batches`): JSON `{"items": [...]}` or `text/csv`, validated with the batch
 * schema (each item is exactly a `POST /onboardings` body). All or nothing: every problem is listed, with its item path
 * (`items.17.customer.contact.email`) or its CSV line (`line 19: email`), at most MAX_LISTED_ISSUES of them and then a
 * count of the rest. The CLI's `--dry-run` runs the same functions.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ValidationFailure } from '#domain/api-schemas';
import { csvColumnOf, parseBatchCsv } from '#domain/batch-csv';
import { MAX_BATCH_ITEMS, MAX_LISTED_ISSUES, batchRequestSchema, type BatchRequest } from '#domain/batch-schemas';
import { MAX_BATCH_BODY_BYTES } from '#domain/routes';
import { shapeIssues } from '../commons/body-bounds';
import {
  badRequest,
  bodyBytes,
  describeFailure,
  isCsvContentType,
  isJsonContentType,
  readJsonBody,
  unfitTextIssues,
  unsupportedMediaType,
} from '../commons/http';

type Issue = ValidationFailure['issues'][number];
export type BatchValidation = { ok: true; batch: BatchRequest } | { ok: false; failure: ValidationFailure };

const MESSAGE = 'The batch is not valid: nothing was recorded';

/** At most MAX_LISTED_ISSUES problems, then one line that counts the rest. */
export function boundedFailure(issues: Issue[]): ValidationFailure {
  if (issues.length <= MAX_LISTED_ISSUES) return { message: MESSAGE, issues };
  const rest = issues.length - MAX_LISTED_ISSUES;
  return {
    message: MESSAGE,
    issues: [...issues.slice(0, MAX_LISTED_ISSUES), { path: '', message: `and ${rest} more problems` }],
  };
}

/** A JSON batch body, already parsed. */
export function validateBatchJson(body: unknown): BatchValidation {
  const items =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { items?: unknown }).items : undefined;
  // Too many items is one problem, not a thousand: the items are not looked at.
  if (Array.isArray(items) && items.length > MAX_BATCH_ITEMS) {
    return {
      ok: false,
      failure: boundedFailure([
        { path: 'items', message: `a batch holds at most ${MAX_BATCH_ITEMS} items (this one has ${items.length})` },
      ]),
    };
  }
  // A body beyond the shape bounds is refused as it is: the schema never meets it.
  const shape = shapeIssues(body, { items: MAX_BATCH_ITEMS });
  if (shape.length > 0) return { ok: false, failure: boundedFailure(shape) };
  const parsed = batchRequestSchema.safeParse(body);
  const issues = [...(parsed.success ? [] : describeFailure(parsed.error, body).issues), ...unfitTextIssues(body)];
  if (parsed.success && issues.length === 0) return { ok: true, batch: parsed.data };
  return { ok: false, failure: boundedFailure(issues) };
}

/** A CSV batch body: the file's own problems, or its rows' problems as `line N: column`. */
export function validateBatchCsv(text: string): BatchValidation {
  const csv = parseBatchCsv(text);
  if ('issues' in csv) return { ok: false, failure: boundedFailure(csv.issues) };
  const body = { items: csv.items };
  const json = validateBatchJson(body);
  if (json.ok) return json;
  const issues = json.failure.issues.map((issue): Issue => {
    const [root, index, ...rest] = issue.path.split('.');
    const line = root === 'items' && index !== undefined ? csv.lines[Number(index)] : undefined;
    if (line === undefined) return issue;
    return {
      path: `line ${line}: ${csvColumnOf(rest)}`,
      message: issue.message.replace(/item (\d+)/, (_m, i: string) => `line ${csv.lines[Number(i)] ?? i}`),
    };
  });
  return { ok: false, failure: { ...json.failure, issues } };
}

/**
 * The batch of a request: 415 for a content type other than JSON or CSV (a missing one included), 413 over
 * MAX_BATCH_BODY_BYTES, 400 invalid.
 */
export function readBatch(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>,
  headers: Map<string, string>,
): BatchRequest {
  const contentType = headers.get('content-type');
  let result: BatchValidation;
  if (isCsvContentType(contentType)) {
    result = validateBatchCsv(bodyBytes(event, MAX_BATCH_BODY_BYTES).toString('utf8'));
  } else if (isJsonContentType(contentType)) {
    result = validateBatchJson(readJsonBody(event, headers, MAX_BATCH_BODY_BYTES, { items: MAX_BATCH_ITEMS }));
  } else {
    throw unsupportedMediaType('JSON (Content-Type: application/json) or CSV (Content-Type: text/csv)');
  }
  if (!result.ok) throw badRequest(result.failure);
  return result.batch;
}
