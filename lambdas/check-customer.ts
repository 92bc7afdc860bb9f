/**
 * "Check customer approval" (mode `approval`) and "Check delink acceptance" (mode `delink`): reads the customer
 * (GET /managedCustomers/{customerId}) and turns its status into the workflow's next move. Statuses that mean "not
 * yet" or "no" become the table's own rows (CUSTOMER_PENDING, CUSTOMER_REJECTED_LINK, ...), so they are recorded
 * and routed like any Knox error.
 *
 * approval: Active -> success (needsChange when requested services are not Active yet); Pending and DelinkRequested
 *           -> wait; Rejected -> abort.
 * delink:   4002113 (no longer ours) -> success, knoxStatus "Delinked"; DelinkRequested -> wait; Active -> abort
 *           (the customer refused); Pending -> wait; Rejected -> abort.
 */
import type { CheckMode } from '../lib/domain/workflow';
import { KnoxError } from '../lib/domain/knox-answer';
import { specFor } from '../lib/domain/knox-errors';
import type { CustomerStatus, KnoxCustomer } from '../lib/domain/knox-schemas';
import { knoxStepHandler, type StepContext, type StepOutcome } from './steps/runner';
import { customerIdOf, missingServices, onboardingRequestOf } from './steps/requests';

const NOT_MANAGED_BY_US = specFor('CUSTOMER_NOT_MANAGED_BY_MSP').errorCode;

/** The knoxStatus recorded once the customer accepted the delink (Knox no longer shows it to us). */
export const DELINKED_STATUS = 'Delinked';

type StatusAnswer = (customer: KnoxCustomer, context: StepContext) => StepOutcome;

/** A status that is not the answer we wait for: the table's row for it (wait or abort, as the table says). */
function answeredWith(
  code: 'CUSTOMER_PENDING' | 'CUSTOMER_DELINK_REQUESTED' | 'CUSTOMER_REJECTED_LINK' | 'CUSTOMER_REJECTED_DELINK',
): StatusAnswer {
  return (customer) => {
    throw KnoxError.of(code, { message: `${specFor(code).message} (Knox status ${customer.status})` });
  };
}

const approved: StatusAnswer = (customer, { record }) => {
  const missing = missingServices(customer, onboardingRequestOf(record).services);
  return {
    result: { customerId: customer.customerId, knoxStatus: customer.status, needsChange: missing.length > 0 },
    knoxStatus: customer.status,
    detail: missing.length > 0
      ? `the customer approved; services still to add: ${missing.map((s) => s.service).join(', ')}`
      : 'the customer approved',
  };
};

const ANSWERS: Record<CheckMode, Record<CustomerStatus, StatusAnswer>> = {
  approval: {
    Active: approved,
    Pending: answeredWith('CUSTOMER_PENDING'),
    DelinkRequested: answeredWith('CUSTOMER_DELINK_REQUESTED'),
    Rejected: answeredWith('CUSTOMER_REJECTED_LINK'),
  },
  delink: {
    Active: answeredWith('CUSTOMER_REJECTED_DELINK'),
    Pending: answeredWith('CUSTOMER_PENDING'),
    DelinkRequested: answeredWith('CUSTOMER_DELINK_REQUESTED'),
    Rejected: answeredWith('CUSTOMER_REJECTED_LINK'),
  },
};

/** The payload's mode; without one, what the record's kind implies. */
function modeOf(context: StepContext): CheckMode {
  return context.payload.mode ?? (context.record.kind === 'offboarding' ? 'delink' : 'approval');
}

export const handler = knoxStepHandler({
  step: 'check',
  poll: true,
  async call(context) {
    const mode = modeOf(context);
    const customerId = customerIdOf(context.record);
    let customer: KnoxCustomer;
    try {
      customer = await context.knox.getCustomer(customerId);
    } catch (error) {
      // After an accepted delink Knox no longer shows us the customer: that is the answer we wait for.
      if (mode === 'delink' && error instanceof KnoxError && error.errorCode === NOT_MANAGED_BY_US) {
        return {
          result: { customerId, knoxStatus: DELINKED_STATUS },
          knoxStatus: DELINKED_STATUS,
          detail: 'the customer accepted the delink',
        };
      }
      throw error;
    }
    return ANSWERS[mode][customer.status](customer, context);
  },
});
