/**
 * "Record succeeded / aborted / failed": writes the workflow's final status, once. A record that is already terminal
 * (cancelled meanwhile, or written by an earlier attempt of this very task) is left alone and the task answers
 * normally, so the state machine's retries of this step are harmless. The customer's lock is released either way.
 *
 * lastError: a Knox step records its own before throwing, so for a caught Knox.* error the record's lastError stays
 * (it is set from the caught error only when there is none; RETRY_WINDOW_EXCEEDED_ERROR counts as one). Any other
 * caught error (Lambda timeout, States.Timeout, a bug) is the real reason and replaces it. An ABORTED outcome caught
 * from States.Timeout is the callback's deadline ("Wait for customer answer" TimeoutSeconds), and Knox.Wait reaching
 * "Record aborted" means a wait on Knox ran out of retries: both are recorded as WAIT_DEADLINE_EXCEEDED.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { LastError } from '#domain/api-schemas';
import { RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES, dispositionOfErrorName } from '#domain/dispositions';
import { KnoxError } from '#domain/knox-answer';
import { TASK_TIMEOUT_ERROR } from '#domain/state-names';
import { logger, startInvocation } from './commons/powertools';
import { INVALID_PAYLOAD_ERROR, lastErrorOf, namedError } from './steps/errors';
import { finish, recordIdSchema, releaseLock, type FinishOptions } from './store';
import { itemEnded } from './batches/item-ended';

const payloadSchema = z.object({
  id: recordIdSchema,
  executionName: z.string().max(80).optional(),
  outcome: z.enum(['SUCCEEDED', 'ABORTED', 'FAILED']),
  error: z.object({ Error: z.string(), Cause: z.string().nullish() }).nullish(),
});

export interface RecordOutcomeResult {
  id: string;
  /** The record's status after the call (undefined when there is no such record). */
  status?: string;
  /** False when the record was already terminal (or missing) and nothing was written. */
  changed: boolean;
}

const MESSAGE_MAX = 500;

/** The message inside a caught error's Cause: Lambda errors carry JSON {errorMessage, errorType, trace}. */
export function causeMessage(cause: string | null | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = z.object({ errorMessage: z.string() }).safeParse(JSON.parse(cause));
    if (parsed.success) return parsed.data.errorMessage.slice(0, MESSAGE_MAX);
  } catch {
    // Not JSON: Step Functions' own causes are plain sentences.
  }
  return cause.slice(0, MESSAGE_MAX);
}

function lastErrorOptions(payload: z.infer<typeof payloadSchema>): FinishOptions {
  const caught = payload.error;
  if (payload.outcome === 'SUCCEEDED' || !caught) return {};
  return outcomeErrorOptions(payload.outcome, caught);
}

/**
 * What a workflow's error says on its record: for ABORTED, a caught error; for FAILED, the error the execution failed
 * with (execution-events: the workflows do not catch failures, see lib/infra/workflow-kit.ts).
 */
export function outcomeErrorOptions(
  outcome: 'ABORTED' | 'FAILED',
  caught: { Error: string; Cause?: string | null | undefined },
): FinishOptions {
  const detail = `${caught.Error}: ${causeMessage(caught.Cause)}`;
  if (outcome === 'ABORTED' && caught.Error === TASK_TIMEOUT_ERROR) {
    return {
      lastError: lastErrorOf(KnoxError.of('WAIT_DEADLINE_EXCEEDED')),
      detail: `${caught.Error}: the customer did not answer before the deadline`,
    };
  }
  if (outcome === 'ABORTED' && caught.Error === STEP_ERROR_NAMES.wait) {
    return {
      lastError: lastErrorOf(KnoxError.of('WAIT_DEADLINE_EXCEEDED')),
      detail: `${detail} (the retry schedule ran out)`,
    };
  }
  // The retry window's end is the retry disposition's last word: the step recorded the transient error it gave up on.
  const disposition = caught.Error === RETRY_WINDOW_EXCEEDED_ERROR ? 'retry' : dispositionOfErrorName(caught.Error);
  const fromCaught: LastError = {
    code: caught.Error,
    errorCode: '0',
    message: causeMessage(caught.Cause),
    disposition: disposition ?? 'operator',
  };
  return disposition ? { lastErrorIfNone: fromCaught, detail } : { lastError: fromCaught, detail };
}

export async function handler(payload: unknown, context?: Partial<Context>): Promise<RecordOutcomeResult> {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw namedError(INVALID_PAYLOAD_ERROR, 'record-outcome needs {id, outcome, error?}');
  const { id, outcome, executionName } = parsed.data;
  startInvocation(context, { recordId: id, executionName, step: 'record-outcome' });

  const { record, changed } = await finish(id, outcome, lastErrorOptions(parsed.data));
  if (record === undefined) {
    logger.warn('No record to write the outcome to', { outcome });
    return { id, changed: false };
  }
  // Released whenever the record is terminal: a lock missed earlier (a crash between two writes) is healed here.
  await releaseLock(record.customerKey, id);
  // A batch's item: the batch counts it down, and its last open item wakes the batch's workflow.
  await itemEnded(record);
  if (changed) logger.info('Workflow outcome recorded', { outcome });
  else logger.info('Record was already terminal: left as it is', { outcome, status: record.status });
  return { id, status: record.status, changed };
}
