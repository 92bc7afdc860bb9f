/**
 * The batch soak, small and with a fixed seed: 40 items under 30% Knox faults and a restart of the local stack after
 * the first slice; the full size is `npm run soak:batch` (bench/soak/batch-soak.ts).
 */
import { describe, expect, it } from 'vitest';
import { runBatchSoak } from '#bench/soak/batch-soak';

describe('a batch under Knox faults and a restart', () => {
  it('ends DONE with every outcome as expected and exactly one accepted Knox write per item', async () => {
    const report = await runBatchSoak({ items: 40, seed: 3 });
    expect(report.violations).toEqual([]);
    expect(report.batch.status).toBe('DONE');
    expect(report.onboardingExecutions).toBeGreaterThanOrEqual(40);
    expect(report.acceptedWrites).toBeLessThanOrEqual(40);
    expect(report.batch.counts.SUCCEEDED + report.batch.counts.FAILED).toBe(40);
  }, 300_000);
});
