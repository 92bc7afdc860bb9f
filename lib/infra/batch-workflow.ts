/**
 * The bulk onboarding workflow (Standard, JSONPath): starts a batch's items in slices paced to the Knox budget, then
 * watches them until every item is terminal. One Lambda (batch-starter) does both steps; its answer drives the loop:
 *
 *   Start next slice ─▶ Items left to start? ─STARTING─▶ Wait for the Knox budget (SecondsPath) ─▶ Start next slice
 *                                            ─RUNNING──▶ Wait for the items (SecondsPath) ─▶ Check items ─▶ Batch finished?
 *                                            ─otherwise (DONE, CANCELLED)─▶ Batch ended            RUNNING ─┘   └─▶ Batch ended
 *
 * History stays bounded: 1,000 items are 40 slices (about 400 events), and the watch's wait grows while nothing changes
 * (1 s after a change, then ×1.5 up to 15 minutes): a 14-day wait on a customer is about 1,400 rounds, 14,000 events,
 * below the 25,000-event limit.
 */
import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { BatchStatus, BatchStepPayload } from '#domain/batch-schemas';
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
      description: "Starts a bulk onboarding batch's items in slices paced to the Knox budget, and counts them",
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

    const step = (name: string, action: BatchStepPayload['action']): tasks.LambdaInvoke => {
      const payload: Record<keyof BatchStepPayload, unknown> = { batchId: sfn.JsonPath.stringAt('$.batchId'), action };
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: this.starter.function.currentVersion,
        payload: sfn.TaskInput.fromObject(payload),
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(70)),
        outputPath: '$.Payload',
      });
      // Every step is safe to repeat, and makes no Knox call: ride out Lambda and DynamoDB hiccups over the retry
      // window (the same backstop as the Knox steps'), then the execution fails.
      task.addRetry({
        errors: [...LAMBDA_SERVICE_ERRORS, sfn.Errors.TASKS_FAILED, sfn.Errors.TIMEOUT],
        interval: Duration.seconds(config.retryIntervalSeconds),
        backoffRate: config.retryBackoffRate,
        maxDelay: Duration.seconds(config.retryMaxDelaySeconds),
        maxAttempts: computeRetryMaxAttempts(config),
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };
    const is = (status: BatchStatus) => sfn.Condition.stringEquals('$.status', status);

    const startNextSlice = step(STATES.startNextSlice, 'start');
    const checkItems = step(STATES.checkItems, 'check');
    const waitForBudget = new sfn.Wait(this, STATES.waitForBudget, { time: sfn.WaitTime.secondsPath('$.waitSeconds') });
    const waitForItems = new sfn.Wait(this, STATES.waitForItems, { time: sfn.WaitTime.secondsPath('$.waitSeconds') });
    const ended = new sfn.Succeed(this, STATES.batchEnded, { comment: 'The batch record says DONE or CANCELLED' });
    const batchFinished = new sfn.Choice(this, STATES.batchFinished).when(is('RUNNING'), waitForItems).otherwise(ended);
    const itemsLeft = new sfn.Choice(this, STATES.itemsLeftToStart)
      .when(is('STARTING'), waitForBudget)
      .when(is('RUNNING'), waitForItems)
      .otherwise(ended);
    startNextSlice.next(itemsLeft);
    waitForBudget.next(startNextSlice);
    waitForItems.next(checkItems);
    checkItems.next(batchFinished);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = standardStateMachine(this, {
      config,
      workflow: BATCH_WORKFLOW,
      comment: "Starts a bulk onboarding batch's items in slices paced to the Knox budget and follows them to the end",
      start: startNextSlice,
      timeoutSeconds: executionTimeoutSeconds(config) + BATCH_EXTRA_SECONDS,
      invokes: [this.starter],
    }));
  }
}
