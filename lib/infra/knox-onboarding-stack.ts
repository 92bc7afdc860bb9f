/**
 * The whole deployment: the records table and the Knox secret, the Lambda steps, the three workflows, the
 * IAM-authorized HTTP API and the monitoring. Each construct owns one concern and grants its own rights.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RecordKind } from '#domain/api-schemas';
import { BatchWorkflow } from './batch-workflow';
import { configFromContext, type StackConfig } from './context-config';
import { HttpApi } from './http-api';
import { KnoxSecret } from './knox-secret';
import { KnoxSteps } from './knox-steps';
import { LiveAlias } from './live-alias';
import { Monitoring } from './monitoring';
import { Poller } from './poller-schedule';
import { StateTable } from './state-table';
import { Workflows } from './workflows';

export { STACK_NAME } from './metadata';

export interface KnoxOnboardingStackProps extends StackProps {
  /** @default read from CDK context (see config.ts) */
  config?: StackConfig;
}

export class KnoxOnboardingStack extends Stack {
  readonly config: StackConfig;
  readonly table: StateTable;
  readonly secret: KnoxSecret;
  readonly steps: KnoxSteps;
  readonly workflows: Workflows;
  readonly batches: BatchWorkflow;
  readonly api: HttpApi;
  readonly monitoring: Monitoring;
  readonly poller: Poller;

  constructor(scope: Construct, id: string, props: KnoxOnboardingStackProps = {}) {
    super(scope, id, {
      description: 'Error-driven onboarding of Knox MSP customers on Step Functions (knox-onboarding)',
      ...props,
    });
    const config = props.config ?? configFromContext(this.node);
    this.config = config;

    this.table = new StateTable(this, 'State');
    this.secret = new KnoxSecret(this, 'Knox');
    this.steps = new KnoxSteps(this, 'Steps', { config, table: this.table, secret: this.secret });
    this.workflows = new Workflows(this, 'Workflows', { config, steps: this.steps });
    this.batches = new BatchWorkflow(this, 'Batches', {
      config,
      table: this.table,
      onboarding: this.workflows.stateMachines.onboarding,
    });
    this.poller = new Poller(this, 'Poller', {
      config,
      table: this.table,
      secret: this.secret,
      waitingStateMachines: [this.workflows.stateMachines.onboarding, this.workflows.stateMachines.offboarding],
    });
    this.api = new HttpApi(this, 'Http', {
      config,
      table: this.table,
      stateMachines: this.workflows.stateMachines,
      batchStateMachine: this.batches.stateMachine,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      table: this.table,
      stateMachines: this.workflows.stateMachines,
      workflowLogGroups: this.workflows.logGroups,
      batchStateMachine: this.batches.stateMachine,
      functions: [...this.steps.all, this.api.handler, this.batches.starter],
      knoxFunctions: [...this.steps.knoxFunctions, this.poller.handler],
    });
    this.poller.addAlarms(this.monitoring.topic);
    // A new version of a workflow rolls back if its FAILED-executions alarm fires during the deployment.
    for (const [kind, sm] of Object.entries(this.workflows.stateMachines) as [RecordKind, StateMachine][]) {
      LiveAlias.of(sm).rollBackOn([this.monitoring.failedAlarms[kind]].filter((a) => a !== undefined));
    }
    const batchFailed = this.monitoring.failedAlarms.batch;
    LiveAlias.of(this.batches.stateMachine).rollBackOn(batchFailed ? [batchFailed] : []);
    // The ends of a batch's items wake its workflow; the poller's sweep finds a lost wake-up (reading the slices).
    this.batches.grantWake('RecordOutcomeWakes', this.steps.functions.recordOutcome.role);
    this.batches.grantWake('ExecutionEventsWake', this.monitoring.executionEvents.role);
    this.batches.grantWake('ApiWakes', this.api.handler.role);
    this.batches.grantWake('PollerWakes', this.poller.handler.role);
    this.table.grantBatchRead(this.poller.handler);

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the IAM-authorized API' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'KnoxSecretArn', {
      value: this.secret.secret.secretArn,
      description: 'Put {"clientId","clientSecret"} here with aws secretsmanager put-secret-value',
    });
    new CfnOutput(this, 'OnboardingStateMachineArn', {
      value: this.workflows.stateMachines.onboarding.stateMachineArn,
    });
    new CfnOutput(this, 'OffboardingStateMachineArn', {
      value: this.workflows.stateMachines.offboarding.stateMachineArn,
    });
    new CfnOutput(this, 'ChangeStateMachineArn', { value: this.workflows.stateMachines.change.stateMachineArn });
    new CfnOutput(this, 'BatchStateMachineArn', { value: this.batches.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }
}
