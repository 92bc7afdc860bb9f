/**
 * An on-demand status check of one record's customer (GET /managedCustomers/{customerId}), through the step runner:
 * the same answer table the poller applies to a whole round (lambdas/poller/answers.ts), for one record, with the
 * runner's recording rules. Not a state of the workflows any more (they wait on a callback that the poller answers);
 * kept as the one-record form of the check, which the step tests use to prove every row of the answer table.
 *
 * approval: Active -> success (needsChange when requested services are not Active yet); Pending and DelinkRequested
 *           -> Knox.Wait; Rejected -> Knox.Abort.
 * delink:   4002113 (no longer ours) -> success, knoxStatus "Delinked"; DelinkRequested, Pending -> Knox.Wait;
 *           Active -> Knox.Abort (the customer refused); Rejected -> Knox.Abort.
 */
import { KnoxError } from '#domain/knox-answer';
import type { KnoxStepResult } from '#domain/payloads';
import { NOT_MANAGED_BY_US, answerOf, modeOf, type CustomerView } from './poller/answer-table';
import { knoxStepHandler, type StepContext, type StepOutcome } from './steps/runner';
import { customerIdOf } from './steps/requests';

export { DELINKED_STATUS } from './poller/answer-table';

async function viewOf(context: StepContext, customerId: string, delink: boolean): Promise<CustomerView> {
  try {
    return { customer: await context.knox.getCustomer(customerId) };
  } catch (error) {
    // After an accepted delink Knox no longer shows us the customer: that is the answer we wait for.
    if (delink && error instanceof KnoxError && error.errorCode === NOT_MANAGED_BY_US) return { notManaged: true };
    throw error;
  }
}

export const handler = knoxStepHandler({
  step: 'check',
  poll: true,
  async call(context): Promise<StepOutcome> {
    const mode = context.payload.mode ?? modeOf(context.record);
    const customerId = customerIdOf(context.record);
    const answer = answerOf(
      { ...context.record, kind: mode === 'delink' ? 'offboarding' : 'onboarding' },
      await viewOf(context, customerId, mode === 'delink'),
    );
    if (answer.kind !== 'answered') throw answer.error;
    const { output } = answer;
    const result: KnoxStepResult & { needsChange?: boolean } = {
      customerId: output.customerId || customerId,
      knoxStatus: output.knoxStatus,
      ...(output.needsChange !== undefined ? { needsChange: output.needsChange } : {}),
    };
    return { result, knoxStatus: output.knoxStatus, detail: answer.detail };
  },
});
