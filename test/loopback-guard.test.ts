/**
 * The loopback guard every local listener uses (local/protocol/loopback-guard.ts), as a table: which Host, Origin and
 * Sec-Fetch-* a listener on port 3000 admits. The listeners themselves are tested in local-trust.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkLoopback, stripCorsHeaders } from '#local/protocol/loopback-guard';

const PORT = 3000;
type Case = [string, Record<string, string>, string, 'ok' | 403 | 421];
const cases: Case[] = [
  ['its own address (the SDKs, the AWS CLI, curl)', { host: '127.0.0.1:3000' }, 'POST', 'ok'],
  ['localhost', { host: 'LOCALHOST:3000' }, 'POST', 'ok'],
  [
    'its own page',
    { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' },
    'POST',
    'ok',
  ],
  ['its page under localhost', { host: 'localhost:3000', origin: 'http://localhost:3000' }, 'POST', 'ok'],
  ['a typed address', { host: '127.0.0.1:3000', 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' }, 'GET', 'ok'],
  ['a rebound name', { host: 'rebind.attacker.test:3000', origin: 'http://rebind.attacker.test:3000' }, 'POST', 421],
  ['a rebound name without Origin', { host: 'rebind.attacker.test:3000' }, 'GET', 421],
  ['another port in Host', { host: '127.0.0.1:3001' }, 'GET', 421],
  ['no port in Host', { host: '127.0.0.1' }, 'GET', 421],
  ['no Host at all', {}, 'GET', 421],
  ['another origin', { host: '127.0.0.1:3000', origin: 'http://127.0.0.2:8080' }, 'POST', 403],
  ['another port is another origin', { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3001' }, 'POST', 403],
  ['https is another origin', { host: '127.0.0.1:3000', origin: 'https://127.0.0.1:3000' }, 'POST', 403],
  ['the null origin (sandboxed frames, file://)', { host: '127.0.0.1:3000', origin: 'null' }, 'POST', 403],
  [
    'a no-cors GET from another port (no Origin)',
    { host: '127.0.0.1:3000', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' },
    'GET',
    403,
  ],
  [
    'a cross-site image',
    { host: '127.0.0.1:3000', 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image' },
    'GET',
    403,
  ],
  [
    'a link followed from another site',
    {
      host: '127.0.0.1:3000',
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    },
    'GET',
    'ok',
  ],
  [
    'a cross-site form post (navigate, but POST)',
    {
      host: '127.0.0.1:3000',
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    },
    'POST',
    403,
  ],
  [
    'a cross-site frame',
    {
      host: '127.0.0.1:3000',
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'iframe',
    },
    'GET',
    403,
  ],
];

describe('the loopback guard, on port 3000', () => {
  it.each(cases)('%s', (_name, headers, method, expected) => {
    const verdict = checkLoopback(headers, PORT, method);
    expect(verdict.ok ? 'ok' : verdict.status).toBe(expected);
  });

  it('a listener on port 80 also accepts a Host without the port', () => {
    expect(checkLoopback({ host: '127.0.0.1' }, 80).ok).toBe(true);
    expect(checkLoopback({ host: '127.0.0.1', origin: 'http://localhost' }, 80).ok).toBe(true);
  });

  it('removes every Access-Control-* header a proxied server adds, and keeps the others', () => {
    expect(
      stripCorsHeaders({
        'access-control-allow-origin': '*',
        'Access-Control-Allow-Headers': 'authorization',
        'access-control-expose-headers': 'x-amzn-requestid',
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-crc32': '1',
      }),
    ).toEqual({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-crc32': '1' });
  });
});
