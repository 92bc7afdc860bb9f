/**
 * POST /onboardings/{id}/redrive (and /offboardings/..., /changes/...): a FAILED workflow continues in the same
 * execution from the step that failed (Step Functions RedriveExecution; the workflows catch no failure so that this
 * step is the one that failed: lib/infra/workflow-kit.ts). Steps that succeeded are not repeated; a Knox write whose
 * answer was lost before the failure is found by the step's own reconciliation (the record keeps its lastError and
 * attempts). The retry window counts afresh (retrySince is removed).
 *
 * Order: the execution must be redrivable (FAILED or TIMED_OUT, closed within AWS's 14 days), then the customer's
 * lock is taken again, then the record is reopened (FAILED -> IN_PROGRESS, conditional), then RedriveExecution. A
 * redrive Step Functions refuses after that puts the record back to FAILED and releases the lock.
 */
import { DescribeExecutionCommand, RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import type { RecordKind } from '#domain/api-schemas';
import { HISTORY_EVENTS } from '#domain/record';
import { ID_FIELD } from '#domain/routes';
import { apiConfig } from '../commons/config';
import { logger } from '../commons/powertools';
import { RecordUpdate, acquireCustomerLock, apply, finish, releaseLock } from '../store';
import { stepFunctionsClient as sfn } from '../commons/aws-clients';
import { HttpError, json, type RouteHandler } from '../commons/http';
import { recordExecutionArn } from '../intake/executions';
import { recordOf } from './operations';

/** AWS redrives executions that closed within the last 14 days (API Reference, RedriveExecution). */
export const REDRIVE_WINDOW_DAYS = 14;
const REDRIVABLE_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT'];

function conflict(message: string, status: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(409, { message, status, ...extra });
}

export function redrive(kind: RecordKind): RouteHandler {
  return async ({ id }) => {
    const record = await recordOf(kind, id);
    if (record.status !== 'FAILED')
      throw conflict(`Only a FAILED ${kind} can be redriven; this one is ${record.status}`, record.status);

    const executionArn = recordExecutionArn(record, apiConfig().stateMachineArns[kind]);
    const execution = await sfn().send(new DescribeExecutionCommand({ executionArn }));
    const executionStatus = execution.status ?? 'UNKNOWN';
    if (!REDRIVABLE_EXECUTION_STATUSES.includes(executionStatus))
      throw conflict(`The ${kind}'s execution is ${executionStatus}: it cannot be redriven`, record.status, {
        executionStatus,
      });
    const stopped = execution.stopDate?.getTime() ?? 0;
    if (Date.now() - stopped > REDRIVE_WINDOW_DAYS * 24 * 3600 * 1000)
      throw conflict(
        `The ${kind}'s execution failed more than ${REDRIVE_WINDOW_DAYS} days ago: Step Functions no longer redrives it; submit the request again`,
        record.status,
        { executionStatus },
      );
    if (execution.redriveStatus === 'NOT_REDRIVABLE')
      throw conflict(
        `Step Functions will not redrive the ${kind}'s execution: ${execution.redriveStatusReason ?? 'no reason given'}`,
        record.status,
        { executionStatus },
      );

    const lock = await acquireCustomerLock(record.customerKey, record.pk, kind);
    if (!lock.acquired && lock.holder !== undefined && lock.holder.recordId !== record.pk)
      throw conflict(
        `The customer has an open ${lock.holder.kind} (${lock.holder.recordId}); redrive once it ends`,
        record.status,
        { openId: lock.holder.recordId },
      );

    const redriveCount = (record.redriveCount ?? 0) + 1;
    const reopened = await apply(
      new RecordUpdate(record.pk, new Date().toISOString())
        .status('IN_PROGRESS')
        .set('redriveCount', redriveCount)
        .remove('retrySince')
        .history({
          event: HISTORY_EVENTS.redriven,
          status: 'IN_PROGRESS',
          detail: `redrive ${redriveCount}: the execution continues at the step that failed`,
        }),
      'failed',
    );
    if (reopened === undefined) {
      await releaseLock(record.customerKey, record.pk);
      throw conflict(`The ${kind} is no longer FAILED`, 'CHANGED');
    }

    try {
      await sfn().send(new RedriveExecutionCommand({ executionArn }));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      logger.warn('Step Functions refused the redrive', { recordId: record.pk, errorName: name });
      await finish(record.pk, 'FAILED', { detail: `the redrive was refused: ${name}` });
      await releaseLock(record.customerKey, record.pk);
      if (name === 'ExecutionNotRedrivable' || name === 'ExecutionLimitExceeded')
        throw conflict(`Step Functions will not redrive the ${kind}'s execution (${name})`, 'FAILED');
      throw error;
    }
    logger.info('Workflow redriven', { recordId: record.pk, redriveCount });
    return json(202, {
      id: record.pk,
      [ID_FIELD[kind]]: record.pk,
      status: 'IN_PROGRESS',
      redriveCount,
      executionName: record.executionName,
    });
  };
}
