/**
 * Template tests of the CDK app: what `cdk deploy` would create, read from the synthesized template.
 * Expectations about the workflows come from the dispositions, the state names and the configuration (never from a
 * copied list of error names); expectations about IAM are spelled out here on purpose, so that a widened grant fails.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECORD_KINDS, type RecordKind } from '#domain/api-schemas';
import { DISPOSITIONS, STEP_ERROR_NAMES, type Disposition } from '#domain/dispositions';
import { DEFAULTS, ENV } from '#domain/configuration';
import { OTHER_FUNCTIONS, STEP_FUNCTIONS } from '#domain/function-names';
import { RECONCILE_CONTINUE_ERROR, RECONCILE_LOOP } from '#domain/reconciling';
import { RECORD_CANCELLED_ERROR, RECORD_CLOSED_ERROR, STATES, WORKFLOW_FAILED_ERROR } from '#domain/state-names';
import { TABLE } from '#domain/table-layout';
import { BUDGET_METRICS } from '#infra/budget-monitoring';
import {
  computePollMaxAttempts,
  computeRetryMaxAttempts,
  INFRA_DEFAULTS,
  MAX_RETRY_ATTEMPTS,
  parseConfig,
  type StackConfig,
} from '#infra/context-config';
import {
  batchWorkflowLogicalId,
  handlerLogicalIds,
  resolveDefinition,
  secretLogicalId,
  tableLogicalId,
  workflowLogicalIds,
} from '#local/template/logical-ids';
import type { AslDefinition, AslState, CfnTemplate } from '#local/template/template';
import type { HandlerName } from '#infra/handler-function';
import { KnoxOnboardingStack, STACK_NAME } from '#infra/knox-onboarding-stack';
import { END_STATES } from '#infra/workflow-kit';
import { API_ROUTES, routeKey } from '#domain/routes';

// Template JSON is untyped by nature: dig into it with `any`, assert on what comes out.
type Json = any;

let app: App;
let stack: KnoxOnboardingStack;
let template: Template;
let cfn: CfnTemplate;
let config: StackConfig;

beforeAll(() => {
  app = new App();
  stack = new KnoxOnboardingStack(app, STACK_NAME);
  template = Template.fromStack(stack); // bundles the eight functions with esbuild: a few seconds
  cfn = template.toJSON() as CfnTemplate;
  config = stack.config;
});

// --- helpers -------------------------------------------------------------------------------------------------------

const resources = (type: string): [string, Json][] =>
  Object.entries(cfn.Resources).filter(([, r]) => r.Type === type) as [string, Json][];
const resource = (logicalId: string): Json => {
  const r = cfn.Resources[logicalId];
  if (!r) throw new Error(`no ${logicalId}`);
  return r;
};
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const ref = (logicalId: string) => ({ Ref: logicalId });

const ALL_HANDLERS = [...Object.values(STEP_FUNCTIONS), ...Object.values(OTHER_FUNCTIONS)] as HandlerName[];
const KNOX_STEP_HANDLERS = Object.values(STEP_FUNCTIONS).filter(
  (h) => h !== STEP_FUNCTIONS.recordOutcome && h !== STEP_FUNCTIONS.awaitAnswer,
);

function functionId(handler: HandlerName): string {
  const id = handlerLogicalIds(cfn).get(handler);
  if (!id) throw new Error(`no function for ${handler}`);
  return id;
}

/** The published version (AWS::Lambda::Version) of a function: what the state machines name. */
function versionId(handler: HandlerName): string {
  const fn = functionId(handler);
  const found = resources('AWS::Lambda::Version').filter(([, v]) => v.Properties.FunctionName?.Ref === fn);
  if (found.length !== 1) throw new Error(`${found.length} versions of ${handler}`);
  return found[0]![0];
}

/** Every Allow statement of the IAM policies attached to a role (inline and AWS::IAM::Policy). */
function statementsOfRole(roleId: string): Json[] {
  const attached = resources('AWS::IAM::Policy')
    .filter(([, p]) => asArray(p.Properties.Roles).some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  const inline = (resource(roleId).Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement);
  return [...attached, ...inline];
}
const roleOfFunction = (handler: HandlerName): string => resource(functionId(handler)).Properties.Role['Fn::GetAtt'][0];
const actionsOf = (statements: Json[]): Set<string> => new Set(statements.flatMap((s) => asArray(s.Action)));
const statementsWith = (statements: Json[], action: string): Json[] =>
  statements.filter((s) => asArray(s.Action).includes(action));

function definitionOf(kind: RecordKind, t: CfnTemplate = cfn): AslDefinition {
  return resolveDefinition(t, workflowLogicalIds(t)[kind]);
}
function state(definition: AslDefinition, name: string): AslState {
  const s = definition.States[name];
  if (!s) throw new Error(`no state ${name}; states: ${Object.keys(definition.States).join(', ')}`);
  return s;
}

// --- configuration -----------------------------------------------------------------------------------------------------

describe('configuration', () => {
  it('defaults to the workflow DEFAULTS and the infrastructure defaults', () => {
    const defaults = parseConfig({});
    expect(defaults).toMatchObject({ ...DEFAULTS, ...INFRA_DEFAULTS });
    expect(defaults.alarmEmail).toBeUndefined();
    expect(config).toEqual(defaults);
  });

  it('accepts `-c key=value` strings', () => {
    const c = parseConfig({ pollFirstSeconds: '30', knoxRequestsPerSecond: '2.5', alarmEmail: 'ops@example.com' });
    expect(c.pollFirstSeconds).toBe(30);
    expect(c.knoxRequestsPerSecond).toBe(2.5);
    expect(c.alarmEmail).toBe('ops@example.com');
  });

  it.each([
    [{ knoxTimeoutMs: 'ten' }, 'knoxTimeoutMs'],
    [{ knoxBaseUrl: 'http://api.samsungknox.com' }, 'knoxBaseUrl'],
    [{ pollFirstSeconds: 7200, pollMaxSeconds: 3600 }, 'pollFirstSeconds'],
    [{ logRetentionDays: 8 }, 'logRetentionDays'],
    [{ alarmEmail: 'not an address' }, 'alarmEmail'],
    [{ waitDeadlineSeconds: 400 * 24 * 3600 }, 'waitDeadlineSeconds'],
    [{ retryIntervalSeconds: 120, retryMaxDelaySeconds: 60 }, 'retryIntervalSeconds'],
  ])('refuses %o with an error naming %s', (raw, key) => {
    expect(() => parseConfig(raw)).toThrow(new RegExp(`Invalid CDK context[\\s\\S]*- ${key}:`));
  });

  it('polls often enough to cover the whole deadline, never further apart than pollMaxSeconds', () => {
    expect(computePollMaxAttempts(DEFAULTS)).toBe(344);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 60, max: 300 * 86_400 }),
        (first, extra, deadline) => {
          const c = { pollFirstSeconds: first, pollMaxSeconds: first + extra, waitDeadlineSeconds: deadline };
          const attempts = computePollMaxAttempts(c);
          let covered = 0;
          for (let i = 0; i < attempts; i++) covered += Math.min(first * 2 ** i, c.pollMaxSeconds);
          return covered >= deadline;
        },
      ),
    );
  });

  it('retries transient failures long enough to outlast the retry window twice on average (full jitter halves it)', () => {
    expect(computeRetryMaxAttempts(DEFAULTS)).toBe(32);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 60, max: 3600 }),
        fc.integer({ min: 60, max: 86_400 }),
        (interval, rate, cap, window) => {
          const c = {
            retryIntervalSeconds: interval,
            retryBackoffRate: rate,
            retryMaxDelaySeconds: cap,
            retryWindowSeconds: window,
          };
          const attempts = computeRetryMaxAttempts(c);
          let backoff = 0;
          for (let i = 0; i < attempts; i++) backoff += Math.min(interval * rate ** i, cap);
          return attempts > MAX_RETRY_ATTEMPTS || backoff / 2 >= 2 * window;
        },
      ),
    );
    expect(() => parseConfig({ retryMaxDelaySeconds: 60, retryWindowSeconds: 86_400 })).toThrow(/retryWindowSeconds/);
  });

  it('polls every five minutes by default, in whole minutes (EventBridge Scheduler rate)', () => {
    expect(parseConfig({}).pollPeriodSeconds).toBe(300);
    expect(parseConfig({ pollPeriodSeconds: '120' }).pollPeriodSeconds).toBe(120);
    expect(() => parseConfig({ pollPeriodSeconds: '90' })).toThrow(
      /- pollPeriodSeconds: must be a whole number of minutes/,
    );
    expect(() => parseConfig({ pollPeriodSeconds: '30' })).toThrow(/- pollPeriodSeconds:/);
  });
});

