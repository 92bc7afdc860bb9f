/** The outcome of a Knox call that answered with the customer: its id and status, for the record and the next state. */
import type { KnoxCustomer } from '../../lib/domain/knox-schemas';
import type { StepOutcome } from './runner';

export function customerOutcome(customer: Pick<KnoxCustomer, 'customerId' | 'status'>, detail: string): StepOutcome {
  return {
    result: { customerId: customer.customerId, knoxStatus: customer.status },
    customerId: customer.customerId,
    knoxStatus: customer.status,
    detail,
  };
}
