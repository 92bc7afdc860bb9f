/**
 * The states every workflow shares, with the error handling of the table on each Knox step (see ./workflows for the
 * routing in one picture): the Knox task with its two retriers, its Catch wiring, the callback wait for the
 * customer's answer, and the Record tasks with their end states.
 *
 * A failure is not caught: the execution fails in the step that failed, so that RedriveExecution, which continues "from
 * the unsuccessful step" (AWS Step Functions Developer Guide, "Redriving executions"), runs that step again. A
 * States.ALL catcher into "Record failed" -> Fail would make the Fail state the unsuccessful step, and a redrive would
 * only fail again. The record is marked FAILED by execution-events (the execution's FAILED status change), with the
 * error the execution failed with.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { RecordKind } from '#domain/api-schemas';
import { STEP_ERROR_NAMES, type Disposition } from '#domain/dispositions';
import {
  ANSWER_PATH,
  RECORD_CANCELLED_ERROR,
  STATES,
  TASK_TIMEOUT_ERROR,
  WORKFLOW_FAILED_ERROR,
} from '#domain/state-names';
import type { AwaitAnswerPayload, CheckMode, KnoxStepPayload, RecordOutcomePayload } from '#domain/payloads';
import {
  computePollMaxAttempts,
  computeRetryMaxAttempts,
  stepTimeoutSeconds,
  type StackConfig,
} from './context-config';
import type { HandlerFunction } from './handler-function';
import type { KnoxSteps } from './knox-steps';

/**
 * The Lambda service's own transient errors (AWS's names). They share the transient retrier with Knox.Retry, since
 * `retryOnServiceExceptions: false` turns off the retrier CDK would otherwise add (which misses TooManyRequests).
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** Dispositions that end a workflow ABORTED once their retrier, if any, gives up (a business fact, not a fault). */
export const ABORTING_DISPOSITIONS = ['abort', 'invalidRequest', 'wait'] as const satisfies readonly Disposition[];

/** record-outcome is idempotent: a few quick retries ride out Lambda hiccups; then the execution fails. */
export const RECORD_RETRY_ATTEMPTS = 3;

/** Extra time a Task state gives its Lambda beyond the Lambda's own timeout, so the Lambda's timeout speaks first. */
const TASK_TIMEOUT_MARGIN_SECONDS = 10;

export interface KnoxTaskOptions {
  /** Keep a piece of the step's answer for a Choice (default: the result is discarded, the input passes on). */
  resultSelector?: Record<string, unknown>;
  resultPath?: string;
}

type StepFunctions = KnoxSteps['functions'];

/** Builds one workflow's states: its Knox tasks with their error handling, the Wait, and the three outcomes. */
export class WorkflowKit {
  readonly recordSucceeded: tasks.LambdaInvoke;
  readonly recordAborted: tasks.LambdaInvoke;
  readonly failedEnd: sfn.Fail;
  /** Where a step that meets its record CANCELLED ends the workflow (the cancel's StopExecution has not come yet). */
  readonly cancelledEnd: sfn.Succeed;

  constructor(
    readonly scope: Construct,
    readonly kind: RecordKind,
    readonly steps: StepFunctions,
    private readonly config: StackConfig,
  ) {
    this.recordSucceeded = this.recordTask(STATES.recordSucceeded, 'SUCCEEDED');
    this.recordAborted = this.recordTask(STATES.recordAborted, 'ABORTED');
    const ends = END_STATES[kind];
    this.failedEnd = new sfn.Fail(scope, ends.failed, {
      error: WORKFLOW_FAILED_ERROR,
      cause: `The ${kind} failed: its record holds the last error`,
    });
    this.recordSucceeded.next(new sfn.Succeed(scope, ends.succeeded));
    // ABORTED is a business outcome (the customer said no, someone else manages it): the execution succeeds.
    this.recordAborted.next(new sfn.Succeed(scope, ends.aborted, { comment: 'The record says why it was aborted' }));
    // Cancelled is the operator's decision, not a fault: the execution succeeds, the record stays CANCELLED.
    this.cancelledEnd = new sfn.Succeed(scope, ends.cancelled, { comment: 'Cancelled through the API meanwhile' });
  }

