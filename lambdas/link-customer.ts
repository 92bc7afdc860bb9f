/**
 * "Link customer": asks Knox to manage an existing customer (POST /managedCustomers/link). The customer then has to
 * approve; "Wait for customer answer" waits on a callback the poller answers. 4002104 (already pending with us) is
 * already done by the table: our earlier link went through and its answer was lost.
 *
 * Context rule: 4002103 ADD_EC_ALREADY_MANAGED means someone manages the customer, and that someone may be us: our
 * earlier link went through, its answer was lost, and the customer approved before the retry. Knox shows a customer
 * to the MSP that manages it only (anyone else gets 4002113), so one GET tells: ours is already done; else the abort
 * stands. A GET that fails transiently is a retry (the customer may well be ours), never the abort.
 *
 * Before a retry after a transient failure, a customer that shows Rejected to us has refused a link of ours (perhaps
 * the one whose answer was lost): no second request is sent (see refusedEarlierLink).
 */
import { KnoxError } from '#domain/knox-answer';
import type { KnoxClient } from '#knox/types';
import { customerOutcome, retriedAfterTransient } from './steps/outcomes';
import { knoxStepHandler, type KnoxStepDefinition } from './steps/runner';
import { linkBody, onboardingRequestOf } from './steps/requests';

/** The step: its Knox call and context rules (the decision matrix reads the rules' verdicts). */
export const definition: KnoxStepDefinition = {
  step: 'link',
  async call({ record, knox }) {
    const body = linkBody(onboardingRequestOf(record));
    if (retriedAfterTransient(record, 'link') && (await refusedEarlierLink(knox, body.customerId))) {
      throw KnoxError.of('CUSTOMER_REJECTED_LINK', {
        message:
          `Customer ${body.customerId} rejected a link request of ours: ` +
          'the one whose answer was lost is not sent again',
      });
    }
    const customer = await knox.linkCustomer(body);
    return customerOutcome(customer, 'link requested: the customer must approve it');
  },
  rules: {
    ADD_EC_ALREADY_MANAGED: {
      verdicts: [
        { when: 'the customer is ours (one GET shows it to us)', gives: 'alreadyDone' },
        { when: 'Knox does not show it to us', gives: 'table' },
        { when: 'the GET fails transiently', gives: 'transient' },
      ],
      async read(_error, { record, knox }) {
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
  },
};

export const handler = knoxStepHandler(definition);

/**
 * Before a link is sent again after a transient failure: the earlier request may have gone through (its answer lost)
 * and the customer may already have refused it. Knox shows the customer to us once we asked (anyone else gets
 * 4002113), with status Rejected after a refusal: sending another link would ask a customer who just said no, so the
 * customer's refusal stands (CUSTOMER_REJECTED_LINK, an abort: the operator talks to the customer and onboards
 * again). Pending or Active (our link under way, or approved) is left to the link's own answers (4002104, 4002103 and
 * its rule); a customer we are not shown gets the link. A read that fails transiently is a retry. The one cost: a
 * refusal older than this onboarding, when the failed attempt never reached Knox, aborts too (onboard again).
 */
async function refusedEarlierLink(knox: KnoxClient, customerId: string): Promise<boolean> {
  try {
    return (await knox.getCustomer(customerId)).status === 'Rejected';
  } catch (error) {
    if (error instanceof KnoxError && error.disposition === 'retry') throw error;
    return false;
  }
}
