/**
 * `npm run preflight` (cli/preflight.ts) against mocked AWS clients (aws-sdk-client-mock): what each answer of the
 * account makes of each check, that a deploy-breaking answer exits 1, and that the secret's value never shows.
 */
import { APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatResult, main, runPreflight, type PreflightClients } from '#cli/preflight';
import { KNOX_SECRET_PLACEHOLDER_CLIENT_ID } from '#infra/deploy-facts';
import { STACK_NAME } from '#infra/metadata';

const apiGateway = mockClient(APIGatewayClient);
const lambda = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const scheduler = mockClient(SchedulerClient);
const secrets = mockClient(SecretsManagerClient);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:KnoxSecret-abc';
const REAL_SECRET = 'a-real-client-secret-never-printed';

function clients(): PreflightClients {
  return {
    apiGateway: new APIGatewayClient({ region: 'eu-west-1' }),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sfn: new SFNClient({ region: 'eu-west-1' }),
    scheduler: new SchedulerClient({ region: 'eu-west-1' }),
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
  };
}

/** A healthy, deployed account. */
beforeEach(() => {
  for (const m of [apiGateway, lambda, sfn, scheduler, secrets]) m.reset();
  apiGateway.on(GetAccountCommand).resolves({ cloudwatchRoleArn: 'arn:aws:iam::123456789012:role/ApiGwLogs' });
  lambda.on(GetAccountSettingsCommand).resolves({
    AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 },
  });
  sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
  scheduler.on(ListSchedulesCommand).resolves({ Schedules: [] });
  secrets.on(ListSecretsCommand).resolves({
    SecretList: [
      {
        ARN: SECRET_ARN,
        Description: 'Knox MSP Portal API client credentials: {"clientId": "...", "clientSecret": "..."}',
        Tags: [{ Key: 'aws:cloudformation:stack-name', Value: STACK_NAME }],
      },
    ],
  });
  secrets
    .on(GetSecretValueCommand)
    .resolves({ SecretString: JSON.stringify({ clientId: 'msp-client', clientSecret: REAL_SECRET }) });
});

const byCheck = async (options = {}) =>
  Object.fromEntries((await runPreflight(clients(), options)).map((r) => [r.check, r]));

describe('preflight', () => {
  it('a healthy deployed account: every check ok, one line each, exit 0, the secret never printed', async () => {
    const lines: string[] = [];
    const results = await runPreflight(clients(), { stackSetsCloudWatchRole: false });
    expect(results.map((r) => [r.check, r.ok])).toEqual([
      ['API Gateway CloudWatch role', true],
      ['Lambda concurrency', true],
      ['Step Functions', true],
      ['EventBridge Scheduler', true],
      ['Knox secret', true],
    ]);
    for (const r of results) lines.push(formatResult(r));
    expect(lines.every((l) => l.startsWith('ok  '))).toBe(true);
    expect(lines.join('\n')).not.toContain(REAL_SECRET);
    // The read calls, and only those.
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect(lambda.calls()).toHaveLength(1);
  });

  it('no API Gateway CloudWatch role: ok when the stack sets it, FAIL (exit 1) when the deploy leaves it alone', async () => {
    apiGateway.on(GetAccountCommand).resolves({});
    expect((await byCheck())['API Gateway CloudWatch role']).toMatchObject({ ok: true, detail: /the stack sets it/ });
    const failed = (await byCheck({ stackSetsCloudWatchRole: false }))['API Gateway CloudWatch role'];
    expect(failed).toMatchObject({ ok: false, detail: /apiGatewayCloudWatchRole=false/ });
  });

  it('an existing role and a stack that sets its own: ok, with the switch that keeps it', async () => {
    const check = (await byCheck())['API Gateway CloudWatch role'];
    expect(check).toMatchObject({ ok: true, detail: /-c apiGatewayCloudWatchRole=false to keep it/ });
  });

  it('a new account with 10 concurrent executions: ok (the stack reserves none), with a warning', async () => {
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    });
    const check = (await byCheck())['Lambda concurrency'];
    expect(check).toMatchObject({ ok: true, detail: '10 unreserved of 10; the stack reserves 0' });
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 5, UnreservedConcurrentExecutions: 5 },
    });
    expect((await byCheck())['Lambda concurrency']).toMatchObject({ ok: true, detail: /throttled/ });
  });

  it('Step Functions or Scheduler not answering in the Region: FAIL with the error', async () => {
    scheduler
      .on(ListSchedulesCommand)
      .rejects(Object.assign(new Error('Could not connect'), { name: 'UnknownEndpoint' }));
    const results = await byCheck();
    expect(results['EventBridge Scheduler']).toMatchObject({ ok: false, detail: /UnknownEndpoint/ });
    expect(results['Step Functions']!.ok).toBe(true);
  });

  it('the secret still holds the placeholder: FAIL with the command that fixes it, exit 1', async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ clientId: KNOX_SECRET_PLACEHOLDER_CLIENT_ID, clientSecret: REAL_SECRET }),
    });
    const check = (await byCheck())['Knox secret'];
    expect(check).toMatchObject({ ok: false, detail: /placeholder: aws secretsmanager put-secret-value --secret-id/ });
    expect(check!.detail).not.toContain(REAL_SECRET);
  });

  it('before the deploy (no secret of the stack): ok, to be checked again after it', async () => {
    secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
    expect((await byCheck())['Knox secret']).toMatchObject({ ok: true, detail: /not deployed/ });
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect((await byCheck({ secretArn: SECRET_ARN }))['Knox secret']).toMatchObject({ ok: true });
  });

  it('main prints one line per check and exits 1 when a check fails', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'not json' });
    const lines: string[] = [];
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    const code = await main(['--no-cloudwatch-role'], (l) => lines.push(l));
    expect(code).toBe(1);
    expect(lines).toHaveLength(5);
    expect(lines.at(-1)).toMatch(/^FAIL {2}Knox secret: .* is not JSON/);
  });
});
