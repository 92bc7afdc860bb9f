/**
 * The process environment the handlers run with locally. In AWS each function has its own environment; here every
 * handler shares one process, so the environment is the union of the functions' Environment.Variables from the
 * template (they must agree on every shared name: a conflict fails the start), with local values for what points at
 * AWS (endpoints, dummy credentials, the Knox base URL) and the deadline and the retry window scaled like every other
 * wait.
 */
import { DEFAULTS, ENV } from '#domain/configuration';
import { LOCAL_REGION } from '../template/intrinsics';
import type { LocalFunction } from '../template/template';
import { scaleSeconds } from '../stepfunctions/time-scale';

/** The union of the functions' environments; throws naming every variable on which two functions disagree. */
export function functionEnvironmentUnion(functions: LocalFunction[]): Record<string, string> {
  const union: Record<string, string> = {};
  const owner: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const fn of functions) {
    for (const [name, value] of Object.entries(fn.environment)) {
      if (name in union && union[name] !== value) {
        conflicts.push(`${name} (${owner[name]}: "${union[name]}", ${fn.handler}: "${value}")`);
        continue;
      }
      union[name] = value;
      owner[name] ??= fn.handler;
    }
  }
  if (conflicts.length > 0) {
    throw new Error(
      `The functions' environments disagree, and the local stack runs every handler in one process: ${conflicts.join('; ')}`,
    );
  }
  return union;
}

export interface LocalEnvironmentInput {
  functions: LocalFunction[];
  knoxBaseUrl: string;
  timeScale: number;
  endpoints: { dynamodb: string; sfn: string; secretsManager: string };
  /** Applied last (tests: e.g. a short WAIT_DEADLINE_SECONDS, which is then not scaled). */
  overrides?: Record<string, string>;
  /** Silences the handlers' Powertools log lines (tests). */
  quiet?: boolean;
}

/** Everything to put in process.env before the first handler module is imported. */
export function localEnvironment(input: LocalEnvironmentInput): Record<string, string> {
  const union = functionEnvironmentUnion(input.functions);
  const deadline = Number(union[ENV.waitDeadlineSeconds] ?? DEFAULTS.waitDeadlineSeconds);
  const retryWindow = Number(union[ENV.retryWindowSeconds] ?? DEFAULTS.retryWindowSeconds);
  return {
    ...union,
    // The AWS SDK: a region, credentials that sign requests nobody checks, and our endpoints (no IMDS lookups).
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: input.endpoints.sfn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: input.endpoints.secretsManager,
    [ENV.knoxBaseUrl]: input.knoxBaseUrl,
    [ENV.waitDeadlineSeconds]: String(scaleSeconds(deadline, input.timeScale)),
    [ENV.retryWindowSeconds]: String(scaleSeconds(retryWindow, input.timeScale)),
    ...(input.quiet ? { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_DEV: 'false' } : {}),
    ...input.overrides,
  };
}

/** Variables the SDK would otherwise prefer over ours (a developer's real AWS session). */
const SHADOWING = ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL'];

/** Sets `vars` in process.env and returns a function that puts back what was there before. */
export function applyEnvironment(vars: Record<string, string>): () => void {
  const names = [...new Set([...Object.keys(vars), ...SHADOWING])];
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  for (const name of SHADOWING) delete process.env[name];
  Object.assign(process.env, vars);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
