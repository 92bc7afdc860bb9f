/**
 * "Request delink": asks Knox to stop managing the customer (POST /managedCustomers/delink). The customer then has
 * to accept; "Check delink acceptance" polls for that. 4002115 (still pending) waits, 4002112 (fully managed) aborts.
 */
import { knoxStepHandler } from './commons/step';
import { customerIdOf } from './commons/requests';

export const handler = knoxStepHandler({
  step: 'delink',
  async call({ record, knox }) {
    const customer = await knox.delinkCustomer({ customerId: customerIdOf(record) });
    return {
      result: { customerId: customer.customerId, knoxStatus: customer.status },
      knoxStatus: customer.status,
      detail: 'delink requested: the customer must accept it',
    };
  },
});
