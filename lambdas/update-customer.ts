/**
 * "Change customer" (PUT /managedCustomers/{customerId}), in two workflows:
 * - a change record: the operator's managementType, accessType and services;
 * - an onboarding whose approved customer lacks requested services: those services, with the access type. The
 *   customer is read first, so that a service switched on meanwhile is not asked for again.
 */
import type { UpdateRequest } from '#domain/knox-schemas';
import { knoxStepHandler, type KnoxStepDefinition } from './steps/runner';
import { changeBody, changeRequestOf, completionBody, customerIdOf, onboardingRequestOf } from './steps/requests';

/** The step: its Knox call and context rules (the decision matrix reads the rules' verdicts). */
export const definition: KnoxStepDefinition = {
  step: 'update',
  async call({ record, knox }) {
    const customerId = customerIdOf(record);
    let body: UpdateRequest | undefined;
    if (record.kind === 'onboarding') {
      body = completionBody(onboardingRequestOf(record), await knox.getCustomer(customerId));
      if (body === undefined) {
        return { result: { customerId }, detail: 'nothing to change: the customer has every requested service' };
      }
    } else {
      body = changeBody(changeRequestOf(record));
    }
    const customer = await knox.updateCustomer(customerId, body);
    return {
      result: { customerId, knoxStatus: customer.status },
      knoxStatus: customer.status,
      detail: `customer updated (${Object.keys(body).join(', ')})`,
    };
  },
};

export const handler = knoxStepHandler(definition);
