/**
 * The bulk onboarding workflow (Standard, JSONPath): starts a batch's items as the shared Knox budget has room (rounds
 * of a few seconds: lambdas/batches/pacing.ts), then waits for them on a callback until every item is terminal. One
 * Lambda (batch-starter) does every step; its answer's `next` drives the loop:
 *
 *   Start next slice ─▶ Items left to start? ─slice──▶ Wait for the Knox budget (SecondsPath) ─▶ Start next slice
 *                                            ─items──▶ Wait for the items (callback) ─▶ Check items ─▶ Batch finished?
 *                                            ─cancel─▶ Cancel items ─▶ Batch finished?   (the same four ways)
 *                                            ─end────▶ Batch ended
 *
 * History stays bounded: a Standard execution fails once its history would pass 25,000 events (AWS Step Functions
 * quotas, "Maximum execution history size"). 1,000 items at 10 Knox calls a second are some 20 rounds (about 200
 * events); the watch then does not poll: "Wait for the items" stores its task token on the batch and the end of the
 * batch's last open item sends SendTaskSuccess (lambdas/batches/item-ended.ts). A lost callback is found by the poller's sweep within one poll
 * period; the task's TimeoutSeconds (a day) is the last backstop: a 14-day wait is 14 rounds, not thousands.
 *
 * The batch's own failure: no Catch to a Fail state (a redrive restarts at the state that did not succeed, and a
 * caught error routed to Fail makes that the Fail state: nothing would continue). The execution fails at the step
 * that failed; its FAILED status change (EventBridge, lib/infra/monitoring.ts) records the batch FAILED with the reason
 * and the batch alarm fires; a redrive (or the local stack's restart) runs that step again, which continues the batch.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { BatchNext, BatchStepPayload } from '#domain/batch-schemas';
import { ENV } from '#domain/configuration';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { STATES } from '#domain/state-names';
import { computeRetryMaxAttempts, executionTimeoutSeconds, type StackConfig } from './context-config';
import { HandlerFunction } from './handler-function';
import { LiveAlias } from './live-alias';
import { BATCH_WORKFLOW } from './metadata';
import { grantOnExecutions, standardStateMachine } from './state-machine';
import type { StateTable } from './state-table';
import { LAMBDA_SERVICE_ERRORS } from './workflow-kit';

/** Starting 1,000 items takes minutes; the watch then lasts as long as the slowest customer may take. */
const BATCH_EXTRA_SECONDS = 24 * 3600;
/** The callback's backstop: at the latest, the watch looks again after a day (the sweep normally answers sooner). */
export const BATCH_WATCH_BACKSTOP_SECONDS = 24 * 3600;

export interface BatchWorkflowProps {
  config: StackConfig;
  table: StateTable;
  onboarding: sfn.StateMachine;
}

export class BatchWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly starter: HandlerFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BatchWorkflowProps) {
    super(scope, id);
    const { config, table, onboarding } = props;

    this.starter = new HandlerFunction(this, 'Starter', {
      handler: OTHER_FUNCTIONS.batchStarter,
      description: "Starts a bulk onboarding batch's items as the Knox budget has room, and counts them",
      config,
      environment: {
        // Items start through the onboarding's live alias (./live-alias.ts).
        [ENV.onboardingStateMachineArn]: LiveAlias.of(onboarding).arn,
        [ENV.waitDeadlineSeconds]: String(config.waitDeadlineSeconds),
        [ENV.knoxRequestsPerSecond]: String(config.knoxRequestsPerSecond),
      },
      timeout: Duration.seconds(60),
    });
    table.grantRecordAccess(this.starter);
    table.grantBatchRead(this.starter);
    LiveAlias.of(onboarding).grantStartExecution(this.starter.role);
    // A DELETE that races a slice: the starter cancels the items it has just started (StopExecution).
    grantOnExecutions(this.starter.role, onboarding, ['states:StopExecution']);

