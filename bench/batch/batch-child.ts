/**
 * One bulk onboarding run, in a process of its own (its peak RSS is the run's): a batch of `links` links (customers
 * who approve at once) and `creates` creates, sent to the local stack's API, timed from the POST until the batch is
 * DONE. The Knox budget is `rps` (the stack's KNOX_REQUESTS_PER_SECOND); waits are scaled by `timeScale`.
 *
 *   node --import tsx bench/batch/batch-child.ts batch <result.json> <links> <creates> <rps> <timeScale>
 */
import '#local/stepfunctions/polyfills';
import { writeFileSync } from 'node:fs';
import { KnoxSimControl } from '#knox-sim/control';
import { BatchClient, plainSend, type BatchAnswer } from '#cli/batch-client';
import { sampleItems } from '#testkit/batch-samples';
import { countCalls, type KnoxCallCount } from '../kit/knox-log';
import { startBenchStack } from '../kit/bench-stack';

export interface BatchRun {
  total: number;
  links: number;
  creates: number;
  rps: number;
  wallMs: number;
  batch: BatchAnswer;
  knox: KnoxCallCount;
  /** Accepted Knox writes (create or link that changed Knox) per item: min and max over the items. */
  acceptedWrites: { total: number; distinctTargets: number };
  executions: { onboarding: number; batchEvents: number };
  peakRssMb: number;
}

export async function batchRun(links: number, creates: number, rps: number, timeScale: number): Promise<BatchRun> {
  const stack = await startBenchStack({ timeScale, knoxRequestsPerSecond: rps });
  try {
    const control = new KnoxSimControl(stack.knoxUrl);
    await control.auto({ approveLinksAfterMs: 0 });
    const items = await sampleItems(control, { links, creates });
    await control.clearRequests();
    const client = new BatchClient(plainSend(stack.apiUrl));
    const began = Date.now();
    const answer = await client.submit({ json: { items } });
    if (answer.status !== 202)
      throw new Error(
        `POST /onboarding-batches answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 2000)}`,
      );
    const batchId = (answer.body as { batchId: string }).batchId;
    const batch = await client.follow(batchId, { intervalMs: 250 });
    const wallMs = Date.now() - began;
    const log = await control.requests();
    const writes = log.filter((r) => r.method === 'POST' && r.accepted && /managedCustomers(\/link)?$/.test(r.path));
    const onboardingArn = stack.executions.machineOf('onboarding').arn;
    return {
      total: items.length,
      links,
      creates,
      rps,
      wallMs,
      batch,
      knox: countCalls(log),
      acceptedWrites: { total: writes.length, distinctTargets: items.length },
      executions: {
        onboarding: stack.executions.list({ stateMachineArn: onboardingArn }).length,
        batchEvents: stack.executions.findByName(batchId)?.events.length ?? 0,
      },
      peakRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / 1024 / 1024),
    };
  } finally {
    await stack.stop();
  }
}

const [mode, out, links, creates, rps, timeScale] = process.argv.slice(2);
if (mode === 'batch' && out) {
  writeFileSync(out, JSON.stringify(await batchRun(Number(links), Number(creates), Number(rps), Number(timeScale))));
}
