/**
 * The Knox client of this container: created on first use, kept while the container lives, so that its access token
 * serves every warm invocation. Its requests draw from the Knox budget shared by every instance of every function
 * (lib/budget): one item in the records table (KNOX_BUDGET_KEY), which the Knox functions may already read and write
 * (so no grant of its own), changed by conditional writes only. Each budget event is one log line that the stack's
 * metric filters count (budget used against configured, waits, decreases after a 429).
 *
 * Credentials come from Secrets Manager through the instance's Powertools secrets provider (cached 300 s, so a rotated secret is picked up
 * within five minutes, and a refused token refetches at most that often). Neither the secret nor the token is logged
 * or put in an error message: a bad secret becomes the client's INVALID_CLIENT error (an operator matter).
 */
import { BUDGET_LOG_MESSAGE, DynamoBudgetStore, SharedBudget, budgetLogFields, budgetSettings } from '#budget/index';
import { KNOX_BUDGET_KEY, TABLE } from '#domain/table-layout';
import { credentialsSchema } from '#domain/knox-schemas';
import { createKnoxClient } from '#knox/client';
import type { KnoxClient, KnoxCredentials } from '#knox/types';
import { resetAwsClients, secrets } from '../commons/aws-clients';
import { knoxConfig } from '../commons/config';
import { logger } from '../commons/powertools';
import { db, tableName } from '../store/table-client';

const SECRET_MAX_AGE_SECONDS = 300;

export class KnoxSecretError extends Error {
  override readonly name = 'KnoxSecretError';
}

/** Reads and checks the Knox secret. Messages name the problem, never the value. */
export async function loadKnoxCredentials(secretArn: string): Promise<KnoxCredentials> {
  const value = await secrets().get(secretArn, { transform: 'json', maxAge: SECRET_MAX_AGE_SECONDS });
  const parsed = credentialsSchema.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(value)'))].join(', ');
    throw new KnoxSecretError(`The Knox secret must be JSON {"clientId", "clientSecret"}; wrong or missing: ${fields}`);
  }
  return parsed.data;
}

let client: KnoxClient | undefined;

/** The container's Knox client, configured from the environment on first use. */
export function knoxClient(): KnoxClient {
  if (client === undefined) {
    const config = knoxConfig();
    client = createKnoxClient({
      baseUrl: config.baseUrl,
      credentials: () => loadKnoxCredentials(config.secretArn),
      timeoutMs: config.timeoutMs,
      limiter: knoxBudget(config.requestsPerSecond),
      ...(config.tokenLifetimeMinutes !== undefined ? { tokenLifetimeMinutes: config.tokenLifetimeMinutes } : {}),
    });
  }
  return client;
}

/** The shared budget of `requestsPerSecond` (KNOX_REQUESTS_PER_SECOND, the CDK context knoxRequestsPerSecond). */
export function knoxBudget(requestsPerSecond: number): SharedBudget {
  return new SharedBudget({
    store: new DynamoBudgetStore({
      client: db(),
      tableName: tableName(),
      key: { [TABLE.partitionKey]: KNOX_BUDGET_KEY },
    }),
    settings: budgetSettings(requestsPerSecond),
    onEvent: (event) => {
      // Exhaustion and decreases are news; a claim is the unit the usage metrics count.
      if (event.type === 'claim') logger.info(BUDGET_LOG_MESSAGE, budgetLogFields(event));
      else logger.warn(BUDGET_LOG_MESSAGE, budgetLogFields(event));
    },
  });
}

/** Tests: forget the client (and its token) and the cached secret, so the next call reads the environment again. */
export function resetKnoxClient(): void {
  client = undefined;
  resetAwsClients();
}