// --- table and secret --------------------------------------------------------------------------------------------------

describe('records table', () => {
  it('has the key schema, GSI, billing, PITR, encryption and retention', () => {
    const table = resource(tableLogicalId(cfn));
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Metadata['knox-onboarding:table']).toBe('state');
    const p = table.Properties;
    expect(p.KeySchema).toEqual([{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }]);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(p.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: TABLE.byStatusIndex,
        KeySchema: [
          { AttributeName: TABLE.byStatusPartitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.byStatusSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(p.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE.byStatusPartitionKey, AttributeType: 'S' },
        { AttributeName: TABLE.byStatusSortKey, AttributeType: 'S' },
      ]),
    );
  });

  it('is the only table, and the Knox secret carries its metadata', () => {
    expect(resources('AWS::DynamoDB::Table')).toHaveLength(1);
    const secret = resource(secretLogicalId(cfn));
    expect(secret.Type).toBe('AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString.SecretStringTemplate).toBe(JSON.stringify({ clientId: 'set-me' }));
  });
});

// --- functions -------------------------------------------------------------------------------------------------------

describe('Lambda functions', () => {
  const COMMON_ENV = ['POWERTOOLS_SERVICE_NAME', 'NODE_OPTIONS'];
  const KNOX_ENV = [
    ENV.tableName,
    ENV.knoxBaseUrl,
    ENV.knoxSecretArn,
    ENV.knoxTimeoutMs,
    ENV.knoxRequestsPerSecond,
    ENV.waitDeadlineSeconds,
    ENV.retryWindowSeconds,
  ];
  /** The environment of the functions that are not Knox steps, besides COMMON_ENV. */
  const OWN_ENV: Partial<Record<HandlerName, string[]>> = {
    [OTHER_FUNCTIONS.api]: [
      ENV.tableName,
      ENV.waitDeadlineSeconds,
      ENV.onboardingStateMachineArn,
      ENV.offboardingStateMachineArn,
      ENV.changeStateMachineArn,
      ENV.batchStateMachineArn,
    ],
    [OTHER_FUNCTIONS.batchStarter]: [
      ENV.tableName,
      ENV.onboardingStateMachineArn,
      ENV.waitDeadlineSeconds,
      ENV.knoxRequestsPerSecond,
    ],
    // The poller shares the Knox settings but not the steps' retry window (a failed round is simply the next round).
    [OTHER_FUNCTIONS.poller]: [...KNOX_ENV.filter((e) => e !== ENV.retryWindowSeconds), ENV.pollPeriodSeconds],
  };
  const expectedEnv = (handler: HandlerName): string[] => {
    if (KNOX_STEP_HANDLERS.includes(handler as never)) return [...KNOX_ENV, ...COMMON_ENV];
    // record-outcome, await-answer and execution-events need the table alone.
    return [...(OWN_ENV[handler] ?? [ENV.tableName]), ...COMMON_ENV];
  };

  it('are exactly one per handler module, found by their metadata', () => {
    expect(resources('AWS::Lambda::Function')).toHaveLength(ALL_HANDLERS.length);
    expect([...handlerLogicalIds(cfn).keys()].sort()).toEqual([...ALL_HANDLERS].sort());
  });

  it.each(ALL_HANDLERS)(
    '%s: Node.js 22 on ARM64, joins upstream traces, bundled ESM, its own log group with retention',
    (handler) => {
      const p = resource(functionId(handler)).Properties;
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.MemorySize).toBe(256);
      expect(p.Handler).toBe('index.handler');
      expect(p.TracingConfig).toBeUndefined(); // Lambda's default: pass-through
      const logGroupId = p.LoggingConfig.LogGroup.Ref;
      expect(resource(logGroupId).Properties.RetentionInDays).toBe(config.logRetentionDays);
      expect(p.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('knox-onboarding');
      // No AWS-managed policy: each role holds only what its function needs.
      expect(resource(roleOfFunction(handler)).Properties.ManagedPolicyArns).toBeUndefined();
    },
  );

  it.each(ALL_HANDLERS)('%s: gets exactly the environment it reads, and references instead of secrets', (handler) => {
    const env = resource(functionId(handler)).Properties.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual(expectedEnv(handler).sort());
    expect(env[ENV.tableName]).toEqual(ref(tableLogicalId(cfn)));
    if (env[ENV.knoxSecretArn]) expect(env[ENV.knoxSecretArn]).toEqual(ref(secretLogicalId(cfn)));
    if (env[ENV.knoxTimeoutMs]) expect(env[ENV.knoxTimeoutMs]).toBe(String(config.knoxTimeoutMs));
    if (env[ENV.knoxBaseUrl]) expect(env[ENV.knoxBaseUrl]).toBe(config.knoxBaseUrl);
    // No literal value looks like a credential.
    expect(JSON.stringify(env)).not.toMatch(/clientSecret|password|token/i);
  });

  it.each(KNOX_STEP_HANDLERS)('%s: times out after the Knox client gives up', (handler) => {
    expect(resource(functionId(handler)).Properties.Timeout).toBeGreaterThan(config.knoxTimeoutMs / 1000);
  });
});

