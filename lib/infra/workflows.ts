/**
 * The three state machines (onboarding, offboarding, change), written so that each reads top to bottom as the
 * business process. Every Knox step gets the same error handling, derived from the dispositions
 * (lib/domain/dispositions.ts) and the configured schedules, never from a list of names typed here:
 *
 *   Retry  Knox.Retry + Lambda service errors   exponential to a cap, full jitter, for the retry window (transient)
 *   Retry  Knox.Wait                            waits on Knox itself (4002101, ...): doubling, up to pollMaxSeconds
 *   Catch  Knox.AlreadyDone                     -> where success goes (our earlier request went through)
 *   Catch  Knox.Abort, Knox.InvalidRequest, Knox.Wait (retries exhausted)  -> Record aborted
 *   Catch  States.ALL                           -> Record failed (Knox.Operator, retries exhausted, Lambda errors)
 *
 * The wait on the customer's answer is a callback ("Wait for customer answer", `.waitForTaskToken`): the execution
 * pauses at no cost until the poller sends the answer; TimeoutSeconds is the deadline (States.Timeout -> Record
 * aborted, WAIT_DEADLINE_EXCEEDED); a refusal arrives as Knox.Abort (-> Record aborted).
 */
import { type CfnResource, Duration, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { RecordKind } from '../domain/api-schemas';
import { STEP_ERROR_NAMES, type Disposition } from '../domain/dispositions';
import {
  ANSWER_PATH,
  STATES,
  TASK_TIMEOUT_ERROR,
  WORKFLOW_FAILED_ERROR,
  type AwaitAnswerPayload,
  type CheckMode,
  type KnoxStepPayload,
  type RecordOutcomePayload,
} from '../domain/workflow';
import {
  computePollMaxAttempts,
  computeRetryMaxAttempts,
  executionTimeoutSeconds,
  stepTimeoutSeconds,
  type StackConfig,
} from './config';
import type { HandlerFunction } from './handler-function';
import type { KnoxSteps } from './knox-steps';
import { METADATA_KEYS } from './metadata';
import { acknowledgeWildcardResources } from './nag';

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

// --- The business processes -------------------------------------------------------------------------------------------

function onboarding(kit: WorkflowKit): sfn.IChainable {
  const { steps } = kit;
  const linkOrCreate = new sfn.Choice(kit.scope, STATES.linkOrCreate);
  const linkCustomer = kit.knoxTask(STATES.linkCustomer, steps.linkCustomer);
  const createCustomer = kit.knoxTask(STATES.createCustomer, steps.createCustomer);
  const waitForAnswer = kit.waitForAnswer('approval');
  const needsChange = new sfn.Choice(kit.scope, STATES.needsChange);
  const changeCustomer = kit.knoxTask(STATES.changeCustomer, steps.updateCustomer);

  linkOrCreate
    .when(sfn.Condition.stringEquals('$.path', 'link'), linkCustomer)
    .when(sfn.Condition.stringEquals('$.path', 'create'), createCustomer)
    // The API always sends a path: anything else is a bug, which execution-events records as FAILED.
    .otherwise(kit.failedEnd);
  // A link Knox already has (4002104) still waits for the customer's answer.
  kit.proceed(linkCustomer, waitForAnswer);
  kit.awaitAnswer(waitForAnswer, needsChange);
  needsChange
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent(`${ANSWER_PATH}.needsChange`),
        sfn.Condition.booleanEquals(`${ANSWER_PATH}.needsChange`, true),
      ),
      changeCustomer,
    )
    .otherwise(kit.recordSucceeded);
  kit.proceed(changeCustomer, kit.recordSucceeded);
  kit.proceed(createCustomer, kit.recordSucceeded);
  return linkOrCreate;
}

function offboarding(kit: WorkflowKit): sfn.IChainable {
  const { steps } = kit;
  const requestDelink = kit.knoxTask(STATES.requestDelink, steps.requestDelink);
  const waitForAnswer = kit.waitForAnswer('delink');

  kit.proceed(requestDelink, waitForAnswer);
  kit.awaitAnswer(waitForAnswer, kit.recordSucceeded);
  return requestDelink;
}

function change(kit: WorkflowKit): sfn.IChainable {
  const changeCustomer = kit.knoxTask(STATES.changeCustomer, kit.steps.updateCustomer);
  kit.proceed(changeCustomer, kit.recordSucceeded);
  return changeCustomer;
}

const PROCESSES: Record<RecordKind, (kit: WorkflowKit) => sfn.IChainable> = { onboarding, offboarding, change };

const COMMENTS: Record<RecordKind, string> = {
  onboarding:
    'Links an existing Knox customer to our MSP (or creates one), waits for its approval, applies what is still missing',
  offboarding: 'Asks Knox to delink a customer and waits until the customer accepts',
  change: "Changes a managed customer's management type, access type or services",
};

