/**
 * The local stack's reading of the synthesized template: every state machine resolves to valid ASL (the engine's own
 * validator) with no token left, every Task binds to a handler module that exists, the functions' environments
 * resolve to local values, the API routes are the deployed ones; and TIME_SCALE keeps the schedule's shape.
 */
import { API_ROUTES, routeKey } from '#domain/routes';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { apiGatewayModel, matchRoute } from '#local/apigateway/api-routes';
import { prepareMachine } from '#local/stepfunctions/prepare-machine';
import { functionEnvironmentUnion, localEnvironment } from '#local/stack/environment';
import {
  UnresolvableError,
  hasUnresolvedTokens,
  resolveIntrinsics,
  type ResolveContext,
} from '#local/template/intrinsics';
import { LambdaRuntime, handlerModulePath } from '#local/lambda/lambda-runtime';
import { PROJECT_DIR, ensureTemplate } from '#local/template/synth';
import { taskHandlerNames } from '#local/stepfunctions/task-bindings';
import {
  LOCAL_WORKFLOWS,
  STACK_NAME,
  localStateMachineArn,
  readTemplate,
  resolveModel,
  taskStates,
  type CfnTemplate,
  type LocalModel,
} from '#local/template/template';
import { scaleDefinition, scaleSeconds, waitTimeOverrides } from '#local/stepfunctions/time-scale';

const LAMBDAS_DIR = join(PROJECT_DIR, 'lambdas');

let template: CfnTemplate;
let model: LocalModel;

beforeAll(async () => {
  template = readTemplate(await ensureTemplate());
  model = resolveModel(template);
});

describe('template resolution', () => {
  it('finds the stack the CDK app synthesizes', () => {
    expect(template.Resources).toBeDefined();
    expect(STACK_NAME).toBe('KnoxOnboardingStack');
  });

  it('resolves the four state machines to ASL without unresolved tokens, valid for the engine', () => {
    expect(model.stateMachines.map((m) => m.workflow).sort()).toEqual([...LOCAL_WORKFLOWS].sort());
    const runtime = new LambdaRuntime(model.functions, LAMBDAS_DIR);
    for (const machine of model.stateMachines) {
      expect(machine.arn).toBe(localStateMachineArn(machine.workflow));
      expect(hasUnresolvedTokens(machine.definition)).toBe(false);
      expect(JSON.stringify(machine.definition)).not.toMatch(/Fn::|"Ref"|\$\{Token/);
      // prepareMachine validates with asl-validator (ARNs and paths checked) and binds every Task.
      expect(() => prepareMachine(machine, 1, runtime)).not.toThrow();
    }
  });

  it('binds every Task state to a handler module that exists under lambdas/', () => {
    const runtime = new LambdaRuntime(model.functions, LAMBDAS_DIR);
    for (const machine of model.stateMachines) {
      const bindings = taskHandlerNames(machine.definition, runtime);
      expect(Object.keys(bindings).sort()).toEqual(
        taskStates(machine.definition)
          .map(([name]) => name)
          .sort(),
      );
      for (const handler of Object.values(bindings))
        expect(existsSync(handlerModulePath(LAMBDAS_DIR, handler))).toBe(true);
    }
    const onboarding = model.stateMachines.find((m) => m.workflow === 'onboarding')!;
    expect(taskHandlerNames(onboarding.definition, runtime)).toMatchObject({
      [STATES.linkCustomer]: 'link-customer',
      [STATES.createCustomer]: 'create-customer',
      [STATES.waitForAnswer]: 'await-answer',
      [STATES.recordSucceeded]: 'record-outcome',
    });
  });

  it('refuses a Task whose function is not in the template', () => {
    const runtime = new LambdaRuntime(model.functions, LAMBDAS_DIR);
    const definition = {
      States: {
        Stray: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:nowhere' },
          End: true,
        },
      },
    };
    expect(() => taskHandlerNames(definition, runtime)).toThrow(/no function in the template/);
    expect(() =>
      taskHandlerNames(
        { States: { S: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } },
        runtime,
      ),
    ).toThrow(/not supported/);
  });

  it('resolves the table (GSI included), the secret and every function environment to local values', () => {
    expect(model.table.keySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(model.table.globalSecondaryIndexes.map((g) => g.IndexName)).toEqual(['byKindStatus']);
    expect(model.table.billingMode).toBe('PAY_PER_REQUEST');
    expect(model.secret.arn).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:/);

    const env = functionEnvironmentUnion(model.functions);
    expect(env['TABLE_NAME']).toBe(model.table.name);
    expect(env['KNOX_SECRET_ARN']).toBe(model.secret.arn);
    // Executions start through each state machine's live alias (lib/infra/live-alias.ts).
    expect(env['ONBOARDING_STATE_MACHINE_ARN']).toBe(`${localStateMachineArn('onboarding')}:live`);
    expect(env['OFFBOARDING_STATE_MACHINE_ARN']).toBe(`${localStateMachineArn('offboarding')}:live`);
    expect(env['CHANGE_STATE_MACHINE_ARN']).toBe(`${localStateMachineArn('change')}:live`);
    expect(hasUnresolvedTokens(env)).toBe(false);

    const local = localEnvironment({
      functions: model.functions,
      knoxBaseUrl: 'http://127.0.0.1:9',
      timeScale: 0.001,
      endpoints: { dynamodb: 'http://127.0.0.1:1', sfn: 'http://127.0.0.1:2', secretsManager: 'http://127.0.0.1:3' },
    });
    expect(local).toMatchObject({
      KNOX_BASE_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:2',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:3',
      WAIT_DEADLINE_SECONDS: String(scaleSeconds(Number(env['WAIT_DEADLINE_SECONDS']), 0.001)),
      // The retry window is a wait too: one hour, 4 s at this scale.
      RETRY_WINDOW_SECONDS: String(scaleSeconds(Number(env['RETRY_WINDOW_SECONDS']), 0.001)),
    });
    expect(local['RETRY_WINDOW_SECONDS']).toBe('4');
  });

  it('fails loudly when two functions disagree on a variable', () => {
    const [a, b] = model.functions;
    expect(() =>
      functionEnvironmentUnion([
        { ...a!, environment: { SHARED: 'one' } },
        { ...b!, environment: { SHARED: 'two' } },
      ]),
    ).toThrow(/SHARED/);
  });

  it('reads the deployed API routes, with API Gateway body validation on POST', () => {
    const api = apiGatewayModel(template);
    const routes = api.routes.map((r) => `${r.method} ${r.resource}`).sort();
    // The one route table (lib/domain/routes.ts), read back from the synthesized template.
    expect(routes).toEqual(API_ROUTES.map((r) => routeKey(r.method, r.resource)).sort());
    expect(api.routes.find((r) => r.method === 'POST' && r.resource === '/onboardings')?.requiresJsonObjectBody).toBe(
      true,
    );
    expect(matchRoute(api.routes, 'GET', '/onboardings/onb-0123456789abcdef')).toMatchObject({
      route: { resource: '/onboardings/{onboardingId}' },
      pathParameters: { onboardingId: 'onb-0123456789abcdef' },
    });
    expect(matchRoute(api.routes, 'DELETE', '/changes/chg-1')).toBe('methodNotAllowed');
    expect(matchRoute(api.routes, 'GET', '/nowhere')).toBeUndefined();
    expect(api.badRequestBody.statusCode).toBe(400);
  });
});

