/**
 * The batch starter one round at a time (the unit suites, with Step Functions mocked): one slice of items per call,
 * then it hands back, as if its work time were spent. The budget is idle there (no Knox call is made), so only this
 * decides how many items a call starts.
 */
import { BATCH_SLICE_ITEMS, type BatchStepResult } from '#domain/batch-schemas';
import { batchConfig } from '#lambdas/commons/config';
import { PACING } from '#lambdas/batches/pacing';
import { startNextSlice } from '#lambdas/batches/starter';

export async function startOneSlice(batchId: string): Promise<BatchStepResult> {
  const config = batchConfig();
  return startNextSlice(batchId, config, {
    ...PACING,
    workMs: 0,
    chunkSeconds: BATCH_SLICE_ITEMS / config.knoxRequestsPerSecond,
  });
}
