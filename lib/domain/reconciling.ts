/**
 * Reconciling a create across Lambda invocations: when 4002106 EMAIL_ALREADY_IN_USAGE sends the create step through
 * the MSP's whole customer list (lib/knox/find-customer.ts) and the list is too long for one invocation, the step
 * keeps the lookup's cursor in an item of its own and throws RECONCILE_CONTINUE_ERROR; the state machine's retrier on
 * that name runs the step again at once, and the next invocation goes on from the cursor instead of calling create.
 */

/** What the create step throws when its time is up mid-lookup: the state machine runs it again (a Retry). */
export const RECONCILE_CONTINUE_ERROR = 'Workflow.ReconcileContinues';

/**
 * The loop's retrier. Each iteration is one retry: one state transition and three history events (LambdaFunction
 * Scheduled, Started, Failed). The bound is a backstop: the lookup itself stops after 2 + 3 x 1,200 pages
 * (FIND_DEFAULTS), which at the default step timeout (40 s, 23 s of paging an invocation) and 250 ms a page is at
 * most 40 iterations (an absent customer among 50,000: 22); 200 leave room for a Knox five times slower. Exhausted,
 * the error goes to Record failed.
 */
export const RECONCILE_LOOP = { intervalSeconds: 1, maxAttempts: 200 } as const;

/** A cursor older than this is dropped and the lookup starts over (its proof assumes a lookup of minutes). */
export const RECONCILE_MAX_AGE_MS = 60 * 60 * 1000;

/** Time kept for the writes after the last page (the cursor, the record's error) and the runner's answer. */
export const RECONCILE_WRITES_MARGIN_MS = 2_000;

/**
 * How long before an invocation's end the lookup stops asking for pages: one worst-case page (the Knox timeout and the
 * longest wait for the shared budget) and the writes, or half the time left if that is less (a short timeout still
 * pages). With the defaults (10 s Knox timeout, 5 s budget wait, a 40 s step) 17 s: 23 s of paging an invocation.
 */
export function reconcilePauseMarginMs(remainingMs: number, knoxTimeoutMs: number, budgetMaxWaitMs: number): number {
  return Math.min(knoxTimeoutMs + budgetMaxWaitMs + RECONCILE_WRITES_MARGIN_MS, remainingMs / 2);
}

/** The table item that holds a record's lookup cursor (not a record: no kindStatus, never listed). */
export function reconciliationKey(recordId: string): string {
  return `reconcile#${recordId}`;
}
