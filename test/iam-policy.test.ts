/**
 * The local IAM pieces on their own: the policy evaluator (a table of cases), what it refuses to read, the roles it
 * finds in the synthesized template, SigV4 verification against the SDK's own signer, and the hook that signs each
 * local function's requests with that function's credentials.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '#domain/table-layout';
import { AccessGate } from '#local/iam/access-gate';
import { runAsFunction, useFunctionCredentials } from '#local/iam/function-identity';
import { evaluate, readStatements, UnsupportedPolicyError, type PolicyStatement } from '#local/iam/policy';
import { dynamoAction, sfnAction } from '#local/iam/service-actions';
import { parseAuthorization, sha256Hex, signatureMatches } from '#local/iam/sigv4';
import { templateRoles, type TemplateRoles } from '#local/iam/template-roles';
import { readTemplate, resolveModel, type LocalModel } from '#local/template/template';
import { synthesizeTemplate } from '#testkit/template-without-grant';

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/t';
const allow = (action: string | string[], resource: string | string[]): PolicyStatement =>
  readStatements({ Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] }, 'test')[0]!;
const deny = (action: string | string[], resource: string | string[]): PolicyStatement =>
  readStatements({ Statement: [{ Effect: 'Deny', Action: action, Resource: resource }] }, 'test')[0]!;

describe('the policy evaluator', () => {
  const cases: [string, PolicyStatement[], string, string, ReturnType<typeof evaluate>][] = [
    ['an exact action and resource', [allow('dynamodb:GetItem', TABLE_ARN)], 'dynamodb:GetItem', TABLE_ARN, 'allow'],
    ['no statement: implicit deny', [], 'dynamodb:GetItem', TABLE_ARN, 'implicitDeny'],
    ['another action', [allow('dynamodb:GetItem', TABLE_ARN)], 'dynamodb:PutItem', TABLE_ARN, 'implicitDeny'],
    ['an action wildcard', [allow('dynamodb:Get*', TABLE_ARN)], 'dynamodb:GetItem', TABLE_ARN, 'allow'],
    [
      'actions match case-insensitively',
      [allow('DynamoDB:getitem', TABLE_ARN)],
      'dynamodb:GetItem',
      TABLE_ARN,
      'allow',
    ],
    ['? is one character', [allow('dynamodb:?etItem', TABLE_ARN)], 'dynamodb:GetItem', TABLE_ARN, 'allow'],
    [
      'a wildcard stays in its service',
      [allow('dynamodb:*', TABLE_ARN)],
      'states:StartExecution',
      TABLE_ARN,
      'implicitDeny',
    ],
    [
      'a table grant does not reach its index',
      [allow('dynamodb:Query', TABLE_ARN)],
      'dynamodb:Query',
      `${TABLE_ARN}/index/i`,
      'implicitDeny',
    ],
    [
      'an index grant does not reach its table',
      [allow('dynamodb:Query', `${TABLE_ARN}/index/i`)],
      'dynamodb:Query',
      TABLE_ARN,
      'implicitDeny',
    ],
    [
      'a resource wildcard spans slashes',
      [allow('dynamodb:Query', `${TABLE_ARN}/*`)],
      'dynamodb:Query',
      `${TABLE_ARN}/index/i`,
      'allow',
    ],
    [
      'resources are case-sensitive',
      [allow('dynamodb:GetItem', TABLE_ARN.toUpperCase())],
      'dynamodb:GetItem',
      TABLE_ARN,
      'implicitDeny',
    ],
    ['* is every resource', [allow('dynamodb:GetItem', '*')], 'dynamodb:GetItem', TABLE_ARN, 'allow'],
    [
      'a region wildcard stays in its segment',
      [allow('dynamodb:GetItem', 'arn:aws:dynamodb:*:000000000000:table/t')],
      'dynamodb:GetItem',
      TABLE_ARN,
      'allow',
    ],
    [
      'another account',
      [allow('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:111111111111:table/t')],
      'dynamodb:GetItem',
      TABLE_ARN,
      'implicitDeny',
    ],
    [
      'a version-qualified function under fn:*',
      [allow('lambda:InvokeFunction', 'arn:aws:lambda:us-east-1:0:function:f:*')],
      'lambda:InvokeFunction',
      'arn:aws:lambda:us-east-1:0:function:f:7',
      'allow',
    ],
    [
      'fn:* is not the unqualified function',
      [allow('lambda:InvokeFunction', 'arn:aws:lambda:us-east-1:0:function:f:*')],
      'lambda:InvokeFunction',
      'arn:aws:lambda:us-east-1:0:function:f',
      'implicitDeny',
    ],
    [
      'an execution of one machine',
      [allow('states:StopExecution', 'arn:aws:states:us-east-1:0:execution:onboarding:*')],
      'states:StopExecution',
      'arn:aws:states:us-east-1:0:execution:onboarding:x',
      'allow',
    ],
    [
      'not an execution of another machine',
      [allow('states:StopExecution', 'arn:aws:states:us-east-1:0:execution:onboarding:*')],
      'states:StopExecution',
      'arn:aws:states:us-east-1:0:execution:change:x',
      'implicitDeny',
    ],
    [
      'an explicit deny wins over an allow',
      [allow('dynamodb:*', '*'), deny('dynamodb:DeleteItem', TABLE_ARN)],
      'dynamodb:DeleteItem',
      TABLE_ARN,
      'explicitDeny',
    ],
    [
      'a deny elsewhere leaves the allow',
      [allow('dynamodb:*', '*'), deny('dynamodb:DeleteItem', TABLE_ARN)],
      'dynamodb:GetItem',
      TABLE_ARN,
      'allow',
    ],
  ];
  it.each(cases)('%s', (_name, statements, action, resource, decision) => {
    expect(evaluate(statements, action, resource)).toBe(decision);
  });

  it('NotAction and NotResource allow everything but what they name', () => {
    const [notAction, notResource] = readStatements(
      {
        Statement: [
          { Effect: 'Allow', NotAction: 'dynamodb:Delete*', Resource: TABLE_ARN },
          { Effect: 'Allow', Action: 'states:*', NotResource: 'arn:aws:states:us-east-1:0:stateMachine:batch' },
        ],
      },
      'test',
    );
    expect(evaluate([notAction!], 'dynamodb:PutItem', TABLE_ARN)).toBe('allow');
    expect(evaluate([notAction!], 'dynamodb:DeleteItem', TABLE_ARN)).toBe('implicitDeny');
    expect(evaluate([notResource!], 'states:StartExecution', 'arn:aws:states:us-east-1:0:stateMachine:x')).toBe(
      'allow',
    );
    expect(evaluate([notResource!], 'states:StartExecution', 'arn:aws:states:us-east-1:0:stateMachine:batch')).toBe(
      'implicitDeny',
    );
  });

  it('refuses what it does not evaluate rather than ignoring it: Condition, policy variables, Principal', () => {
    const read = (statement: Record<string, unknown>) => () =>
      readStatements(
        { Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*', ...statement }] },
        'p',
      );
    expect(read({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })).toThrow(UnsupportedPolicyError);
    // A policy variable, as IAM spells it: dollar sign, braces.
    expect(read({ Resource: ['arn:aws:s3:::b/$', '{aws:username}'].join('') })).toThrow(/policy variables/);
    expect(read({ Principal: '*' })).toThrow(/no Principal/);
    expect(read({ Effect: 'Maybe' })).toThrow(/Effect/);
  });
});

describe("the synthesized template's roles", () => {
  let roles: TemplateRoles;
  let model: LocalModel;
  let gate: AccessGate;
  beforeAll(() => {
    const template = readTemplate(synthesizeTemplate());
    roles = templateRoles(template);
    model = resolveModel(template);
    gate = new AccessGate(roles);
  });
  const machine = (workflow: string) => model.stateMachines.find((m) => m.workflow === workflow)!.arn;
  const can = (fn: string, action: string, resource: string) =>
    gate.decide(gate.functionCaller(fn), action, resource) === 'allow';

  it('every function and every state machine has a role of its own, and the schedule one', () => {
    expect([...roles.functions.keys()].sort()).toEqual(model.functions.map((f) => f.name).sort());
    expect(roles.stateMachines.size).toBe(model.stateMachines.length);
    expect(new Set([...roles.functions.values(), ...roles.stateMachines.values()].map((r) => r.arn)).size).toBe(
      roles.functions.size + roles.stateMachines.size,
    );
    expect(roles.schedules.map((s) => s.target)).toEqual([model.functions.find((f) => f.name === 'poller')!.arn]);
  });

  it('the api may query the status index but not scan, and may start but not answer executions', () => {
    expect(can('api', 'dynamodb:Query', `${model.table.arn}/index/${TABLE.byStatusIndex}`)).toBe(true);
    expect(can('api', 'dynamodb:Query', model.table.arn)).toBe(false);
    expect(can('api', 'dynamodb:Scan', model.table.arn)).toBe(false);
    // Executions start through the live alias only (safe deploys): the unqualified state machine is not granted.
    expect(can('api', 'states:StartExecution', `${machine('onboarding')}:live`)).toBe(true);
    expect(can('api', 'states:StartExecution', machine('onboarding'))).toBe(false);
    expect(can('api', 'states:SendTaskSuccess', machine('onboarding'))).toBe(false);
    expect(can('api', 'secretsmanager:GetSecretValue', model.secret.arn)).toBe(false);
  });

  it('the poller answers the callbacks of the workflows that wait, reads the secret, and writes no new item', () => {
    expect(can('poller', 'states:SendTaskSuccess', machine('onboarding'))).toBe(true);
    expect(can('poller', 'states:SendTaskFailure', machine('offboarding'))).toBe(true);
    // The batch workflow's callback too, and only SendTaskSuccess: its sweep wakes a batch whose items all ended.
    expect(can('poller', 'states:SendTaskSuccess', machine('batch'))).toBe(true);
    expect(can('poller', 'states:SendTaskFailure', machine('batch'))).toBe(false);
    expect(can('poller', 'secretsmanager:GetSecretValue', model.secret.arn)).toBe(true);
    expect(can('poller', 'dynamodb:PutItem', model.table.arn)).toBe(false);
  });

  it("a state machine's role invokes the published versions of its own steps, and nothing else", () => {
    const fn = (name: string) => model.functions.find((f) => f.name === name)!.arn;
    const invoke = (name: string) => () => gate.authorizeStateMachineInvoke(machine('onboarding'), 'e', name);
    // Each Task names a published version, and the role is granted that version only ($LATEST is not).
    expect(invoke(`${fn('create-customer')}:1`)).not.toThrow();
    expect(invoke(fn('create-customer'))).toThrow(/is not authorized to perform: lambda:InvokeFunction/);
    expect(invoke(`${fn('create-customer')}:7`)).toThrow(/is not authorized to perform: lambda:InvokeFunction/);
    expect(invoke(fn('poller'))).toThrow(/is not authorized to perform: lambda:InvokeFunction/);
    expect(invoke(fn('request-delink'))).toThrow(expect.objectContaining({ name: 'Lambda.AWSLambdaException' }));
    expect(() => gate.authorizeScheduledInvoke(fn('poller'))).not.toThrow();
    expect(() => gate.authorizeScheduledInvoke(fn('api'))).toThrow(/no schedule/);
  });
});

describe('the resources of a request', () => {
  const table = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;
  it('DynamoDB: the table, its index, each table of a batch, every resource for a call that names none', () => {
    expect(dynamoAction('DynamoDB_20120810.PutItem', { TableName: 't' })).toEqual({
      action: 'dynamodb:PutItem',
      resources: [table('t')],
    });
    expect(dynamoAction('DynamoDB_20120810.Query', { TableName: 't', IndexName: 'byKindStatus' })?.resources).toEqual([
      `${table('t')}/index/byKindStatus`,
    ]);
    expect(dynamoAction('DynamoDB_20120810.BatchWriteItem', { RequestItems: { a: [], b: [] } })?.resources).toEqual([
      table('a'),
      table('b'),
    ]);
    expect(dynamoAction('DynamoDB_20120810.ListTables', {})?.resources).toEqual(['*']);
    expect(dynamoAction('DynamoDB_20120810.DescribeLimits', {})?.resources).toEqual(['*']);
    expect(dynamoAction('AWSStepFunctions.StartExecution', {})).toBeUndefined();
  });

  it('Step Functions: the machine, the execution, and for a task token the machine whose execution issued it', () => {
    const tokens = { stateMachineOfToken: (t: unknown) => (t === 'tok' ? 'arn:sm:onboarding' : undefined) };
    expect(sfnAction('StartExecution', { stateMachineArn: 'arn:sm:x' }, tokens)).toEqual({
      action: 'states:StartExecution',
      resources: ['arn:sm:x'],
    });
    expect(sfnAction('StopExecution', { executionArn: 'arn:ex:x:1' }, tokens).resources).toEqual(['arn:ex:x:1']);
    expect(sfnAction('SendTaskSuccess', { taskToken: 'tok' }, tokens).resources).toEqual(['arn:sm:onboarding']);
    expect(sfnAction('ListStateMachines', {}, tokens).resources).toEqual(['*']);
  });
});

describe('SigV4', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const body = '{"TableName":"t","Key":{"pk":{"S":"a"}}}';
  async function sdkSigned() {
    const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'dynamodb', sha256: Sha256 });
    return signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8000,
      path: '/',
      query: {},
      headers: {
        host: '127.0.0.1:8000',
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
      },
      body,
    });
  }

  it("verifies the SDK signer's signature, and refuses another secret, another body or another header", async () => {
    const signed = await sdkSigned();
    const auth = parseAuthorization(signed.headers['authorization'])!;
    expect(auth).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1', service: 'dynamodb' });
    const request = { method: 'POST', url: '/', headers: signed.headers, payloadHash: sha256Hex(body) };
    expect(signatureMatches(request, auth, credentials.secretAccessKey)).toBe(true);
    expect(signatureMatches(request, auth, 'another secret')).toBe(false);
    expect(
      signatureMatches({ ...request, payloadHash: sha256Hex(`${body} `) }, auth, credentials.secretAccessKey),
    ).toBe(false);
    const forged = { ...signed.headers, 'x-amz-target': 'DynamoDB_20120810.DeleteItem' };
    expect(signatureMatches({ ...request, headers: forged }, auth, credentials.secretAccessKey)).toBe(false);
  });
});

describe("a local function's requests carry its own credentials", () => {
  const seen: { key: string | undefined; valid: boolean }[] = [];
  let server: ReturnType<typeof createServer>;
  let client: DynamoDBClient;
  const own = { accessKeyId: 'ASIAFUNCTIONAAAAAAAA', secretAccessKey: 'function-secret' };
  beforeAll(async () => {
    useFunctionCredentials((name) => (name === 'link-customer' ? own : undefined));
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const auth = parseAuthorization(req.headers.authorization)!;
        const request = {
          method: 'POST',
          url: req.url ?? '/',
          headers: req.headers,
          payloadHash: sha256Hex(Buffer.concat(chunks)),
        };
        seen.push({
          key: auth.accessKeyId,
          valid: signatureMatches(request, auth, auth.accessKeyId === own.accessKeyId ? own.secretAccessKey : 'shared'),
        });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{"TableNames":[]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'shared', secretAccessKey: 'shared' },
    });
  });
  afterAll(async () => {
    useFunctionCredentials(undefined);
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('one shared SDK client: inside an invocation the function signs, outside it the shared key signs; both verify', async () => {
    await Promise.all([
      runAsFunction('link-customer', () => client.send(new ListTablesCommand({}))),
      client.send(new ListTablesCommand({})),
    ]);
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(
      expect.arrayContaining([
        { key: own.accessKeyId, valid: true },
        { key: 'shared', valid: true },
      ]),
    );
  });
});
