/**
 * The `--api` URL the CLI signs requests for: `https://`, or plain `http://` only for a loopback host (127.0.0.0/8,
 * `localhost`, `[::1]`: the local stack), so that SigV4-signed requests and their bodies never cross a network in the
 * clear. Anything else is refused before a request is made.
 */
export class ApiUrlError extends Error {
  override readonly name = 'ApiUrlError';
}

/** 127.0.0.0/8 (as the URL parser writes it: four decimal parts), `localhost`, `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  const parts = host.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** The URL, parsed; an ApiUrlError for another scheme, or `http://` to a host that is not loopback. */
export function checkApiUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ApiUrlError(`--api is not a URL: ${text.slice(0, 200)}`);
  }
  if (url.username !== '' || url.password !== '') throw new ApiUrlError('--api must not carry a user name or password');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === 'http:')
    throw new ApiUrlError(`--api must be https:// (plain http:// only to a loopback host, not ${url.hostname})`);
  throw new ApiUrlError(`--api must be https://, not ${url.protocol}`);
}

/** A redirect the CLI does not follow: it would carry the signed headers and the body to another URL. */
export class RedirectRefusedError extends Error {
  override readonly name = 'RedirectRefusedError';
  constructor(
    readonly status: number,
    readonly location: string,
  ) {
    super(`The API answered ${status}, a redirect to ${location.slice(0, 500) || '(no Location)'}: not followed`);
  }
}

/** Throws RedirectRefusedError for a 3xx answer (fetch's `redirect: 'manual'` hands it back as it is). */
export function refuseRedirect(response: Response): void {
  if (response.status >= 300 && response.status < 400)
    throw new RedirectRefusedError(response.status, response.headers.get('location') ?? '');
}
