/**
 * `npm start`: the local stack on http://127.0.0.1:${PORT:-3000}. Environment (product.md "The local stack"):
 * PORT, KNOX_BASE_URL, KNOX_CLIENT_ID / KNOX_CLIENT_SECRET, TIME_SCALE, LATENCY (none | aws), DATA_DIR, SFN_PORT (8083) and DYNAMODB_PORT
 * (8000) for the AWS CLI and SDKs; plus KNOX_SIM_AUTO_APPROVE_MS
 * (built-in simulator only: customers approve link and accept delink requests after this long, default 5000;
 * `off` leaves them unanswered until a control call) and KNOX_REQUESTS_PER_SECOND (the shared Knox budget, default
 * the template's knoxRequestsPerSecond).
 */
import { relative } from 'node:path';
import * as z from 'zod';
import { KnoxSimControl } from '#knox-sim/control';
import { FIXTURES } from '#knox-sim/fixtures';
import { DEFAULTS, ENV } from '#domain/configuration';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './defaults';
import { startLocalStack, type LocalStack } from './local-stack';
import { LATENCY_MODES } from '../latency/aws-latency';
import { templatePath } from '../template/synth';

const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT),
    KNOX_BASE_URL: z.url().optional(),
    KNOX_CLIENT_ID: z.string().min(1).optional(),
    KNOX_CLIENT_SECRET: z.string().min(1).optional(),
    TIME_SCALE: z.coerce.number().positive().default(1),
    // LATENCY=aws: AWS's typical latencies on the local services, Knox's on the simulator (local/latency/aws-latency.ts).
    LATENCY: z.enum(LATENCY_MODES).default('none'),
    DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
    // Where Step Functions Local and DynamoDB Local listen by default, so that scripts written for them work.
    SFN_PORT: z.coerce.number().int().min(0).max(65535).default(8083),
    DYNAMODB_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
    KNOX_SIM_AUTO_APPROVE_MS: z.union([z.literal('off'), z.coerce.number().int().min(0)]).default(5000),
    [ENV.knoxRequestsPerSecond]: z.coerce.number().positive().optional(),
  })
  .refine((e) => (e.KNOX_CLIENT_ID === undefined) === (e.KNOX_CLIENT_SECRET === undefined), {
    message: 'set both KNOX_CLIENT_ID and KNOX_CLIENT_SECRET, or neither',
  });

function readEnv(): z.infer<typeof envSchema> {
  const nonEmpty = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(nonEmpty);
  if (parsed.success) return parsed.data;
  console.error(
    `Invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`).join('; ')}`,
  );
  process.exit(2);
}

/** "the poller's 300 s period takes 300 ms": what TIME_SCALE means for the poller. */
function describeScale(scale: number, periodSeconds: number): string {
  const period = periodSeconds * scale;
  const shown = period >= 1 ? `${Number(period.toFixed(1))} s` : `${Number((period * 1000).toFixed(1))} ms`;
  return `${scale} (every Wait and Retry interval, the deadline and the poller's period × ${scale}: a poll round every ${shown})`;
}

