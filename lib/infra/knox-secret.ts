/**
 * The Knox MSP client credentials: a Secrets Manager secret that the stack creates and the operator fills in
 * (`aws secretsmanager put-secret-value`, see the README). Functions get its ARN, never its value.
 */
import { type CfnResource, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { KNOX_SECRET_PLACEHOLDER_CLIENT_ID } from './deploy-facts';
import { Construct } from 'constructs';
import { ENV } from '#domain/configuration';
import type { HandlerFunction } from './handler-function';
import { METADATA_KEYS } from './metadata';

export class KnoxSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Knox MSP Portal API client credentials: {"clientId": "...", "clientSecret": "..."}',
      // The first value has the right shape with a random clientSecret, so that the steps fail as an operator error
      // (INVALID_CLIENT, alarmed) until the operator puts the real credentials in.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ clientId: KNOX_SECRET_PLACEHOLDER_CLIENT_ID }),
        generateStringKey: 'clientSecret',
        excludePunctuation: true,
      },
    });
    (this.secret.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.secret, 'knox');
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Knox client secrets are issued and rotated in the Knox MSP Portal, not in this account: no rotation Lambda can create one. The operator puts the new value in after rotating it there.',
    });
  }

  /** Read the credentials (GetSecretValue on this secret only), and tell the function where they are. */
  grantRead(fn: HandlerFunction): void {
    fn.addEnvironment(ENV.knoxSecretArn, this.secret.secretArn);
    this.secret.grantRead(fn.function);
  }
}
