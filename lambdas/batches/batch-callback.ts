/**
 * Waking the batch workflow's "Wait for items" callback: SendTaskSuccess with the token the batch record holds. A
 * token Step Functions no longer knows (an earlier round's, answered already, or the execution ended) is harmless: the
 * callback was answered by someone else, or there is no one to wake.
 */
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { describeError, logger } from '../commons/powertools';

const GONE = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'];

let client: SFNClient | undefined;
function sfn(): SFNClient {
  client ??= new SFNClient({});
  return client;
}

/** Tests: drop the client so that the next call reads the environment again. */
export function resetBatchCallbackClient(): void {
  client = undefined;
}

/** Wakes the batch's workflow; false when the token was gone (or the call failed: the sweep wakes it then). */
export async function wakeBatch(batchId: string, taskToken: string, reason: string): Promise<boolean> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ batchId, reason }) }));
    logger.info('Batch workflow woken', { batchId, reason });
    return true;
  } catch (error) {
    if (error instanceof Error && GONE.includes(error.name)) return false;
    logger.error('Could not wake the batch workflow', { batchId, reason, ...describeError(error) });
    return false;
  }
}
