/**
 * "Request delink": asks Knox to stop managing the customer (POST /managedCustomers/delink). The customer then has
 * to accept; "Check delink acceptance" polls for that. 4002115 (still pending) waits, 4002112 (fully managed) aborts.
 *
 * Context rule: 4002116 CANNOT_CHANGE_WHEN_DELINKING on a delink means a delink is already pending, and only the
 * MSP that manages the customer (us: Knox answers 4002113 to anyone else) can have asked for it. So it is our own
 * earlier request (typically the retry of a delink whose answer was lost): already done, go and wait for the answer.
 */
import { specFor } from '../lib/domain/knox-errors';
import { customerOutcome } from './steps/outcomes';
import { knoxStepHandler } from './steps/runner';
import { customerIdOf } from './steps/requests';

const DELINK_ALREADY_PENDING = specFor('CANNOT_CHANGE_WHEN_DELINKING').errorCode;

export const handler = knoxStepHandler({
  step: 'delink',
  async call({ record, knox }) {
    const customer = await knox.delinkCustomer({ customerId: customerIdOf(record) });
    return customerOutcome(customer, 'delink requested: the customer must accept it');
  },
  async reclassify(error) {
    if (error.errorCode !== DELINK_ALREADY_PENDING) return undefined;
    return {
      kind: 'alreadyDone',
      knoxStatus: 'DelinkRequested',
      detail: 'a delink of ours is already pending (our earlier request went through): waiting for the customer',
    };
  },
});