// --- IAM -------------------------------------------------------------------------------------------------------------

const BASIC_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const SECRET_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

describe('IAM: least privilege', () => {
  const RECORD = [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:ConditionCheckItem',
  ];
  const BASICS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const SECRET = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

  it('no Allow statement anywhere has a wildcard action', () => {
    const all = [
      ...resources('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
      ...resources('AWS::IAM::Role').flatMap(([, r]) =>
        (r.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement),
      ),
    ].filter((s: Json) => s.Effect === 'Allow');
    expect(all.length).toBeGreaterThan(10);
    for (const s of all) for (const action of asArray(s.Action)) expect(action).not.toContain('*');
    expect(resources('AWS::IAM::ManagedPolicy')).toHaveLength(0);
  });

  it.each(KNOX_STEP_HANDLERS)('%s: records, the secret, its logs; no Scan, no states', (handler) => {
    const statements = statementsOfRole(roleOfFunction(handler));
    expect([...actionsOf(statements)].sort()).toEqual([...RECORD, ...SECRET, ...BASICS].sort());
    for (const s of statementsWith(statements, 'dynamodb:GetItem'))
      expect(s.Resource).toEqual(getAtt(tableLogicalId(cfn)));
    for (const s of statementsWith(statements, 'secretsmanager:GetSecretValue'))
      expect(s.Resource).toEqual(ref(secretLogicalId(cfn)));
  });

  it.each([STEP_FUNCTIONS.recordOutcome, STEP_FUNCTIONS.awaitAnswer, OTHER_FUNCTIONS.executionEvents])(
    '%s: the table only (no secret)',
    (handler) => {
      const actions = actionsOf(statementsOfRole(roleOfFunction(handler)));
      // execution-events also hands its failed events to its dead-letter queue (Lambda on-failure destination).
      const dlq =
        handler === OTHER_FUNCTIONS.executionEvents
          ? ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']
          : [];
      // record-outcome and execution-events end batch items: they wake the batch workflow's callback.
      const wake =
        handler === STEP_FUNCTIONS.recordOutcome || handler === OTHER_FUNCTIONS.executionEvents
          ? ['states:SendTaskSuccess']
          : [];
      expect([...actions].sort()).toEqual([...RECORD, ...BASICS, ...dlq, ...wake].sort());
    },
  );

  it('api: records, the status index, and start/stop/describe on our three state machines and the batch one only', () => {
    const statements = statementsOfRole(roleOfFunction(OTHER_FUNCTIONS.api));
    expect([...actionsOf(statements)].sort()).toEqual(
      [
        ...RECORD,
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        'states:StartExecution',
        'states:StopExecution',
        'states:DescribeExecution',
        'states:RedriveExecution',
        'states:SendTaskSuccess',
        ...BASICS,
      ].sort(),
    );
    expect(statementsWith(statements, 'states:SendTaskSuccess').flatMap((s) => asArray(s.Resource))).toEqual([
      ref(batchWorkflowLogicalId(cfn)),
    ]);
    const query = statementsWith(statements, 'dynamodb:Query');
    expect(query.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', [getAtt(tableLogicalId(cfn)), `/index/${TABLE.byStatusIndex}`]] },
    ]);
    const machines = [...Object.values(workflowLogicalIds(cfn)), batchWorkflowLogicalId(cfn)];
    // StartExecution on each live alias, and on nothing else (not the unqualified state machine).
    expect(statementsWith(statements, 'states:StartExecution').flatMap((s) => asArray(s.Resource))).toEqual(
      expect.arrayContaining(machines.map((m) => getAtt(aliasOf(m), 'Arn'))),
    );
    expect(statementsWith(statements, 'states:StartExecution').flatMap((s) => asArray(s.Resource))).toHaveLength(4);
    const executionResources = statementsWith(statements, 'states:StopExecution').flatMap((s) => asArray(s.Resource));
    expect(executionResources).toHaveLength(4);
    // Redrive on the same executions (its own statement would be the same resources).
    expect(statementsWith(statements, 'states:RedriveExecution').flatMap((s) => asArray(s.Resource))).toEqual(
      executionResources,
    );
    for (const machine of machines) {
      expect(JSON.stringify(executionResources)).toContain(JSON.stringify(getAtt(machine, 'Name')));
    }
    expect(JSON.stringify(executionResources)).toContain(':execution:');
  });

  it('each state machine may invoke exactly the functions its definition calls', () => {
    for (const kind of RECORD_KINDS) {
      const smId = workflowLogicalIds(cfn)[kind];
      const roleId = resource(smId).Properties.RoleArn['Fn::GetAtt'][0];
      // Published versions only: no `$LATEST`, no `<function>:*`.
      const invoked = statementsWith(statementsOfRole(roleId), 'lambda:InvokeFunction').flatMap((s) =>
        asArray(s.Resource),
      );
      expect(invoked.every((r: Json) => typeof r.Ref === 'string')).toBe(true);
      const called = Object.values(definitionOf(kind).States)
        .map((s) => s.Parameters?.FunctionName)
        .filter((f): f is string => typeof f === 'string')
        .map((f) => /^\{\{Ref:(.+)\}\}$/.exec(f)?.[1]);
      expect(new Set(invoked.map((r: Json) => r.Ref))).toEqual(new Set(called));
    }
  });
});

// --- state machines --------------------------------------------------------------------------------------------------

