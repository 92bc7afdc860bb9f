/**
 * The Knox client against a scripted fetch: the token dance, transport failures, paging guards and the shared rate
 * limiter. The simulator-backed suite (knox-client.test.ts) covers the same calls over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import type { KnoxCustomer, NewCustomer } from '#domain/knox-schemas';
import type { Clock } from '#knox/clock';
import { HttpKnoxClient, LIST_PAGE_ATTEMPTS, createKnoxClient } from '#knox/client';
import type { KnoxClientConfig } from '#knox/types';
import { newKnoxCustomer } from '#testkit/samples';
import { caught } from './support/knox-support';

const SECRET = 's3cr3t-value';
const credentials = async () => ({ clientId: 'client-1', clientSecret: SECRET });

interface Seen {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang' | Error;
type Route = (req: Seen, seen: Seen[]) => Reply;

/** A fetch that answers from `route` and records what it was sent. */
function scriptedFetch(route: Route) {
  const seen: Seen[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const req: Seen = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    seen.push(req);
    const reply = route(req, seen);
    if (reply instanceof Error) throw reply;
    if (reply === 'hang') {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }
    const text =
      reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, headers: reply.headers });
  }) as typeof fetch;
  return { fetchImpl, seen };
}

const customer = (id: string, extra: Partial<KnoxCustomer> = {}): KnoxCustomer => ({
  customerId: id,
  companyName: `Company ${id}`,
  managementType: 'JointlyManaged',
  status: 'Active',
  managedServices: [],
  ...extra,
});

let tokenSerial = 0;
const tokenReply = (): Reply => ({
  status: 200,
  body: { access_token: `tok-${++tokenSerial}`, token_type: 'Bearer', expires_in: 599, scope: 'msp' },
});
const knoxError = (status: number, code: string, errorCode: string): Reply => ({
  status,
  body: { transactionalId: 'tx-1', code, errorCode, errorMessage: `${code} happened` },
});
const isToken = (req: Seen) => req.url.pathname.endsWith('/ams/v1/oauth2/token');

function client(route: Route, extra: Partial<KnoxClientConfig> = {}) {
  const { fetchImpl, seen } = scriptedFetch(route);
  // A limit high enough never to make these tests wait; the limiter has its own tests.
  const knox = createKnoxClient({
    baseUrl: 'http://knox.test',
    credentials,
    fetch: fetchImpl,
    requestsPerSecond: 1e6,
    ...extra,
  });
  return { knox, seen };
}

