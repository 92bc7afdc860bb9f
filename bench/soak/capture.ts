/**
 * What the soak watches while it runs:
 * - every write to process.stdout / process.stderr and every call of the global console (the handlers' Powertools
 *   lines, anything else printed), kept in memory instead of reaching the terminal (the soak prints its own progress
 *   through `print`);
 * - unhandled rejections and uncaught exceptions of the process (recorded as findings: while the capture runs, an
 *   uncaught exception no longer ends the process, so that the soak can report it with everything else);
 * - the bearer tokens the Knox client sends (read from the outgoing Authorization header of each fetch), so that
 *   the secret scan can look for them too.
 * `stop()` puts everything back.
 */
import { format } from 'node:util';

export interface Capture {
  /** Captured output, split into lines (stdout and stderr interleaved as written). */
  lines(): string[];
  /** Unhandled rejections and uncaught exceptions seen, as short descriptions. */
  unhandled(): string[];
  /** Every distinct bearer token sent on a fetch. */
  bearerTokens(): string[];
  /** Writes to the real stdout (progress lines, the summary). */
  print(line: string): void;
  stop(): void;
}

type Write = typeof process.stdout.write;

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

const BEARER = /^Bearer\s+(\S+)$/i;

/** The Authorization header of a fetch call, whatever shape its headers take. */
function authorizationOf(input: unknown, init: RequestInit | undefined): string | undefined {
  const fromHeaders = (headers: unknown): string | undefined => {
    if (!headers) return undefined;
    if (headers instanceof Headers) return headers.get('authorization') ?? undefined;
    if (Array.isArray(headers)) {
      const pair = (headers as [string, string][]).find(([name]) => name.toLowerCase() === 'authorization');
      return pair?.[1];
    }
    const entry = Object.entries(headers as Record<string, string>).find(
      ([name]) => name.toLowerCase() === 'authorization',
    );
    return entry?.[1];
  };
  return fromHeaders(init?.headers) ?? (input instanceof Request ? fromHeaders(input.headers) : undefined);
}

export function startCapture(): Capture {
  const chunks: string[] = [];
  const unhandled: string[] = [];
  const tokens = new Set<string>();

  const realStdout: Write = process.stdout.write;
  const realStderr: Write = process.stderr.write;
  const swallow = ((chunk: unknown, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    // Honour the callback contract of write(chunk, [encoding], [callback]).
    const callback = rest.find((r): r is () => void => typeof r === 'function');
    if (callback) queueMicrotask(callback);
    return true;
  }) as Write;
  process.stdout.write = swallow;
  process.stderr.write = swallow;
  // The global console too: under a test runner it does not write to process.stdout (and here it must not print).
  const realConsole = CONSOLE_METHODS.map((name) => [name, console[name]] as const);
  for (const name of CONSOLE_METHODS) {
    console[name] = (...args: unknown[]) => {
      chunks.push(`${format(...args)}\n`);
    };
  }

  const onRejection = (reason: unknown) => {
    unhandled.push(
      `unhandledRejection: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)}`,
    );
  };
  const onException = (error: Error) => {
    unhandled.push(`uncaughtException: ${error.name}: ${error.message}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const bearer = BEARER.exec(authorizationOf(input, init) ?? '');
    if (bearer?.[1]) tokens.add(bearer[1]);
    return realFetch(input, init);
  }) as typeof fetch;

  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0),
    unhandled: () => [...unhandled],
    bearerTokens: () => [...tokens],
    print: (line: string) => {
      realStdout.call(process.stdout, `${line}\n`);
    },
    stop: () => {
      process.stdout.write = realStdout;
      process.stderr.write = realStderr;
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      globalThis.fetch = realFetch;
      for (const [name, fn] of realConsole) console[name] = fn;
    },
  };
}
