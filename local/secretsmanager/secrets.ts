/**
 * The local Secrets Manager: `secretsmanager.GetSecretValue` over the real JSON 1.1 protocol for the one Knox secret,
 * so that the handlers' Powertools `getSecret` (default SDK client, AWS_ENDPOINT_URL_SECRETS_MANAGER) runs unchanged.
 * Everything else answers a proper AWS error. The secret's value is never logged.
 */
import { awsLatency } from '../latency/aws-latency';
import {
  AwsServiceError,
  requireString,
  startAwsJsonServer,
  type AwsJsonServerOptions,
  type RunningAwsJsonServer,
} from '../protocol/aws-json-server';
import type { LocalSecret } from '../template/template';

export interface KnoxSecretValue {
  clientId: string;
  clientSecret: string;
}

export interface SecretsEndpointOptions {
  secret: LocalSecret;
  value: KnoxSecretValue;
  port?: number;
  /** IAM: who may read the secret (the local functions whose role allows it: local/iam/endpoint-authorizers.ts). */
  authorize?: AwsJsonServerOptions['authorize'];
}

/** Fixed, so that a restart answers the same version. */
const LOCAL_VERSION_ID = '00000000-0000-4000-8000-000000000001';

/** The endpoint, and how many GetSecretValue calls it answered (tests: one per function instance). */
export type RunningSecretsEndpoint = RunningAwsJsonServer & { reads(): number };

export async function startSecretsEndpoint(options: SecretsEndpointOptions): Promise<RunningSecretsEndpoint> {
  const createdDate = Date.now() / 1000;
  let reads = 0;
  const matches = (id: string): boolean => id === options.secret.arn || id === options.secret.name;
  const server = await startAwsJsonServer({
    targetPrefix: 'secretsmanager',
    jsonVersion: '1.1',
    port: options.port,
    ...(options.authorize ? { authorize: options.authorize } : {}),
    operations: {
      GetSecretValue: async (input) => {
        await awsLatency('secretsmanager', 'GetSecretValue'); // LATENCY=aws (local/latency/aws-latency.ts)
        reads += 1;
        const secretId = requireString(input, 'SecretId');
        if (!matches(secretId)) {
          throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        }
        return {
          ARN: options.secret.arn,
          Name: options.secret.name,
          SecretString: JSON.stringify(options.value),
          VersionId: LOCAL_VERSION_ID,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: createdDate,
        };
      },
    },
  });
  return Object.assign(server, { reads: () => reads });
}
