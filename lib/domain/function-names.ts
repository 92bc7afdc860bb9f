/** Every Lambda function of the stack: its id and its handler module under lambdas/. */
/** Every Lambda function: its id in the stack and its handler module under lambdas/. */
export const STEP_FUNCTIONS = {
  createCustomer: 'create-customer',
  linkCustomer: 'link-customer',
  awaitAnswer: 'await-answer',
  requestDelink: 'request-delink',
  updateCustomer: 'update-customer',
  recordOutcome: 'record-outcome',
} as const;
export type StepFunctionKey = keyof typeof STEP_FUNCTIONS;

/** The API handler and the execution-status reconciler, which are not workflow steps. */
export const OTHER_FUNCTIONS = {
  api: 'api',
  executionEvents: 'execution-events',
  batchStarter: 'batch-starter',
  poller: 'poller',
} as const;
