/**
 * State names (operators read them in the console) and the error names the workflows route on: the CDK definition,
 * the steps, the local stack and the tests share them.
 */
/** State names, per workflow. A state that appears in several workflows has one name everywhere. */
export const STATES = {
  linkOrCreate: 'Link or create?',
  linkCustomer: 'Link customer',
  createCustomer: 'Create customer',
  /** A callback Task: stores its task token on the record and pauses until the poller sends the customer's answer. */
  waitForAnswer: 'Wait for customer answer',
  needsChange: 'Needs a change?',
  changeCustomer: 'Change customer',
  requestDelink: 'Request delink',
  recordSucceeded: 'Record succeeded',
  recordAborted: 'Record aborted',
  onboardingSucceeded: 'Onboarding succeeded',
  onboardingAborted: 'Onboarding aborted',
  onboardingFailed: 'Onboarding failed',
  onboardingCancelled: 'Onboarding cancelled',
  offboardingSucceeded: 'Offboarding succeeded',
  offboardingAborted: 'Offboarding aborted',
  offboardingFailed: 'Offboarding failed',
  offboardingCancelled: 'Offboarding cancelled',
  changeSucceeded: 'Change succeeded',
  changeAborted: 'Change aborted',
  changeFailed: 'Change failed',
  changeCancelled: 'Change cancelled',
  startNextSlice: 'Start next slice',
  itemsLeftToStart: 'Items left to start?',
  waitForBudget: 'Wait for the Knox budget',
  /** A callback Task: stores its token on the batch and pauses until the batch's last open item ends. */
  waitForItems: 'Wait for the items',
  checkItems: 'Check items',
  cancelItems: 'Cancel items',
  batchFinished: 'Batch finished?',
  batchEnded: 'Batch ended',
} as const;
export type StateName = (typeof STATES)[keyof typeof STATES];

/** The error a workflow's Fail state ends with (what the FAILED-executions alarm counts). */
export const WORKFLOW_FAILED_ERROR = 'Workflow.Failed';

/**
 * The error a step throws when its record is already SUCCEEDED, ABORTED or FAILED (a redrive sent straight to Step
 * Functions, say): it does not call Knox, and the execution fails in that step (the record's status stays as it is).
 */
export const RECORD_CLOSED_ERROR = 'Workflow.RecordClosed';

/**
 * The error a step throws when its record is CANCELLED: a cancel writes the record first and stops the execution
 * after, so a step running between the two meets it. Knox is not called and the workflow ends in its "cancelled"
 * Succeed state: a cancel is the operator's decision, not a fault for the FAILED-executions alarm to count.
 */
export const RECORD_CANCELLED_ERROR = 'Workflow.RecordCancelled';

/** Where the callback Task puts the customer's answer in the state's data. */
export const ANSWER_PATH = '$.answer';

/** The error Step Functions raises when a Task's TimeoutSeconds passes (the callback's deadline). */
export const TASK_TIMEOUT_ERROR = 'States.Timeout';
