/**
 * Deploys that never break a running workflow. Step Functions keeps each execution on the definition it started with,
 * but a definition that names unversioned functions runs whatever code was deployed last when a waiting execution
 * resumes (aws-cdk issue 17515). So:
 * - every Lambda Task names a published version (`currentVersion`, see workflow-kit.ts and handler-function.ts), and
 *   versions are retained (RemovalPolicy.RETAIN): an execution that waits for weeks still finds its code;
 * - each state machine is published as a version (AWS::StepFunctions::StateMachineVersion, a new one whenever the
 *   definition's revision changes, old ones retained) behind the alias `live` (AWS::StepFunctions::StateMachineAlias)
 *   with a deployment preference: a new version takes a share of new executions first and the failed-executions
 *   alarm rolls it back (Step Functions Developer Guide, "Gradual deployment of state machine versions");
 * - executions are started through the alias: StartExecution is granted on the alias ARN (a qualified ARN is a
 *   resource of its own in IAM: Developer Guide, "IAM permissions for versions and aliases"). Executions started
 *   through an alias are still `...:execution:<state machine name>:<name>`: the rights on executions stay as they are.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The alias every execution is started through. */
export const LIVE_ALIAS = 'live';

/**
 * How a new version reaches `live`: 10 % of new executions for 10 minutes, then all of them, unless an alarm fires
 * first (then `live` goes back to the previous version). The in-flight executions are never moved either way.
 */
export const LIVE_DEPLOYMENT = { type: 'CANARY', percentage: 10, interval: 10 } as const;

const LIVE = new WeakMap<sfn.StateMachine, LiveAlias>();

export class LiveAlias extends Construct {
  readonly version: sfn.CfnStateMachineVersion;
  readonly alias: sfn.CfnStateMachineAlias;

  /** The alias of a state machine built by standardStateMachine(). */
  static of(stateMachine: sfn.StateMachine): LiveAlias {
    const live = LIVE.get(stateMachine);
    if (!live) throw new Error(`state machine ${stateMachine.node.path} has no ${LIVE_ALIAS} alias`);
    return live;
  }

  constructor(scope: Construct, id: string, stateMachine: sfn.StateMachine) {
    super(scope, id);
    const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
    this.version = new sfn.CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: stateMachine.stateMachineArn,
      // A new revision (a changed definition) replaces this resource: a new version is published.
      stateMachineRevisionId: cfn.attrStateMachineRevisionId,
      description: 'Published by the stack on each change of the definition',
    });
    // The version an execution runs stays while it may still run (replaced versions are kept, not deleted).
    this.version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.alias = new sfn.CfnStateMachineAlias(this, 'Alias', {
      name: LIVE_ALIAS,
      description: 'New executions start here; a new version takes over gradually',
      deploymentPreference: { stateMachineVersionArn: this.version.attrArn, ...LIVE_DEPLOYMENT },
    });
    LIVE.set(stateMachine, this);
  }

  /** The alias ARN (`<state machine ARN>:live`): what StartExecution is given. */
  get arn(): string {
    return this.alias.attrArn;
  }

  /** StartExecution through the alias, and nothing else. */
  grantStartExecution(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.arn] }));
  }

  /** The alarms that roll a new version back while it is being deployed. */
  rollBackOn(alarms: cw.IAlarm[]): void {
    this.alias.deploymentPreference = {
      stateMachineVersionArn: this.version.attrArn,
      ...LIVE_DEPLOYMENT,
      alarms: alarms.map((a) => a.alarmName),
    };
  }
}