  /** A Lambda step that calls Knox, with the transient retrier and the polling schedule. Wire it with proceed(). */
  knoxTask(stateName: string, fn: HandlerFunction, options: KnoxTaskOptions = {}): tasks.LambdaInvoke {
    const payload: Record<keyof KnoxStepPayload, unknown> = {
      id: sfn.JsonPath.stringAt('$.id'),
      executionName: sfn.JsonPath.executionName,
    };
    const task = new tasks.LambdaInvoke(this.scope, stateName, {
      lambdaFunction: fn.function.currentVersion,
      payload: sfn.TaskInput.fromObject(withoutUndefined(payload)),
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(
        Duration.seconds(stepTimeoutSeconds(this.config) + TASK_TIMEOUT_MARGIN_SECONDS),
      ),
      resultSelector: options.resultSelector,
      resultPath: options.resultPath ?? sfn.JsonPath.DISCARD,
    });
    const { config } = this;
    // Quick retries at first (2 s, 4 s, ...: a blip is over in seconds), then gaps up to the cap, which ride out an
    // outage at a few calls an hour; full jitter spreads the workflows, so Knox's return meets no burst. The step ends
    // the run once retryWindowSeconds have passed (RETRY_WINDOW_EXCEEDED_ERROR); MaxAttempts is the backstop.
    task.addRetry({
      errors: [STEP_ERROR_NAMES.retry, ...LAMBDA_SERVICE_ERRORS],
      interval: Duration.seconds(config.retryIntervalSeconds),
      backoffRate: config.retryBackoffRate,
      maxDelay: Duration.seconds(config.retryMaxDelaySeconds),
      maxAttempts: computeRetryMaxAttempts(config),
      jitterStrategy: sfn.JitterType.FULL,
    });
    task.addRetry({
      errors: [STEP_ERROR_NAMES.wait],
      interval: Duration.seconds(config.pollFirstSeconds),
      backoffRate: 2,
      maxDelay: Duration.seconds(config.pollMaxSeconds),
      maxAttempts: computePollMaxAttempts(config),
      // Polls follow the schedule exactly: an approval is noticed at most pollMaxSeconds late.
      jitterStrategy: sfn.JitterType.NONE,
    });
    return task;
  }

  /**
   * Success and Knox.AlreadyDone both go on to `next`; the aborting dispositions go to Record aborted; a record
   * cancelled meanwhile to the cancelled end; anything else (Knox.Operator, exhausted retries, Lambda errors, timeouts,
   * Workflow.RecordClosed) is not caught: the execution fails in this step, which a redrive runs again.
   */
  proceed(task: tasks.LambdaInvoke, next: sfn.IChainable): void {
    task.addCatch(next, { errors: [STEP_ERROR_NAMES.alreadyDone], resultPath: sfn.JsonPath.DISCARD });
    task.addCatch(this.recordAborted, {
      errors: ABORTING_DISPOSITIONS.map((d) => STEP_ERROR_NAMES[d]),
      resultPath: '$.error',
    });
    this.endWhenCancelled(task);
    task.next(next);
  }

  /** A step that met its record CANCELLED (Workflow.RecordCancelled) ends the workflow in its cancelled state. */
  private endWhenCancelled(task: tasks.LambdaInvoke): void {
    task.addCatch(this.cancelledEnd, { errors: [RECORD_CANCELLED_ERROR], resultPath: sfn.JsonPath.DISCARD });
  }

