/**
 * What tells the operator something needs them: an encrypted SNS topic (optionally mailed), alarms on failed and
 * timed-out executions, throttled functions, Knox operator errors (our own set-up is wrong) and undelivered
 * execution events; a dashboard (with the shared Knox budget: budget-monitoring.ts); and the EventBridge rule that lets execution-events close records whose execution
 * ended without reaching its record step.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { RecordKind } from '#domain/api-schemas';
import type { Disposition } from '#domain/dispositions';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { knoxBudgetWidgets } from './budget-monitoring';
import type { StackConfig } from './context-config';
import { HandlerFunction } from './handler-function';
import { pascal } from './names';
import type { StateTable } from './state-table';
import { END_STATES } from './workflow-kit';

/** Namespace of the metrics the log metric filters produce. */
export const METRIC_NAMESPACE = 'KnoxOnboarding';
export const METRICS = {
  /** Knox answers whose disposition is `operator` (bad credentials, unknown codes): someone must fix our set-up. */
  operatorErrors: 'KnoxOperatorErrors',
  /** Every Knox error a step logged, with a `code` dimension (Knox's code name). */
  knoxErrors: 'KnoxErrors',
} as const;

/** The step log lines the metric filters count: the handlers log each Knox error as JSON with these keys. */
const OPERATOR: Disposition = 'operator';
const OPERATOR_ERROR_PATTERN = logs.FilterPattern.stringValue('$.disposition', '=', OPERATOR);
const KNOX_ERROR_PATTERN = logs.FilterPattern.all(
  logs.FilterPattern.exists('$.disposition'),
  logs.FilterPattern.exists('$.code'),
);

/** The execution statuses after which a record may still be open (SUCCEEDED executions always record their outcome). */
export const RECONCILED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

const PERIOD = Duration.minutes(5);

