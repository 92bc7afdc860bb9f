/**
 * The batch workflow's step (lib/infra/batch-workflow.ts): "Start next slice" starts the next items' onboardings,
 * "Check items" counts them (lambdas/batches/starter.ts). Its answer drives the workflow: `status` the Choice,
 * `waitSeconds` the Wait.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { batchIdSchema, type BatchStepResult } from '#domain/batch-schemas';
import { batchConfig } from './commons/config';
import { startInvocation } from './commons/powertools';
import { INVALID_PAYLOAD_ERROR, namedError } from './steps/errors';
import { checkItems, startNextSlice } from './batches/starter';

const payloadSchema = z.object({ batchId: batchIdSchema, action: z.enum(['start', 'check']) });

export async function handler(payload: unknown, context?: Partial<Context>): Promise<BatchStepResult> {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw namedError(INVALID_PAYLOAD_ERROR, 'batch-starter needs {batchId, action}');
  const { batchId, action } = parsed.data;
  startInvocation(context, { recordId: batchId, step: `batch-${action}`, kind: 'batch' });
  return action === 'start' ? startNextSlice(batchId, batchConfig()) : checkItems(batchId);
}
