/**
 * EventBridge "Step Functions Execution Status Change" for FAILED, TIMED_OUT and ABORTED executions of our state
 * machines: a run that ended without reaching its record step must not leave its record open (or its customer
 * locked). FAILED and TIMED_OUT mark it FAILED, ABORTED (our own StopExecution on cancel, or an operator's) marks it
 * CANCELLED; a record that is already terminal is left as it is. Events we cannot use are logged and dropped:
 * raising would only make EventBridge retry an event that will never parse.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { TerminalStatus } from '#domain/api-schemas';
import { logger, startInvocation } from './commons/powertools';
import { outcomeErrorOptions } from './record-outcome';
import { finish, recordIdSchema, releaseLock, type FinishOptions } from './store';
import { itemEnded } from './batches/item-ended';
import { batchIdOfExecution, batchWorkflowEnded } from './batches/workflow-failed';

const eventSchema = z.object({
  detail: z.object({
    executionArn: z.string(),
    name: z.string().optional(),
    status: z.string(),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

const FINAL_STATUS: Record<string, TerminalStatus> = { FAILED: 'FAILED', TIMED_OUT: 'FAILED', ABORTED: 'CANCELLED' };

export interface ExecutionEventResult {
  id?: string;
  status?: string;
  changed: boolean;
  ignored?: string;
}

/** The record id: from the input `{id}`, else from the execution name `<customerId|new>-<recordId>`. */
function recordIdOf(detail: z.infer<typeof eventSchema>['detail']): string | undefined {
  if (detail.input) {
    try {
      const input = z.object({ id: recordIdSchema }).safeParse(JSON.parse(detail.input));
      if (input.success) return input.data.id;
    } catch {
      // Fall back to the name.
    }
  }
  const name = detail.name ?? detail.executionArn.slice(detail.executionArn.lastIndexOf(':') + 1);
  return /((?:onb|off|chg)-[0-9a-f]{16})$/.exec(name)?.[1];
}

/**
 * What the record says of how its execution ended. A FAILED execution with an error failed in the step that failed
 * (the workflows catch no failure, so that a redrive continues there): its error is read as "Record failed" read a
 * caught one (a Knox step's own lastError stays). Otherwise the execution ended before it could say why.
 */
function closingOptions(
  detail: z.infer<typeof eventSchema>['detail'],
  status: TerminalStatus,
  endedBy: string,
): FinishOptions {
  if (detail.status === 'FAILED' && detail.error) {
    const failedWith = outcomeErrorOptions('FAILED', { Error: detail.error, Cause: detail.cause });
    return { ...failedWith, detail: `the execution failed in a step: ${failedWith.detail ?? endedBy}`.slice(0, 600) };
  }
  if (status !== 'FAILED') return { detail: `the execution ended ${endedBy}` };
  return {
    detail: `the execution ended ${endedBy}`,
    lastErrorIfNone: {
      code: `EXECUTION_${detail.status}`,
      errorCode: '0',
      message: `The workflow's execution ended ${endedBy} before it recorded an outcome`,
      disposition: 'operator',
    },
  };
}

export async function handler(event: unknown, context?: Partial<Context>): Promise<ExecutionEventResult> {
  startInvocation(context);
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    logger.warn('Ignored an event that is not an execution status change');
    return { changed: false, ignored: 'not an execution status change' };
  }
  const { detail } = parsed.data;
  const batchId = batchIdOfExecution(detail);
  if (batchId !== undefined) {
    const changed =
      FINAL_STATUS[detail.status] !== undefined &&
      (await batchWorkflowEnded(batchId, detail.status, detail.error, detail.cause));
    return { id: batchId, changed, ...(changed ? { status: 'FAILED' } : {}) };
  }
  const status = FINAL_STATUS[detail.status];
  const id = recordIdOf(detail);
  if (status === undefined || id === undefined) {
    logger.info('Ignored an execution status change', { executionStatus: detail.status, executionName: detail.name });
    return { changed: false, ignored: status === undefined ? `status ${detail.status}` : 'no record id' };
  }
  startInvocation(context, { recordId: id, executionName: detail.name });

  const endedBy = `${detail.status}${detail.error ? `: ${detail.error}` : ''}`.slice(0, 500);
  const { record, changed } = await finish(id, status, closingOptions(detail, status, endedBy));
  if (record === undefined) {
    logger.warn('No record for this execution', { executionStatus: detail.status });
    return { id, changed: false };
  }
  await releaseLock(record.customerKey, id);
  await itemEnded(record);
  if (changed)
    logger.warn('Record closed after its execution ended without an outcome', {
      executionStatus: detail.status,
      status,
    });
  return { id, status: record.status, changed };
}
