/**
 * The create step's loop while it reconciles a 4002106 over a customer list too long for one invocation
 * (lib/domain/reconciling.ts): a retrier on RECONCILE_CONTINUE_ERROR that runs the same Task again after
 * RECONCILE_LOOP.intervalSeconds, RECONCILE_LOOP.maxAttempts times at most (then the error goes to the Task's
 * catchers: Record failed). A Retry rather than a Choice and a second Task: one state transition and three history
 * events an iteration instead of seven events, and the Task keeps its own catchers and retriers. Each retrier counts
 * its own attempts, so the loop leaves the transient and polling retriers' budgets alone (AWS documentation: Step
 * Functions developer guide, "Handling errors in Step Functions workflows", retrier fields).
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { RECONCILE_CONTINUE_ERROR, RECONCILE_LOOP } from '#domain/reconciling';

export function loopWhileReconciling(task: tasks.LambdaInvoke): void {
  task.addRetry({
    errors: [RECONCILE_CONTINUE_ERROR],
    interval: Duration.seconds(RECONCILE_LOOP.intervalSeconds),
    backoffRate: 1,
    maxAttempts: RECONCILE_LOOP.maxAttempts,
    jitterStrategy: sfn.JitterType.NONE,
  });
}
