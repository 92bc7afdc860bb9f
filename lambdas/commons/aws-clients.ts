/**
 * The AWS clients of this function instance, one of each, built on first use from the environment (the SDK's default
 * configuration: AWS_REGION, the credentials, and AWS_ENDPOINT_URL_DYNAMODB / _SFN / _SECRETS_MANAGER, which point them
 * at the local stack), and kept while the instance lives, as a Lambda container keeps its module scope:
 * - the DynamoDB document client (undefined attributes dropped on write);
 * - the Step Functions client (starting and stopping executions, answering task tokens);
 * - the Secrets Manager client, behind the Powertools secrets provider that caches values (its own provider, not
 *   Powertools' process-wide default, so that the cache belongs to this instance and its client to this module).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

let documentClient: DynamoDBDocumentClient | undefined;
let sfnClient: SFNClient | undefined;
let secretsProvider: SecretsProvider | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function stepFunctionsClient(): SFNClient {
  sfnClient ??= new SFNClient({});
  return sfnClient;
}

/** The secrets provider (with its Secrets Manager client and its cache of values). */
export function secrets(): SecretsProvider {
  secretsProvider ??= new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });
  return secretsProvider;
}

/** Tests: drop every client and the secret cache, so that the next call builds them from the current environment. */
export function resetAwsClients(): void {
  documentClient = undefined;
  sfnClient = undefined;
  secretsProvider = undefined;
}
