/**
 * The stack's configuration: CDK context values (`cdk.json` "context" or `-c key=value`), defaulted from the
 * workflow's DEFAULTS and validated with zod, so that a typo fails `cdk synth` with a sentence instead of deploying a
 * state machine that polls every 0 seconds.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { BUDGET_DEFAULTS } from '#budget/settings';
import { DEFAULTS } from '#domain/configuration';

/** Settings that only the infrastructure knows about (the workflow's own live in DEFAULTS). */
export const INFRA_DEFAULTS = {
  /** Steady-state requests per second the API stage accepts from all callers together. */
  apiThrottleRate: 10,
  /** Burst above the steady rate. */
  apiThrottleBurst: 20,
  /** Retention of every log group the stack creates. */
  logRetentionDays: 90,
  /** A fresh account has no API Gateway CloudWatch role: without one, the stage's access logging fails the deploy. */
  apiGatewayCloudWatchRole: true,
} as const;

/** Step Functions refuses a Standard execution longer than one year. */
const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;
/** Each execution's TimeoutSeconds is the wait deadline plus this margin (a backstop the steps never reach). */
export const EXECUTION_TIMEOUT_MARGIN_SECONDS = 24 * 3600;

/** The values CloudWatch Logs accepts as a retention (RetentionDays is a numeric enum: keep the numbers). */
const RETENTION_VALUES = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);

