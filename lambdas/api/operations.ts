/**
 * The API's operations, one function per route (the router is lambdas/api.ts). Each one validates its input with the
 * domain's zod schemas, calls the store or the intake, and answers JSON; anything that goes wrong with the input is a
 * 4xx HttpError.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import {
  OPEN_STATUSES,
  changeRequestSchema,
  idempotencyKeySchema,
  isTerminal,
  listQuerySchema,
  offboardingRequestSchema,
  onboardingRequestSchema,
  type RecordKind,
} from '#domain/api-schemas';
import { ID_FIELD } from '#domain/routes';
import { shapeIssues } from '../commons/body-bounds';
import { apiConfig } from '../commons/config';
import {
  HttpError,
  badRequest,
  describeFailure,
  headerValues,
  json,
  readJsonBody,
  repeatedParameterIssues,
  unfitTextIssues,
  type RouteHandler,
} from '../commons/http';
import { submit, type IntakeResult, type Submission } from '../intake/intake';
import { describeError, logger, appendCorrelation } from '../commons/powertools';
import {
  CursorError,
  finish,
  getRecord,
  kindOfId,
  listByStatus,
  readPollerState,
  recordIdSchema,
  releaseLock,
  type PollerState,
  type WorkflowRecord,
} from '../store';
import { acceptedView, recordView } from './record-views';
import { recordExecutionArn, stopWorkflow } from '../intake/executions';

const REQUEST_SCHEMAS = {
  onboarding: onboardingRequestSchema,
  offboarding: offboardingRequestSchema,
  change: changeRequestSchema,
} as const;

// --- POST ----------------------------------------------------------------------------------------------------------

/** Where a validated body puts the customer: its Knox id, or (for a create) the contact e-mail. */
function submissionOf(
  kind: RecordKind,
  request: Record<string, unknown>,
  idempotencyKey: string | undefined,
): Submission {
  const key = idempotencyKey !== undefined ? { idempotencyKey } : {};
  const customerId = typeof request.customerId === 'string' ? request.customerId : undefined;
  if (customerId !== undefined) {
    return {
      kind,
      request,
      customerId,
      customerKey: customerId,
      ...(kind === 'onboarding' ? { path: 'link' as const } : {}),
      ...key,
    };
  }
  const created = onboardingRequestSchema.parse(request);
  if (!('customer' in created)) throw new Error('An onboarding without customerId must carry customer');
  return {
    kind,
    request,
    customerKey: `email:${created.customer.contact.email.toLowerCase()}`,
    path: 'create',
    ...key,
  };
}

function answerIntake(kind: RecordKind, result: IntakeResult): APIGatewayProxyResult {
  switch (result.outcome) {
    case 'started':
      return json(202, acceptedView(result.record));
    case 'existing':
      return json(200, acceptedView(result.record));
    case 'conflict':
      return json(409, {
        message: `The customer already has an open ${result.kind} (${result.openId}); a ${kind} can start once it ends`,
        openId: result.openId,
        kind: result.kind,
      });
    case 'keyReused':
      // The id of a record about another customer is not given away.
      if (result.otherCustomer)
        return json(422, {
          message:
            'This Idempotency-Key was used for a request about another customer; use a new key for a new request',
        });
      return json(422, {
        message: 'This Idempotency-Key was used for a different request; use a new key for a new request',
        [ID_FIELD[kind]]: result.record.pk,
      });
    case 'notStarted':
      return json(503, {
        message: 'The request is recorded but its workflow could not be started; send the same request again',
        ...acceptedView(result.record),
      });
  }
}

/** POST /onboardings, /offboardings, /changes. */
export function postRequest(kind: RecordKind): RouteHandler {
  return async ({ event, headers }) => {
    const body = readJsonBody(event, headers);
    const issues: { path: string; message: string }[] = [];

    const rawKey = headers.get('idempotency-key');
    const key = rawKey === undefined ? undefined : idempotencyKeySchema.safeParse(rawKey);
    if (key && !key.success)
      issues.push(...key.error.issues.map((i) => ({ path: 'Idempotency-Key', message: i.message })));
    // Sent twice, a key is ambiguous: which request would a repeat be compared with?
    if (headerValues(event, 'idempotency-key').length > 1)
      issues.push({ path: 'Idempotency-Key', message: 'may be sent only once' });

    // A body beyond the shape bounds is refused as it is: the schema never meets it.
    const shape = shapeIssues(body);
    if (shape.length > 0) throw badRequest({ message: 'The request is not valid', issues: [...issues, ...shape] });
    const parsed = REQUEST_SCHEMAS[kind].safeParse(body);
    if (!parsed.success) issues.push(...describeFailure(parsed.error, body).issues);
    issues.push(...unfitTextIssues(body));
    if (!parsed.success || issues.length > 0) throw badRequest({ message: 'The request is not valid', issues });

    const idempotencyKey = key?.success ? key.data : undefined;
    const submission = submissionOf(kind, parsed.data as Record<string, unknown>, idempotencyKey);
    appendCorrelation({ kind });
    const result = await submit(submission, apiConfig());
    logger.info('Request registered', {
      kind,
      outcome: result.outcome,
      recordId: 'record' in result ? result.record.pk : result.openId,
    });
    return answerIntake(kind, result);
  };
}

