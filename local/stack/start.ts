/**
 * `npm start`: the local stack on http://127.0.0.1:${PORT:-3000}. Environment (README.md, "The local stack"):
 * PORT, KNOX_BASE_URL, KNOX_CLIENT_ID / KNOX_CLIENT_SECRET, TIME_SCALE, LATENCY (none | aws), DATA_DIR, SFN_PORT (8083) and DYNAMODB_PORT
 * (8000) for the AWS CLI and SDKs; plus KNOX_SIM_AUTO_APPROVE_MS
 * (built-in simulator only: customers approve link and accept delink requests after this long, default 5000;
 * `off` leaves them unanswered until a control call) and KNOX_REQUESTS_PER_SECOND (the shared Knox budget, default
 * the template's knoxRequestsPerSecond).
 */
import * as z from 'zod';
import { KnoxSimControl } from '#knox-sim/control';
import { ENV } from '#domain/configuration';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './defaults';
import { startBanner } from './banner';
import { startLocalStack } from './local-stack';
import { LATENCY_MODES } from '../latency/aws-latency';

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
  console.log(
    startBanner(stack, {
      defaultPort: env.PORT === DEFAULT_PORT,
      knoxCredentialsSet: env.KNOX_CLIENT_ID !== undefined,
      autoApproveMs,
    }),
  );

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