  /**
   * "Wait for customer answer": a callback Task. await-answer stores `$$.Task.Token` on the record; the execution then
   * pauses until the poller sends SendTaskSuccess (the answer goes to `$.answer`) or SendTaskFailure (a refusal,
   * Knox.Abort). TimeoutSeconds is the deadline; the execution's own timeout (a day later) is only the backstop.
   */
  waitForAnswer(mode: CheckMode): tasks.LambdaInvoke {
    const payload: Record<keyof AwaitAnswerPayload, unknown> = {
      id: sfn.JsonPath.stringAt('$.id'),
      executionName: sfn.JsonPath.executionName,
      taskToken: sfn.JsonPath.taskToken,
      mode,
    };
    const task = new tasks.LambdaInvoke(this.scope, STATES.waitForAnswer, {
      lambdaFunction: this.steps.awaitAnswer.function.currentVersion,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject(payload),
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(this.config.waitDeadlineSeconds)),
      resultPath: ANSWER_PATH,
    });
    // Storing the token is one conditional write: a few quick retries ride out Lambda hiccups (each retry is a new
    // token, which replaces the old one on the record).
    task.addRetry({
      errors: [...LAMBDA_SERVICE_ERRORS],
      interval: Duration.seconds(this.config.retryIntervalSeconds),
      backoffRate: this.config.retryBackoffRate,
      maxAttempts: RECORD_RETRY_ATTEMPTS,
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }

  /**
   * The customer's answer goes on to `next`; the deadline and a refusal to Record aborted; a record cancelled before
   * its token was stored to the cancelled end; anything else fails the execution here (a redrive asks the customer
   * again: a new token is stored on the record).
   */
  awaitAnswer(task: tasks.LambdaInvoke, next: sfn.IChainable): void {
    task.addCatch(this.recordAborted, { errors: [TASK_TIMEOUT_ERROR], resultPath: '$.error' });
    task.addCatch(this.recordAborted, {
      errors: ABORTING_DISPOSITIONS.map((d) => STEP_ERROR_NAMES[d]),
      resultPath: '$.error',
    });
    this.endWhenCancelled(task);
    task.next(next);
  }

  private recordTask(
    stateName: string,
    outcome: Exclude<RecordOutcomePayload['outcome'], 'FAILED'>,
  ): tasks.LambdaInvoke {
    const payload: Record<keyof RecordOutcomePayload, unknown> = {
      id: sfn.JsonPath.stringAt('$.id'),
      executionName: sfn.JsonPath.executionName,
      outcome,
      // Catchers put the caught error at $.error; success has none.
      error: outcome === 'SUCCEEDED' ? undefined : sfn.JsonPath.objectAt('$.error'),
    };
    const task = new tasks.LambdaInvoke(this.scope, stateName, {
      lambdaFunction: this.steps.recordOutcome.function.currentVersion,
      payload: sfn.TaskInput.fromObject(withoutUndefined(payload)),
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30 + TASK_TIMEOUT_MARGIN_SECONDS)),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // No catcher: if the record cannot be written the execution fails here, execution-events marks the record FAILED,
    // and a redrive writes the outcome again.
    task.addRetry({
      errors: [...LAMBDA_SERVICE_ERRORS, sfn.Errors.TASKS_FAILED],
      interval: Duration.seconds(this.config.retryIntervalSeconds),
      backoffRate: this.config.retryBackoffRate,
      maxAttempts: RECORD_RETRY_ATTEMPTS,
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }
}

/** The end states of each workflow, by outcome. */
export const END_STATES: Record<RecordKind, { succeeded: string; aborted: string; failed: string; cancelled: string }> =
  {
    onboarding: {
      succeeded: STATES.onboardingSucceeded,
      aborted: STATES.onboardingAborted,
      failed: STATES.onboardingFailed,
      cancelled: STATES.onboardingCancelled,
    },
    offboarding: {
      succeeded: STATES.offboardingSucceeded,
      aborted: STATES.offboardingAborted,
      failed: STATES.offboardingFailed,
      cancelled: STATES.offboardingCancelled,
    },
    change: {
      succeeded: STATES.changeSucceeded,
      aborted: STATES.changeAborted,
      failed: STATES.changeFailed,
      cancelled: STATES.changeCancelled,
    },
  };

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