// --- The kit: states every workflow shares ----------------------------------------------------------------------------

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
  readonly recordFailed: tasks.LambdaInvoke;
  readonly failedEnd: sfn.Fail;

  constructor(
    readonly scope: Construct,
    readonly kind: RecordKind,
    readonly steps: StepFunctions,
    private readonly config: StackConfig,
  ) {
    this.recordSucceeded = this.recordTask(STATES.recordSucceeded, 'SUCCEEDED');
    this.recordAborted = this.recordTask(STATES.recordAborted, 'ABORTED');
    this.recordFailed = this.recordTask(STATES.recordFailed, 'FAILED');
    const ends = END_STATES[kind];
    this.failedEnd = new sfn.Fail(scope, ends.failed, {
      error: WORKFLOW_FAILED_ERROR,
      cause: `The ${kind} failed: its record holds the last error`,
    });
    this.recordSucceeded.next(new sfn.Succeed(scope, ends.succeeded));
    // ABORTED is a business outcome (the customer said no, someone else manages it): the execution succeeds.
    this.recordAborted.next(new sfn.Succeed(scope, ends.aborted, { comment: 'The record says why it was aborted' }));
    this.recordFailed.next(this.failedEnd);
  }

  /** A Lambda step that calls Knox, with the transient retrier and the polling schedule. Wire it with proceed(). */
  knoxTask(stateName: string, fn: HandlerFunction, options: KnoxTaskOptions = {}): tasks.LambdaInvoke {
    const payload: Record<keyof Omit<KnoxStepPayload, 'mode'>, unknown> = {
      id: sfn.JsonPath.stringAt('$.id'),
      executionName: sfn.JsonPath.executionName,
    };
    const task = new tasks.LambdaInvoke(this.scope, stateName, {
      lambdaFunction: fn.function,
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
   * Success and Knox.AlreadyDone both go on to `next`; the aborting dispositions go to Record aborted; anything
   * else (Knox.Operator, exhausted retries, Lambda errors, timeouts, Workflow.RecordClosed) to Record failed.
   */
  proceed(task: tasks.LambdaInvoke, next: sfn.IChainable): void {
    task.addCatch(next, { errors: [STEP_ERROR_NAMES.alreadyDone], resultPath: sfn.JsonPath.DISCARD });
    task.addCatch(this.recordAborted, {
      errors: ABORTING_DISPOSITIONS.map((d) => STEP_ERROR_NAMES[d]),
      resultPath: '$.error',
    });
    task.addCatch(this.recordFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    task.next(next);
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
      lambdaFunction: this.steps.awaitAnswer.function,
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

  /** The customer's answer goes on to `next`; the deadline and a refusal to Record aborted; anything else failed. */
  awaitAnswer(task: tasks.LambdaInvoke, next: sfn.IChainable): void {
    task.addCatch(this.recordAborted, { errors: [TASK_TIMEOUT_ERROR], resultPath: '$.error' });
    task.addCatch(this.recordAborted, {
      errors: ABORTING_DISPOSITIONS.map((d) => STEP_ERROR_NAMES[d]),
      resultPath: '$.error',
    });
    task.addCatch(this.recordFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    task.next(next);
  }

  private recordTask(stateName: string, outcome: RecordOutcomePayload['outcome']): tasks.LambdaInvoke {
    const payload: Record<keyof RecordOutcomePayload, unknown> = {
      id: sfn.JsonPath.stringAt('$.id'),
      executionName: sfn.JsonPath.executionName,
      outcome,
      // Catchers put the caught error at $.error; success has none.
      error: outcome === 'SUCCEEDED' ? undefined : sfn.JsonPath.objectAt('$.error'),
    };
    const task = new tasks.LambdaInvoke(this.scope, stateName, {
      lambdaFunction: this.steps.recordOutcome.function,
      payload: sfn.TaskInput.fromObject(withoutUndefined(payload)),
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30 + TASK_TIMEOUT_MARGIN_SECONDS)),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // No catcher: if the record cannot be written the execution fails, and execution-events marks the record.
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
export const END_STATES: Record<RecordKind, { succeeded: string; aborted: string; failed: string }> = {
  onboarding: {
    succeeded: STATES.onboardingSucceeded,
    aborted: STATES.onboardingAborted,
    failed: STATES.onboardingFailed,
  },
  offboarding: {
    succeeded: STATES.offboardingSucceeded,
    aborted: STATES.offboardingAborted,
    failed: STATES.offboardingFailed,
  },
  change: { succeeded: STATES.changeSucceeded, aborted: STATES.changeAborted, failed: STATES.changeFailed },
};

// --- The construct -----------------------------------------------------------------------------------------------------

export interface WorkflowsProps {
  config: StackConfig;
  steps: KnoxSteps;
}

export class Workflows extends Construct {
  readonly stateMachines: Record<RecordKind, sfn.StateMachine>;
  /** Each state machine's execution log (LogLevel.ALL, without execution data). */
  readonly logGroups = {} as Record<RecordKind, logs.LogGroup>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const build = (kind: RecordKind, constructId: string): sfn.StateMachine => {
      const workflowScope = new Construct(this, constructId);
      const kit = new WorkflowKit(workflowScope, kind, props.steps.functions, props.config);
      const logGroup = new logs.LogGroup(workflowScope, 'Logs', { retention: props.config.logRetentionDays });
      this.logGroups[kind] = logGroup;
      const stateMachine = new sfn.StateMachine(workflowScope, 'StateMachine', {
        stateMachineType: sfn.StateMachineType.STANDARD,
        comment: COMMENTS[kind],
        definitionBody: sfn.DefinitionBody.fromChainable(PROCESSES[kind](kit)),
        timeout: Duration.seconds(executionTimeoutSeconds(props.config)),
        tracingEnabled: true,
        // Inputs and outputs may carry customer ids: the logs say what happened, the record says to whom.
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      });
      (stateMachine.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.workflow, kind);
      Validations.of(stateMachine.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing support no resource-level permissions.',
      });
      acknowledgeWildcardResources(
        stateMachine.role,
        Object.values(props.steps.functions).map((fn) => `${fn.function.functionArn}:*`),
        'lambda:InvokeFunction on the step function\'s versions and aliases ("<function ARN>:*", as CDK grants it), which are the same code.',
      );
      return stateMachine;
    };
    this.stateMachines = {
      onboarding: build('onboarding', 'Onboarding'),
      offboarding: build('offboarding', 'Offboarding'),
      change: build('change', 'Change'),
    };
  }

  get all(): sfn.StateMachine[] {
    return Object.values(this.stateMachines);
  }
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
