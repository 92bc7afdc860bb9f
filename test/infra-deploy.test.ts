/**
 * What a deploy into a fresh account needs, read from the synthesized template: the account's API Gateway CloudWatch
 * Logs role (or the context switch that leaves an existing one alone), state machine log groups under
 * /aws/vendedlogs/states/, a poller without reserved concurrency, and a metric filter that matches numbers.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECORD_KINDS } from '#domain/api-schemas';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { INFRA_DEFAULTS, parseConfig } from '#infra/context-config';
import { KnoxOnboardingStack, STACK_NAME } from '#infra/knox-onboarding-stack';
import { POLLER_METRICS } from '#infra/poller-schedule';
import { STATE_MACHINE_LOG_PREFIX, stateMachineLogGroupName } from '#infra/state-machine';
import { handlerLogicalIds, workflowLogicalIds } from '#local/template/logical-ids';
import type { CfnTemplate } from '#local/template/template';

// Template JSON is untyped by nature.
type Json = any;

function synth(context: Record<string, unknown> = {}): CfnTemplate {
  const app = new App({ context });
  return Template.fromStack(new KnoxOnboardingStack(app, STACK_NAME)).toJSON() as CfnTemplate;
}
const ofType = (cfn: CfnTemplate, type: string): [string, Json][] =>
  Object.entries(cfn.Resources).filter(([, r]) => r.Type === type) as [string, Json][];

let cfn: CfnTemplate;
beforeAll(() => {
  cfn = synth();
});

describe('API Gateway access logging in an account that never set the CloudWatch role', () => {
  it('by default the stack sets the account role (AWS::ApiGateway::Account), kept when the stack goes', () => {
    expect(INFRA_DEFAULTS.apiGatewayCloudWatchRole).toBe(true);
    const accounts = ofType(cfn, 'AWS::ApiGateway::Account');
    expect(accounts).toHaveLength(1);
    const [, account] = accounts[0]!;
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    const role = cfn.Resources[roleId] as Json;
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
      Service: 'apigateway.amazonaws.com',
    });
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain(
      'service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    );
    expect(role.DeletionPolicy).toBe('Retain');
    expect(account.DeletionPolicy).toBe('Retain');
    // The stage (which has access logs) is created after the account setting.
    const [, stage] = ofType(cfn, 'AWS::ApiGateway::Stage')[0]!;
    expect(stage.Properties.AccessLogSetting).toBeDefined();
    const [accountId] = accounts[0]!;
    const deployment = ofType(cfn, 'AWS::ApiGateway::Deployment')[0]!;
    expect([...asArray(stage.DependsOn), ...asArray(deployment[1].DependsOn)]).toContain(accountId);
  });

  it('-c apiGatewayCloudWatchRole=false leaves the account setting alone', () => {
    const without = synth({ apiGatewayCloudWatchRole: 'false' });
    expect(ofType(without, 'AWS::ApiGateway::Account')).toHaveLength(0);
    expect(() => parseConfig({ apiGatewayCloudWatchRole: 'maybe' })).toThrow(/apiGatewayCloudWatchRole/);
  });
});

describe('state machine logs', () => {
  it('every state machine logs to a group under /aws/vendedlogs/states/ (one resource policy covers them)', () => {
    const machines = ofType(cfn, 'AWS::StepFunctions::StateMachine');
    expect(machines.length).toBe(RECORD_KINDS.length + 1); // the three workflows and the batch
    for (const [, machine] of machines) {
      const groupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn[
        'Fn::GetAtt'
      ][0] as string;
      const group = cfn.Resources[groupId] as Json;
      expect(group.Properties.LogGroupName).toMatch(new RegExp(`^${STATE_MACHINE_LOG_PREFIX}${STACK_NAME}-`));
      // Deleted if the stack's creation rolls back, so that a second attempt does not meet the name.
      expect(group.UpdateReplacePolicy).toBe('Retain');
      expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
    }
    for (const kind of RECORD_KINDS) {
      const machine = cfn.Resources[workflowLogicalIds(cfn)[kind]] as Json;
      const groupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn[
        'Fn::GetAtt'
      ][0] as string;
      expect((cfn.Resources[groupId] as Json).Properties.LogGroupName).toBe(stateMachineLogGroupName(STACK_NAME, kind));
    }
  });
});

describe('the poller', () => {
  it('reserves no concurrency: it deploys in an account with less than 101 concurrent executions', () => {
    const pollerId = handlerLogicalIds(cfn).get(OTHER_FUNCTIONS.poller)!;
    expect((cfn.Resources[pollerId] as Json).Properties.ReservedConcurrentExecutions).toBeUndefined();
    for (const [, fn] of ofType(cfn, 'AWS::Lambda::Function')) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('feeds the unchecked-wait metric from a numeric comparison (a number never matches = "*")', () => {
    const filters = ofType(cfn, 'AWS::Logs::MetricFilter').filter(
      ([, f]) => f.Properties.MetricTransformations[0].MetricName === POLLER_METRICS.oldestUnchecked,
    );
    expect(filters).toHaveLength(1);
    expect(filters[0]![1].Properties.FilterPattern).toBe('{ $.oldestUncheckedSeconds >= 0 }');
  });
});

function asArray(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
