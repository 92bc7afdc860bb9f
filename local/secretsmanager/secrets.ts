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
}

/** Fixed, so that a restart answers the same version. */
const LOCAL_VERSION_ID = '00000000-0000-4000-8000-000000000001';

export async function startSecretsEndpoint(options: SecretsEndpointOptions): Promise<RunningAwsJsonServer> {
  const createdDate = Date.now() / 1000;
  const matches = (id: string): boolean => id === options.secret.arn || id === options.secret.name;
  return startAwsJsonServer({
    targetPrefix: 'secretsmanager',
    jsonVersion: '1.1',
    port: options.port,
    operations: {
      GetSecretValue: async (input) => {
        await awsLatency('secretsmanager', 'GetSecretValue'); // LATENCY=aws (local/latency/aws-latency.ts)
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
}
