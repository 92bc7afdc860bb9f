/**
 * What every state machine of the stack is, and the one right other functions get on its executions. A state
 * machine is Standard and traced, logs every event without execution data (inputs may carry customer ids: the logs
 * say what happened, the record says to whom), carries its workflow's Metadata (the local stack finds it by that),
 * and its role's nag findings are acknowledged with their reasons.
 */
import { ArnFormat, type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StackConfig } from './context-config';
import { METADATA_KEYS } from './metadata';
import { LiveAlias } from './live-alias';
import { acknowledgeWildcardResources } from './nag';

export interface StandardStateMachineProps {
  config: StackConfig;
  /** Its METADATA_KEYS.workflow value: a RecordKind or BATCH_WORKFLOW. */
  workflow: string;
  comment: string;
  /** The first state of the definition. */
  start: sfn.IChainable;
  timeoutSeconds: number;
}

/**
 * Where Step Functions' vended logs go. CloudWatch Logs resource policies are limited to 5,120 characters per policy
 * and 10 per account and Region; Step Functions (like every vended-log source) adds the log group's ARN to one unless
 * the name begins with `/aws/vendedlogs/`, which one policy covers for all (AWS documentation: Step Functions
 * developer guide, "Logging Step Functions using CloudWatch Logs"; CloudWatch Logs user guide, "Enabling logging from
 * AWS services", log groups under /aws/vendedlogs/). Without the prefix, enough state machines in one account make
 * the next deploy fail on the policy's size.
 */
export const STATE_MACHINE_LOG_PREFIX = '/aws/vendedlogs/states/';

/** The execution log's name of a workflow's state machine in a stack. */
export function stateMachineLogGroupName(stackName: string, workflow: string): string {
  return `${STATE_MACHINE_LOG_PREFIX}${stackName}-${workflow}`;
}

/** The state machine `StateMachine` and its execution log `Logs`, both under `scope`. */
export function standardStateMachine(
  scope: Construct,
  props: StandardStateMachineProps,
): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    logGroupName: stateMachineLogGroupName(Stack.of(scope).stackName, props.workflow),
    retention: props.config.logRetentionDays,
    // A named group that a failed first deploy left behind would make the next deploy fail ("already exists"): kept
    // on update and stack deletion (the audit trail), deleted when the stack's creation rolls back.
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    comment: props.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(props.start),
    timeout: Duration.seconds(props.timeoutSeconds),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  (stateMachine.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.workflow, props.workflow);
  // Published as a version behind the alias executions are started through (./live-alias.ts).
  new LiveAlias(scope, 'Live', stateMachine);
  Validations.of(stateMachine.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing support no resource-level permissions.',
  });
  return { stateMachine, logGroup };
}

/** Grants `actions` (StopExecution, DescribeExecution) on the executions of one state machine, and on no other's. */
export function grantOnExecutions(role: iam.Role, stateMachine: sfn.StateMachine, actions: string[]): void {
  const executions = Stack.of(stateMachine).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachine.stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  role.addToPolicy(new iam.PolicyStatement({ actions, resources: [executions] }));
  acknowledgeWildcardResources(
    role,
    [executions],
    'Execution names are only known at run time: the grant covers the executions of one of our state machines.',
  );
}