/** Where each disposition's error ends up on a Knox task, as the dispositions say. */
const EXPECTED_ROUTE: Record<Disposition, { retrier?: 'fast' | 'poll'; catcher: 'next' | 'aborted' | 'failed' }> = {
  retry: { retrier: 'fast', catcher: 'failed' },
  wait: { retrier: 'poll', catcher: 'aborted' },
  alreadyDone: { catcher: 'next' },
  abort: { catcher: 'aborted' },
  invalidRequest: { catcher: 'aborted' },
  operator: { catcher: 'failed' },
};
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The Knox tasks of each workflow: handler, mode, and the state success leads to. */
const KNOX_TASKS: Record<RecordKind, { state: string; handler: HandlerName; next: string }[]> = {
  onboarding: [
    { state: STATES.linkCustomer, handler: STEP_FUNCTIONS.linkCustomer, next: STATES.waitForAnswer },
    { state: STATES.createCustomer, handler: STEP_FUNCTIONS.createCustomer, next: STATES.recordSucceeded },
    { state: STATES.changeCustomer, handler: STEP_FUNCTIONS.updateCustomer, next: STATES.recordSucceeded },
  ],
  offboarding: [{ state: STATES.requestDelink, handler: STEP_FUNCTIONS.requestDelink, next: STATES.waitForAnswer }],
  change: [{ state: STATES.changeCustomer, handler: STEP_FUNCTIONS.updateCustomer, next: STATES.recordSucceeded }],
};

/** The retrier and catcher a thrown error meets, as Step Functions picks them (first match, States.ALL last). */
function routeOf(s: AslState, errorName: string): { retrier?: number; catchNext?: string } {
  const matches = (list: string[]) => list.includes(errorName) || list.includes('States.ALL');
  const retrier = (s.Retry ?? []).findIndex((r) => matches(r.ErrorEquals));
  const catcher = (s.Catch ?? []).find((c) => matches(c.ErrorEquals));
  return { ...(retrier >= 0 ? { retrier } : {}), ...(catcher ? { catchNext: catcher.Next } : {}) };
}

describe.each(RECORD_KINDS)('%s state machine', (kind) => {
  let definition: AslDefinition;
  beforeAll(() => {
    definition = definitionOf(kind);
  });

  it('is a traced Standard machine that logs ALL without execution data, with metadata', () => {
    const sm = resource(workflowLogicalIds(cfn)[kind]);
    expect(sm.Metadata['knox-onboarding:workflow']).toBe(kind);
    expect(sm.Properties.StateMachineType).toBe('STANDARD');
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
    const logging = sm.Properties.LoggingConfiguration;
    expect(logging.Level).toBe('ALL');
    expect(logging.IncludeExecutionData).toBe(false);
    const logGroupId = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    expect(resource(logGroupId).Properties.RetentionInDays).toBe(config.logRetentionDays);
  });

  it('times out one day after the wait deadline', () => {
    expect(definition.TimeoutSeconds).toBe(config.waitDeadlineSeconds + 24 * 3600);
  });

  it('has exactly the states of lib/domain/workflow.ts, all reachable, every transition to an existing state', () => {
    const knox = KNOX_TASKS[kind].map((t) => t.state);
    const expected = new Set([
      ...knox,
      STATES.recordSucceeded,
      STATES.recordAborted,
      END_STATES[kind].succeeded,
      END_STATES[kind].aborted,
      // Where a step that meets its record cancelled meanwhile ends the workflow (a Succeed).
      END_STATES[kind].cancelled,
      // The one Fail state: the onboarding's Choice without a path (a bug). Failures are not caught (redrive).
      ...(kind === 'onboarding' ? [END_STATES[kind].failed] : []),
      ...(kind === 'change' ? [] : [STATES.waitForAnswer]),
      ...(kind === 'onboarding' ? [STATES.linkOrCreate, STATES.needsChange] : []),
    ]);
    expect(new Set(Object.keys(definition.States))).toEqual(expected);

    const targets = (s: AslState): string[] => [
      ...(s.Next ? [s.Next] : []),
      ...(s.Default ? [s.Default] : []),
      ...(s.Catch ?? []).map((c) => c.Next),
      ...(s.Choices ?? []).map((c) => c.Next as string),
    ];
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      targets(state(definition, name)).forEach(visit);
    };
    visit(definition.StartAt);
    expect(seen).toEqual(expected);
  });

  it('starts where lib/domain/workflow.ts says', () => {
    const start = { onboarding: STATES.linkOrCreate, offboarding: STATES.requestDelink, change: STATES.changeCustomer }[
      kind
    ];
    expect(definition.StartAt).toBe(start);
  });

  it('gives every Knox task the fast retrier and the polling schedule, derived from the configuration', () => {
    for (const task of KNOX_TASKS[kind]) {
      const s = state(definition, task.state);
      expect(s.Type).toBe('Task');
      expect(s.Resource).toBe('arn:{{Ref:AWS::Partition}}:states:::lambda:invoke');
      expect(s.Retry).toEqual([
        {
          ErrorEquals: [STEP_ERROR_NAMES.retry, ...LAMBDA_SERVICE_ERRORS],
          IntervalSeconds: config.retryIntervalSeconds,
          BackoffRate: config.retryBackoffRate,
          MaxDelaySeconds: config.retryMaxDelaySeconds,
          MaxAttempts: computeRetryMaxAttempts(config),
          JitterStrategy: 'FULL',
        },
        {
          ErrorEquals: [STEP_ERROR_NAMES.wait],
          IntervalSeconds: config.pollFirstSeconds,
          BackoffRate: 2,
          MaxDelaySeconds: config.pollMaxSeconds,
          MaxAttempts: computePollMaxAttempts(config),
          JitterStrategy: 'NONE',
        },
        // The create step's loop while it reconciles a 4002106 over a long customer list.
        ...(task.state === STATES.createCustomer
          ? [
              {
                ErrorEquals: [RECONCILE_CONTINUE_ERROR],
                IntervalSeconds: RECONCILE_LOOP.intervalSeconds,
                BackoffRate: 1,
                MaxAttempts: RECONCILE_LOOP.maxAttempts,
                JitterStrategy: 'NONE',
              },
            ]
          : []),
      ]);
    }
  });

  it('catches Knox.AlreadyDone to where success goes, aborts on business facts, ends cancelled on a cancelled record, fails in the step on anything else', () => {
    for (const task of KNOX_TASKS[kind]) {
      const s = state(definition, task.state);
      expect(s.Next).toBe(task.next);
      expect(s.Catch).toEqual([
        { ErrorEquals: [STEP_ERROR_NAMES.alreadyDone], ResultPath: null, Next: task.next },
        {
          ErrorEquals: [STEP_ERROR_NAMES.abort, STEP_ERROR_NAMES.invalidRequest, STEP_ERROR_NAMES.wait],
          ResultPath: '$.error',
          Next: STATES.recordAborted,
        },
        { ErrorEquals: [RECORD_CANCELLED_ERROR], ResultPath: null, Next: END_STATES[kind].cancelled },
      ]);
    }
    expect(state(definition, END_STATES[kind].cancelled).Type).toBe('Succeed');
  });

  it('routes every disposition as the table says', () => {
    // 'failed': not caught, the execution fails in the step (a redrive continues there).
    const catchTarget = { next: '', aborted: STATES.recordAborted, failed: undefined };
    for (const task of KNOX_TASKS[kind]) {
      const s = state(definition, task.state);
      for (const disposition of DISPOSITIONS) {
        const route = routeOf(s, STEP_ERROR_NAMES[disposition]);
        const expected = EXPECTED_ROUTE[disposition];
        expect(route.retrier, `${task.state} ${disposition}`).toBe(
          expected.retrier === 'fast' ? 0 : expected.retrier === 'poll' ? 1 : undefined,
        );
        expect(route.catchNext, `${task.state} ${disposition}`).toBe(
          expected.catcher === 'next' ? task.next : catchTarget[expected.catcher],
        );
      }
      // Lambda's own hiccups are retried fast; a closed record, a timeout or a crash fails the execution in the step;
      // a record cancelled meanwhile ends the workflow cancelled.
      expect(routeOf(s, 'Lambda.TooManyRequestsException')).toEqual({ retrier: 0 });
      for (const error of [RECORD_CLOSED_ERROR, 'States.Timeout', 'Sandbox.Timedout']) {
        expect(routeOf(s, error)).toEqual({});
      }
      expect(routeOf(s, RECORD_CANCELLED_ERROR)).toEqual({ catchNext: END_STATES[kind].cancelled });
    }
  });

  it('sends each Knox task the record id and the execution name; keeps nothing of its result', () => {
    for (const task of KNOX_TASKS[kind]) {
      const s = state(definition, task.state);
      expect(s.Parameters).toEqual({
        FunctionName: `{{Ref:${versionId(task.handler)}}}`,
        Payload: { 'id.$': '$.id', 'executionName.$': '$$.Execution.Name' },
      });
      expect(s.ResultPath).toBeNull();
      expect(s.TimeoutSeconds).toBeGreaterThan(resource(functionId(task.handler)).Properties.Timeout);
    }
  });

  it('records each outcome with record-outcome, retried, then ends SUCCEEDED or ABORTED (a Succeed)', () => {
    const outcomes = [
      [STATES.recordSucceeded, 'SUCCEEDED', END_STATES[kind].succeeded],
      [STATES.recordAborted, 'ABORTED', END_STATES[kind].aborted],
    ] as const;
    for (const [name, outcome, end] of outcomes) {
      const s = state(definition, name);
      expect(s.Parameters).toEqual({
        FunctionName: `{{Ref:${versionId(STEP_FUNCTIONS.recordOutcome)}}}`,
        Payload: {
          'id.$': '$.id',
          'executionName.$': '$$.Execution.Name',
          outcome,
          ...(outcome === 'SUCCEEDED' ? {} : { 'error.$': '$.error' }),
        },
      });
      expect(s.Catch).toBeUndefined();
      expect(s.Retry).toHaveLength(1);
      expect(s.Retry?.[0]?.ErrorEquals).toEqual([...LAMBDA_SERVICE_ERRORS, 'States.TaskFailed']);
      expect(s.Retry?.[0]?.MaxAttempts).toBe(3);
      expect(s.Next).toBe(end);
    }
    expect(state(definition, END_STATES[kind].succeeded).Type).toBe('Succeed');
    expect(state(definition, END_STATES[kind].aborted).Type).toBe('Succeed');
    if (kind === 'onboarding')
      expect(state(definition, END_STATES[kind].failed)).toMatchObject({ Type: 'Fail', Error: WORKFLOW_FAILED_ERROR });
  });
});