describe('token requests', () => {
  it('posts the client-credentials form and sends the token as a bearer', async () => {
    const { knox, seen } = client((req) => (isToken(req) ? tokenReply() : { status: 200, body: customer('42') }));
    await knox.getCustomer('42');
    const [token, get] = seen;
    expect(token!.method).toBe('POST');
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client-1',
      client_secret: SECRET,
      scope: 'msp',
    });
    expect(get!.method).toBe('GET');
    expect(get!.url.pathname).toBe('/msp/v1/managedCustomers/42');
    expect(get!.headers.authorization).toMatch(/^Bearer tok-\d+$/);
  });

  it('reuses one token for many calls, and concurrent first calls share one token request', async () => {
    const { knox, seen } = client((req) => (isToken(req) ? tokenReply() : { status: 200, body: customer('1') }));
    await Promise.all(Array.from({ length: 20 }, () => knox.getCustomer('1')));
    for (let i = 0; i < 30; i += 1) await knox.getCustomer('1');
    expect(knox.tokenRequests).toBe(1);
    expect(seen.filter(isToken)).toHaveLength(1);
  });

  it('fetches a new token when the cached one nears its expiry', async () => {
    let t = 0;
    const clock: Clock = { now: () => t, sleep: async () => {} };
    const { fetchImpl } = scriptedFetch((req) => (isToken(req) ? tokenReply() : { status: 200, body: customer('1') }));
    const knox = new HttpKnoxClient({ baseUrl: 'http://knox.test', credentials, fetch: fetchImpl }, { clock });
    await knox.getCustomer('1');
    t = 538_999;
    await knox.getCustomer('1');
    expect(knox.tokenRequests).toBe(1);
    t = 539_000; // 599 s - 60 s
    await knox.getCustomer('1');
    expect(knox.tokenRequests).toBe(2);
  });

  it('refreshes once on a 401 and repeats the call once', async () => {
    let mspCalls = 0;
    const { knox, seen } = client((req) => {
      if (isToken(req)) return tokenReply();
      mspCalls += 1;
      return mspCalls === 1 ? knoxError(401, 'ACCESS_TOKEN_EXPIRED', '4032251') : { status: 200, body: customer('7') };
    });
    await expect(knox.getCustomer('7')).resolves.toMatchObject({ customerId: '7' });
    expect(knox.tokenRequests).toBe(2);
    const bearers = seen.filter((r) => !isToken(r)).map((r) => r.headers.authorization);
    expect(bearers).toHaveLength(2);
    expect(bearers[0]).not.toBe(bearers[1]);
  });

  it('gives up after a second 401 with an operator error, without a third attempt', async () => {
    const { knox, seen } = client((req) =>
      isToken(req) ? tokenReply() : knoxError(401, 'ACCESS_TOKEN_INVALID', '4032252'),
    );
    const error = await caught(knox.getCustomer('7'));
    expect(error).toMatchObject({
      code: 'ACCESS_TOKEN_INVALID',
      errorCode: '4032252',
      httpStatus: 401,
      disposition: 'operator',
    });
    expect(seen.filter((r) => !isToken(r))).toHaveLength(2);
    expect(knox.tokenRequests).toBe(2);
  });

  it('treats a twice-refused token without Knox’s error object as an operator problem too', async () => {
    const { knox } = client((req) => (isToken(req) ? tokenReply() : { status: 401, body: '<html>denied</html>' }));
    const error = await caught(knox.getCustomer('7'));
    expect(error).toMatchObject({ code: 'ACCESS_TOKEN_INVALID', httpStatus: 401, disposition: 'operator' });
  });

  it('many calls failing on the same stale token share one refresh', async () => {
    let current = '';
    const { knox } = client((req) => {
      if (isToken(req)) {
        const reply = tokenReply();
        current = (reply as { body: { access_token: string } }).body.access_token;
        return reply;
      }
      return req.headers.authorization === `Bearer ${current}`
        ? { status: 200, body: customer('1') }
        : knoxError(401, 'ACCESS_TOKEN_EXPIRED', '4032251');
    });
    await knox.getCustomer('1');
    current = 'revoked'; // Knox forgets every token it issued
    await Promise.all(Array.from({ length: 10 }, () => knox.getCustomer('1')));
    expect(knox.tokenRequests).toBe(2);
  });

  it('turns invalid_client into INVALID_CLIENT without quoting the secret', async () => {
    const { knox } = client(() => ({
      status: 401,
      body: { error: 'invalid_client', error_description: `bad secret ${SECRET}` },
    }));
    const error = await caught(knox.getCustomer('1'));
    expect(error).toMatchObject({ code: 'INVALID_CLIENT', httpStatus: 401, disposition: 'operator' });
    expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
    expect(error.message).not.toContain(SECRET);
  });

  it('keeps Knox’s own disposition when the token endpoint itself fails', async () => {
    const { knox } = client(() => knoxError(500, 'FAILURE', '5000000'));
    expect(await caught(knox.getCustomer('1'))).toMatchObject({ code: 'FAILURE', disposition: 'retry' });
    const { knox: html } = client(() => ({ status: 502, body: '<html>bad gateway</html>' }));
    expect(await caught(html.getCustomer('1'))).toMatchObject({ code: 'UNEXPECTED_RESPONSE', disposition: 'retry' });
    const { knox: odd } = client(() => ({ status: 200, body: { token: 'nope' } }));
    expect(await caught(odd.getCustomer('1'))).toMatchObject({ code: 'UNEXPECTED_RESPONSE', disposition: 'retry' });
  });

  it('turns a failing credentials source into an operator error that does not quote it', async () => {
    const { fetchImpl, seen } = scriptedFetch(() => tokenReply());
    const knox = createKnoxClient({
      baseUrl: 'http://knox.test',
      fetch: fetchImpl,
      credentials: async () => {
        throw new Error(`secret ${SECRET} is malformed`);
      },
    });
    const error = await caught(knox.getCustomer('1'));
    expect(error).toMatchObject({ code: 'INVALID_CLIENT', disposition: 'operator' });
    expect(error.message).not.toContain(SECRET);
    expect(seen).toHaveLength(0);
  });

  it('refuses credentials with an empty field before asking Knox', async () => {
    const { fetchImpl, seen } = scriptedFetch(() => tokenReply());
    const knox = createKnoxClient({
      baseUrl: 'http://knox.test',
      fetch: fetchImpl,
      credentials: async () => ({ clientId: 'c', clientSecret: '' }),
    });
    expect(await caught(knox.getCustomer('1'))).toMatchObject({ code: 'INVALID_CLIENT', disposition: 'operator' });
    expect(seen).toHaveLength(0);
  });
});

