/**
 * The IAM check in front of each local AWS endpoint: who signed the request (access-gate.ts), what it asks
 * (service-actions.ts), and AWS's AccessDeniedException when the caller's role does not allow it. The Step Functions
 * and Secrets Manager endpoints take these as their `authorize` option; the DynamoDB proxy calls `dynamoAuthorizer`.
 */
import type { AwsJsonRequest } from '../protocol/aws-json-server';
import type { LocalExecutions } from '../stepfunctions/engine';
import type { LocalSecret } from '../template/template';
import { serviceError, type AccessGate } from './access-gate';
import { dynamoAction, secretsAction, sfnAction } from './service-actions';

export type EndpointAuthorizer = (operation: string, input: Record<string, unknown>, request: AwsJsonRequest) => void;

export function sfnAuthorizer(gate: AccessGate, executions: LocalExecutions): EndpointAuthorizer {
  const tokens = {
    stateMachineOfToken: (token: unknown): string | undefined => {
      const runKey = executions.callbacks.runKeyOf(token);
      const executionArn = runKey?.slice(0, runKey.lastIndexOf('#'));
      return executionArn ? executions.describe(executionArn)?.stateMachineArn : undefined;
    },
  };
  return (operation, input, request) => {
    const caller = gate.identify(request, 'coral');
    const { action, resources } = sfnAction(operation, input, tokens);
    gate.authorize(caller, action, resources, 'coral');
  };
}

/** Secrets Manager serves the local functions only: the developer's own credentials get AccessDenied here. */
export function secretsAuthorizer(gate: AccessGate, secret: LocalSecret): EndpointAuthorizer {
  return (operation, input, request) => {
    const caller = gate.identify(request, 'secretsmanager');
    const id = typeof input['SecretId'] === 'string' ? input['SecretId'] : '';
    const arn = id === secret.name || id === secret.arn ? secret.arn : id;
    const { action, resources } = secretsAction(operation, arn);
    if (caller.kind === 'developer') {
      throw serviceError(
        'secretsmanager',
        'AccessDeniedException',
        `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${arn} because the local Secrets Manager serves the local functions only`,
      );
    }
    gate.authorize(caller, action, resources, 'secretsmanager');
  };
}

/** The DynamoDB proxy's check: `target` is the X-Amz-Target header (`DynamoDB_20120810.PutItem`). */
export function dynamoAuthorizer(gate: AccessGate): EndpointAuthorizer {
  return (target, input, request) => {
    const caller = gate.identify(request, 'coral');
    const asked = dynamoAction(target, input);
    if (!asked) return; // dynalite answers an unknown target itself (UnknownOperationException)
    gate.authorize(caller, asked.action, asked.resources, 'coral');
  };
}