    const retryStep = (task: tasks.LambdaInvoke, errors: string[]): void => {
      // Every step is safe to repeat, and makes no Knox call: ride out Lambda and DynamoDB hiccups over the retry
      // window (the same backstop as the Knox steps'), then the execution fails.
      task.addRetry({
        errors,
        interval: Duration.seconds(config.retryIntervalSeconds),
        backoffRate: config.retryBackoffRate,
        maxDelay: Duration.seconds(config.retryMaxDelaySeconds),
        maxAttempts: computeRetryMaxAttempts(config),
        jitterStrategy: sfn.JitterType.FULL,
      });
    };
    const step = (name: string, action: BatchStepPayload['action']): tasks.LambdaInvoke => {
      const payload: Record<string, unknown> = { batchId: sfn.JsonPath.stringAt('$.batchId'), action };
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: this.starter.function.currentVersion,
        payload: sfn.TaskInput.fromObject(payload),
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(70)),
        outputPath: '$.Payload',
      });
      retryStep(task, [...LAMBDA_SERVICE_ERRORS, sfn.Errors.TASKS_FAILED, sfn.Errors.TIMEOUT]);
      return task;
    };
    const next = (value: BatchNext) => sfn.Condition.stringEquals('$.next', value);

    const startNextSlice = step(STATES.startNextSlice, 'start');
    const checkItems = step(STATES.checkItems, 'check');
    const cancelItems = step(STATES.cancelItems, 'cancel');
    const awaitPayload: Record<keyof BatchStepPayload, unknown> = {
      batchId: sfn.JsonPath.stringAt('$.batchId'),
      action: 'await',
      taskToken: sfn.JsonPath.taskToken,
    };
    const waitForItems = new tasks.LambdaInvoke(this, STATES.waitForItems, {
      lambdaFunction: this.starter.function.currentVersion,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject(awaitPayload),
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(BATCH_WATCH_BACKSTOP_SECONDS)),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // The backstop's timeout goes on to count the items; so does a failure to store the token (Check items has the
    // retries with backoff, and leads back here while items are open). Not a retrier on States.TaskFailed: the
    // local engine matches its callback timeout with it, which AWS does not (States.TaskFailed excludes States.Timeout).
    retryStep(waitForItems, [...LAMBDA_SERVICE_ERRORS]);
    waitForItems.addCatch(checkItems, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    const waitForBudget = new sfn.Wait(this, STATES.waitForBudget, { time: sfn.WaitTime.secondsPath('$.waitSeconds') });
    const ended = new sfn.Succeed(this, STATES.batchEnded, {
      comment: 'The batch record says DONE, CANCELLED or STOPPED',
    });
    const route = (name: string): sfn.Choice =>
      new sfn.Choice(this, name)
        .when(next('slice'), waitForBudget)
        .when(next('items'), waitForItems)
        .when(next('cancel'), cancelItems)
        .otherwise(ended);
    startNextSlice.next(route(STATES.itemsLeftToStart));
    waitForBudget.next(startNextSlice);
    waitForItems.next(checkItems);
    const finished = route(STATES.batchFinished);
    checkItems.next(finished);
    cancelItems.next(finished);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = standardStateMachine(this, {
      config,
      workflow: BATCH_WORKFLOW,
      comment: "Starts a bulk onboarding batch's items as the Knox budget has room and follows them to the end",
      start: startNextSlice,
      timeoutSeconds: executionTimeoutSeconds(config) + BATCH_EXTRA_SECONDS,
    }));
    this.grantWake('StarterWakes', this.starter.role);
  }

  /**
   * SendTaskSuccess on this state machine's callbacks (the ends of the batch's items wake its "Wait for the items").
   * A Policy of its own, not the role's default policy: a function waits for its default policy, and the ARN of this
   * state machine (which invokes functions that start onboardings) would make a dependency cycle.
   */
  grantWake(id: string, role: iam.IRole): void {
    new iam.Policy(this, id, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });
  }
}