export interface MonitoringProps {
  config: StackConfig;
  table: StateTable;
  stateMachines: Record<RecordKind, StateMachine>;
  /** Each state machine's execution log, where the business outcomes are counted. */
  workflowLogGroups: Record<RecordKind, logs.ILogGroup>;
  /** The bulk onboarding workflow: alarmed like the others (a failed batch stops starting its items). */
  batchStateMachine?: StateMachine;
  /** Every function built outside Monitoring, for the throttle alarms and the dashboard. */
  functions: HandlerFunction[];
  /** The functions that call Knox, whose logs the Knox error metric filters read. */
  knoxFunctions: HandlerFunction[];
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly executionEvents: HandlerFunction;
  readonly undeliveredEvents: sqs.Queue;
  readonly dashboard: cw.Dashboard;
  readonly alarms: cw.Alarm[] = [];
  /** The FAILED-executions alarm of each workflow (a RecordKind, or `batch`). */
  readonly failedAlarms: Partial<Record<RecordKind | 'batch', cw.Alarm>> = {};
  private readonly alarmAction: SnsAction;
  private readonly alarmScope = new Construct(this, 'Alarms');

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, stateMachines } = props;

    this.topic = this.alarmTopic(config);
    this.alarmAction = new SnsAction(this.topic);

    // --- Closing records of executions that ended early -----------------------------------------------------------
    this.undeliveredEvents = new sqs.Queue(this, 'UndeliveredExecutionEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.undeliveredEvents).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the execution-events rule and function; its messages are alarmed and read by an operator.',
    });
    this.executionEvents = new HandlerFunction(this, 'ExecutionEvents', {
      handler: OTHER_FUNCTIONS.executionEvents,
      description:
        'Closes the record of an execution that failed, timed out or was stopped before it recorded its outcome',
      config,
      environment: {},
      timeout: Duration.seconds(30),
    });
    props.table.grantRecordAccess(this.executionEvents);
    // A function error after Lambda's own retries lands in the same queue as an event EventBridge could not deliver.
    this.executionEvents.function.configureAsyncInvoke({
      onFailure: new SqsDestination(this.undeliveredEvents),
      retryAttempts: 2,
    });
    new events.Rule(this, 'ExecutionEnded', {
      description: 'A knox-onboarding execution failed, timed out or was stopped: close its record if still open',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: [...RECONCILED_STATUSES],
          // The batch workflow's own failure marks its batch FAILED (execution-events; batch-workflow.ts says why).
          stateMachineArn: [
            ...Object.values(stateMachines),
            ...(props.batchStateMachine ? [props.batchStateMachine] : []),
          ].map((sm) => sm.stateMachineArn),
        },
      },
      targets: [
        new targets.LambdaFunction(this.executionEvents.function, {
          deadLetterQueue: this.undeliveredEvents,
          maxEventAge: Duration.hours(24),
          retryAttempts: 20,
        }),
      ],
    });

    // --- Metrics from the steps' logs -------------------------------------------------------------------------------
    props.knoxFunctions.forEach((fn) => {
      new logs.MetricFilter(fn, 'OperatorErrors', {
        logGroup: fn.logGroup,
        filterPattern: OPERATOR_ERROR_PATTERN,
        metricNamespace: METRIC_NAMESPACE,
        metricName: METRICS.operatorErrors,
        metricValue: '1',
      });
      new logs.MetricFilter(fn, 'KnoxErrorsByCode', {
        logGroup: fn.logGroup,
        filterPattern: KNOX_ERROR_PATTERN,
        metricNamespace: METRIC_NAMESPACE,
        metricName: METRICS.knoxErrors,
        metricValue: '1',
        dimensions: { code: '$.code' },
      });
    });
    const operatorErrors = new cw.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.operatorErrors,
      statistic: cw.Stats.SUM,
      period: PERIOD,
    });

    // --- Alarms -----------------------------------------------------------------------------------------------------
    this.alarm(
      'KnoxOperatorErrors',
      operatorErrors,
      'Knox refused our set-up (credentials, scope, an unknown error code): see the step logs and the record lastError hint.',
    );
    for (const [kind, sm] of Object.entries(stateMachines) as [RecordKind, StateMachine][]) {
      // Also the rollback trigger of the workflow's gradual deployments (./live-alias.ts).
      this.failedAlarms[kind] = this.alarm(
        `${pascal(kind)}ExecutionsFailed`,
        sm.metricFailed({ period: PERIOD, statistic: cw.Stats.SUM }),
        `A ${kind} workflow FAILED (retries exhausted, an operator error or a Lambda fault): see its execution history.`,
      );
      this.alarm(
        `${pascal(kind)}ExecutionsTimedOut`,
        sm.metricTimedOut({ period: PERIOD, statistic: cw.Stats.SUM }),
        `A ${kind} workflow reached its execution timeout: the step deadline should have ended it first.`,
      );
    }
    if (props.batchStateMachine) {
      const batch = props.batchStateMachine;
      this.failedAlarms.batch = this.alarm(
        'BatchExecutionsFailed',
        batch.metricFailed({ period: PERIOD, statistic: cw.Stats.SUM }),
        'A bulk onboarding batch workflow FAILED (the batch record says FAILED and why): fix the cause, then redrive the execution to continue the batch.',
      );
      this.alarm(
        'BatchExecutionsTimedOut',
        batch.metricTimedOut({ period: PERIOD, statistic: cw.Stats.SUM }),
        'A bulk onboarding batch workflow reached its execution timeout while items were still open.',
      );
    }
    const allFunctions = [...props.functions, this.executionEvents];
    for (const fn of allFunctions) {
      this.alarm(
        `${pascal(fn.handler)}Throttles`,
        fn.function.metricThrottles({ period: PERIOD, statistic: cw.Stats.SUM }),
        `The ${fn.handler} function was throttled: check the account's Lambda concurrency.`,
      );
    }
    this.alarm(
      'UndeliveredExecutionEvents',
      this.undeliveredEvents.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cw.Stats.MAXIMUM }),
      'An execution end could not be recorded: a record may be left open. Read the queue, then fix the record.',
    );

    this.dashboard = this.buildDashboard(props.stateMachines, props.workflowLogGroups, allFunctions, operatorErrors);
    this.dashboard.addWidgets(...knoxBudgetWidgets(METRIC_NAMESPACE, props.knoxFunctions));
  }

  private alarmTopic(config: StackConfig): sns.Topic {
    // CloudWatch can publish to an encrypted topic only with a customer-managed key whose policy lets it use the key.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the knox-onboarding alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'knox-onboarding alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (config.alarmEmail) topic.addSubscription(new EmailSubscription(config.alarmEmail));
    return topic;
  }

  private alarm(id: string, metric: cw.IMetric, description: string): cw.Alarm {
    const alarm = new cw.Alarm(this.alarmScope, id, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.alarmAction);
    this.alarms.push(alarm);
    return alarm;
  }

  private buildDashboard(
    stateMachines: Record<RecordKind, StateMachine>,
    workflowLogGroups: Record<RecordKind, logs.ILogGroup>,
    functions: HandlerFunction[],
    operatorErrors: cw.Metric,
  ): cw.Dashboard {
    const dashboard = new cw.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(7) });
    const executionWidgets = (Object.entries(stateMachines) as [RecordKind, StateMachine][]).map(([kind, sm]) => {
      const businessOutcomes = this.businessOutcomeMetrics(kind, workflowLogGroups[kind]);
      return new cw.GraphWidget({
        title: `${pascal(kind)} executions`,
        width: 8,
        left: [
          sm.metricStarted({ label: 'started', statistic: cw.Stats.SUM }),
          businessOutcomes.succeeded,
          businessOutcomes.aborted,
          sm.metricFailed({ label: 'FAILED', statistic: cw.Stats.SUM }),
          sm.metricTimedOut({ label: 'timed out', statistic: cw.Stats.SUM }),
          sm.metricAborted({ label: 'cancelled (stopped)', statistic: cw.Stats.SUM }),
        ],
      });
    });
    dashboard.addWidgets(...executionWidgets);
    dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Knox errors by code',
        width: 16,
        left: [
          new cw.SearchExpression({
            expression: `SEARCH('{${METRIC_NAMESPACE},code} MetricName="${METRICS.knoxErrors}"', 'Sum', ${PERIOD.toSeconds()})`,
            label: '',
            period: PERIOD,
          }),
        ],
      }),
      new cw.GraphWidget({
        title: 'Knox operator errors',
        width: 8,
        left: [operatorErrors.with({ label: 'operator errors' })],
      }),
    );
    dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Lambda errors',
        width: 12,
        left: functions.map((fn) => fn.function.metricErrors({ label: fn.handler, statistic: cw.Stats.SUM })),
      }),
      new cw.GraphWidget({
        title: 'Lambda throttles',
        width: 12,
        left: functions.map((fn) => fn.function.metricThrottles({ label: fn.handler, statistic: cw.Stats.SUM })),
      }),
    );
    return dashboard;
  }

  /**
   * SUCCEEDED and ABORTED records both end in a Succeed state (an abort is a business outcome, not a fault), so the
   * execution metrics cannot tell them apart: count the end states entered in the state machine's own log.
   */
  private businessOutcomeMetrics(
    kind: RecordKind,
    logGroup: logs.ILogGroup,
  ): { succeeded: cw.Metric; aborted: cw.Metric } {
    const outcome = (name: 'succeeded' | 'aborted', label: string): cw.Metric => {
      const metricName = `${pascal(kind)}${pascal(name)}`;
      new logs.MetricFilter(this, `${metricName}Outcomes`, {
        logGroup,
        filterPattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.type', '=', 'SucceedStateEntered'),
          logs.FilterPattern.stringValue('$.details.name', '=', END_STATES[kind][name]),
        ),
        metricNamespace: METRIC_NAMESPACE,
        metricName,
        metricValue: '1',
      });
      return new cw.Metric({ namespace: METRIC_NAMESPACE, metricName, statistic: cw.Stats.SUM, period: PERIOD, label });
    };
    return { succeeded: outcome('succeeded', 'SUCCEEDED'), aborted: outcome('aborted', 'ABORTED') };
  }
}
