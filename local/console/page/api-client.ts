/** The page's calls: the console's JSON (same origin) and the public API's batch routes. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON GET; the text comes back too, so that a view can skip re-rendering what did not change. */
export async function getJson<T>(path: string): Promise<{ body: T; text: string }> {
  const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) throw new HttpError(response.status, messageOf(text) ?? `${response.status} on ${path}`);
  return { body: JSON.parse(text) as T, text };
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new HttpError(response.status, messageOf(text) ?? `${response.status} on ${path}`);
  return JSON.parse(text) as T;
}

function messageOf(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** The local API's answer for a path it has no route for (batches before bulk onboarding exists). */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof HttpError && error.status === 404 && error.message.startsWith('No route for');
}