describe('intrinsics', () => {
  const ctx: ResolveContext = {
    resources: { Fn: { ref: 'my-fn', attributes: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:my-fn' } } },
    parameters: { BootstrapVersion: '/cdk-bootstrap/hnb659fds/version' },
    stackName: 'S',
  };

  it('resolves Fn::Join, Fn::GetAtt, Ref, Fn::Sub and pseudo parameters', () => {
    expect(
      resolveIntrinsics(
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':states:::lambda:invoke ', { 'Fn::GetAtt': ['Fn', 'Arn'] }],
          ],
        },
        ctx,
      ),
    ).toBe('arn:aws:states:::lambda:invoke arn:aws:lambda:us-east-1:000000000000:function:my-fn');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${...} syntax is what is tested.
    expect(resolveIntrinsics({ 'Fn::Sub': '${AWS::Region}/${AWS::AccountId}/${Fn}/${Fn.Arn}/${!Literal}' }, ctx)).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal that Fn::Sub's ${!Literal} stands for.
      'us-east-1/000000000000/my-fn/arn:aws:lambda:us-east-1:000000000000:function:my-fn/${Literal}',
    );
    expect(resolveIntrinsics({ a: { Ref: 'AWS::NoValue' }, b: [1, { Ref: 'AWS::NoValue' }] }, ctx)).toEqual({ b: [1] });
  });

  it('refuses what it cannot resolve, naming where', () => {
    expect(() => resolveIntrinsics({ x: { 'Fn::If': ['C', 1, 2] } }, ctx)).toThrow(UnresolvableError);
    expect(() => resolveIntrinsics({ x: { Ref: 'Missing' } }, ctx)).toThrow(/\$\.x\.Ref: Ref to unknown Missing/);
  });
});

