/** What the workflows pass to their Lambda steps and what the steps return. */
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

/** Payload of record-outcome: the final status, and the caught error for ABORTED and FAILED. */
export interface RecordOutcomePayload {
  id: string;
  executionName?: string;
  outcome: 'SUCCEEDED' | 'ABORTED' | 'FAILED';
  error?: { Error: string; Cause?: string };
}
