/**
 * The batch workflow's steps (lib/infra/batch-workflow.ts): "Start next slice" starts the next items' onboardings,
 * "Wait for items" stores the callback's token, "Check items" counts them, "Cancel items" carries out a DELETE
 * (lambdas/batches/starter.ts). Its answer drives the workflow: `next` the Choice, `waitSeconds` the budget's Wait.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { BATCH_STEP_ACTIONS, batchIdSchema, type BatchStepResult } from '#domain/batch-schemas';
import { batchConfig } from './commons/config';
import { startInvocation } from './commons/powertools';
import { INVALID_PAYLOAD_ERROR, namedError } from './steps/errors';
import { awaitItems, cancelItems, checkItems, startNextSlice } from './batches/starter';

const payloadSchema = z.object({
  batchId: batchIdSchema,
  action: z.enum(BATCH_STEP_ACTIONS),
  taskToken: z.string().min(1).max(2048).optional(),
});

export async function handler(payload: unknown, context?: Partial<Context>): Promise<BatchStepResult | undefined> {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw namedError(INVALID_PAYLOAD_ERROR, 'batch-starter needs {batchId, action, taskToken?}');
  const { batchId, action, taskToken } = parsed.data;
  startInvocation(context, { recordId: batchId, step: `batch-${action}`, kind: 'batch' });
  switch (action) {
    case 'start':
      return startNextSlice(batchId, batchConfig());
    case 'check':
      return checkItems(batchId);
    case 'cancel':
      return cancelItems(batchId, batchConfig());
    case 'await':
      if (taskToken === undefined) throw namedError(INVALID_PAYLOAD_ERROR, 'Wait for items needs the taskToken');
      await awaitItems(batchId, taskToken);
      return undefined;
  }
}
