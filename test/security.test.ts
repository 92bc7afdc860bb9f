/**
 * Secrets and least privilege, read from the synthesized template. test/infra.test.ts already pins each
 * role's exact action list, the GetItem/GetSecretValue resources, the api's state machine grants, each state
 * machine's invoke rights, the route set with IAM on every method, the table's SSE and the log retention of the
 * configured stack; this file adds what those do not cover:
 * - resource policies (KMS key, SNS topic, SQS queue, Lambda permissions) hold no wildcard Allow either;
 * - per function, EVERY resource its role's policies name is one its job needs, derived from its handler name;
 * - the Knox secret is reachable from the Knox step roles and from nowhere else, by no resource policy, no dynamic
 *   reference and no Step Functions SDK integration;
 * - nothing but IAM-signed calls reaches the api function (no authorizer, no function URL, no open permission);
 * - every log group has the stack's retention, every queue and topic is encrypted;
 * - no credential value in the template: synthesized with canary KNOX_CLIENT_ID / KNOX_CLIENT_SECRET in the
 *   environment (what the local stack reads), neither canary nor the simulator's secret appears anywhere in it.
 *
 * One synth for the whole file, with bundling skipped: the template's IAM, environment and definitions are the same
 * with or without the bundled code (only the asset hashes differ).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/world';
import { RECORD_KINDS } from '#domain/api-schemas';
import { OTHER_FUNCTIONS, STEP_FUNCTIONS } from '#domain/function-names';
import type { StackConfig } from '#infra/context-config';
import {
  handlerLogicalIds,
  resolveDefinition,
  secretLogicalId,
  tableLogicalId,
  batchWorkflowLogicalId,
  workflowLogicalIds,
} from '#local/template/logical-ids';
import type { CfnTemplate } from '#local/template/template';
import type { HandlerName } from '#infra/handler-function';
import { KnoxOnboardingStack, STACK_NAME } from '#infra/knox-onboarding-stack';

// Template JSON is untyped by nature.
type Json = any;

const CANARY_ID = `canary-client-id-${process.pid}-7f3a`;
const CANARY_SECRET = `canary-client-secret-${process.pid}-c41e9b`;
const CREDENTIAL_ENV = ['KNOX_CLIENT_ID', 'KNOX_CLIENT_SECRET'] as const;

let cfn: CfnTemplate;
let templateText: string;
let config: StackConfig;
const savedEnv = new Map<string, string | undefined>();

beforeAll(() => {
  // What an operator's shell would hold while running the local stack: nothing may carry it into the template.
  for (const name of CREDENTIAL_ENV) savedEnv.set(name, process.env[name]);
  process.env.KNOX_CLIENT_ID = CANARY_ID;
  process.env.KNOX_CLIENT_SECRET = CANARY_SECRET;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new KnoxOnboardingStack(app, STACK_NAME);
  cfn = Template.fromStack(stack).toJSON() as CfnTemplate;
  templateText = JSON.stringify(cfn);
  config = stack.config;
});

afterAll(() => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

// --- reading the template ------------------------------------------------------------------------------------------

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const resources = (type: string): [string, Json][] =>
  Object.entries(cfn.Resources).filter(([, r]) => r.Type === type) as [string, Json][];
const resource = (id: string): Json => {
  const r = cfn.Resources[id];
  if (!r) throw new Error(`no resource ${id}`);
  return r;
};

const ALL_HANDLERS = [...Object.values(STEP_FUNCTIONS), ...Object.values(OTHER_FUNCTIONS)] as HandlerName[];
/** The steps that call Knox: every step but record-outcome. */
const KNOX_STEP_HANDLERS: HandlerName[] = Object.values(STEP_FUNCTIONS).filter(
  (h) => h !== STEP_FUNCTIONS.recordOutcome && h !== STEP_FUNCTIONS.awaitAnswer,
);
/** Every function that calls Knox and so reads its secret: the Knox steps and the poller. */
const KNOX_CALLERS: HandlerName[] = [...KNOX_STEP_HANDLERS, OTHER_FUNCTIONS.poller];

