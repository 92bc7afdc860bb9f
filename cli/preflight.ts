/**
 * `npm run preflight`: read-only checks of the account and Region the caller's credentials point at, before (and
 * after) `cdk deploy`. One line per check, `ok` or `FAIL` with what to do; exit 1 when a deploy would fail (or the
 * deployed stack cannot work yet), 0 otherwise.
 *
 *   npm run preflight [-- --stack KnoxOnboardingStack] [--secret-arn <arn>] [--no-cloudwatch-role]
 *
 * --no-cloudwatch-role: the deploy will use `-c apiGatewayCloudWatchRole=false` (the account must have the role).
 * The checks: API Gateway's account CloudWatch Logs role (apigateway:GetAccount); Lambda concurrency against what
 * the stack reserves (lambda:GetAccountSettings); Step Functions and EventBridge Scheduler answering in the Region
 * (a one-item List each); after a deploy, whether the Knox secret still holds the placeholder (secretsmanager
 * ListSecrets by the stack's tag, GetSecretValue: the value is parsed, never printed).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
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
import {
  KNOX_SECRET_PLACEHOLDER_CLIENT_ID,
  LAMBDA_MIN_UNRESERVED_CONCURRENCY,
  STACK_COMFORTABLE_CONCURRENCY,
  STACK_RESERVED_CONCURRENCY,
} from '#infra/deploy-facts';
import { STACK_NAME } from '#infra/metadata';

export interface PreflightClients {
  apiGateway: APIGatewayClient;
  lambda: LambdaClient;
  sfn: SFNClient;
  scheduler: SchedulerClient;
  secrets: SecretsManagerClient;
}

export interface PreflightOptions {
  stackName?: string;
  /** The Knox secret, when known (else found by the stack's CloudFormation tag). */
  secretArn?: string;
  /** The deploy sets the account's API Gateway CloudWatch role (the default, apiGatewayCloudWatchRole=true). */
  stackSetsCloudWatchRole?: boolean;
}

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

type Check = (clients: PreflightClients, options: PreflightOptions) => Promise<Omit<CheckResult, 'check'>>;

