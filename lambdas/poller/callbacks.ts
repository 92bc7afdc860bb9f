/**
 * Handing the customer's answer back to the waiting execution: SendTaskSuccess or SendTaskFailure with the record's
 * task token (the instance's SFN client from commons/aws-clients: AWS_ENDPOINT_URL_SFN points it at the local Step Functions API). A token Step
 * Functions no longer knows (the execution was stopped, timed out, or the token is not one of its own) is reported
 * as gone, so that the poller forgets it instead of asking again every round.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { CustomerAnswer } from '#domain/payloads';
import { resetAwsClients, stepFunctionsClient as sfn } from '../commons/aws-clients';

/** Step Functions' answers for a token that no longer leads to a waiting task. */
export const GONE_TOKEN_ERRORS = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'] as const;

/** SendTaskFailure bounds: error 256 characters, cause 32,768. */
const ERROR_MAX = 256;
const CAUSE_MAX = 32_768;

export type Delivery = { delivered: true } | { delivered: false; gone: string };

function goneOr(error: unknown): Delivery {
  const name = error instanceof Error ? error.name : '';
  if ((GONE_TOKEN_ERRORS as readonly string[]).includes(name)) return { delivered: false, gone: name };
  throw error;
}

export async function sendAnswer(taskToken: string, output: CustomerAnswer): Promise<Delivery> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return { delivered: true };
  } catch (error) {
    return goneOr(error);
  }
}

export async function sendRefusal(taskToken: string, error: string, cause: string): Promise<Delivery> {
  try {
    await sfn().send(
      new SendTaskFailureCommand({ taskToken, error: error.slice(0, ERROR_MAX), cause: cause.slice(0, CAUSE_MAX) }),
    );
    return { delivered: true };
  } catch (failure) {
    return goneOr(failure);
  }
}

/** Tests: drop the clients so that the next call reads the environment again. */
export function resetSfnClient(): void {
  resetAwsClients();
}