// Context from `-c key=value` arrives as a string, from cdk.json as a number: coerce both.
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const stackConfigSchema = z
  .object({
    knoxBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).default(DEFAULTS.knoxBaseUrl),
    knoxTimeoutMs: int(1_000, 60_000).default(DEFAULTS.knoxTimeoutMs),
    // The budget of the whole system (every function, every instance), not of one Lambda: see lib/budget.
    knoxRequestsPerSecond: z.coerce.number().positive().max(1_000).default(DEFAULTS.knoxRequestsPerSecond),
    pollFirstSeconds: int(1, 86_400).default(DEFAULTS.pollFirstSeconds),
    pollMaxSeconds: int(1, 7 * 86_400).default(DEFAULTS.pollMaxSeconds),
    // EventBridge Scheduler's rate() counts whole minutes.
    pollPeriodSeconds: int(60, 86_400)
      .refine((v) => v % 60 === 0, 'must be a whole number of minutes (60, 120, ...)')
      .default(DEFAULTS.pollPeriodSeconds),
    waitDeadlineSeconds: int(60, MAX_EXECUTION_SECONDS - EXECUTION_TIMEOUT_MARGIN_SECONDS).default(
      DEFAULTS.waitDeadlineSeconds,
    ),
    retryIntervalSeconds: int(1, 3_600).default(DEFAULTS.retryIntervalSeconds),
    retryBackoffRate: z.coerce.number().min(1).max(10).default(DEFAULTS.retryBackoffRate),
    retryMaxDelaySeconds: int(1, 86_400).default(DEFAULTS.retryMaxDelaySeconds),
    // At most the execution's margin beyond the wait deadline, so that a step after a long wait can still ride it out.
    retryWindowSeconds: int(60, EXECUTION_TIMEOUT_MARGIN_SECONDS).default(DEFAULTS.retryWindowSeconds),
    alarmEmail: z.preprocess((v) => (v === '' ? undefined : v), z.email('must be an e-mail address').optional()),
    apiThrottleRate: z.coerce.number().positive().max(10_000).default(INFRA_DEFAULTS.apiThrottleRate),
    apiThrottleBurst: int(1, 5_000).default(INFRA_DEFAULTS.apiThrottleBurst),
    logRetentionDays: z.coerce
      .number()
      .refine((v) => RETENTION_VALUES.includes(v), `must be one of ${RETENTION_VALUES.join(', ')}`)
      .default(INFRA_DEFAULTS.logRetentionDays),
    // true: the stack sets the account's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account), which access
    // logging needs; false: the account already has one (npm run preflight tells). See README.md, "Deploy".
    apiGatewayCloudWatchRole: z
      .preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())
      .default(INFRA_DEFAULTS.apiGatewayCloudWatchRole),
  })
  .superRefine((c, ctx) => {
    if (c.pollFirstSeconds > c.pollMaxSeconds) {
      ctx.addIssue({ code: 'custom', path: ['pollFirstSeconds'], message: 'must not exceed pollMaxSeconds' });
    }
    if (c.retryIntervalSeconds > c.retryMaxDelaySeconds) {
      ctx.addIssue({ code: 'custom', path: ['retryIntervalSeconds'], message: 'must not exceed retryMaxDelaySeconds' });
    }
    if (computeRetryMaxAttempts(c) > MAX_RETRY_ATTEMPTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['retryWindowSeconds'],
        message: `needs more than ${MAX_RETRY_ATTEMPTS} retries with this retryMaxDelaySeconds: raise the cap or shorten the window`,
      });
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;
export const CONTEXT_KEYS = Object.keys(stackConfigSchema.shape) as (keyof StackConfig)[];

/** Validates raw context values (undefined = default); throws one error that names every bad key. */
export function parseConfig(raw: Partial<Record<keyof StackConfig, unknown>>): StackConfig {
  const result = stackConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  - ${i.path.map(String).join('.') || '(config)'}: ${i.message}`);
  throw new Error(
    `Invalid CDK context for knox-onboarding (set with -c key=value or in cdk.json "context"):\n${lines.join('\n')}`,
  );
}

/** Reads every context key from a construct's node (the App's context reaches every construct). */
export function configFromContext(node: { tryGetContext(key: string): unknown }): StackConfig {
  return parseConfig(Object.fromEntries(CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key)])));
}

/**
 * MaxAttempts of the Knox.Wait retrier (the polling schedule): the doubling polls until the interval reaches
 * pollMaxSeconds, then enough capped polls to cover the whole deadline, plus two for the Wait state and rounding.
 * The step enforces the deadline itself (Knox.Abort); this number is only the backstop.
 */
export function computePollMaxAttempts(
  config: Pick<StackConfig, 'pollFirstSeconds' | 'pollMaxSeconds' | 'waitDeadlineSeconds'>,
): number {
  let doublingSteps = 0;
  for (let interval = config.pollFirstSeconds; interval < config.pollMaxSeconds; interval *= 2) doublingSteps += 1;
  return doublingSteps + Math.ceil(config.waitDeadlineSeconds / config.pollMaxSeconds) + 2;
}

/**
 * The transient retrier's backstop: the step itself fails the workflow once the retry window has passed
 * (RETRY_WINDOW_EXCEEDED_ERROR), so MaxAttempts only has to outlast the window with room to spare. Full jitter draws
 * each gap uniformly in [0, delay], so n retries last half their backoff on average: take enough retries for the
 * average to cover RETRY_BACKSTOP_FACTOR windows (32 with the defaults, whose average is 2 h; the chance that 32
 * draws fall short of one hour is about 1e-5). Lambda service errors, which never reach the step, stop there too.
 */
export const RETRY_BACKSTOP_FACTOR = 2;
/** A schedule that needs more retries than this to cover its window would fill the execution history. */
export const MAX_RETRY_ATTEMPTS = 500;

export function computeRetryMaxAttempts(
  config: Pick<
    StackConfig,
    'retryIntervalSeconds' | 'retryBackoffRate' | 'retryMaxDelaySeconds' | 'retryWindowSeconds'
  >,
): number {
  const target = 2 * RETRY_BACKSTOP_FACTOR * config.retryWindowSeconds; // twice the target: the average is half
  let covered = 0;
  let attempts = 0;
  while (covered < target && attempts <= MAX_RETRY_ATTEMPTS) {
    covered += Math.min(config.retryIntervalSeconds * config.retryBackoffRate ** attempts, config.retryMaxDelaySeconds);
    attempts += 1;
  }
  return attempts;
}

/** TimeoutSeconds of every state machine: the wait deadline plus a day. */
export function executionTimeoutSeconds(config: Pick<StackConfig, 'waitDeadlineSeconds'>): number {
  return config.waitDeadlineSeconds + EXECUTION_TIMEOUT_MARGIN_SECONDS;
}

/**
 * Timeout of a Knox step Lambda: a token call and the Knox call may each wait for the shared budget (at most
 * maxWaitMs) and take the whole Knox timeout, and a 429 may sleep up to 5 s before the step throws Knox.Retry;
 * 40 s with the default 10 s Knox timeout and 5 s budget wait.
 */
export function stepTimeoutSeconds(config: Pick<StackConfig, 'knoxTimeoutMs'>): number {
  return Math.max(30, Math.ceil((2 * (config.knoxTimeoutMs + BUDGET_DEFAULTS.maxWaitMs)) / 1000) + 10);
}
