/**
 * AWS Signature Version 4 (AWS General Reference, "Create a signed AWS API request"), the part the local endpoints
 * need: read a request's `Authorization` header, and compute the signature a secret key gives a request, to verify
 * a local function's requests and to sign them with that function's own credentials (function-identity.ts).
 *
 *   canonical request = method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
 *   string to sign    = AWS4-HMAC-SHA256 \n x-amz-date \n date/region/service/aws4_request \n hex(sha256(canonical request))
 *   signing key       = HMAC chain of "AWS4" + secret over date, region, service, "aws4_request"
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export interface ParsedAuthorization {
  accessKeyId: string;
  /** yyyymmdd / region / service, as in the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** The parts of a SigV4 Authorization header, or undefined when it is not one. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const m = header === undefined ? null : AUTHORIZATION.exec(header.trim());
  if (!m) return undefined;
  return {
    accessKeyId: m[1]!,
    date: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.split(';'),
    signature: m[6]!,
  };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Every service but S3 encodes each path segment once more (the path as sent is already encoded once). */
function canonicalPath(path: string): string {
  return path === '/' || path === '' ? '/' : path.split('/').map(uriEscape).join('/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const [k = '', v = ''] = pair.split('=', 2);
      return [uriEscape(decodeURIComponent(k)), uriEscape(decodeURIComponent(v))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export interface SignableRequest {
  method: string;
  /** The path and query as sent: `/`, `/a/b?x=1`. */
  url: string;
  /** Header name (any case) -> value(s). */
  headers: Record<string, string | string[] | number | undefined>;
  /** Hex SHA-256 of the body. */
  payloadHash: string;
}

/** Signing keys by secret and scope: the same for every request of a day (four HMACs saved per request). */
const signingKeys = new Map<string, Buffer>();
function signingKey(
  secret: string,
  scope: string,
  auth: Pick<ParsedAuthorization, 'date' | 'region' | 'service'>,
): Buffer {
  const cacheKey = `${secret}\n${scope}`;
  let key = signingKeys.get(cacheKey);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), 'aws4_request');
    if (signingKeys.size > 1000) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

/** The signature `secret` gives `request` for the scope and the headers the Authorization header names. */
export function computeSignature(
  request: SignableRequest,
  auth: Pick<ParsedAuthorization, 'date' | 'region' | 'service' | 'signedHeaders'>,
  secretAccessKey: string,
): string {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    lower.set(name.toLowerCase(), (Array.isArray(value) ? value.join(',') : String(value)).trim().replace(/\s+/g, ' '));
  }
  const amzDate = lower.get('x-amz-date') ?? '';
  const queryAt = request.url.indexOf('?');
  const path = queryAt < 0 ? request.url : request.url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : request.url.slice(queryAt + 1);
  const signed = [...auth.signedHeaders].sort();
  const canonical = [
    request.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    signed.map((h) => `${h}:${lower.get(h) ?? ''}\n`).join(''),
    signed.join(';'),
    request.payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
  return createHmac('sha256', signingKey(secretAccessKey, scope, auth))
    .update(stringToSign)
    .digest('hex');
}

/** Whether the request's Authorization signature is the one `secretAccessKey` gives it. */
export function signatureMatches(
  request: SignableRequest,
  auth: ParsedAuthorization,
  secretAccessKey: string,
): boolean {
  const expected = Buffer.from(computeSignature(request, auth, secretAccessKey), 'hex');
  const given = Buffer.from(auth.signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The Authorization header for `request`, signed by `accessKeyId`/`secretAccessKey` over the same scope and headers. */
export function authorizationFor(
  request: SignableRequest,
  auth: Pick<ParsedAuthorization, 'date' | 'region' | 'service' | 'signedHeaders'>,
  credentials: { accessKeyId: string; secretAccessKey: string },
): string {
  const signature = computeSignature(request, auth, credentials.secretAccessKey);
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  return `${SIGV4_ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${[...auth.signedHeaders].sort().join(';')}, Signature=${signature}`;
}
