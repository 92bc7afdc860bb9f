/**
 * Requests to the deployed API (IAM-authorized: SigV4, service `execute-api`), signed with the SDK's own signer
 * (`@smithy/signature-v4` with `@aws-crypto/sha256-js`) and the caller's credentials from the SDK's default chain
 * (`@aws-sdk/credential-provider-node`: environment, profile, SSO, instance role...). Nothing is hand-signed here.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { checkApiUrl, refuseRedirect } from './api-url';
import { parseBody, type Send } from './batch-client';

/** The region of an API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com/v1/`), if it says. */
export function regionOfApiUrl(apiUrl: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(apiUrl).hostname)?.[1];
}

export function signedSend(
  apiUrl: string,
  options: { region?: string; credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider } = {},
): Send {
  const base = checkApiUrl(apiUrl);
  const region = options.region ?? regionOfApiUrl(apiUrl) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("Cannot tell the API's region from its URL: set AWS_REGION");
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  return async (method, path, body, headers = {}) => {
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host },
      ...(body !== undefined ? { body } : {}),
    });
    const { host: _host, ...sendHeaders } = signed.headers;
    // A redirect is not followed: it would carry the signed x-amz-* headers and the body to another URL.
    const response = await fetch(url, {
      method,
      headers: sendHeaders,
      redirect: 'manual',
      ...(body !== undefined ? { body } : {}),
    });
    refuseRedirect(response);
    return { status: response.status, body: parseBody(await response.text()) };
  };
}
