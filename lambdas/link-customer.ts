/**
 * "Link customer": asks Knox to manage an existing customer (POST /managedCustomers/link). The customer then has to
 * approve; "Wait for customer answer" waits on a callback the poller answers. 4002104 (already pending with us) is
 * already done by the table: our earlier link went through and its answer was lost.
 *
 * Context rule: 4002103 ADD_EC_ALREADY_MANAGED means someone manages the customer, and that someone may be us: our
 * earlier link went through, its answer was lost, and the customer approved before the retry. Knox shows a customer
 * to the MSP that manages it only (anyone else gets 4002113), so one GET tells: ours is already done; else the abort
 * stands. A GET that fails transiently is a retry (the customer may well be ours), never the abort.
 */
import { KnoxError } from '../lib/domain/knox-answer';
import { customerOutcome } from './steps/outcomes';
import { knoxStepHandler } from './steps/runner';
import { linkBody, onboardingRequestOf } from './steps/requests';

export const handler = knoxStepHandler({
  step: 'link',
  async call({ record, knox }) {
    const customer = await knox.linkCustomer(linkBody(onboardingRequestOf(record)));
    return customerOutcome(customer, 'link requested: the customer must approve it');
  },
  rules: {
    async ADD_EC_ALREADY_MANAGED(_error, { record, knox }) {
      const { customerId } = linkBody(onboardingRequestOf(record));
      try {
        const customer = await knox.getCustomer(customerId);
        return {
          kind: 'alreadyDone',
          customerId,
          knoxStatus: customer.status,
          detail: 'the customer is already managed by us: our earlier link went through and the customer answered it',
        };
      } catch (lookup) {
        if (lookup instanceof KnoxError && lookup.disposition === 'retry') return { kind: 'error', error: lookup };
        return undefined;
      }
    },
  },
});
