/**
 * The Lambdas' settings, read from process.env (names from lib/domain/workflow.ts ENV) and validated with zod.
 *
 * Each handler reads only the group it needs, when it first needs it: a step does not fail because the API's state
 * machine ARNs are absent, and a missing variable is reported by name instead of surfacing as `undefined` later.
 * Reading is not cached (process.env lookups are cheap), so tests can change the environment between cases.
 */
import * as z from 'zod';
import { MAX_TOKEN_LIFETIME_MINUTES } from '../../lib/domain/knox-schemas';
import { DEFAULTS, ENV } from '../../lib/domain/workflow';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const required = z.string().trim().min(1, 'is required');
const positiveInt = (fallback: number) =>
  z.coerce.number().int('must be a whole number').positive('must be positive').default(fallback);
const stateMachineArn = required.regex(
  /^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+$/,
  'must be a state machine ARN',
);

const tableSchema = z.object({ [ENV.tableName]: required });

const knoxSchema = z.object({
  [ENV.knoxBaseUrl]: z.url('must be a URL').default(DEFAULTS.knoxBaseUrl),
  [ENV.knoxSecretArn]: required,
  [ENV.knoxTimeoutMs]: positiveInt(DEFAULTS.knoxTimeoutMs),
  [ENV.knoxRequestsPerSecond]: z.coerce.number().positive('must be positive').default(DEFAULTS.knoxRequestsPerSecond),
  [ENV.knoxTokenLifetimeMinutes]: z.coerce
    .number()
    .int('must be a whole number')
    .min(1)
    .max(MAX_TOKEN_LIFETIME_MINUTES, `must be at most ${MAX_TOKEN_LIFETIME_MINUTES}`)
    .optional(),
  [ENV.retryWindowSeconds]: positiveInt(DEFAULTS.retryWindowSeconds),
});

const apiSchema = z.object({
  [ENV.onboardingStateMachineArn]: stateMachineArn,
  [ENV.offboardingStateMachineArn]: stateMachineArn,
  [ENV.changeStateMachineArn]: stateMachineArn,
  [ENV.waitDeadlineSeconds]: positiveInt(DEFAULTS.waitDeadlineSeconds),
});

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

function read<S extends z.ZodObject>(schema: S, what: string): z.infer<S> {
  const parsed = schema.safeParse(environment(Object.keys(schema.shape)));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
  throw new ConfigError(`The ${what} settings are missing or invalid: ${problems}`);
}

export interface TableConfig {
  tableName: string;
}

export function tableConfig(): TableConfig {
  const env = read(tableSchema, 'table');
  return { tableName: env[ENV.tableName] };
}

export interface KnoxConfig {
  baseUrl: string;
  secretArn: string;
  timeoutMs: number;
  requestsPerSecond: number;
  tokenLifetimeMinutes?: number;
  /** How long a step keeps retrying transient failures before the workflow is FAILED. */
  retryWindowSeconds: number;
}

export function knoxConfig(): KnoxConfig {
  const env = read(knoxSchema, 'Knox');
  return {
    baseUrl: env[ENV.knoxBaseUrl],
    secretArn: env[ENV.knoxSecretArn],
    timeoutMs: env[ENV.knoxTimeoutMs],
    requestsPerSecond: env[ENV.knoxRequestsPerSecond],
    ...(env[ENV.knoxTokenLifetimeMinutes] !== undefined
      ? { tokenLifetimeMinutes: env[ENV.knoxTokenLifetimeMinutes] }
      : {}),
    retryWindowSeconds: env[ENV.retryWindowSeconds],
  };
}

const pollerSchema = z.object({
  [ENV.pollPeriodSeconds]: positiveInt(DEFAULTS.pollPeriodSeconds),
});

export interface PollerConfig {
  periodSeconds: number;
}

export function pollerConfig(): PollerConfig {
  const env = read(pollerSchema, 'poller');
  return { periodSeconds: env[ENV.pollPeriodSeconds] };
}

export interface ApiConfig {
  stateMachineArns: { onboarding: string; offboarding: string; change: string };
  waitDeadlineSeconds: number;
}

export function apiConfig(): ApiConfig {
  const env = read(apiSchema, 'API');
  return {
    stateMachineArns: {
      onboarding: env[ENV.onboardingStateMachineArn],
      offboarding: env[ENV.offboardingStateMachineArn],
      change: env[ENV.changeStateMachineArn],
    },
    waitDeadlineSeconds: env[ENV.waitDeadlineSeconds],
  };
}

const batchSchema = z.object({
  [ENV.onboardingStateMachineArn]: stateMachineArn,
  [ENV.waitDeadlineSeconds]: positiveInt(DEFAULTS.waitDeadlineSeconds),
  [ENV.knoxRequestsPerSecond]: z.coerce.number().positive('must be positive').default(DEFAULTS.knoxRequestsPerSecond),
});

/** The batch starter: the onboarding workflow it starts items on, their deadline, and the Knox budget it paces to. */
export interface BatchConfig {
  onboardingStateMachineArn: string;
  waitDeadlineSeconds: number;
  knoxRequestsPerSecond: number;
}

export function batchConfig(): BatchConfig {
  const env = read(batchSchema, 'batch');
  return {
    onboardingStateMachineArn: env[ENV.onboardingStateMachineArn],
    waitDeadlineSeconds: env[ENV.waitDeadlineSeconds],
    knoxRequestsPerSecond: env[ENV.knoxRequestsPerSecond],
  };
}

const batchApiSchema = z.object({ [ENV.batchStateMachineArn]: stateMachineArn });

/** The api Lambda's batch routes: the batch workflow's state machine. */
export function batchStateMachineArn(): string {
  return read(batchApiSchema, 'batch API')[ENV.batchStateMachineArn];
}
