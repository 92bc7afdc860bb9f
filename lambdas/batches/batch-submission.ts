/**
 * What the routes that make a batch share (`POST /onboarding-batches`, `POST /onboarding-batches/{id}/retries`): the
 * Idempotency-Key header, the canonical form of the items (their hash), and starting a recorded batch's execution
 * with the 503 a failed start answers (the same request again starts it: nothing is lost).
 */
import { idempotencyKeySchema } from '#domain/api-schemas';
import type { BatchRecord } from '#domain/batch-schemas';
import { batchStateMachineArn } from '../commons/config';
import { describeError, logger } from '../commons/powertools';
import { headerValues, json, type RouteHandler } from '../commons/http';
import { startWorkflow } from '../intake/executions';
import { acceptedBatchView } from './batch-views';
import { setBatchExecution } from './batch-store';

/** JSON with sorted keys: DynamoDB does not keep the order of a map's keys. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export type Issue = { path: string; message: string };

/** The request's Idempotency-Key (when valid), and the problems with it (malformed, sent twice). */
export function idempotencyKeyOf(
  event: Parameters<RouteHandler>[0]['event'],
  headers: Map<string, string>,
): { key?: string; issues: Issue[] } {
  const raw = headers.get('idempotency-key');
  const issues: Issue[] = [];
  const parsed = raw === undefined ? undefined : idempotencyKeySchema.safeParse(raw);
  if (parsed && !parsed.success)
    issues.push(...parsed.error.issues.map((i) => ({ path: 'Idempotency-Key', message: i.message })));
  if (headerValues(event, 'idempotency-key').length > 1)
    issues.push({ path: 'Idempotency-Key', message: 'may be sent only once' });
  return { ...(parsed?.success ? { key: parsed.data } : {}), issues };
}

/** Starts the batch's execution (its name is the batch id: a repeat start finds the same one). */
export async function startBatch(batch: BatchRecord): Promise<boolean> {
  if (batch.executionArn !== undefined) return true;
  try {
    const arn = await startWorkflow(batchStateMachineArn(), batch.executionName, { batchId: batch.pk });
    await setBatchExecution(batch.pk, arn);
    return true;
  } catch (error) {
    logger.error('Could not start the batch execution', { batchId: batch.pk, ...describeError(error) });
    return false;
  }
}

/** The 503 of a batch recorded whose execution could not be started. */
export const notStarted = (batch: BatchRecord) =>
  json(503, {
    message: 'The batch is recorded but its workflow could not be started; send the same request again',
    ...acceptedBatchView(batch),
  });
