/**
 * "Request delink": asks Knox to stop managing the customer (POST /managedCustomers/delink). The customer then has
 * to accept; "Wait for customer answer" waits on a callback the poller answers. 4002115 (still pending) waits,
 * 4002112 (fully managed) aborts.
 *
 * Context rules:
 * - 4002116 CANNOT_CHANGE_WHEN_DELINKING on a delink means a delink is already pending, and only the MSP that manages
 *   the customer (us: Knox answers 4002113 to anyone else) can have asked for it. So it is our own earlier request
 *   (typically the retry of a delink whose answer was lost): already done, go and wait for the answer.
 * - 4002113 CUSTOMER_NOT_MANAGED_BY_MSP on the retry of a delink whose last attempt failed transiently (its answer may
 *   have been lost) is that delink, already accepted by the customer: already done. On a first attempt, or after an
 *   answer that was not transient, the table's abort stands (the customer was never ours).
 */
import { DELINKED_STATUS } from './poller/answer-table';
import { customerOutcome, retriedAfterTransient } from './steps/outcomes';
import { knoxStepHandler, type KnoxStepDefinition } from './steps/runner';
import { customerIdOf } from './steps/requests';

/** The step: its Knox call and context rules (the decision matrix reads the rules' verdicts). */
export const definition: KnoxStepDefinition = {
  step: 'delink',
  async call({ record, knox }) {
    const customer = await knox.delinkCustomer({ customerId: customerIdOf(record) });
    return customerOutcome(customer, 'delink requested: the customer must accept it');
  },
  rules: {
    CANNOT_CHANGE_WHEN_DELINKING: {
      verdicts: [
        { when: 'always: only the MSP that manages the customer can have asked for it', gives: 'alreadyDone' },
      ],
      async read() {
        return {
          kind: 'alreadyDone',
          knoxStatus: 'DelinkRequested',
          detail: 'a delink of ours is already pending (our earlier request went through): waiting for the customer',
        };
      },
    },
    CUSTOMER_NOT_MANAGED_BY_MSP: {
      verdicts: [
        { when: 'the last attempt of this delink failed transiently (its answer may be lost)', gives: 'alreadyDone' },
        { when: 'a first attempt, or after an answer that was not transient', gives: 'table' },
      ],
      async read(_error, { record }) {
        if (!retriedAfterTransient(record, 'delink')) return undefined;
        return {
          kind: 'alreadyDone',
          knoxStatus: DELINKED_STATUS,
          detail: 'our earlier delink went through (its answer was lost) and the customer has accepted it',
        };
      },
    },
  },
};

export const handler = knoxStepHandler(definition);