const why = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`.slice(0, 300);

const CHECKS: Record<string, Check> = {
  async 'API Gateway CloudWatch role'({ apiGateway }, { stackSetsCloudWatchRole = true }) {
    const account = await apiGateway.send(new GetAccountCommand({}));
    const role = account.cloudwatchRoleArn;
    if (role && stackSetsCloudWatchRole)
      return {
        ok: true,
        detail: `set (${role}); the stack will replace it with its own: deploy with -c apiGatewayCloudWatchRole=false to keep it`,
      };
    if (role) return { ok: true, detail: `set (${role})` };
    if (stackSetsCloudWatchRole)
      return { ok: true, detail: 'not set: the stack sets it (apiGatewayCloudWatchRole=true)' };
    return {
      ok: false,
      detail:
        'not set, and the deploy leaves it alone: access logging would fail the deploy. Drop -c apiGatewayCloudWatchRole=false, or set the role (aws apigateway update-account)',
    };
  },

  async 'Lambda concurrency'({ lambda }) {
    const settings = await lambda.send(new GetAccountSettingsCommand({}));
    const total = settings.AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions ?? total;
    const reserves = STACK_RESERVED_CONCURRENCY;
    if (reserves > 0 && unreserved - reserves < LAMBDA_MIN_UNRESERVED_CONCURRENCY)
      return {
        ok: false,
        detail: `${unreserved} unreserved of ${total}: the stack reserves ${reserves}, which would leave fewer than ${LAMBDA_MIN_UNRESERVED_CONCURRENCY}. Ask for a higher "Concurrent executions" quota (Service Quotas)`,
      };
    const tight =
      unreserved < STACK_COMFORTABLE_CONCURRENCY
        ? `; fewer than ${STACK_COMFORTABLE_CONCURRENCY}: workflows will be throttled at times (ask for a higher quota)`
        : '';
    return { ok: true, detail: `${unreserved} unreserved of ${total}; the stack reserves ${reserves}${tight}` };
  },

  async 'Step Functions'({ sfn }) {
    await sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
    return { ok: true, detail: 'answers in this Region' };
  },

  async 'EventBridge Scheduler'({ scheduler }) {
    await scheduler.send(new ListSchedulesCommand({ MaxResults: 1 }));
    return { ok: true, detail: 'answers in this Region' };
  },

  async 'Knox secret'({ secrets }, { stackName = STACK_NAME, secretArn }) {
    const arn = secretArn ?? (await findStackSecret(secrets, stackName));
    if (arn === undefined)
      return { ok: true, detail: `no secret of ${stackName} yet (not deployed): check again after the deploy` };
    let text: string | undefined;
    try {
      text = (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException)
        return { ok: true, detail: `${arn} not found (not deployed yet)` };
      throw error;
    }
    let clientId: unknown;
    try {
      clientId = (JSON.parse(text ?? '') as { clientId?: unknown }).clientId;
    } catch {
      clientId = undefined;
    }
    const putValue = `aws secretsmanager put-secret-value --secret-id ${arn} --secret-string '{"clientId":"...","clientSecret":"..."}'`;
    if (typeof clientId !== 'string' || clientId === '')
      return { ok: false, detail: `${arn} is not JSON {"clientId", "clientSecret"}: ${putValue}` };
    if (clientId === KNOX_SECRET_PLACEHOLDER_CLIENT_ID)
      return { ok: false, detail: `${arn} still holds the placeholder: ${putValue}` };
    return { ok: true, detail: `${arn} holds credentials` };
  },
};

/** The stack's Knox secret: CloudFormation tags what it creates with the stack's name. */
async function findStackSecret(secrets: SecretsManagerClient, stackName: string): Promise<string | undefined> {
  const answer = await secrets.send(
    new ListSecretsCommand({
      Filters: [
        { Key: 'tag-key', Values: ['aws:cloudformation:stack-name'] },
        { Key: 'tag-value', Values: [stackName] },
      ],
      MaxResults: 20,
    }),
  );
  const ours = (answer.SecretList ?? []).filter((s) =>
    s.Tags?.some((t) => t.Key === 'aws:cloudformation:stack-name' && t.Value === stackName),
  );
  return (ours.find((s) => s.Description?.startsWith('Knox MSP Portal API')) ?? ours[0])?.ARN;
}

/** Every check, in order; one that throws (no rights, no service in the Region) is a FAIL with the error. */
export async function runPreflight(clients: PreflightClients, options: PreflightOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [check, run] of Object.entries(CHECKS)) {
    try {
      results.push({ check, ...(await run(clients, options)) });
    } catch (error) {
      results.push({
        check,
        ok: false,
        detail: `could not check (${why(error)}): is the service available here, and may the caller read it?`,
      });
    }
  }
  return results;
}

export function formatResult(r: CheckResult): string {
  return `${r.ok ? 'ok  ' : 'FAIL'}  ${r.check}: ${r.detail}`;
}

export function defaultClients(): PreflightClients {
  return {
    apiGateway: new APIGatewayClient({}),
    lambda: new LambdaClient({}),
    sfn: new SFNClient({}),
    scheduler: new SchedulerClient({}),
    secrets: new SecretsManagerClient({}),
  };
}

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: 'string' },
      'secret-arn': { type: 'string' },
      'no-cloudwatch-role': { type: 'boolean' },
    },
  });
  const results = await runPreflight(defaultClients(), {
    ...(values.stack ? { stackName: values.stack } : {}),
    ...(values['secret-arn'] ? { secretArn: values['secret-arn'] } : {}),
    stackSetsCloudWatchRole: !values['no-cloudwatch-role'],
  });
  for (const r of results) out(formatResult(r));
  return results.every((r) => r.ok) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
