/**
 * Task tokens and the SendTask* calls of the local Step Functions, with AWS's answers. aws-local-stepfunctions has
 * no `.waitForTaskToken` of its own (local/README.md, "Callbacks"): the engine reads `$$.Task.Token` from the
 * context we pass, where a getter issues a fresh token per read; the callback state's local handler invokes the
 * Lambda with it and then waits here until SendTaskSuccess / SendTaskFailure settles the token, or the state's
 * TimeoutSeconds passes (States.Timeout).
 *
 * AWS's answers: a string that is not a token -> InvalidToken; a token of ours that this process does not know (one
 * issued before a restart) -> TaskDoesNotExist; a token whose task is over (answered, timed out, its execution
 * stopped) -> TaskTimedOut; output that is not JSON -> InvalidOutput; output over 262,144 characters ->
 * ValidationException. Tokens live in memory: a restart resumes the
 * waiting state, which stores a new token on the record.
 */
import { randomBytes } from 'node:crypto';
import { AwsServiceError } from '../protocol/aws-json-server';

/** The shape of our tokens: opaque to clients, recognisable to us (AWS's are base64 of a similar length). */
const TOKEN = /^AQ[A-Za-z0-9_-]{86}$/;
/** AWS bounds: taskToken 1..2048, output 256 KiB, error 256, cause 32,768 characters. */
const MAX_TOKEN = 2048;
const MAX_OUTPUT_CHARS = 256 * 1024;
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/** What SendTaskFailure makes the state throw: Retry and Catch match `name`, `message` becomes the Cause. */
export class CallbackFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** The Task's TimeoutSeconds passed before an answer came (Step Functions' own error name). */
export class CallbackTimeout extends Error {
  override readonly name = 'States.Timeout';
  constructor() {
    super("The callback was not answered within the state's TimeoutSeconds");
  }
}

interface Waiting {
  runKey: string;
  state: 'issued' | 'waiting' | 'closed';
  settle?: { resolve(output: unknown): void; reject(error: Error): void };
  timer?: NodeJS.Timeout;
}

export class CallbackRegistry {
  private readonly tokens = new Map<string, Waiting>();

  /** A fresh token for a run (what `$$.Task.Token` reads). */
  issue(runKey: string): string {
    const token = `AQ${randomBytes(64).toString('base64url')}`;
    this.tokens.set(token, { runKey, state: 'issued' });
    return token;
  }

  /** The run (`<executionArn>#<run>`) a token belongs to, if it is one of ours (IAM: SendTask* names its machine). */
  runKeyOf(token: unknown): string | undefined {
    return typeof token === 'string' ? this.tokens.get(token)?.runKey : undefined;
  }

  /** The newest still issued token of a run that appears in `input` (the state's Parameters put it there). */
  tokenIn(runKey: string, input: unknown): string | undefined {
    const text = JSON.stringify(input) ?? '';
    let found: string | undefined;
    for (const [token, entry] of this.tokens)
      if (entry.runKey === runKey && entry.state === 'issued' && text.includes(token)) found = token;
    return found;
  }

  /**
   * Waits for the token's answer, at most `timeoutMs` (then CallbackTimeout, and the token is over). Called before
   * the state's Lambda is invoked, as on AWS where the Task's timeout covers the invocation too, and so that an
   * answer that comes while the Lambda is still running is kept.
   */
  wait(token: string, timeoutMs: number): Promise<unknown> {
    const entry = this.tokens.get(token);
    if (entry?.state !== 'issued') return Promise.reject(new Error('the task token is not waiting'));
    return new Promise((resolve, reject) => {
      entry.state = 'waiting';
      entry.settle = { resolve, reject };
      entry.timer = setTimeout(() => this.close(token, new CallbackTimeout()), timeoutMs);
      entry.timer.unref();
    });
  }

  /** Ends every token of a run (the run ended, was stopped or interrupted): later calls answer TaskTimedOut. */
  closeRun(runKey: string, error: Error): void {
    for (const [token, entry] of this.tokens)
      if (entry.runKey === runKey && entry.state !== 'closed') this.close(token, error);
  }

  // --- The Step Functions API ---------------------------------------------------------------------------------------

  sendTaskSuccess(token: unknown, output: unknown): void {
    const entry = this.open(token);
    // The API's bound is in characters (API reference, SendTaskSuccess: output, maximum length 262144), answered as
    // any constraint is; an output within it but over 256 KiB as UTF-8 is accepted and then fails the Task with
    // States.DataLimitExceeded (quotas.ts, the task result check).
    if (typeof output === 'string' && output.length > MAX_OUTPUT_CHARS) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to ${MAX_OUTPUT_CHARS}`,
      );
    }
    if (typeof output !== 'string') throw new AwsServiceError('InvalidOutput', 'Invalid Output: the output is missing');
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new AwsServiceError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    this.finish(entry, (s) => s.resolve(parsed));
  }

  sendTaskFailure(token: unknown, error: unknown, cause: unknown): void {
    if (error !== undefined && (typeof error !== 'string' || error.length > MAX_ERROR)) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ERROR}`,
      );
    }
    if (cause !== undefined && (typeof cause !== 'string' || cause.length > MAX_CAUSE)) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to ${MAX_CAUSE}`,
      );
    }
    const entry = this.open(token);
    this.finish(entry, (s) => s.reject(new CallbackFailure(error ?? '', cause ?? '')));
  }

  /** No HeartbeatSeconds locally (the engine has none): a heartbeat only proves the task is still open. */
  sendTaskHeartbeat(token: unknown): void {
    this.open(token);
  }

  /** The entry of a token a client may still answer, or AWS's error for it. */
  private open(token: unknown): Waiting {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN) {
      throw new AwsServiceError(
        'ValidationException',
        "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and 2048",
      );
    }
    if (!TOKEN.test(token)) throw new AwsServiceError('InvalidToken', 'Invalid Token: the task token is not valid');
    const entry = this.tokens.get(token);
    if (!entry) throw new AwsServiceError('TaskDoesNotExist', 'Task Does Not Exist: the task token is unknown');
    if (entry.state !== 'waiting')
      throw new AwsServiceError('TaskTimedOut', 'Task Timed Out: the task is no longer open');
    return entry;
  }

  private finish(entry: Waiting, settle: (s: NonNullable<Waiting['settle']>) => void): void {
    clearTimeout(entry.timer);
    entry.state = 'closed';
    if (entry.settle) settle(entry.settle);
  }

  /** Ends one token with `error` (the Lambda that was to store it failed). */
  abandon(token: string, error: Error): void {
    this.close(token, error);
  }

  private close(token: string, error: Error): void {
    const entry = this.tokens.get(token);
    if (!entry || entry.state === 'closed') return;
    clearTimeout(entry.timer);
    entry.state = 'closed';
    entry.settle?.reject(error);
  }
}