describe.each(['onboarding', 'offboarding'] as const)('%s waiting on the customer', (kind) => {
  it('is a callback Task: await-answer stores $$.Task.Token; TimeoutSeconds is the deadline, caught into Record aborted', () => {
    const wait = state(definitionOf(kind), STATES.waitForAnswer);
    expect(wait).toMatchObject({
      Type: 'Task',
      Resource: 'arn:{{Ref:AWS::Partition}}:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: config.waitDeadlineSeconds,
      ResultPath: '$.answer',
      Next: kind === 'onboarding' ? STATES.needsChange : STATES.recordSucceeded,
    });
    expect(wait.Parameters).toEqual({
      FunctionName: `{{Ref:${versionId(STEP_FUNCTIONS.awaitAnswer)}}}`,
      Payload: {
        'id.$': '$.id',
        'executionName.$': '$$.Execution.Name',
        'taskToken.$': '$$.Task.Token',
        mode: kind === 'onboarding' ? 'approval' : 'delink',
      },
    });
    // The deadline and a refusal (Knox.Abort from SendTaskFailure) abort; a Lambda fault fails; no Knox.Wait retrier.
    expect(routeOf(wait, 'States.Timeout')).toEqual({ catchNext: STATES.recordAborted });
    expect(routeOf(wait, STEP_ERROR_NAMES.abort)).toEqual({ catchNext: STATES.recordAborted });
    expect(routeOf(wait, RECORD_CLOSED_ERROR)).toEqual({});
    expect(routeOf(wait, RECORD_CANCELLED_ERROR)).toEqual({ catchNext: END_STATES[kind].cancelled });
    expect(routeOf(wait, 'Lambda.ServiceException')).toEqual({ retrier: 0 });
    expect((wait.Retry ?? []).flatMap((r) => r.ErrorEquals)).not.toContain(STEP_ERROR_NAMES.wait);
    // The execution's own timeout stays a day beyond it: only a backstop.
    expect(definitionOf(kind).TimeoutSeconds).toBe((wait.TimeoutSeconds as number) + 24 * 3600);
  });
});

