/**
 * The Lambdas' settings, read from process.env (names from lib/domain/workflow.ts ENV) and validated with zod.
 *
 * Each handler reads only the group it needs, when it first needs it: a step does not fail because the API's state
 * machine ARNs are absent, and a missing variable is reported by name instead of surfacing as `undefined` later.
 * Reading is not cached (process.env lookups are cheap), so tests can change the environment between cases.
 */
import * as z from 'zod';
import { MAX_TOKEN_LIFETIME_MINUTES } from '#domain/knox-schemas';
import { DEFAULTS, ENV } from '#domain/configuration';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const required = z.string().trim().min(1, 'is required');
const positiveInt = (fallback: number) =>
  z.coerce.number().int('must be a whole number').positive('must be positive').default(fallback);
const requestsPerSecond = z.coerce.number().positive('must be positive').default(DEFAULTS.knoxRequestsPerSecond);
// Unqualified, or qualified by the alias executions start through (`...:stateMachine:<name>:live`).
const stateMachineArn = required.regex(
  /^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+(?::[A-Za-z0-9_-]+)?$/,
  'must be a state machine ARN',
);

/** A group of settings: each key of the group's config with the variable it is read from and that variable's rule. */
type Fields = Record<string, readonly [variable: string, rule: z.ZodType]>;
type ConfigOf<F extends Fields> = { [K in keyof F]: z.output<F[K][1]> };

/**
 * The variables `names`, from process.env. Empty strings count as unset, so that an `ENV=` line in a shell or a
 * template falls back to the default. Only the named ones are read: enumerating all of process.env (a call into the
 * runtime per variable) on every read cost about 2 ms of CPU per onboarding, since the table name is read per call.
 */
function environment(names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** The reader of one group: every call reads its variables again; a missing or invalid one is reported by name. */
function settings<F extends Fields>(what: string, fields: F): () => ConfigOf<F> {
  const schema = z.object(Object.fromEntries(Object.values(fields)));
  return () => {
    const parsed = schema.safeParse(environment(Object.keys(schema.shape)));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
      throw new ConfigError(`The ${what} settings are missing or invalid: ${problems}`);
    }
    const env: Record<string, unknown> = parsed.data;
    // An optional variable that is unset leaves its key out.
    const entries = Object.entries(fields).map(([key, [variable]]) => [key, env[variable]] as const);
    return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as ConfigOf<F>;
  };
}

export const tableConfig = settings('table', { tableName: [ENV.tableName, required] });
export type TableConfig = ReturnType<typeof tableConfig>;

export const knoxConfig = settings('Knox', {
  baseUrl: [ENV.knoxBaseUrl, z.url('must be a URL').default(DEFAULTS.knoxBaseUrl)],
  secretArn: [ENV.knoxSecretArn, required],
  timeoutMs: [ENV.knoxTimeoutMs, positiveInt(DEFAULTS.knoxTimeoutMs)],
  requestsPerSecond: [ENV.knoxRequestsPerSecond, requestsPerSecond],
  tokenLifetimeMinutes: [
    ENV.knoxTokenLifetimeMinutes,
    z.coerce
      .number()
      .int('must be a whole number')
      .min(1)
      .max(MAX_TOKEN_LIFETIME_MINUTES, `must be at most ${MAX_TOKEN_LIFETIME_MINUTES}`)
      .optional(),
  ],
  /** How long a step keeps retrying transient failures before the workflow is FAILED. */
  retryWindowSeconds: [ENV.retryWindowSeconds, positiveInt(DEFAULTS.retryWindowSeconds)],
});
export type KnoxConfig = ReturnType<typeof knoxConfig>;

export const pollerConfig = settings('poller', {
  periodSeconds: [ENV.pollPeriodSeconds, positiveInt(DEFAULTS.pollPeriodSeconds)],
});
export type PollerConfig = ReturnType<typeof pollerConfig>;

const apiSettings = settings('API', {
  onboarding: [ENV.onboardingStateMachineArn, stateMachineArn],
  offboarding: [ENV.offboardingStateMachineArn, stateMachineArn],
  change: [ENV.changeStateMachineArn, stateMachineArn],
  waitDeadlineSeconds: [ENV.waitDeadlineSeconds, positiveInt(DEFAULTS.waitDeadlineSeconds)],
});

export interface ApiConfig {
  stateMachineArns: { onboarding: string; offboarding: string; change: string };
  waitDeadlineSeconds: number;
}

export function apiConfig(): ApiConfig {
  const { waitDeadlineSeconds, ...stateMachineArns } = apiSettings();
  return { stateMachineArns, waitDeadlineSeconds };
}

/** The batch starter: the onboarding workflow it starts items on, their deadline, and the Knox budget it paces to. */
export const batchConfig = settings('batch', {
  onboardingStateMachineArn: [ENV.onboardingStateMachineArn, stateMachineArn],
  waitDeadlineSeconds: [ENV.waitDeadlineSeconds, positiveInt(DEFAULTS.waitDeadlineSeconds)],
  knoxRequestsPerSecond: [ENV.knoxRequestsPerSecond, requestsPerSecond],
});
export type BatchConfig = ReturnType<typeof batchConfig>;

const batchApiSettings = settings('batch API', { stateMachineArn: [ENV.batchStateMachineArn, stateMachineArn] });

/** The api Lambda's batch routes: the batch workflow's state machine. */
export function batchStateMachineArn(): string {
  return batchApiSettings().stateMachineArn;
}
