/**
 * "Link customer": asks Knox to manage an existing customer (POST /managedCustomers/link). The customer then has to
 * approve; "Wait for customer answer" waits on a callback the poller answers. 4002104 (already pending with us) is already done by the table:
 * our earlier link went through and its answer was lost.
 */
import { customerOutcome } from './steps/outcomes';
import { knoxStepHandler } from './steps/runner';
import { linkBody, onboardingRequestOf } from './steps/requests';

export const handler = knoxStepHandler({
  step: 'link',
  async call({ record, knox }) {
    const customer = await knox.linkCustomer(linkBody(onboardingRequestOf(record)));
    return customerOutcome(customer, 'link requested: the customer must approve it');
  },
});