function functionId(handler: HandlerName): string {
  const id = handlerLogicalIds(cfn).get(handler);
  if (!id) throw new Error(`no function for ${handler}`);
  return id;
}
const roleOf = (handler: HandlerName): string => resource(functionId(handler)).Properties.Role['Fn::GetAtt'][0];

interface OwnedStatement {
  /** The role (identity policies) or the resource (resource policies) the statement belongs to. */
  owner: string;
  statement: Json;
}

/** Every statement of the identity policies: AWS::IAM::Policy (per attached role) and roles' inline policies. */
function identityStatements(): OwnedStatement[] {
  const attached = resources('AWS::IAM::Policy').flatMap(([, p]) =>
    asArray(p.Properties.Roles).flatMap((role: Json) =>
      asArray(p.Properties.PolicyDocument.Statement).map((statement) => ({ owner: role.Ref as string, statement })),
    ),
  );
  const inline = resources('AWS::IAM::Role').flatMap(([id, r]) =>
    asArray(r.Properties.Policies).flatMap((p: Json) =>
      asArray(p.PolicyDocument.Statement).map((statement) => ({ owner: id, statement })),
    ),
  );
  return [...attached, ...inline];
}

/** Every statement of a resource policy (KMS key, SNS topic, SQS queue, secret, API). */
function resourcePolicyStatements(): OwnedStatement[] {
  const documents: [string, Json][] = [
    ...resources('AWS::KMS::Key').map(([id, r]): [string, Json] => [id, r.Properties.KeyPolicy]),
    ...resources('AWS::SNS::TopicPolicy').map(([id, r]): [string, Json] => [id, r.Properties.PolicyDocument]),
    ...resources('AWS::SQS::QueuePolicy').map(([id, r]): [string, Json] => [id, r.Properties.PolicyDocument]),
    ...resources('AWS::SecretsManager::ResourcePolicy').map(([id, r]): [string, Json] => [
      id,
      r.Properties.ResourcePolicy,
    ]),
    ...resources('AWS::ApiGateway::RestApi').map(([id, r]): [string, Json] => [id, r.Properties.Policy]),
  ];
  return documents.flatMap(([owner, doc]) => asArray(doc?.Statement).map((statement) => ({ owner, statement })));
}

/** Logical ids a value refers to (Ref, Fn::GetAtt, also inside Fn::Join / Fn::Sub), pseudo parameters left out. */
function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, into);
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o['Ref'] === 'string' && !o['Ref'].startsWith('AWS::')) into.add(o['Ref']);
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') into.add(getAtt[0]);
    for (const [k, v] of Object.entries(o)) if (k !== 'Ref' && k !== 'Fn::GetAtt') referencedIds(v, into);
  }
  return into;
}

/** A wildcard action: `*`, `service:*`, `service:Prefix*` (or any `?` pattern). */
const isWildcardAction = (action: string): boolean => /[*?]/.test(action);

/** X-Ray's trace-writing actions support no resource-level permissions: `Resource: "*"` is their only form. */

// --- wildcards ------------------------------------------------------------------------------------------------------