describe('the poller', () => {
  it('runs on an EventBridge Scheduler schedule every pollPeriodSeconds, invoking only the poller', () => {
    const schedules = resources('AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    const [, schedule] = schedules[0]!;
    expect(schedule.Properties.ScheduleExpression).toBe(`rate(${config.pollPeriodSeconds / 60} minutes)`);
    expect(schedule.Properties.State).toBe('ENABLED');
    expect(schedule.Properties.Target.Arn).toEqual(getAtt(functionId(OTHER_FUNCTIONS.poller)));
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(resource(roleId).Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
      Service: 'scheduler.amazonaws.com',
    });
    expect([...actionsOf(statementsOfRole(roleId))]).toEqual(['lambda:InvokeFunction']);
  });

  it('reserves no concurrency (a round lease keeps rounds one at a time: test/poller-lease.test.ts)', () => {
    expect(resource(functionId(OTHER_FUNCTIONS.poller)).Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('one tick is one round at most: no retry after a failed round, a throttled tick kept one period at most', () => {
    const configs = resources('AWS::Lambda::EventInvokeConfig').filter(
      ([, r]) => r.Properties.FunctionName.Ref === functionId(OTHER_FUNCTIONS.poller),
    );
    expect(configs).toHaveLength(1);
    const [, invokeConfig] = configs[0]!;
    expect(invokeConfig.Properties.Qualifier).toBe('$LATEST');
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(0);
    expect(invokeConfig.Properties.MaximumEventAgeInSeconds).toBeLessThanOrEqual(config.pollPeriodSeconds);
    expect(invokeConfig.Properties.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
  });

  it('may read and update the table (no create, delete or Scan), read the secret, answer tasks of the waiting machines only', () => {
    const statements = statementsOfRole(roleOfFunction(OTHER_FUNCTIONS.poller));
    const TASK = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'];
    expect([...actionsOf(statements)].sort()).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        ...SECRET_ACTIONS,
        ...TASK,
        ...BASIC_ACTIONS,
      ].sort(),
    );
    for (const s of statementsWith(statements, 'dynamodb:UpdateItem'))
      expect(s.Resource).toEqual(getAtt(tableLogicalId(cfn)));
    const taskResources = TASK.flatMap((a) => statementsWith(statements, a)).flatMap((s) => asArray(s.Resource));
    const ids = workflowLogicalIds(cfn);
    // SendTaskSuccess also on the batch workflow: its sweep wakes a batch whose items all ended.
    expect(new Set(taskResources.map((r) => JSON.stringify(r)))).toEqual(
      new Set(
        [ref(ids.onboarding), ref(ids.offboarding), ref(batchWorkflowLogicalId(cfn))].map((r) => JSON.stringify(r)),
      ),
    );
  });

  it('alarms on failed rounds and on a waiting record unchecked for three periods (missing data breaches)', () => {
    const alarms = resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const errors = alarms.find(
      (a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(functionId(OTHER_FUNCTIONS.poller)),
    );
    expect(errors).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const unchecked = alarms.find((a) => a.MetricName === 'PollerOldestUncheckedSeconds');
    expect(unchecked).toMatchObject({
      Threshold: 3 * config.pollPeriodSeconds,
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
      Statistic: 'Maximum',
    });
    expect(errors.AlarmActions).toHaveLength(1);
    expect(unchecked.AlarmActions).toEqual(errors.AlarmActions);
  });
});

describe('onboarding choices', () => {
  it('chooses link or create by $.path, and changes only when the check says so', () => {
    const definition = definitionOf('onboarding');
    expect(state(definition, STATES.linkOrCreate)).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.path', StringEquals: 'link', Next: STATES.linkCustomer },
        { Variable: '$.path', StringEquals: 'create', Next: STATES.createCustomer },
      ],
      Default: STATES.onboardingFailed,
    });
    expect(state(definition, STATES.needsChange)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.answer.needsChange', IsPresent: true },
            { Variable: '$.answer.needsChange', BooleanEquals: true },
          ],
          Next: STATES.changeCustomer,
        },
      ],
      Default: STATES.recordSucceeded,
    });
  });
});

// --- HTTP API ----------------------------------------------------------------------------------------------------------

describe('HTTP API', () => {
  // The one route table: the template has exactly its routes.
  const EXPECTED_ROUTES = API_ROUTES.map((r) => routeKey(r.method, r.resource));

  function pathOf(resourceId: Json): string {
    if (resourceId['Fn::GetAtt']) return ''; // the root resource
    const r = resource(resourceId.Ref);
    return `${pathOf(r.Properties.ParentId)}/${r.Properties.PathPart}`;
  }
  const methods = () =>
    resources('AWS::ApiGateway::Method').map(([, m]) => ({
      route: `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`,
      props: m.Properties,
    }));

  it('has exactly the product routes, every one IAM-authorized and proxied to the api function', () => {
    expect(
      methods()
        .map((m) => m.route)
        .sort(),
    ).toEqual([...EXPECTED_ROUTES].sort());
    for (const { props } of methods()) {
      expect(props.AuthorizationType).toBe('AWS_IAM');
      expect(props.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(props.Integration.Uri)).toContain(functionId(OTHER_FUNCTIONS.api));
    }
  });

  it('validates bodies of POST routes and the path parameters of reads', () => {
    const validators = Object.fromEntries(
      resources('AWS::ApiGateway::RequestValidator').map(([id, v]) => [id, v.Properties]),
    );
    for (const { route, props } of methods()) {
      const validator = validators[props.RequestValidatorId.Ref];
      expect(validator?.ValidateRequestParameters, route).toBe(true);
      const spec = API_ROUTES.find((r) => routeKey(r.method, r.resource) === route);
      if (spec && 'jsonBody' in spec && spec.jsonBody) {
        expect(validator?.ValidateRequestBody, route).toBe(true);
        expect(props.RequestModels['application/json']).toBeDefined();
      }
      const param = /\{(\w+)\}$/.exec(route)?.[1];
      if (param) expect(props.RequestParameters[`method.request.path.${param}`], route).toBe(true);
    }
  });

  it('throttles, traces and access-logs the stage', () => {
    const [[, stageResource]] = resources('AWS::ApiGateway::Stage') as [[string, Json]];
    const stage = stageResource.Properties;
    expect(stage.TracingEnabled).toBe(true);
    expect(stage.AccessLogSetting.DestinationArn).toBeDefined();
    expect(stage.MethodSettings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: config.apiThrottleRate,
          ThrottlingBurstLimit: config.apiThrottleBurst,
        }),
      ]),
    );
  });

  it("answers a non-object body with the api Lambda's 400 shape", () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"issues"') },
    });
  });
});

