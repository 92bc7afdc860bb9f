/**
 * Bad input stays cheap, over real HTTP against the local stack's API (product.md): each finding of the security
 * review, its reproduction turned into a test that no longer gets in.
 * - A POST needs its content type (application/json, at most `; charset=utf-8`; text/csv for batches): else 415, a
 *   missing one too (a cross-site form or a text/plain fetch sends JSON without a CORS preflight).
 * - A 4 MB hostile CSV header or 4 MB of unknown JSON keys: a 400 of a few KB, while another request is served.
 * - A path that is not percent-encoded UTF-8: a 4xx, never a 5xx (fast-check over paths).
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkRequest } from './support/requests';
import { useTestStack } from './support/stack-support';

const local = useTestStack();

interface Answer {
  status: number;
  bytes: number;
  body: Record<string, any>;
}

/** One request with exactly this path (node:http sends it as it is) and these headers. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(local.stack.apiUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, any> = {};
        try {
          parsed = JSON.parse(text) as Record<string, any>;
        } catch {
          parsed = { text };
        }
        resolve({ status: res.statusCode ?? 0, bytes: Buffer.byteLength(text), body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function expectNothingRecorded(): Promise<void> {
  const listed = await send('GET', '/onboardings');
  expect(listed.status).toBe(200);
  expect(listed.body.items).toEqual([]);
  const batch = await send('GET', '/onboarding-batches/bat-0000000000000000');
  expect(batch.status).toBe(404);
}

const POSTS = ['/onboardings', '/offboardings', '/changes', '/onboarding-batches'];

describe('a POST body needs its content type', () => {
  it('no content type, text/plain, a form, another charset, problem+json: 415 with the API error shape', async () => {
    const json = JSON.stringify(linkRequest('4000000001'));
    const batch = JSON.stringify({ items: [linkRequest('4000000001')] });
    const types: (string | undefined)[] = [
      undefined,
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/problem+json',
      'application/jsonx',
    ];
    for (const path of POSTS) {
      for (const type of types) {
        const answer = await send(
          'POST',
          path,
          type === undefined ? {} : { 'content-type': type },
          path === '/onboarding-batches' ? batch : json,
        );
        expect(answer.status, `${path} ${type}`).toBe(415);
        expect(answer.body.message).toMatch(/Content-Type: application\/json/);
      }
    }
    // text/csv is a batch's other form, and only a batch's.
    expect((await send('POST', '/onboardings', { 'content-type': 'text/csv' }, json)).status).toBe(415);
    await expectNothingRecorded();
  });

  it('application/json, with or without `; charset=utf-8`, in any case, is read', async () => {
    for (const [type, id] of [
      ['application/json', '4000000011'],
      ['Application/JSON; Charset=UTF-8', '4000000012'],
    ] as const) {
      const answer = await send('POST', '/offboardings', { 'content-type': type }, JSON.stringify({ customerId: id }));
      // The customer is unknown to the simulator, but the body was read: an accepted request, not a 415.
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    }
  });
});

describe('a hostile body is refused with a few KB while other requests are served', () => {
  it('a CSV header of 4 MB of commas: 400 of a few hundred bytes; a GET sent meanwhile is answered', async () => {
    const refusal = send('POST', '/onboarding-batches', { 'content-type': 'text/csv' }, ','.repeat(4 * 1024 * 1024));
    const meanwhile = send('GET', '/onboardings');
    const [answer, other] = await Promise.all([refusal, meanwhile]);
    expect(answer.status).toBe(400);
    expect(answer.bytes).toBeLessThan(2048);
    expect(answer.body.issues).toEqual([{ path: 'line 1', message: expect.stringContaining('more than') }]);
    expect(other.status).toBe(200);
  });

  it('4 MB of unknown JSON keys: 400 of a few hundred bytes naming the bound, not the keys', async () => {
    const entries: string[] = [];
    for (let i = 0; entries.length * 12 < 4 * 1024 * 1024; i++) entries.push(`"k${i}":0`);
    const batch = `{"items":[${JSON.stringify(linkRequest('4000000021'))}],${entries.join(',')}}`;
    const answer = await send('POST', '/onboarding-batches', { 'content-type': 'application/json' }, batch);
    expect(answer.status).toBe(400);
    expect(answer.bytes).toBeLessThan(2048);
    expect(answer.body.issues).toEqual([{ path: '', message: expect.stringContaining('at most 64') }]);
    // A body within the 1 MB of a single POST: unknown keys of 100 kB names, cut in the answer.
    const longKey = 'q'.repeat(100_000);
    const one = await send(
      'POST',
      '/onboardings',
      { 'content-type': 'application/json' },
      JSON.stringify({ ...linkRequest('4000000022'), [longKey]: 1 }),
    );
    expect(one.status).toBe(400);
    expect(one.bytes).toBeLessThan(4096);
    expect(JSON.stringify(one.body)).not.toContain(longKey);
    await expectNothingRecorded();
  });
});

describe('paths that are not percent-encoded UTF-8', () => {
  it('the reported paths answer 400, never 500', async () => {
    for (const path of ['/onboardings/%ED%A0%80', '/offboardings/%E0%A4%A', '/onboarding-batches/%ED%A0%80']) {
      for (const method of ['GET', 'DELETE']) {
        const answer = await send(method, path);
        expect(answer.status, `${method} ${path}`).toBe(400);
        expect(answer.body.message).toMatch(/percent-encoded/);
      }
    }
  });

  it('fast-check: any path under any resource, any method, is never a 5xx', async () => {
    const part = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`),
      fc.constantFrom('%', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%2F', '%00', '%zz', '%%', '%E'),
      fc.stringMatching(/^[A-Za-z0-9._~-]{1,6}$/),
    );
    // Not a dot-segment ('.', '..', or their percent-encoded forms): those are resolved by path normalization
    // (RFC 3986, 5.2.4), so `/onboardings/.` is the list itself and answers 200.
    const segment = fc
      .array(part, { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join(''))
      .filter((s) => !/^(\.|%2e){1,2}$/i.test(s));
    const path = fc
      .tuple(
        fc.constantFrom('/onboardings', '/offboardings', '/changes', '/onboarding-batches', '/executions', ''),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
      )
      .map(([root, segments]) => `${root}/${segments.join('/')}`);
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'DELETE', 'POST'), async (p, method) => {
        const answer = await send(
          method,
          p,
          method === 'POST' ? { 'content-type': 'application/json' } : {},
          method === 'POST' ? '{}' : undefined,
        );
        expect(answer.status, `${method} ${p}`).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${method} ${p}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    await expectNothingRecorded();
  });
});