describe('no wildcard Allow anywhere', () => {
  it('resource policies allow no wildcard action, except the KMS key policy statement that delegates the key to IAM', () => {
    const statements = resourcePolicyStatements();
    expect(statements.length).toBeGreaterThan(0);
    const wildcardAllows = statements.filter(
      ({ statement }) => statement.Effect === 'Allow' && asArray<string>(statement.Action).some(isWildcardAction),
    );
    // The one exception: AWS's default key policy, `kms:*` for the account root (without it the key could not be
    // administered at all). It grants nothing by itself: it lets IAM policies grant, and the next test shows that no
    // identity policy of this stack grants any KMS action.
    for (const { owner, statement } of wildcardAllows) {
      expect(resource(owner).Type, `${owner}: ${JSON.stringify(statement)}`).toBe('AWS::KMS::Key');
      expect(statement.Action).toBe('kms:*');
      expect(JSON.stringify(statement.Principal)).toMatch(/:iam::",\{"Ref":"AWS::AccountId"\},":root"/);
    }
    // A deny may be broad (it only takes rights away): the SSL-only statements are.
    const denies = statements.filter(({ statement }) => statement.Effect === 'Deny');
    for (const { statement } of denies)
      expect(statement.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
  });

  it('no identity policy grants a KMS action, and Lambda permissions name exactly lambda:InvokeFunction', () => {
    const kms = identityStatements().filter(({ statement }) =>
      asArray<string>(statement.Action).some((a) => a.startsWith('kms:')),
    );
    expect(kms).toEqual([]);
    const permissions = resources('AWS::Lambda::Permission');
    expect(permissions.length).toBeGreaterThan(0);
    for (const [id, p] of permissions) expect(p.Properties.Action, id).toBe('lambda:InvokeFunction');
  });
});

// --- per function ---------------------------------------------------------------------------------------------------

describe('each Lambda reaches only what its job needs', () => {
  /** What a handler's job needs, by its name: the resources it may name in its role's policies. */
  /** The `live` alias of a state machine (through its published versions): starting through it is starting it. */
  function aliasOf(stateMachineId: string): string[] {
    const versions = resources('AWS::StepFunctions::StateMachineVersion')
      .filter(([, v]) => referencedIds(v.Properties.StateMachineArn).has(stateMachineId))
      .map(([id]) => id);
    return resources('AWS::StepFunctions::StateMachineAlias')
      .filter(([, a]) => versions.some((v) => referencedIds(a.Properties).has(v)))
      .map(([id]) => id);
  }

  function needs(handler: HandlerName): Set<string> {
    const fn = resource(functionId(handler));
    const need = new Set<string>([fn.Properties.LoggingConfig.LogGroup.Ref, tableLogicalId(cfn)]);
    if (KNOX_CALLERS.includes(handler)) need.add(secretLogicalId(cfn));
    // Executions start through each state machine's live alias (safe deploys), and are read, stopped and redriven.
    const withAlias = (id: string) => {
      for (const i of [id, ...aliasOf(id)]) need.add(i);
    };
    if (handler === OTHER_FUNCTIONS.api) {
      for (const kind of RECORD_KINDS) withAlias(workflowLogicalIds(cfn)[kind]);
      withAlias(batchWorkflowLogicalId(cfn));
    }
    // The batch starter starts (and, when a DELETE races a slice, stops) onboardings.
    if (handler === OTHER_FUNCTIONS.batchStarter) withAlias(workflowLogicalIds(cfn).onboarding);
    // The poller answers the tasks of the machines that wait on the customer, and no other.
    if (handler === OTHER_FUNCTIONS.poller)
      for (const kind of ['onboarding', 'offboarding'] as const) need.add(workflowLogicalIds(cfn)[kind]);
    // The ends of a batch's items wake the batch workflow's callback (SendTaskSuccess on it, and only it).
    const wakers: HandlerName[] = [
      STEP_FUNCTIONS.recordOutcome,
      OTHER_FUNCTIONS.executionEvents,
      OTHER_FUNCTIONS.api,
      OTHER_FUNCTIONS.poller,
      OTHER_FUNCTIONS.batchStarter,
    ];
    if (wakers.includes(handler)) need.add(batchWorkflowLogicalId(cfn));
    if (handler === OTHER_FUNCTIONS.executionEvents) {
      // Its failed deliveries go to the queue its own event-invoke configuration names.
      for (const [, config] of resources('AWS::Lambda::EventInvokeConfig')) {
        if (referencedIds(config.Properties.FunctionName).has(functionId(handler))) {
          for (const id of referencedIds(config.Properties.DestinationConfig)) need.add(id);
        }
      }
    }
    return need;
  }

  it.each(ALL_HANDLERS)('%s: every resource in its role\'s policies is one it needs; never "*"', (handler) => {
    const role = roleOf(handler);
    const statements = identityStatements()
      .filter((s) => s.owner === role)
      .map((s) => s.statement);
    expect(statements.length).toBeGreaterThan(0);
    const named = new Set<string>();
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      for (const r of asArray(statement.Resource)) {
        expect(r, JSON.stringify(statement)).not.toBe('*');
        const ids = referencedIds(r);
        // A resource is always one of the stack's own, never a hand-written ARN.
        expect(ids.size, JSON.stringify(r)).toBeGreaterThan(0);
        for (const id of ids) named.add(id);
      }
    }
    const allowed = needs(handler);
    expect(
      [...named].filter((id) => !allowed.has(id)),
      `${handler} reaches beyond its job`,
    ).toEqual([]);
    // Not vacuous: every function reads and writes records.
    expect(named.has(tableLogicalId(cfn))).toBe(true);
  });

  it('each function has a role of its own, assumable by Lambda only', () => {
    const roles = ALL_HANDLERS.map(roleOf);
    expect(new Set(roles).size).toBe(ALL_HANDLERS.length);
    for (const role of roles) {
      const trust = resource(role).Properties.AssumeRolePolicyDocument.Statement;
      expect(trust).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
    // No other function uses a function's role.
    for (const [id, fn] of resources('AWS::Lambda::Function')) {
      expect(
        roles.filter((r) => r === fn.Properties.Role['Fn::GetAtt'][0]),
        id,
      ).toHaveLength(1);
    }
  });
});

// --- the Knox secret -------------------------------------------------------------------------------------------------

describe('the Knox secret', () => {
  it('is readable by the functions that call Knox (the Knox steps, the poller) and by no other role', () => {
    const secret = secretLogicalId(cfn);
    const reaching = identityStatements().filter(({ statement }) => {
      const actions = asArray<string>(statement.Action);
      return (
        referencedIds(statement.Resource).has(secret) ||
        (asArray(statement.Resource).includes('*') && actions.some((a) => a.startsWith('secretsmanager:')))
      );
    });
    const knoxRoles = KNOX_CALLERS.map(roleOf);
    expect(new Set(reaching.map((s) => s.owner))).toEqual(new Set(knoxRoles));
    for (const { statement } of reaching) {
      expect([...asArray<string>(statement.Action)].sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
    }
  });

  it('has no resource policy, and no state machine reads it through an SDK integration', () => {
    expect(resources('AWS::SecretsManager::ResourcePolicy')).toEqual([]);
    for (const kind of RECORD_KINDS) {
      const definition = resolveDefinition(cfn, workflowLogicalIds(cfn)[kind]);
      for (const [name, state] of Object.entries(definition.States)) {
        expect(String(state.Resource ?? ''), `${kind} ${name}`).not.toMatch(/secretsmanager/i);
      }
      expect(
        referencedIds(resource(workflowLogicalIds(cfn)[kind]).Properties.DefinitionString).has(secretLogicalId(cfn)),
      ).toBe(false);
    }
  });

  it('never has its value in the template: no SecretString, no dynamic reference, no credential anywhere', () => {
    const secret = resource(secretLogicalId(cfn)).Properties;
    expect(secret.SecretString).toBeUndefined();
    expect(secret.GenerateSecretString.GenerateStringKey).toBe('clientSecret');
    // A dynamic reference would put the value into a property (an environment variable, a definition) at deploy time.
    expect(templateText).not.toMatch(/\{\{resolve:secretsmanager:/);
    // The canaries in the environment at synth time, and the simulator's well-known secret.
    expect(templateText).not.toContain(CANARY_SECRET);
    expect(templateText).not.toContain(CANARY_ID);
    expect(templateText).not.toContain(SIM_DEFAULT_CREDENTIALS.clientSecret);
  });

  it('no Lambda environment and no state machine definition carries a clientSecret value', () => {
    const credentialKey = /client_?secret|password|access_?token/i;
    const carriesCredential = (value: unknown): boolean => {
      if (typeof value === 'string') return /"client_?secret"\s*:/i.test(value) || value.includes(CANARY_SECRET);
      if (Array.isArray(value)) return value.some(carriesCredential);
      if (value && typeof value === 'object') {
        return Object.entries(value).some(
          ([k, v]) => (credentialKey.test(k) && typeof v === 'string') || carriesCredential(v),
        );
      }
      return false;
    };
    for (const handler of ALL_HANDLERS) {
      const env = resource(functionId(handler)).Properties.Environment?.Variables ?? {};
      expect(carriesCredential(env), handler).toBe(false);
    }
    for (const kind of RECORD_KINDS) {
      const definition = resolveDefinition(cfn, workflowLogicalIds(cfn)[kind]);
      expect(carriesCredential(definition), kind).toBe(false);
      expect(JSON.stringify(definition)).not.toMatch(/clientSecret/i);
    }
    // The check itself finds what it looks for.
    expect(carriesCredential({ KNOX: JSON.stringify({ clientId: 'x', clientSecret: 'y' }) })).toBe(true);
    expect(carriesCredential({ Payload: { clientSecret: 'y' } })).toBe(true);
  });
});

// --- the API --------------------------------------------------------------------------------------------------------

describe('only IAM-signed calls reach the api function', () => {
  it('no authorizer, no API resource policy, no function URL', () => {
    expect(resources('AWS::ApiGateway::Authorizer')).toEqual([]);
    expect(resources('AWS::Lambda::Url')).toEqual([]);
    for (const [, api] of resources('AWS::ApiGateway::RestApi')) expect(api.Properties.Policy).toBeUndefined();
    for (const [, method] of resources('AWS::ApiGateway::Method'))
      expect(method.Properties.AuthorizerId).toBeUndefined();
  });

  it('every invoke permission names one service principal and the one API or rule it comes from', () => {
    const [[apiId]] = resources('AWS::ApiGateway::RestApi') as [[string, Json]];
    const [[ruleId]] = resources('AWS::Events::Rule') as [[string, Json]];
    for (const [id, permission] of resources('AWS::Lambda::Permission')) {
      const p = permission.Properties;
      const target = referencedIds(p.FunctionName);
      if (target.has(functionId(OTHER_FUNCTIONS.api))) {
        expect(p.Principal, id).toBe('apigateway.amazonaws.com');
        expect(referencedIds(p.SourceArn).has(apiId), id).toBe(true);
      } else {
        expect(target.has(functionId(OTHER_FUNCTIONS.executionEvents)), id).toBe(true);
        expect(p.Principal, id).toBe('events.amazonaws.com');
        expect(referencedIds(p.SourceArn), id).toEqual(new Set([ruleId]));
      }
      expect(p.SourceAccount ?? p.SourceArn, id).toBeDefined();
    }
    // Step functions are invoked by their state machines' roles, never through a resource permission.
    for (const handler of Object.values(STEP_FUNCTIONS)) {
      const invokable = resources('AWS::Lambda::Permission').filter(([, p]) =>
        referencedIds(p.Properties.FunctionName).has(functionId(handler)),
      );
      expect(invokable, handler).toEqual([]);
    }
  });
});

// --- data at rest and log retention -----------------------------------------------------------------------------------

describe('data at rest', () => {
  it('every log group of the default stack keeps the configured retention', () => {
    const logGroups = resources('AWS::Logs::LogGroup');
    // One per function, one per state machine (the batch workflow's too), the API's access log.
    expect(logGroups.length).toBe(ALL_HANDLERS.length + RECORD_KINDS.length + 1 + 1);
    for (const [id, group] of logGroups) expect(group.Properties.RetentionInDays, id).toBe(config.logRetentionDays);
  });

  it('the dead-letter queue is encrypted and the topic uses the rotated key', () => {
    for (const [id, queue] of resources('AWS::SQS::Queue')) {
      expect(queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined, id).toBe(
        true,
      );
    }
    for (const [id, topic] of resources('AWS::SNS::Topic')) {
      const [keyId] = [...referencedIds(topic.Properties.KmsMasterKeyId)];
      expect(keyId, id).toBeDefined();
      expect(resource(keyId!).Properties.EnableKeyRotation).toBe(true);
    }
  });
});
