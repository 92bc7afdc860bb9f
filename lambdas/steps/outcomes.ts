/** What a step's Knox call means: the outcome of a call that answered with the customer, and lost answers. */
import type { KnoxCustomer } from '#domain/knox-schemas';
import type { StepKey, WorkflowRecord } from '../store';
import type { StepOutcome } from './runner';

/** The outcome of a Knox call that answered with the customer: its id and status, for the record and the next state. */
export function customerOutcome(customer: Pick<KnoxCustomer, 'customerId' | 'status'>, detail: string): StepOutcome {
  return {
    result: { customerId: customer.customerId, knoxStatus: customer.status },
    customerId: customer.customerId,
    knoxStatus: customer.status,
    detail,
  };
}

/**
 * Whether this attempt repeats one that failed transiently: that attempt's request may have reached Knox and done its
 * work, its answer lost (the attempt counter already includes this attempt).
 */
export function retriedAfterTransient(record: Pick<WorkflowRecord, 'attempts' | 'lastError'>, step: StepKey): boolean {
  return (record.attempts[step] ?? 0) > 1 && record.lastError?.disposition === 'retry';
}
