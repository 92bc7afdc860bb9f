/**
 * The one poller: a Lambda run by an EventBridge Scheduler schedule every pollPeriodSeconds, never two rounds at once
 * (reserved concurrency 1). The schedule invokes it asynchronously, so Lambda's event queue decides what a tick that
 * fails or meets a running round becomes: the function's async-invoke settings make one tick one round at most (no
 * retry after a failed round: the next tick is the retry) and let a throttled tick wait at most one period (Lambda's
 * defaults would be two retries and six hours in the queue: "How Lambda handles errors and retries with asynchronous
 * invocation", AWS Lambda Developer Guide). Its role may read and update the table (no create, no delete, no Scan), read
 * the Knox secret, and send task results to this stack's waiting state machines only. Alarms: a failed round, and
 * a waiting record that no complete round has checked for three periods.
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '#domain/configuration';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { stepTimeoutSeconds, type StackConfig } from './context-config';
import { HandlerFunction } from './handler-function';
import type { KnoxSecret } from './knox-secret';
import { acknowledgeWildcardResources } from './nag';
import { KnoxSteps } from './knox-steps';
import type { StateTable } from './state-table';

/** The metric the round summary line feeds, and its namespace (the monitoring's). */
export const POLLER_METRICS = { namespace: 'KnoxOnboarding', oldestUnchecked: 'PollerOldestUncheckedSeconds' } as const;
/** Lambda's longest MaximumEventAgeInSeconds (6 hours). */
const MAX_EVENT_AGE_SECONDS = 21_600;
/** A waiting record unchecked for this many periods alarms. */
export const UNCHECKED_PERIODS_ALARM = 3;

export interface PollerProps {
  config: StackConfig;
  table: StateTable;
  secret: KnoxSecret;
  /** The state machines that wait on the customer's answer (onboarding, offboarding). */
  waitingStateMachines: StateMachine[];
}

export class Poller extends Construct {
  readonly handler: HandlerFunction;
  readonly schedule: scheduler.Schedule;
  readonly alarms: cw.Alarm[] = [];
  private readonly config: StackConfig;

  constructor(scope: Construct, id: string, props: PollerProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    this.handler = new HandlerFunction(this, 'Function', {
      handler: OTHER_FUNCTIONS.poller,
      description: 'One poll round: asks Knox about every customer we wait on and resumes the executions they answered',
      config,
      environment: { ...KnoxSteps.knoxEnvironment(config), [ENV.pollPeriodSeconds]: String(config.pollPeriodSeconds) },
      // A round lists Knox page by page under the shared budget: give it the period, within Lambda's 15 minutes.
      timeout: Duration.seconds(Math.min(900, Math.max(config.pollPeriodSeconds, stepTimeoutSeconds(config)))),
      reservedConcurrentExecutions: 1,
    });
    this.handler.function.configureAsyncInvoke({
      retryAttempts: 0,
      // MaximumEventAgeInSeconds takes 60 to 21,600 (the period is at least 60 s, so this is one period).
      maxEventAge: Duration.seconds(Math.min(MAX_EVENT_AGE_SECONDS, Math.max(60, config.pollPeriodSeconds))),
    });
    props.table.grantPollerAccess(this.handler);
    props.secret.grantRead(this.handler);
    for (const sm of props.waitingStateMachines) sm.grantTaskResponse(this.handler.role);

    // The schedule's own role (not the stack-wide one CDK would share): it may invoke the poller and nothing else.
    const schedulerRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler start knox-onboarding poll rounds',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Runs one knox-onboarding poll round',
      schedule: scheduler.ScheduleExpression.rate(Duration.seconds(config.pollPeriodSeconds)),
      target: new schedulerTargets.LambdaInvoke(this.handler.function, {
        role: schedulerRole,
        // A tick older than one period is superseded by the next one.
        maxEventAge: Duration.seconds(Math.max(60, config.pollPeriodSeconds)),
        retryAttempts: 2,
      }),
    });

    acknowledgeWildcardResources(
      schedulerRole,
      [`${this.handler.function.functionArn}:*`],
      'lambda:InvokeFunction on the poller\'s versions and aliases ("<function ARN>:*", as CDK grants it), which are the same code.',
    );

    new logs.MetricFilter(this, 'OldestUnchecked', {
      logGroup: this.handler.logGroup,
      filterPattern: logs.FilterPattern.exists('$.oldestUncheckedSeconds'),
      metricNamespace: POLLER_METRICS.namespace,
      metricName: POLLER_METRICS.oldestUnchecked,
      metricValue: '$.oldestUncheckedSeconds',
    });
  }

  /** The poller's alarms, on the stack's alarm topic. */
  addAlarms(topic: sns.ITopic): void {
    const action = new SnsAction(topic);
    const period = Duration.seconds(Math.max(60, this.config.pollPeriodSeconds));
    const errors = new cw.Alarm(this, 'RoundErrors', {
      metric: this.handler.function.metricErrors({ period, statistic: cw.Stats.SUM }),
      alarmDescription:
        'A poll round failed (Knox unreachable or refusing our set-up, Step Functions or DynamoDB errors): see the poller log. Waiting records are asked again next round.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    const unchecked = new cw.Alarm(this, 'WaitingRecordUnchecked', {
      metric: new cw.Metric({
        namespace: POLLER_METRICS.namespace,
        metricName: POLLER_METRICS.oldestUnchecked,
        statistic: cw.Stats.MAXIMUM,
        period,
      }),
      alarmDescription: `A waiting record has not been checked for ${UNCHECKED_PERIODS_ALARM} poll periods (or the poller stopped reporting): customers' answers are not being noticed.`,
      threshold: UNCHECKED_PERIODS_ALARM * this.config.pollPeriodSeconds,
      evaluationPeriods: UNCHECKED_PERIODS_ALARM,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Every round reports, even with nothing waiting: silence for three periods means the poller is not running.
      treatMissingData: cw.TreatMissingData.BREACHING,
    });
    for (const alarm of [errors, unchecked]) {
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }
  }
}
