/**
 * "Create customer": creates a new Knox customer from the onboarding's `customer` (POST /managedCustomers).
 *
 * Context rule: 4002106 EMAIL_ALREADY_IN_USAGE means either that our own earlier create went through (its answer was
 * lost) or that the person already has a Knox account elsewhere. Our customer list tells them apart
 * (lib/knox/find-customer.ts): a customer of ours with the request's contact e-mail is the one we created (already
 * done, its customerId recorded); its certain absence lets the table's abort stand (onboard it with its customerId
 * instead); a lookup that could not finish (pages failing, a list that would not hold still) is a retry, never an
 * abort, since the customer may well be ours.
 *
 * A big MSP's list outlasts one invocation (lib/domain/reconciling.ts): the lookup pages while the invocation has
 * time left beyond one worst-case page and the writes, then keeps its cursor in the record's reconciliation item and
 * throws RECONCILE_CONTINUE_ERROR; the state machine runs the step again, which goes on from the cursor without
 * calling create again. Every page draws from the shared Knox budget (the step's client).
 */
import type { Context } from 'aws-lambda';
import { BUDGET_DEFAULTS } from '#budget/settings';
import { KnoxError } from '#domain/knox-answer';
import { RECONCILE_CONTINUE_ERROR, RECONCILE_MAX_AGE_MS, reconcilePauseMarginMs } from '#domain/reconciling';
import { findCustomerByEmail } from '#knox/find-customer';
import { knoxConfig } from './commons/config';
import { logger } from './commons/powertools';
import { namedError } from './steps/errors';
import { customerOutcome } from './steps/outcomes';
import { knoxStepHandler, type KnoxStepDefinition, type Reclassification, type StepContext } from './steps/runner';
import { newCustomerBody, onboardingRequestOf } from './steps/requests';
import { deleteReconciliation, readReconciliation, saveReconciliation } from './store/reconciliations';

/** The step: its Knox call and context rules (the decision matrix reads the rules' verdicts). */
export const definition: KnoxStepDefinition = {
  step: 'create',
  async call({ record, knox }) {
    // A lookup under way (an earlier invocation ran out of time, or a page failed): go on with it, no second create.
    if ((record.attempts.create ?? 0) > 1 && (await pendingLookup(record.pk)) !== undefined) {
      throw KnoxError.of('EMAIL_ALREADY_IN_USAGE');
    }
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
      // A list longer than one invocation can read goes on in the next (RECONCILE_CONTINUE_ERROR), from its cursor.
      read: reconcile,
    },
  },
};

export const handler = knoxStepHandler(definition);

async function pendingLookup(recordId: string) {
  const pending = await readReconciliation(recordId);
  return pending && Date.now() - Date.parse(pending.startedAt) < RECONCILE_MAX_AGE_MS ? pending : undefined;
}

/** When the lookup must stop asking for pages (lib/domain/reconciling.ts); undefined: no Lambda context, no limit. */
function pauseAt(lambdaContext: Partial<Context> | undefined): number | undefined {
  const remaining = lambdaContext?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return undefined;
  return Date.now() + remaining - reconcilePauseMarginMs(remaining, knoxConfig().timeoutMs, BUDGET_DEFAULTS.maxWaitMs);
}

async function reconcile(_error: KnoxError, context: StepContext): Promise<Reclassification | undefined> {
  const { record, knox } = context;
  const request = onboardingRequestOf(record);
  if (!('customer' in request)) return undefined;
  const pending = await pendingLookup(record.pk);
  const stopAt = pauseAt(context.lambdaContext);
  const found = await findCustomerByEmail(knox, request.customer.contact.email, {
    ...(pending ? { resume: pending.cursor } : {}),
    ...(stopAt !== undefined ? { shouldPause: () => Date.now() >= stopAt } : {}),
  });
  const startedAt = pending?.startedAt ?? new Date(context.startedAt).toISOString();
  const invocations = (pending?.invocations ?? 0) + 1;

  if (found.kind === 'paused') {
    await saveReconciliation(record.pk, found.cursor, startedAt, invocations);
    const { pass, pageNum } = found.cursor;
    logger.info('Reconciliation continues in the next invocation', { listCalls: found.calls, pass, pageNum });
    throw namedError(
      RECONCILE_CONTINUE_ERROR,
      `4002106 answered; reading our customer list: ${found.calls} list calls in ${invocations} invocation(s) so far, pass ${pass}, page ${pageNum} next`,
    );
  }
  if (found.kind === 'inconclusive' && found.cursor) {
    // The page that failed is asked again, from the cursor, when the step is retried.
    await saveReconciliation(record.pk, found.cursor, startedAt, invocations);
  } else if (pending) {
    await deleteReconciliation(record.pk);
  }
  if (found.kind === 'found') {
    const { customerId, status } = found.customer;
    return {
      kind: 'alreadyDone',
      customerId,
      knoxStatus: status,
      detail: `customer ${customerId} of ours has the request's contact e-mail: our earlier create went through (${found.calls} list calls)`,
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
}
