/**
 * One bulk onboarding run, in a process of its own (its peak RSS is the run's), on the local stack's API:
 *
 *   batch: `links` links (customers who approve at once) and `creates` creates against a Knox that limits at the
 *          budget (`rps`, the stack's KNOX_REQUESTS_PER_SECOND): timed from the POST until the batch is DONE.
 *   cancel: `items` links that all wait on their customers, then one DELETE: the time it takes to answer, and until
 *          every item is CANCELLED (the budget lifted: starting them is not what is measured).
 *
 *   node --import tsx bench/batch/batch-child.ts batch <result.json> <links> <creates> <rps> <timeScale>
 *   node --import tsx bench/batch/batch-child.ts cancel <result.json> <items> <timeScale>
 */
import '#local/stepfunctions/polyfills';
import { writeFileSync } from 'node:fs';
import { KnoxSimControl } from '#knox-sim/control';
import { BatchClient, plainSend, type BatchAnswer } from '#cli/batch-client';
import { sampleItems } from '#testkit/batch-samples';
import { countCalls, type KnoxCallCount } from '../kit/knox-log';
import { LIFTED_KNOX_RATE, startBenchStack } from '../kit/bench-stack';

export interface BatchRun {
  total: number;
  links: number;
  creates: number;
  rps: number;
  wallMs: number;
  batch: BatchAnswer;
  /** Knox's answers, 429s apart: the calls the budget had to make room for. */
  knox: KnoxCallCount;
  /** Calls Knox refused with 429 (its own limit, at the budget). */
  throttled: number;
  /** Accepted Knox writes (a create or link that changed Knox). */
  acceptedWrites: number;
  executions: { onboarding: number; batchEvents: number };
  peakRssMb: number;
}

export interface CancelRun {
  total: number;
  /** From sending the DELETE to its answer (the API only records it and wakes the workflow). */
  answerMs: number;
  answerStatus: number;
  /** From sending the DELETE until the batch is CANCELLED with every item CANCELLED. */
  cancelledMs: number;
  cancelledItems: number;
  /** Knox calls made after the batch was CANCELLED (none may be). */
  knoxCallsAfter: number;
}

const peakRssMb = () => Math.round((process.resourceUsage().maxRSS * 1024) / 1024 / 1024);

export async function batchRun(links: number, creates: number, rps: number, timeScale: number): Promise<BatchRun> {
  const stack = await startBenchStack({ timeScale, knoxRequestsPerSecond: rps });
  try {
    const control = new KnoxSimControl(stack.knoxUrl);
    await control.auto({ approveLinksAfterMs: 0 });
    const items = await sampleItems(control, { links, creates });
    // Knox limits at the budget: every call beyond it is a 429 the budget failed to prevent.
    await control.rateLimit({ requestsPerSecond: rps });
    await control.clearRequests();
    const client = new BatchClient(plainSend(stack.apiUrl));
    const began = Date.now();
    const answer = await client.submit({ json: { items } });
    if (answer.status !== 202)
      throw new Error(
        `POST /onboarding-batches answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 2000)}`,
      );
    const batchId = (answer.body as { batchId: string }).batchId;
    const batch = await client.follow(batchId, { intervalMs: 250, timeoutMs: 3_600_000 });
    const wallMs = Date.now() - began;
    const log = await control.requests();
    const throttled = log.filter((r) => r.status === 429).length;
    const onboardingArn = stack.executions.machineOf('onboarding').arn;
    return {
      total: items.length,
      links,
      creates,
      rps,
      wallMs,
      batch,
      knox: countCalls(log.filter((r) => r.status !== 429)),
      throttled,
      acceptedWrites: log.filter(
        (r) => r.method === 'POST' && r.accepted && /managedCustomers(\/link)?$/.test(r.path.split('?')[0]!),
      ).length,
      executions: {
        onboarding: stack.executions.list({ stateMachineArn: onboardingArn }).length,
        batchEvents: stack.executions.findByName(batchId)?.events.length ?? 0,
      },
      peakRssMb: peakRssMb(),
    };
  } finally {
    await stack.stop();
  }
}

export async function cancelRun(total: number, timeScale: number): Promise<CancelRun> {
  const stack = await startBenchStack({ timeScale, knoxRequestsPerSecond: LIFTED_KNOX_RATE });
  try {
    const control = new KnoxSimControl(stack.knoxUrl);
    await control.auto({}); // links stay Pending: every item waits on its customer
    const items = await sampleItems(control, { links: total, creates: 0 });
    const client = new BatchClient(plainSend(stack.apiUrl));
    const answer = await client.submit({ json: { items } });
    const batchId = (answer.body as { batchId: string }).batchId;
    await client.follow(batchId, {
      intervalMs: 500,
      timeoutMs: 3_600_000,
      done: (b) => b.status === 'RUNNING' && b.counts.WAITING === total,
    });
    const sent = Date.now();
    const cancelled = await client.cancel(batchId);
    const answerMs = Date.now() - sent;
    const done = await client.follow(batchId, { intervalMs: 100, timeoutMs: 3_600_000 });
    const cancelledMs = Date.now() - sent;
    await control.clearRequests();
    // A poll period of the stack later: a cancelled item makes no Knox call.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = countCalls(await control.requests());
    return {
      total,
      answerMs,
      answerStatus: cancelled.status,
      cancelledMs,
      cancelledItems: done.status === 'CANCELLED' ? done.counts.CANCELLED : 0,
      knoxCallsAfter: after.calls,
    };
  } finally {
    await stack.stop();
  }
}

const [mode, out, ...args] = process.argv.slice(2);
if (mode === 'batch' && out) {
  const [links, creates, rps, timeScale] = args.map(Number);
  writeFileSync(out, JSON.stringify(await batchRun(links!, creates!, rps!, timeScale!)));
}
if (mode === 'cancel' && out) {
  const [items, timeScale] = args.map(Number);
  writeFileSync(out, JSON.stringify(await cancelRun(items!, timeScale!)));
}
