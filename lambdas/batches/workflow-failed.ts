/**
 * The batch's own workflow ended without ending the batch (FAILED: a step's retries ran out; TIMED_OUT; ABORTED: an
 * operator stopped it): the batch is recorded FAILED with the reason instead of staying RUNNING for ever. The
 * execution-events function calls this for the batch workflow's status changes (EventBridge on AWS, the local stack's
 * own delivery locally). A redrive or a restart runs a step again, which continues the batch (starter.ts).
 */
import { BATCH_ID_PREFIX, batchIdSchema } from '#domain/batch-schemas';
import { logger } from '../commons/powertools';
import { getBatch } from './batch-store';
import { failBatch } from './batch-transitions';

/** The batch an execution runs: its input `{batchId}`, else its name (`bat-<16 hex>`, a restart's `-r<n>` after it). */
export function batchIdOfExecution(detail: {
  name?: string;
  executionArn: string;
  input?: string | null;
}): string | undefined {
  if (detail.input) {
    try {
      const parsed = batchIdSchema.safeParse((JSON.parse(detail.input) as { batchId?: unknown }).batchId);
      if (parsed.success) return parsed.data;
    } catch {
      // Fall back to the name.
    }
  }
  const name = detail.name ?? detail.executionArn.slice(detail.executionArn.lastIndexOf(':') + 1);
  return new RegExp(`^(${BATCH_ID_PREFIX}-[0-9a-f]{16})(?:-r\\d+)?$`).exec(name)?.[1];
}

/** Records the batch FAILED (when it was still at work); answers whether it did. */
export async function batchWorkflowEnded(
  batchId: string,
  status: string,
  error?: string | null,
  cause?: string | null,
) {
  const batch = await getBatch(batchId);
  if (batch === undefined) return false;
  const reason = `The batch workflow ended ${status}${error ? `: ${error}` : ''}${cause ? ` (${cause.slice(0, 500)})` : ''}`;
  const failed = await failBatch(batch, reason);
  if (failed) logger.error('Batch FAILED: its workflow ended before the batch did', { batchId, reason });
  return failed;
}