function banner(stack: LocalStack, env: z.infer<typeof envSchema>, autoApproveMs: number | undefined): string {
  const customerId = stack.simulator ? FIXTURES.unmanaged : '<a Knox customerId>';
  const body = JSON.stringify({
    customerId,
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
  });
  const portPrefix = env.PORT === DEFAULT_PORT ? '' : `PORT=${stack.ports.api} `;
  const knox = stack.simulator
    ? `built-in simulator at ${stack.knoxUrl} (fixtures reload at every start; control surface ${stack.knoxUrl}/_sim/)` +
      (autoApproveMs !== undefined
        ? `\n                  customers approve links and accept delinks ${autoApproveMs / 1000} s after the request (KNOX_SIM_AUTO_APPROVE_MS)`
        : `\n                  customers do not answer on their own: POST ${stack.knoxUrl}/_sim/customers/<id>/approve-link`)
    : `${stack.knoxUrl} (credentials ${env.KNOX_CLIENT_ID ? 'from KNOX_CLIENT_ID / KNOX_CLIENT_SECRET' : 'NOT SET: the simulator defaults are served, set KNOX_CLIENT_ID / KNOX_CLIENT_SECRET'})`;
  const recovered = stack.recovery.filter((r) => r.action !== 'running');
  const sfnUrl = `http://127.0.0.1:${stack.ports.sfn}`;
  const dynamoUrl = `http://127.0.0.1:${stack.ports.dynamo}`;
  const onboardingArn = stack.model.stateMachines.find((m) => m.workflow === 'onboarding')?.arn ?? '<arn>';
  const lines = [
    '',
    'knox-onboarding local stack',
    `  HTTP API        ${stack.apiUrl}`,
    `  Knox            ${knox}`,
    `  DynamoDB        dynalite, data in ${stack.dataDir} (kept across restarts)`,
    `  Step Functions  ${stack.model.stateMachines.map((m) => m.workflow).join(', ')} from ${relative(process.cwd(), templatePath()) || templatePath()}`,
    `  Time scale      ${describeScale(stack.timeScale, pollPeriodOf(stack))}`,
    `  Step Functions  API on ${sfnUrl} (AWS JSON 1.0, as Step Functions Local)`,
    `  DynamoDB        API on ${dynamoUrl}`,
    ...(recovered.length > 0
      ? [
          `  Recovered       ${recovered.length} open record(s): ${recovered.map((r) => `${r.recordId} ${r.action}`).join(', ')}`,
        ]
      : []),
    '',
    stack.simulator ? `Onboard a fixture customer (it will approve the link):` : 'Onboard a customer:',
    `  curl -s -X POST ${stack.apiUrl}/onboardings -H 'content-type: application/json' -d '${body}'`,
    'Watch it (use the onboardingId and executionName from the answer):',
    `  curl -s ${stack.apiUrl}/onboardings/<onboardingId>`,
    `  ${portPrefix}npm run executions                  # every execution`,
    `  ${portPrefix}npm run executions <executionName>  # its path through the diagram`,
    'With the AWS CLI (any dummy credentials and region, e.g. AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1):',
    `  aws stepfunctions list-executions --endpoint-url ${sfnUrl} --state-machine-arn ${onboardingArn}`,
    `  aws dynamodb scan --endpoint-url ${dynamoUrl} --table-name ${stack.model.table.name}`,
    '',
    'Ctrl-C stops; open onboardings continue at the next start.',
    '',
  ];
  return lines.join('\n');
}

/** The poller's period as the template sets it (unscaled seconds). */
function pollPeriodOf(stack: LocalStack): number {
  const poller = stack.model.functions.find((f) => f.environment[ENV.pollPeriodSeconds] !== undefined);
  return Number(poller?.environment[ENV.pollPeriodSeconds] ?? DEFAULTS.pollPeriodSeconds);
}

async function main(): Promise<void> {
  const env = readEnv();
  const stack = await startLocalStack({
    port: env.PORT,
    dataDir: env.DATA_DIR,
    timeScale: env.TIME_SCALE,
    latency: env.LATENCY,
    sfnPort: env.SFN_PORT,
    dynamoPort: env.DYNAMODB_PORT,
    ...(env.KNOX_BASE_URL ? { knoxBaseUrl: env.KNOX_BASE_URL } : {}),
    ...(env.KNOX_CLIENT_ID && env.KNOX_CLIENT_SECRET
      ? { knoxCredentials: { clientId: env.KNOX_CLIENT_ID, clientSecret: env.KNOX_CLIENT_SECRET } }
      : {}),
    // The shared Knox budget of every local "Lambda" (the template's knoxRequestsPerSecond unless set).
    ...(env[ENV.knoxRequestsPerSecond] !== undefined
      ? { env: { [ENV.knoxRequestsPerSecond]: String(env[ENV.knoxRequestsPerSecond]) } }
      : {}),
  });
  let autoApproveMs: number | undefined;
  if (stack.simulator && env.KNOX_SIM_AUTO_APPROVE_MS !== 'off') {
    autoApproveMs = env.KNOX_SIM_AUTO_APPROVE_MS;
    await new KnoxSimControl(stack.knoxUrl).auto({
      approveLinksAfterMs: autoApproveMs,
      acceptDelinksAfterMs: autoApproveMs,
    });
  }
  console.log(banner(stack, env, autoApproveMs));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      console.error('Stopping anyway.');
      process.exit(1);
    }
    stopping = true;
    console.error(`\n${signal}: stopping (Ctrl-C again to force)...`);
    stack.stop().then(
      () => {
        console.error('Stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`Stop failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`The local stack did not start: ${(error as Error).message}`);
  process.exit(1);
});