describe('transport failures', () => {
  it('turns a fetch TypeError into CONNECTION_FAILED naming the method and path only', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const { knox } = client((req) => (isToken(req) ? tokenReply() : refused));
    const error = await caught(knox.listCustomers({ pageNum: 3 }));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', disposition: 'retry' });
    expect(error.message).toContain('GET /msp/v1/managedCustomers');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('pageNum');
    expect(error.message).not.toContain('tok-');
  });

  it('turns anything else a replacement fetch throws into CONNECTION_FAILED', async () => {
    const { knox } = client((req) => (isToken(req) ? tokenReply() : new RangeError('weird')));
    expect(await caught(knox.getCustomer('1'))).toMatchObject({ code: 'CONNECTION_FAILED' });
  });

  it('turns a request that outlives timeoutMs into REQUEST_TIMEOUT', async () => {
    const { knox } = client((req) => (isToken(req) ? tokenReply() : 'hang'), { timeoutMs: 20 });
    const error = await caught(knox.delinkCustomer({ customerId: '5' }));
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', disposition: 'retry' });
    expect(error.message).toContain('POST /msp/v1/managedCustomers/delink');
  });

  it('times out the token request too', async () => {
    const { knox } = client(() => 'hang', { timeoutMs: 20 });
    expect(await caught(knox.getCustomer('1'))).toMatchObject({ code: 'REQUEST_TIMEOUT' });
  });

  it('does not retry a 5xx or a 429 itself', async () => {
    let calls = 0;
    const { knox } = client((req) => {
      if (isToken(req)) return tokenReply();
      calls += 1;
      const reply = knoxError(429, 'TOO_MANY_REQUESTS', '4290000') as { status: number; body: unknown };
      return { ...reply, headers: { 'retry-after': '7' } };
    });
    expect(await caught(knox.getCustomer('1'))).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      disposition: 'retry',
      retryAfterSeconds: 7,
    });
    expect(calls).toBe(1);
  });
});