// --- GET one -------------------------------------------------------------------------------------------------------

/** A record of this kind by its id in the path; 404 for an unknown id, a malformed one or one of another kind. */
export async function recordOf(kind: RecordKind, id: string | undefined): Promise<WorkflowRecord> {
  const parsed = recordIdSchema.safeParse(id);
  const record = parsed.success && kindOfId(parsed.data) === kind ? await getRecord(parsed.data) : undefined;
  if (record === undefined) throw new HttpError(404, { message: `No ${kind} ${String(id).slice(0, 64)}` });
  return record;
}

export function getOne(kind: RecordKind): RouteHandler {
  return async ({ id }) => {
    const record = await recordOf(kind, id);
    return json(200, recordView(record, await pollerStateFor([record])));
  };
}

// --- GET list ------------------------------------------------------------------------------------------------------

const LIST_DEFAULT_LIMIT = 50;
const listSchema = listQuerySchema.extend({
  cursor: z.string().min(1).max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/**
 * GET /onboardings?status=S[&limit=N][&cursor=C]: one status, newest first, paged (`nextCursor`).
 * Without status: every open one (REQUESTED, IN_PROGRESS, WAITING), newest first, up to `limit` of each status
 * (no paging: ask per status for more). Terminal records are listed only when asked for by status.
 */
export function list(kind: RecordKind): RouteHandler {
  return async ({ event }) => {
    const input = event.queryStringParameters ?? {};
    const query = listSchema.safeParse(input);
    const repeated = repeatedParameterIssues(event);
    if (!query.success || repeated.length > 0) {
      const issues = query.success ? [] : describeFailure(query.error, input).issues;
      throw badRequest({ message: 'The query is not valid', issues: [...repeated, ...issues] });
    }
    const { status, cursor, limit = LIST_DEFAULT_LIMIT } = query.data;

    if (status !== undefined) {
      try {
        const page = await listByStatus(kind, status, { limit, ...(cursor ? { cursor } : {}) });
        const poller = await pollerStateFor(page.items);
        return json(200, {
          items: page.items.map((r) => recordView(r, poller)),
          ...(page.cursor ? { nextCursor: page.cursor } : {}),
        });
      } catch (error) {
        if (error instanceof CursorError)
          throw badRequest({ message: 'The query is not valid', issues: [{ path: 'cursor', message: error.message }] });
        throw error;
      }
    }
    if (cursor !== undefined) {
      throw badRequest({
        message: 'The query is not valid',
        issues: [{ path: 'cursor', message: 'cursor pages through one status: send status too' }],
      });
    }
    const pages = await Promise.all(OPEN_STATUSES.map((s) => listByStatus(kind, s, { limit })));
    const items = pages.flatMap((p) => p.items).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const poller = await pollerStateFor(items);
    return json(200, { items: items.map((r) => recordView(r, poller)) });
  };
}

/** The poller's state, read only when one of the records waits on its customer. */
async function pollerStateFor(records: WorkflowRecord[]): Promise<PollerState> {
  return records.some((r) => r.taskToken !== undefined) ? readPollerState() : {};
}

// --- DELETE --------------------------------------------------------------------------------------------------------

/** What else a cancel tells: the record's batch, if it has one (wired by lambdas/api.ts; the api room imports no batch). */
export type EndedHook = (record: WorkflowRecord) => Promise<void>;

/**
 * DELETE /onboardings/{id}: the record becomes CANCELLED first (so a step running now meets it and calls
 * Knox no more), then the execution is stopped and the customer's lock released. A repeat answers 409 and sends the
 * stop again: a first stop that failed left an execution parked in its callback, which nothing else would end before
 * its deadline (the poller asks only WAITING records).
 */
export function cancel(kind: RecordKind, ended?: EndedHook): RouteHandler {
  return async ({ id }) => {
    const record = await recordOf(kind, id);
    if (isTerminal(record.status)) {
      if (record.status === 'CANCELLED') await stopExecutionOf(kind, record);
      throw new HttpError(409, { message: `The ${kind} is already ${record.status}`, status: record.status });
    }

    const { record: after, changed } = await finish(record.pk, 'CANCELLED', { detail: 'cancelled through the API' });
    if (!changed || after === undefined) {
      const status = after?.status ?? record.status;
      throw new HttpError(409, { message: `The ${kind} is already ${status}`, status });
    }

    await stopExecutionOf(kind, record);
    await releaseLock(record.customerKey, record.pk);
    await ended?.(after);
    return json(200, recordView(after));
  };
}

/**
 * Stops a cancelled record's execution (StopExecution of a closed one changes nothing). A failure is logged: the record
 * is CANCELLED, so a step that runs next meets it and ends the workflow at its cancelled state, and a repeated DELETE
 * sends the stop again.
 */
async function stopExecutionOf(kind: RecordKind, record: WorkflowRecord): Promise<void> {
  const executionArn = recordExecutionArn(record, apiConfig().stateMachineArns[kind]);
  try {
    await stopWorkflow(executionArn, 'Cancelled through the API');
  } catch (error) {
    logger.error('Could not stop the execution of a cancelled record', {
      recordId: record.pk,
      ...describeError(error),
    });
  }
}
