/**
 * "Wait for customer answer" (a `.waitForTaskToken` Task): stores the task token on the record and returns. The
 * execution then pauses, costing nothing, until the poller (lambdas/poller.ts) hands the token back with the
 * customer's answer, or the Task's TimeoutSeconds (the wait deadline) passes. No Knox call: the customer was asked a
 * moment ago by "Link customer" or "Request delink".
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { isTerminal } from '#domain/api-schemas';
import { logger, startInvocation } from './commons/powertools';
import { INVALID_PAYLOAD_ERROR, RECORD_NOT_FOUND_ERROR, namedError, recordClosedError } from './steps/errors';
import { getRecord, recordIdSchema, storeTaskToken } from './store';

const payloadSchema = z.object({
  id: recordIdSchema,
  executionName: z.string().max(80).optional(),
  // Step Functions task tokens are opaque and at most 2,048 characters (SendTaskSuccess's limit).
  taskToken: z.string().min(1).max(2048),
  mode: z.enum(['approval', 'delink']),
});

export async function handler(
  payload: unknown,
  context?: Partial<Context>,
): Promise<{ id: string; waitingSince: string }> {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success)
    throw namedError(INVALID_PAYLOAD_ERROR, 'await-answer needs {id, executionName?, taskToken, mode}');
  const { id, executionName, taskToken, mode } = parsed.data;
  startInvocation(context, { recordId: id, executionName, step: 'await-answer' });

  const record = await getRecord(id);
  if (record === undefined) throw namedError(RECORD_NOT_FOUND_ERROR, `No record ${id}`);
  if (isTerminal(record.status)) throw recordClosedError(id, record.status, 'nothing to wait for');
  const after = await storeTaskToken(record, taskToken);
  if (after === undefined) {
    // Closed meanwhile (a cancel between the read and the write): read it again to say how.
    const current = await getRecord(id);
    throw recordClosedError(id, current?.status ?? record.status, 'closed meanwhile, nothing to wait for');
  }
  // The token is a credential for this execution: it is stored, never logged.
  logger.info('Waiting for the customer', { mode, waitingSince: after.waitingSince });
  return { id, waitingSince: after.waitingSince ?? after.updatedAt };
}