// --- monitoring ------------------------------------------------------------------------------------------------------

describe('monitoring', () => {
  const alarms = () => resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topicId = () => resources('AWS::SNS::Topic')[0]?.[0] as string;

  it('alarms on failed and timed-out executions of each state machine', () => {
    for (const machine of [...Object.values(workflowLogicalIds(cfn)), batchWorkflowLogicalId(cfn)]) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
        const found = alarms().filter(
          (a) =>
            a.MetricName === metric &&
            a.Namespace === 'AWS/States' &&
            JSON.stringify(a.Dimensions).includes(JSON.stringify(ref(machine))),
        );
        expect(found, `${metric} ${machine}`).toHaveLength(1);
      }
    }
  });

  it('alarms on throttles of every function but the poller, and on Knox operator errors', () => {
    for (const handler of ALL_HANDLERS) {
      const found = alarms().filter(
        (a) =>
          a.MetricName === 'Throttles' &&
          JSON.stringify(a.Dimensions).includes(JSON.stringify(ref(functionId(handler)))),
      );
      // The poller runs at most once at a time on purpose (reserved concurrency 1): a tick during a long round is
      // throttled and retried, which is not a fault; its own alarms watch that rounds happen.
      expect(found, handler).toHaveLength(handler === OTHER_FUNCTIONS.poller ? 0 : 1);
    }
    expect(
      alarms().filter((a) => a.Namespace === 'KnoxOnboarding' && a.MetricName === 'KnoxOperatorErrors'),
    ).toHaveLength(1);
  });

  it('sends every alarm to the encrypted, SSL-only topic', () => {
    for (const a of alarms()) expect(a.AlarmActions).toEqual([ref(topicId())]);
    expect(resource(topicId()).Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // No e-mail unless the context asks for one (see the configured stack below).
    expect(resources('AWS::SNS::Subscription')).toHaveLength(0);
  });

  it('counts operator errors and Knox errors by code from every Knox step log group', () => {
    const filters = resources('AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    for (const handler of KNOX_STEP_HANDLERS) {
      const logGroup = resource(functionId(handler)).Properties.LoggingConfig.LogGroup;
      const mine = filters.filter((f) => JSON.stringify(f.LogGroupName).includes(logGroup.Ref));
      const operator = mine.find((f) => f.MetricTransformations[0].MetricName === 'KnoxOperatorErrors');
      expect(operator?.FilterPattern).toBe('{ $.disposition = "operator" }');
      const byCode = mine.find((f) => f.MetricTransformations[0].MetricName === 'KnoxErrors');
      expect(byCode?.MetricTransformations[0].Dimensions).toEqual([{ Key: 'code', Value: '$.code' }]);
    }
  });

  it('has a dashboard with executions and Knox errors by code', () => {
    const [[, dashboard]] = resources('AWS::CloudWatch::Dashboard') as [[string, Json]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('Knox errors by code');
    expect(body).toContain('KnoxErrors');
    for (const kind of ['Onboarding', 'Offboarding', 'Change']) expect(body).toContain(`${kind} executions`);
  });

  it('counts the shared Knox budget from every Knox step log group, graphs it, and lets each step write its item', () => {
    const filters = resources('AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    for (const handler of KNOX_STEP_HANDLERS) {
      const logGroup = resource(functionId(handler)).Properties.LoggingConfig.LogGroup;
      const mine = filters.filter((f) => JSON.stringify(f.LogGroupName).includes(logGroup.Ref));
      const names = mine.map((f) => f.MetricTransformations[0].MetricName);
      for (const metric of Object.values(BUDGET_METRICS)) expect(names, `${handler} ${metric}`).toContain(metric);
      const used = mine.find((f) => f.MetricTransformations[0].MetricName === BUDGET_METRICS.used);
      expect(used?.FilterPattern).toBe('{ $.budgetEvent = "claim" }');
      expect(used?.MetricTransformations[0].MetricValue).toBe('$.budgetTokens');
      // The budget item is in the records table: the grant the step already has covers its GetItem and UpdateItem.
      const table = statementsOfRole(roleOfFunction(handler)).filter((st) =>
        JSON.stringify(st.Resource).includes(tableLogicalId(cfn)),
      );
      for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem']) expect(actionsOf(table).has(action)).toBe(true);
    }
    const [[, dashboard]] = resources('AWS::CloudWatch::Dashboard') as [[string, Json]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('Knox budget (requests/s)');
    expect(body).toContain('Knox 429s and waits for the budget');
    expect(body).toContain(BUDGET_METRICS.throttled);
  });

  it('sends FAILED, TIMED_OUT and ABORTED executions of our machines to execution-events', () => {
    const [[, rule]] = resources('AWS::Events::Rule') as [[string, Json]];
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [
          ...RECORD_KINDS.map((kind) => ref(workflowLogicalIds(cfn)[kind])),
          ref(batchWorkflowLogicalId(cfn)),
        ],
      },
    });
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toEqual(getAtt(functionId(OTHER_FUNCTIONS.executionEvents)));
    expect(target.DeadLetterConfig.Arn).toBeDefined();
  });
});

// --- configuration reaches the template ------------------------------------------------------------------------------