describe('paths and bodies', () => {
  const newCustomer = newKnoxCustomer('ada@acme.example', {
    services: [{ service: 'KnoxManage', kmTenantPrefix: 'acme' }],
  });

  it('sends each call to its path, with a JSON body where it has one, under a base URL with a trailing slash', async () => {
    const { knox, seen } = client(
      (req) => {
        if (isToken(req)) return tokenReply();
        if (req.url.pathname === '/knox/msp/v1/managedCustomers' && req.method === 'GET') {
          return { status: 200, body: { totalCount: '1', customers: [customer('1')] } };
        }
        return { status: 200, body: customer('1') };
      },
      { baseUrl: 'http://knox.test/knox/' },
    );
    await knox.createCustomer(newCustomer);
    await knox.linkCustomer({
      customerId: '1',
      managementType: 'JointlyManaged',
      accessType: 'FullAccess',
      services: [{ service: 'KnoxMobileEnrollment' }],
    });
    await knox.getCustomer('1');
    await knox.listCustomers({ pageNum: 2, pageSize: 10, sortOrder: 'descending' });
    await knox.updateCustomer('1', { accessType: 'NoAccess' });
    await knox.delinkCustomer({ customerId: '1' });
    const msp = seen.filter((r) => !isToken(r));
    expect(msp.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual([
      'POST /knox/msp/v1/managedCustomers',
      'POST /knox/msp/v1/managedCustomers/link',
      'GET /knox/msp/v1/managedCustomers/1',
      'GET /knox/msp/v1/managedCustomers?pageNum=2&pageSize=10&sortOrder=descending',
      'PUT /knox/msp/v1/managedCustomers/1',
      'POST /knox/msp/v1/managedCustomers/delink',
    ]);
    expect(JSON.parse(msp[0]!.body!)).toEqual(newCustomer);
    expect(JSON.parse(msp[4]!.body!)).toEqual({ accessType: 'NoAccess' });
    expect(msp[0]!.headers['content-type']).toBe('application/json');
    expect(msp[2]!.headers['content-type']).toBeUndefined();
  });

  it('sends bodies Knox refuses as they are (no runtime validation of requests)', async () => {
    const { knox, seen } = client((req) =>
      isToken(req) ? tokenReply() : knoxError(400, 'SERVICE_NOT_VALID_SCP', '4002109'),
    );
    // The TS type refuses SamsungCarePlus; the cast stands for a caller that got around it.
    const body = { ...newCustomer, services: [{ service: 'SamsungCarePlus' }] } as unknown as NewCustomer;
    expect(await caught(knox.createCustomer(body))).toMatchObject({
      code: 'SERVICE_NOT_VALID_SCP',
      disposition: 'invalidRequest',
    });
    expect(JSON.parse(seen.at(-1)!.body!).services).toEqual([{ service: 'SamsungCarePlus' }]);
  });

  it('escapes a customer id in the path', async () => {
    const { knox, seen } = client((req) =>
      isToken(req) ? tokenReply() : knoxError(404, 'CUSTOMER_NOT_FOUND', '4042100'),
    );
    await caught(knox.getCustomer('../token'));
    expect(seen.at(-1)!.url.pathname).toBe('/msp/v1/managedCustomers/..%2Ftoken');
  });

  it('refuses a 200 whose body does not fit the customer schema', async () => {
    const { knox } = client((req) => (isToken(req) ? tokenReply() : { status: 200, body: { customerId: 'x' } }));
    expect(await caught(knox.getCustomer('1'))).toMatchObject({ code: 'UNEXPECTED_RESPONSE', httpStatus: 200 });
  });
});

describe('listAllCustomers', () => {
  const pageNumOf = (req: Seen) => req.url.searchParams.get('pageNum');
  /** The pages asked for, in order. */
  const pagesAsked = (seen: Seen[]) => seen.filter((r) => !isToken(r)).map(pageNumOf);
  const pageOf = (all: KnoxCustomer[], req: Seen, total = all.length): Reply => {
    const pageNum = Number(pageNumOf(req));
    const pageSize = Number(req.url.searchParams.get('pageSize'));
    return {
      status: 200,
      body: { totalCount: String(total), customers: all.slice((pageNum - 1) * pageSize, pageNum * pageSize) },
    };
  };
  const collect = async (it: AsyncGenerator<KnoxCustomer>) => {
    const out: string[] = [];
    for await (const c of it) out.push(c.customerId);
    return out;
  };

  it('reads every page until totalCount customers are read', async () => {
    const all = Array.from({ length: 23 }, (_, i) => customer(String(i + 1)));
    const { knox, seen } = client((req) => (isToken(req) ? tokenReply() : pageOf(all, req)));
    expect(await collect(knox.listAllCustomers(5))).toEqual(all.map((c) => c.customerId));
    expect(pagesAsked(seen)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('reads one page when there is nobody', async () => {
    const { knox, seen } = client((req) => (isToken(req) ? tokenReply() : pageOf([], req)));
    expect(await collect(knox.listAllCustomers())).toEqual([]);
    expect(seen.filter((r) => !isToken(r))).toHaveLength(1);
  });

  it('stops at an empty page even when totalCount promised more', async () => {
    const all = Array.from({ length: 4 }, (_, i) => customer(String(i + 1)));
    const { knox } = client((req) => (isToken(req) ? tokenReply() : pageOf(all, req, 1000)));
    expect(await collect(knox.listAllCustomers(3))).toHaveLength(4);
  });

  it('does not loop forever on a server that ignores pageNum', async () => {
    const { knox, seen } = client((req) =>
      isToken(req)
        ? tokenReply()
        : { status: 200, body: { totalCount: '9', customers: [customer('1'), customer('2')] } },
    );
    await collect(knox.listAllCustomers(2));
    expect(seen.filter((r) => !isToken(r)).length).toBeLessThanOrEqual(5);
  });

  it('stops after one repeated page when the server ignores pageNum and claims a huge totalCount', async () => {
    const { knox, seen } = client((req) =>
      isToken(req)
        ? tokenReply()
        : { status: 200, body: { totalCount: '999999999', customers: [customer('1'), customer('2')] } },
    );
    expect(await collect(knox.listAllCustomers(2))).toEqual(['1', '2']);
    expect(seen.filter((r) => !isToken(r))).toHaveLength(2);
  });

  it('passes a page’s error on to the reader once the page failed LIST_PAGE_ATTEMPTS times', async () => {
    const { knox, seen } = client((req) =>
      isToken(req)
        ? tokenReply()
        : pageNumOf(req) === '2'
          ? knoxError(500, 'FAILURE', '5000000')
          : pageOf([customer('1'), customer('2')], req, 4),
    );
    await expect(collect(knox.listAllCustomers(2))).rejects.toMatchObject({ code: 'FAILURE' });
    expect(seen.filter((r) => pageNumOf(r) === '2')).toHaveLength(LIST_PAGE_ATTEMPTS);
  });

  it('asks a page that failed transiently again in place, without starting the listing over', async () => {
    const all = Array.from({ length: 6 }, (_, i) => customer(String(i + 1)));
    let failures = 2;
    const { knox, seen } = client((req) => {
      if (isToken(req)) return tokenReply();
      if (pageNumOf(req) === '2' && failures-- > 0) return knoxError(500, 'FAILURE', '5000000');
      return pageOf(all, req);
    });
    expect(await collect(knox.listAllCustomers(2))).toEqual(all.map((c) => c.customerId));
    expect(pagesAsked(seen)).toEqual(['1', '2', '2', '2', '3']);
  });

  it('does not ask again a page refused for a reason no retry changes', async () => {
    const { knox, seen } = client((req) =>
      isToken(req) ? tokenReply() : knoxError(403, 'AUTHORIZATION_FAIL', '4030000'),
    );
    await expect(collect(knox.listAllCustomers(2))).rejects.toMatchObject({ code: 'AUTHORIZATION_FAIL' });
    // 4030000 may mean a dead token (KBA-1242): one repetition with a fresh token, then no page retry.
    expect(seen.filter((r) => !isToken(r))).toHaveLength(2);
    expect(seen.filter(isToken)).toHaveLength(2);
  });
});

describe('rate limiting', () => {
  it('makes every request of one client, the token request included, take a slot of one shared bucket', async () => {
    const sleeps: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms) => void sleeps.push(ms) };
    const { fetchImpl } = scriptedFetch((req) => (isToken(req) ? tokenReply() : { status: 200, body: customer('1') }));
    const knox = new HttpKnoxClient(
      { baseUrl: 'http://knox.test', credentials, fetch: fetchImpl, requestsPerSecond: 2 },
      { clock },
    );
    await Promise.all([knox.getCustomer('1'), knox.getCustomer('1'), knox.listCustomers().catch(() => undefined)]);
    await knox.delinkCustomer({ customerId: '1' }).catch(() => undefined);
    // 5 requests (1 token + 4 calls) against a burst of 2 at 2/s: three waits of 0.5, 1 and 1.5 s.
    expect(sleeps).toEqual([500, 1000, 1500]);
  });
});
