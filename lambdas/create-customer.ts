/**
 * "Create customer": creates a new Knox customer from the onboarding's `customer` (POST /managedCustomers).
 *
 * Context rule: 4002106 EMAIL_ALREADY_IN_USAGE means either that our own earlier create went through (its answer was
 * lost) or that the person already has a Knox account elsewhere. Our customer list tells them apart: a customer of
 * ours with the request's contact e-mail is the one we created (already done, its customerId recorded); otherwise the
 * table's abort stands (onboard it with its customerId instead).
 */
import { specFor } from '../lib/domain/knox-errors';
import { customerOutcome } from './steps/outcomes';
import { knoxStepHandler } from './steps/runner';
import { newCustomerBody, onboardingRequestOf } from './steps/requests';

const EMAIL_ALREADY_IN_USAGE = specFor('EMAIL_ALREADY_IN_USAGE').errorCode;

export const handler = knoxStepHandler({
  step: 'create',
  async call({ record, knox }) {
    const customer = await knox.createCustomer(newCustomerBody(onboardingRequestOf(record)));
    return customerOutcome(customer, 'customer created');
  },
  async reclassify(error, { record, knox }) {
    if (error.errorCode !== EMAIL_ALREADY_IN_USAGE) return undefined;
    const request = onboardingRequestOf(record);
    if (!('customer' in request)) return undefined;
    const email = request.customer.contact.email.toLowerCase();
    for await (const customer of knox.listAllCustomers()) {
      if (customer.email?.toLowerCase() === email) {
        return {
          kind: 'alreadyDone',
          customerId: customer.customerId,
          knoxStatus: customer.status,
          detail: `customer ${customer.customerId} of ours has the request's contact e-mail: our earlier create went through`,
        };
      }
    }
    return undefined;
  },
});