describe('a stack configured through context', () => {
  let configured: CfnTemplate;
  const context = {
    pollFirstSeconds: '30',
    pollMaxSeconds: '600',
    waitDeadlineSeconds: '86400',
    retryWindowSeconds: '600',
    alarmEmail: 'ops@example.com',
    apiThrottleRate: '5',
    logRetentionDays: '30',
  };
  beforeAll(() => {
    // Bundling is the same as above: skip it here.
    const otherApp = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    configured = Template.fromStack(new KnoxOnboardingStack(otherApp, STACK_NAME)).toJSON() as CfnTemplate;
  });

  it('uses the configured schedule in every workflow', () => {
    const c = parseConfig(context);
    for (const kind of RECORD_KINDS) {
      const d = definitionOf(kind, configured);
      expect(d.TimeoutSeconds).toBe(86_400 + 24 * 3600);
      for (const task of KNOX_TASKS[kind]) {
        const [fast, poll] = state(d, task.state).Retry ?? [];
        expect(fast?.MaxAttempts).toBe(computeRetryMaxAttempts(c));
        expect(fast?.MaxAttempts).toBeLessThan(computeRetryMaxAttempts(config));
        expect(poll).toMatchObject({
          IntervalSeconds: 30,
          MaxDelaySeconds: 600,
          MaxAttempts: computePollMaxAttempts(c),
        });
      }
    }
  });

  it('subscribes the alarm e-mail and applies throttle and retention', () => {
    const subscriptions = Object.values(configured.Resources).filter((r) => r.Type === 'AWS::SNS::Subscription');
    expect(subscriptions.map((s) => s.Properties)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' }),
    ]);
    const stage = Object.values(configured.Resources).find((r) => r.Type === 'AWS::ApiGateway::Stage') as Json;
    expect(stage.Properties.MethodSettings[0].ThrottlingRateLimit).toBe(5);
    for (const r of Object.values(configured.Resources)) {
      if (r.Type === 'AWS::Logs::LogGroup') expect((r.Properties as Json).RetentionInDays).toBe(30);
    }
  });

  it('refuses bad context at synth with a sentence', () => {
    const badApp = new App({ context: { pollFirstSeconds: 'soon', 'aws:cdk:bundling-stacks': [] } });
    expect(() => new KnoxOnboardingStack(badApp, STACK_NAME)).toThrow(/pollFirstSeconds/);
  });
});

// --- cdk-nag ---------------------------------------------------------------------------------------------------------

describe('cdk-nag AwsSolutions', () => {
  it('reports what it finds (the check is live)', () => {
    const probeApp = new App();
    new sqs.Queue(new Stack(probeApp, 'Probe'), 'PlainQueue');
    const rules = new AwsSolutionsChecks().validateScope(probeApp).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });

  it('finds nothing unacknowledged in our stack', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const summary = report.violations.map(
      (v) => `${v.ruleName} ${v.severity} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(summary).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only on resources, each with a real reason', () => {
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    const walk = (c: IConstruct) => {
      for (const entry of c.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
            acknowledged.push({ path: c.node.path, id, reason });
          }
        }
      }
      c.node.children.forEach(walk);
    };
    walk(app);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const a of acknowledged) {
      expect(a.reason.length, a.id).toBeGreaterThan(40);
      // No blanket acknowledgement on the app or the stack: each sits on the construct it is about.
      expect(a.path.startsWith(`${STACK_NAME}/`), `${a.id} on ${a.path}`).toBe(true);
    }
    // Wildcard resources are acknowledged one by one, never as the whole rule.
    expect(acknowledged.filter((a) => /AwsSolutions-IAM5$/.test(a.id))).toEqual([]);
  });

  it('leaves no CDK warning or error on the stack', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

// --- safe deploys ------------------------------------------------------------------------------------------------------

/** The live alias (AWS::StepFunctions::StateMachineAlias) of a state machine, through its published version. */
function aliasOf(machineId: string): string {
  const versions = resources('AWS::StepFunctions::StateMachineVersion').filter(
    ([, v]) => v.Properties.StateMachineArn?.Ref === machineId,
  );
  expect(versions, machineId).toHaveLength(1);
  const versionId = versions[0]![0];
  const aliases = resources('AWS::StepFunctions::StateMachineAlias').filter(
    ([, a]) => a.Properties.DeploymentPreference?.StateMachineVersionArn?.['Fn::GetAtt']?.[0] === versionId,
  );
  expect(aliases, machineId).toHaveLength(1);
  return aliases[0]![0];
}

describe('deploys that never break a running workflow', () => {
  const machines = () => [...Object.values(workflowLogicalIds(cfn)), batchWorkflowLogicalId(cfn)];

  it('names a published version of its function in every Lambda Task of every state machine', () => {
    const versionIds = new Set(resources('AWS::Lambda::Version').map(([id]) => id));
    for (const machine of machines()) {
      const definition = resolveDefinition(cfn, machine);
      const tasks = Object.values(definition.States).filter((s) => s.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(0);
      for (const task of tasks) {
        const ref = /^\{\{Ref:(.+)\}\}$/.exec(String(task.Parameters?.FunctionName))?.[1];
        expect(ref && versionIds.has(ref), `${machine}: ${String(task.Parameters?.FunctionName)}`).toBe(true);
      }
    }
  });

  it('retains every Lambda version and every state machine version (an execution may still run them)', () => {
    const retained = [...resources('AWS::Lambda::Version'), ...resources('AWS::StepFunctions::StateMachineVersion')];
    expect(retained.length).toBeGreaterThan(machines().length);
    for (const [id, r] of retained) {
      expect(r.DeletionPolicy, id).toBe('Retain');
      expect(r.UpdateReplacePolicy, id).toBe('Retain');
    }
  });

  it('publishes each state machine as a version per revision behind a live alias with a gradual, alarmed deployment', () => {
    for (const machine of machines()) {
      const [, version] = resources('AWS::StepFunctions::StateMachineVersion').find(
        ([, v]) => v.Properties.StateMachineArn?.Ref === machine,
      )!;
      expect(version.Properties.StateMachineRevisionId).toEqual(getAtt(machine, 'StateMachineRevisionId'));
      const alias = resource(aliasOf(machine));
      expect(alias.Properties.Name).toBe('live');
      const preference = alias.Properties.DeploymentPreference;
      expect(['CANARY', 'LINEAR']).toContain(preference.Type);
      // The rollback trigger: the workflow's FAILED-executions alarm.
      expect(preference.Alarms).toHaveLength(1);
      const alarm = resource(preference.Alarms[0].Ref);
      expect(alarm.Type).toBe('AWS::CloudWatch::Alarm');
      expect(alarm.Properties.MetricName).toBe('ExecutionsFailed');
      expect(JSON.stringify(alarm.Properties.Dimensions)).toContain(machine);
    }
  });

  it('starts onboardings of a batch through the onboarding alias', () => {
    const starter = resource(functionId(OTHER_FUNCTIONS.batchStarter));
    const onboardingAlias = aliasOf(workflowLogicalIds(cfn).onboarding);
    expect(starter.Properties.Environment.Variables[ENV.onboardingStateMachineArn]).toEqual(
      getAtt(onboardingAlias, 'Arn'),
    );
    const statements = statementsOfRole(roleOfFunction(OTHER_FUNCTIONS.batchStarter));
    expect(statementsWith(statements, 'states:StartExecution').flatMap((s) => asArray(s.Resource))).toEqual([
      getAtt(onboardingAlias, 'Arn'),
    ]);
  });
});
