/**
 * "Create customer": creates a new Knox customer from the onboarding's `customer` (POST /managedCustomers).
 *
 * Context rule: 4002106 EMAIL_ALREADY_IN_USAGE means either that our own earlier create went through (its answer was
 * lost) or that the person already has a Knox account elsewhere. Our customer list tells them apart
 * (lib/knox/find-customer.ts): a customer of ours with the request's contact e-mail is the one we created (already
 * done, its customerId recorded); its certain absence lets the table's abort stand (onboard it with its customerId
 * instead); a lookup that could not finish (pages failing, a list that would not hold still) is a retry, never an
 * abort, since the customer may well be ours.
 */
import { KnoxError } from '#domain/knox-answer';
import { findCustomerByEmail } from '#knox/find-customer';
import { customerOutcome } from './steps/outcomes';
import { knoxStepHandler, type KnoxStepDefinition } from './steps/runner';
import { newCustomerBody, onboardingRequestOf } from './steps/requests';

/** The step: its Knox call and context rules (the decision matrix reads the rules' verdicts). */
export const definition: KnoxStepDefinition = {
  step: 'create',
  async call({ record, knox }) {
    const customer = await knox.createCustomer(newCustomerBody(onboardingRequestOf(record)));
    return customerOutcome(customer, 'customer created');
  },
  rules: {
    EMAIL_ALREADY_IN_USAGE: {
      verdicts: [
        { when: "one of our customers has the request's e-mail", gives: 'alreadyDone' },
        { when: 'none of ours has it', gives: 'table' },
        { when: 'a page of our customer list fails transiently', gives: 'transient' },
        { when: 'our customer list would not hold still', gives: 'CUSTOMER_LOOKUP_INCONCLUSIVE' },
      ],
      async read(_error, { record, knox }) {
        const request = onboardingRequestOf(record);
        if (!('customer' in request)) return undefined;
        const found = await findCustomerByEmail(knox, request.customer.contact.email);
        if (found.kind === 'found') {
          const { customerId, status } = found.customer;
          return {
            kind: 'alreadyDone',
            customerId,
            knoxStatus: status,
            detail: `customer ${customerId} of ours has the request's contact e-mail: our earlier create went through`,
          };
        }
        if (found.kind === 'absent') return undefined;
        // A page's own transient error says best what went wrong; anything else a list page answered is no verdict.
        if (found.cause?.disposition === 'retry') return { kind: 'error', error: found.cause };
        return {
          kind: 'error',
          error: KnoxError.of('CUSTOMER_LOOKUP_INCONCLUSIVE', {
            message:
              `4002106 answered, and our customer list could not tell whether the customer is ours: ` +
              `${found.reason} (${found.calls} list calls)`,
          }),
        };
      },
    },
  },
};

export const handler = knoxStepHandler(definition);
