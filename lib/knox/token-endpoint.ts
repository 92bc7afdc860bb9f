/**
 * The OAuth 2.0 client-credentials exchange with Knox (`POST /ams/v1/oauth2/token`).
 */
import { KnoxError, errorFromAnswer, parseJson, parseKnoxAnswer, type KnoxHttpAnswer } from '#domain/knox-answer';
import { TOKEN_LIFETIME_FIELD, oauthErrorSchema, tokenAnswerSchema, type TokenAnswer } from '#domain/knox-schemas';
import type { KnoxCredentials } from './types';
import type { KnoxTransport } from './transport';

export const TOKEN_PATH = '/ams/v1/oauth2/token';

/**
 * The KnoxError for a refused token request. An OAuth error object on a 400 or 401 means our credentials or their
 * scope are wrong (an operator matter); anything else (5xx, 429, an HTML page) is Knox's trouble and keeps the
 * disposition errorFromAnswer gives it.
 */
export function tokenError(answer: KnoxHttpAnswer): KnoxError {
  const oauth = oauthErrorSchema.safeParse(parseJson(answer.bodyText));
  if (oauth.success && (answer.status === 400 || answer.status === 401)) {
    // Only the OAuth error word: error_description is free text from the server, and stays out of our messages.
    const word = /^[a-z_]{1,64}$/.test(oauth.data.error) ? oauth.data.error : 'error';
    return KnoxError.of('INVALID_CLIENT', {
      httpStatus: answer.status,
      message: `The Knox token endpoint refused the client credentials (${word})`,
    });
  }
  return errorFromAnswer(answer);
}

/** Asks Knox for an access token; throws a KnoxError when it refuses or answers something else. */
export async function requestToken(
  transport: KnoxTransport,
  credentials: KnoxCredentials,
  lifetimeMinutes?: number,
): Promise<TokenAnswer> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    scope: 'msp',
  });
  // Knox may grant another lifetime than asked: the answer's expires_in is what the cache honours.
  if (lifetimeMinutes !== undefined) form.set(TOKEN_LIFETIME_FIELD, String(lifetimeMinutes));
  const answer = await transport.send({
    method: 'POST',
    path: TOKEN_PATH,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  if (answer.status < 200 || answer.status > 299) throw tokenError(answer);
  return parseKnoxAnswer(answer, tokenAnswerSchema);
}