describe('scaleDefinition', () => {
  const definition = {
    StartAt: 'Work',
    TimeoutSeconds: 1000,
    States: {
      Work: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        TimeoutSeconds: 40,
        Retry: [
          {
            ErrorEquals: ['Knox.Retry'],
            IntervalSeconds: 2,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            MaxAttempts: 6,
            JitterStrategy: 'FULL',
          },
          { ErrorEquals: ['Knox.Wait'], IntervalSeconds: 60, BackoffRate: 2, MaxDelaySeconds: 3600, MaxAttempts: 344 },
          { ErrorEquals: ['States.ALL'] },
        ],
        Next: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: 60, Next: 'Both' },
      Both: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'Inner',
            States: {
              Inner: { Type: 'Task', Resource: 'x', Retry: [{ ErrorEquals: ['E'], IntervalSeconds: 10 }], End: true },
            },
          },
        ],
        End: true,
      },
    },
  };

  it('scales retry intervals, caps and the machine timeout, and nothing else', () => {
    const scaled = scaleDefinition(definition, 0.001);
    const retry = scaled.States.Work.Retry;
    expect(retry[0]).toEqual({
      ErrorEquals: ['Knox.Retry'],
      IntervalSeconds: 0.002,
      BackoffRate: 2,
      MaxDelaySeconds: 0.06,
      MaxAttempts: 6,
      JitterStrategy: 'FULL',
    });
    expect(retry[1]).toMatchObject({ IntervalSeconds: 0.06, MaxDelaySeconds: 3.6, BackoffRate: 2, MaxAttempts: 344 });
    // ASL's default interval (1 s) is scaled too.
    expect(retry[2]).toEqual({ ErrorEquals: ['States.ALL'], IntervalSeconds: 0.001 });
    expect(scaled.TimeoutSeconds).toBe(1);
    // A Task's TimeoutSeconds bounds real compute time, and Wait states go through waitTimeOverrides.
    expect(scaled.States.Work.TimeoutSeconds).toBe(40);
    expect(scaled.States.Pause.Seconds).toBe(60);
    expect(scaled.States.Both.Branches[0]!.States.Inner.Retry[0]!.IntervalSeconds).toBeCloseTo(0.01);
    // The input is untouched.
    expect(definition.States.Work.Retry[0]!.IntervalSeconds).toBe(2);
    expect(definition.TimeoutSeconds).toBe(1000);
  });

  it('scales Wait states through overrides, in milliseconds', () => {
    expect(waitTimeOverrides(definition, 0.001)).toEqual({ Pause: 60 });
    expect(waitTimeOverrides(definition, 1)).toEqual({ Pause: 60_000 });
  });

  it('refuses a scale that is not a positive number', () => {
    expect(() => scaleDefinition(definition, 0)).toThrow(RangeError);
    expect(() => scaleDefinition(definition, Number.NaN)).toThrow(RangeError);
  });

  it("keeps the schedule of the waits on Knox (the link's Knox.Wait retrier): interval and cap scaled, growth and count kept", () => {
    const onboarding = model.stateMachines.find((m) => m.workflow === 'onboarding')!.definition;
    const original = onboarding.States[STATES.linkCustomer]!['Retry'] as {
      ErrorEquals: string[];
      IntervalSeconds: number;
      MaxDelaySeconds: number;
      BackoffRate: number;
      MaxAttempts: number;
    }[];
    const scaled = scaleDefinition(onboarding, 0.001).States[STATES.linkCustomer]!['Retry'] as typeof original;
    const waitIndex = original.findIndex((r) => r.ErrorEquals.includes(STEP_ERROR_NAMES.wait));
    expect(waitIndex).toBeGreaterThanOrEqual(0);
    expect(scaled[waitIndex]!.IntervalSeconds).toBeCloseTo(original[waitIndex]!.IntervalSeconds * 0.001);
    expect(scaled[waitIndex]!.MaxDelaySeconds).toBeCloseTo(original[waitIndex]!.MaxDelaySeconds * 0.001);
    expect(scaled[waitIndex]!.BackoffRate).toBe(original[waitIndex]!.BackoffRate);
    expect(scaled[waitIndex]!.MaxAttempts).toBe(original[waitIndex]!.MaxAttempts);
    // The callback's TimeoutSeconds is the customer's deadline: a wait, scaled like the others.
    const deadline = onboarding.States[STATES.waitForAnswer]!['TimeoutSeconds'] as number;
    expect(scaleDefinition(onboarding, 0.001).States[STATES.waitForAnswer]!['TimeoutSeconds']).toBeCloseTo(
      deadline * 0.001,
    );
  });
});
