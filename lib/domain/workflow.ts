/**
 * The names the CDK definition, the Lambda steps, the local stack and the tests share: state names (operators read
 * them in the console), step payloads, the table layout, environment variables and the default schedule.
 */
import type { RecordKind } from './api-schemas';

// --- State names ------------------------------------------------------------------------------------------------------

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
  recordFailed: 'Record failed',
  onboardingSucceeded: 'Onboarding succeeded',
  onboardingAborted: 'Onboarding aborted',
  onboardingFailed: 'Onboarding failed',
  offboardingSucceeded: 'Offboarding succeeded',
  offboardingAborted: 'Offboarding aborted',
  offboardingFailed: 'Offboarding failed',
  changeSucceeded: 'Change succeeded',
  changeAborted: 'Change aborted',
  changeFailed: 'Change failed',
  startNextSlice: 'Start next slice',
  itemsLeftToStart: 'Items left to start?',
  waitForBudget: 'Wait for the Knox budget',
  waitForItems: 'Wait for the items',
  checkItems: 'Check items',
  batchFinished: 'Batch finished?',
  batchEnded: 'Batch ended',
} as const;
export type StateName = (typeof STATES)[keyof typeof STATES];

/** The error a workflow's Fail state ends with (what the FAILED-executions alarm counts). */
export const WORKFLOW_FAILED_ERROR = 'Workflow.Failed';

/**
 * The error a step throws when its record is already terminal (e.g. CANCELLED): it does not call Knox, and the
 * state machine's States.ALL catcher ends the run (the record's terminal status stays as it is).
 */
export const RECORD_CLOSED_ERROR = 'Workflow.RecordClosed';

// --- Lambda steps ---------------------------------------------------------------------------------------------------

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

/** Execution input of every workflow: the record's id, and for onboarding which path to take. */
export interface WorkflowInput {
  id: string;
  path?: 'link' | 'create';
}

/** Payload of every Knox step. `executionName` is there for log correlation only. */
export interface KnoxStepPayload {
  id: string;
  executionName?: string;
}

/** What the customer is asked to answer: a link (onboarding) or a delink (offboarding). */
export type CheckMode = 'approval' | 'delink';

/** Payload of "Wait for customer answer" (await-answer): the record and the task token ($$.Task.Token) to store. */
export interface AwaitAnswerPayload {
  id: string;
  executionName?: string;
  taskToken: string;
  mode: CheckMode;
}

/** What a Knox step returns (small: the record in DynamoDB holds the rest). */
export interface KnoxStepResult {
  customerId?: string;
  knoxStatus?: string;
}

/**
 * What the poller sends with SendTaskSuccess when the customer answered yes: the output of "Wait for customer
 * answer", kept at `$.answer` for the states after it.
 */
export interface CustomerAnswer {
  customerId: string;
  knoxStatus: string;
  /** Approval: the customer lacks requested services or access, so "Needs a change?" runs the change step. */
  needsChange?: boolean;
}

/** Where the callback Task puts the customer's answer in the state's data. */
export const ANSWER_PATH = '$.answer';

/** The error Step Functions raises when a Task's TimeoutSeconds passes (the callback's deadline). */
export const TASK_TIMEOUT_ERROR = 'States.Timeout';

/** Payload of record-outcome: the final status, and the caught error for ABORTED and FAILED. */
export interface RecordOutcomePayload {
  id: string;
  executionName?: string;
  outcome: 'SUCCEEDED' | 'ABORTED' | 'FAILED';
  error?: { Error: string; Cause?: string };
}

// --- DynamoDB layout ------------------------------------------------------------------------------------------------

export const TABLE = {
  partitionKey: 'pk',
  /** GSI that lists records by kind and status, newest last. */
  byStatusIndex: 'byKindStatus',
  byStatusPartitionKey: 'kindStatus',
  byStatusSortKey: 'createdAt',
} as const;

/** The poller's own item in the table: when rounds ran and what Knox's list looked like (not a record). */
export const POLLER_STATE_KEY = 'poller#state';

/** Record ids: a short kind prefix and 16 hex characters. */
export const ID_PREFIX: Record<RecordKind, string> = { onboarding: 'onb', offboarding: 'off', change: 'chg' };

/**
 * The item of the Knox request budget shared by every Lambda (lib/budget). It has no `kindStatus`, so it never shows
 * in the by-status index that lists records.
 */
export const KNOX_BUDGET_KEY = 'budget#knox';

/** The lock item that keeps one open workflow per customer. */
export function customerLockKey(customerKey: string): string {
  return `lock#customer#${customerKey}`;
}

// --- Configuration --------------------------------------------------------------------------------------------------

/** Environment variables the Lambdas read (the CDK stack sets them; the local stack reads them from the template). */
export const ENV = {
  tableName: 'TABLE_NAME',
  knoxBaseUrl: 'KNOX_BASE_URL',
  knoxSecretArn: 'KNOX_SECRET_ARN',
  knoxTimeoutMs: 'KNOX_TIMEOUT_MS',
  knoxRequestsPerSecond: 'KNOX_REQUESTS_PER_SECOND',
  /** Optional: ask Knox for tokens that live this many minutes (at most 60); unset, Knox's default (10). */
  knoxTokenLifetimeMinutes: 'KNOX_TOKEN_LIFETIME_MINUTES',
  waitDeadlineSeconds: 'WAIT_DEADLINE_SECONDS',
  retryWindowSeconds: 'RETRY_WINDOW_SECONDS',
  pollPeriodSeconds: 'POLL_PERIOD_SECONDS',
  onboardingStateMachineArn: 'ONBOARDING_STATE_MACHINE_ARN',
  offboardingStateMachineArn: 'OFFBOARDING_STATE_MACHINE_ARN',
  changeStateMachineArn: 'CHANGE_STATE_MACHINE_ARN',
  batchStateMachineArn: 'BATCH_STATE_MACHINE_ARN',
} as const;

/** Defaults for everything `cdk.json` context can override (see README). */
export const DEFAULTS = {
  knoxBaseUrl: 'https://api.samsungknox.com',
  knoxTimeoutMs: 10_000,
  /** The low end of sibling Knox APIs' published limits. */
  knoxRequestsPerSecond: 10,
  /** Waits on Knox itself (4002101, 4002102, 4002115, 4002116, 4002119): first retry, then doubling. */
  pollFirstSeconds: 60,
  /** Retries of a wait on Knox never further apart than this. */
  pollMaxSeconds: 3600,
  /** The poller's period: how late a customer's answer is noticed at worst. */
  pollPeriodSeconds: 300,
  /** How long a customer may take to answer before the workflow aborts (the invitation lives 7 days). */
  waitDeadlineSeconds: 14 * 24 * 3600,
  /**
   * Transient failures: first retry interval, growth and cap (full jitter draws each gap in [0, delay], so gaps at
   * the cap average half of it), retried for at least retryWindowSeconds (a Knox outage of that long is ridden out).
   */
  retryIntervalSeconds: 2,
  retryBackoffRate: 2,
  retryMaxDelaySeconds: 600,
  retryWindowSeconds: 3600,
} as const;
