/**
 * What a customer's Knox status means for a record that waits on it (link approval or delink acceptance). Statuses
 * that mean "not yet" or "no" become the table's own rows (CUSTOMER_PENDING, CUSTOMER_REJECTED_LINK, ...), so they
 * are recorded and routed like any Knox error.
 *
 * approval: Active -> answered (needsChange when requested services are not Active yet); Pending and
 *           DelinkRequested -> still waiting; Rejected -> refused.
 * delink:   no longer ours (4002113) -> answered, knoxStatus "Delinked"; DelinkRequested and Pending -> still
 *           waiting; Active -> refused (the customer rejected the delink); Rejected -> refused.
 */
import { KnoxError } from '#domain/knox-answer';
import { specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import type { CustomerStatus, KnoxCustomer } from '#domain/knox-schemas';
import type { CheckMode, CustomerAnswer } from '#domain/payloads';
import type { WorkflowRecord } from '../store';
import { missingServices, onboardingRequestOf } from '../steps/requests';

/** The knoxStatus recorded once the customer accepted the delink (Knox no longer shows it to us). */
export const DELINKED_STATUS = 'Delinked';

/** Knox's answer to "get this customer" when the customer left us: the delink was accepted. */
export const NOT_MANAGED_BY_US = specFor('CUSTOMER_NOT_MANAGED_BY_MSP').errorCode;

/**
 * What the poller does with a Knox error on its read of a waiting record's customer: no longer ours (the delink was
 * accepted, or the link is someone else's now: see answerOf), not read this time (transient, or Knox wants a wait:
 * the next round asks again), the round fails (our own set-up is wrong: alarmed, the waits stay as they are), or a
 * refusal no wait changes (SendTaskFailure under the disposition's name).
 */
export type ReadFailure = 'notManaged' | 'unread' | 'roundFails' | 'refused';

export function readFailureOf(error: Pick<KnoxError, 'errorCode' | 'disposition'>): ReadFailure {
  if (error.errorCode === NOT_MANAGED_BY_US) return 'notManaged';
  if (error.disposition === 'retry' || error.disposition === 'wait') return 'unread';
  return error.disposition === 'operator' ? 'roundFails' : 'refused';
}

/** What Knox says about one waiting record's customer: the customer, or that it is no longer ours. */
export type CustomerView = { customer: KnoxCustomer } | { notManaged: true };

export type Answer =
  /** Not yet: the table's row for the status (disposition wait). */
  | { kind: 'waiting'; error: KnoxError }
  /** Yes: SendTaskSuccess with `output`. */
  | { kind: 'answered'; output: CustomerAnswer; detail: string }
  /** No (or something no wait changes): SendTaskFailure with the error's disposition name. */
  | { kind: 'refused'; error: KnoxError };

type StatusAnswer = (customer: KnoxCustomer, record: WorkflowRecord) => Answer;

type StatusCode = KnoxErrorCodeName &
  ('CUSTOMER_PENDING' | 'CUSTOMER_DELINK_REQUESTED' | 'CUSTOMER_REJECTED_LINK' | 'CUSTOMER_REJECTED_DELINK');

/** A status that is not the answer we wait for: the table's row for it (wait or abort, as the table says). */
function answeredWith(code: StatusCode): StatusAnswer {
  return (customer) => {
    const error = KnoxError.of(code, { message: `${specFor(code).message} (Knox status ${customer.status})` });
    return error.disposition === 'wait' ? { kind: 'waiting', error } : { kind: 'refused', error };
  };
}

const approved: StatusAnswer = (customer, record) => {
  const missing = missingServices(customer, onboardingRequestOf(record).services);
  return {
    kind: 'answered',
    output: { customerId: customer.customerId, knoxStatus: customer.status, needsChange: missing.length > 0 },
    detail:
      missing.length > 0
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

/** What the record's kind waits for: onboardings a link approval, offboardings a delink acceptance. */
export function modeOf(record: Pick<WorkflowRecord, 'kind'>): CheckMode {
  return record.kind === 'offboarding' ? 'delink' : 'approval';
}

/** The meaning of Knox's view of the customer for a waiting record. */
export function answerOf(record: WorkflowRecord, view: CustomerView): Answer {
  const mode = modeOf(record);
  if ('notManaged' in view) {
    if (mode === 'delink') {
      return {
        kind: 'answered',
        output: { customerId: record.customerId ?? '', knoxStatus: DELINKED_STATUS },
        detail: 'the customer accepted the delink',
      };
    }
    // A link we asked for that Knox no longer shows us: someone else's now, or gone. No wait changes that.
    return { kind: 'refused', error: KnoxError.of('CUSTOMER_NOT_MANAGED_BY_MSP') };
  }
  return ANSWERS[mode][view.customer.status](view.customer, record);
}
