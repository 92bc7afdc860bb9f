/**
 * Token refusals as Knox may really answer them, against the simulator over HTTP: a dead token is refused with 401
 * (4032251 / 4032252), with 403 and the same codes, or with 403 4030000 (KBA-1242); tokens die before their
 * expires_in (revoked). Each makes the client fetch exactly one new token and repeat the call; only a refusal of the
 * fresh token is an operator error (unless it died in use: accepted for another call, or replaced by another call). The token's lifetime is the answer's expires_in, and a longer one can be asked.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN_REFUSAL_STYLES } from '#knox-sim/model';
import { FIXTURES, SIM_DEFAULT_CREDENTIALS, SIM_EXTRA_CREDENTIALS } from '#knox-sim/server';
import { TOKEN_LIFETIME_FIELD } from '#domain/knox-schemas';
import type { Clock } from '#knox/clock';
import { HttpKnoxClient, mayBeTokenRefusal } from '#knox/client';
import { REFRESH_MARGIN_MS } from '#knox/token-cache';
import { DOCUMENTED_CUSTOMER, caught } from './support/knox-support';
import { movableClock, useKnoxSimulator } from './support/sim-harness';

const simClock = movableClock();
const sim = useKnoxSimulator({ simulator: { clock: simClock } });

function clientFor(
  credentials: { clientId: string; clientSecret: string } = SIM_DEFAULT_CREDENTIALS,
  extra: { clock?: Clock; tokenLifetimeMinutes?: number } = {},
) {
  const bodies: string[] = [];
  const recording: typeof fetch = (input, init) => {
    if (String(input).endsWith('/oauth2/token') && typeof init?.body === 'string') bodies.push(init.body);
    return fetch(input, init);
  };
  const knox = sim.client(
    {
      credentials: async () => credentials,
      fetch: recording,
      ...(extra.tokenLifetimeMinutes !== undefined ? { tokenLifetimeMinutes: extra.tokenLifetimeMinutes } : {}),
    },
    extra.clock ? { clock: extra.clock } : {},
  );
  return { knox, tokenBodies: bodies };
}

async function mspStatuses(): Promise<number[]> {
  return (await sim.control.requests()).filter((r) => r.path.startsWith('/msp/')).map((r) => r.status);
}

describe('a dead token is refused in any of the ways Knox may refuse it', () => {
  it.each(TOKEN_REFUSAL_STYLES)('%s: one new token, the call repeated once, and it succeeds', async (style) => {
    const { knox } = clientFor();
    await knox.getCustomer(FIXTURES.ownedActive);
    await sim.control.tokenRefusal(style);
    expect(await sim.control.revokeTokens()).toBe(1);
    await sim.control.clearRequests();

    await expect(knox.getCustomer(FIXTURES.ownedActive)).resolves.toMatchObject({ customerId: FIXTURES.ownedActive });
    expect(knox.tokenRequests).toBe(2);
    expect(await mspStatuses()).toEqual([style === 'status401' ? 401 : 403, 200]);
  });

  it.each(TOKEN_REFUSAL_STYLES)('%s on an expired token: the same single refresh', async (style) => {
    const { knox } = clientFor();
    await knox.getCustomer(FIXTURES.ownedActive);
    await sim.control.tokenRefusal(style);
    await sim.control.expireTokens();
    await expect(knox.listCustomers()).resolves.toMatchObject({ totalCount: expect.any(String) });
    expect(knox.tokenRequests).toBe(2);
  });

  it.each([
    {
      why: 'the MSP lost its rights: 403 4030000',
      client: () => clientFor(SIM_EXTRA_CREDENTIALS.unauthorized).knox,
      refused: { code: 'AUTHORIZATION_FAIL', errorCode: '4030000', httpStatus: 403 },
    },
    {
      why: 'every token expires as soon as it is issued: 401 4032251',
      client: () => {
        const expiringFetch: typeof fetch = async (input, init) => {
          const response = await fetch(input, init);
          if (String(input).endsWith('/oauth2/token')) await sim.control.expireTokens();
          return response;
        };
        return sim.client({ fetch: expiringFetch });
      },
      refused: { code: 'ACCESS_TOKEN_EXPIRED', errorCode: '4032251', httpStatus: 401 },
    },
  ])('a fresh token refused too ($why) is an operator error after exactly one refresh', async ({ client, refused }) => {
    const knox = client();
    const error = await caught(knox.getCustomer(FIXTURES.ownedActive));
    expect(error).toMatchObject({ ...refused, disposition: 'operator' });
    expect(knox.tokenRequests).toBe(2);
    expect(await mspStatuses()).toEqual([refused.httpStatus, refused.httpStatus]);
  });

  it('a tokenRevoked fault kills the token in use (not one just issued): one refresh, and the call goes through', async () => {
    const { knox } = clientFor();
    await knox.getCustomer(FIXTURES.ownedActive);
    simClock.advance(1_100); // the fault spares tokens younger than a second
    await sim.control.tokenRefusal('status403');
    await sim.control.fault({ match: { path: '/msp/' }, fault: { type: 'tokenRevoked' }, count: 2 });
    await sim.control.clearRequests();
    await expect(knox.getCustomer(FIXTURES.ownedActive)).resolves.toBeDefined();
    expect(knox.tokenRequests).toBe(2);
    expect(await mspStatuses()).toEqual([403, 200]);
  });

  it('a fresh token refused with 403 4032252 is an operator error carrying Knox’s own code and status', async () => {
    let tokens = 0;
    const scripted: typeof fetch = async (input) => {
      if (String(input).endsWith('/oauth2/token')) {
        tokens += 1;
        return new Response(JSON.stringify({ access_token: `t${tokens}`, token_type: 'Bearer', expires_in: 599 }), {
          status: 200,
        });
      }
      return new Response(JSON.stringify({ code: 'ACCESS_TOKEN_INVALID', errorCode: '4032252', errorMessage: 'x' }), {
        status: 403,
      });
    };
    const knox = new HttpKnoxClient({
      baseUrl: 'http://knox.test',
      credentials: async () => SIM_DEFAULT_CREDENTIALS,
      fetch: scripted,
    });
    const error = await knox.getCustomer('1').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ACCESS_TOKEN_INVALID',
      errorCode: '4032252',
      httpStatus: 403,
      disposition: 'operator',
    });
    expect(tokens).toBe(2);
  });

  it.each([
    ['accepted for another call, then revoked', 'accepted', ['t1', 't2', 't2', 't3']],
    ['refused to another call first, which replaced it', 'refused', ['t1', 't2', 't2', 't3', 't3']],
  ] as const)(
    'a fresh token %s died in use: one more token, and the call goes through',
    async (_case, other, expected) => {
      let tokens = 0;
      const uses: string[] = [];
      let held: () => void = () => undefined;
      const repeatHeld = new Promise<void>((resolve) => {
        held = resolve;
      });
      let releaseRepeat: () => void = () => undefined;
      const repeatReleased = new Promise<void>((resolve) => {
        releaseRepeat = resolve;
      });
      const refused = () =>
        new Response(JSON.stringify({ code: 'ACCESS_TOKEN_INVALID', errorCode: '4032252', errorMessage: 'x' }), {
          status: 403,
        });
      const scripted: typeof fetch = async (input, init) => {
        if (String(input).endsWith('/oauth2/token')) {
          tokens += 1;
          return new Response(JSON.stringify({ access_token: `t${tokens}`, token_type: 'Bearer', expires_in: 599 }), {
            status: 200,
          });
        }
        const token = String(new Headers(init?.headers).get('authorization')).replace('Bearer ', '');
        uses.push(token);
        if (token === 't1') return refused();
        if (token === 't2' && uses.filter((u) => u === 't2').length === 1) {
          // The first call's repetition: held while another call uses t2; Knox revokes t2 meanwhile.
          held();
          await repeatReleased;
          return refused();
        }
        if (token === 't2' && other === 'refused') return refused();
        return new Response(JSON.stringify(DOCUMENTED_CUSTOMER), { status: 200 });
      };
      const knox = new HttpKnoxClient({
        baseUrl: 'http://knox.test',
        credentials: async () => SIM_DEFAULT_CREDENTIALS,
        fetch: scripted,
      });

      const first = knox.getCustomer(DOCUMENTED_CUSTOMER.customerId);
      await repeatHeld;
      await expect(knox.getCustomer(DOCUMENTED_CUSTOMER.customerId)).resolves.toBeDefined();
      releaseRepeat();

      await expect(first).resolves.toMatchObject({ customerId: DOCUMENTED_CUSTOMER.customerId });
      expect(uses).toEqual(expected);
      expect(tokens).toBe(3);
    },
  );

  it('a 403 with any other code is not about the token: no refresh, no repetition', () => {
    const answer = (status: number, errorCode: string) => ({
      status,
      headers: new Headers(),
      bodyText: JSON.stringify({ code: 'X', errorCode, errorMessage: 'x' }),
    });
    expect(mayBeTokenRefusal(answer(403, '4032251'))).toBe(true);
    expect(mayBeTokenRefusal(answer(403, '4032252'))).toBe(true);
    expect(mayBeTokenRefusal(answer(403, '4030000'))).toBe(true);
    expect(mayBeTokenRefusal(answer(401, '9999999'))).toBe(true);
    expect(mayBeTokenRefusal({ status: 401, headers: new Headers(), bodyText: '<html>no</html>' })).toBe(true);
    expect(mayBeTokenRefusal(answer(403, '4039999'))).toBe(false);
    expect(mayBeTokenRefusal({ status: 403, headers: new Headers(), bodyText: '<html>forbidden</html>' })).toBe(false);
    expect(mayBeTokenRefusal(answer(400, '4032251'))).toBe(false);
  });
});

describe('the token lifetime is the answer’s expires_in', () => {
  it('asked for 60 minutes, Knox grants 3600 s: the token is reused until a minute before, then refreshed', async () => {
    let t = 0;
    const clock: Clock = { now: () => t, sleep: async () => undefined };
    const { knox, tokenBodies } = clientFor(SIM_DEFAULT_CREDENTIALS, { clock, tokenLifetimeMinutes: 60 });
    await knox.getCustomer(FIXTURES.ownedActive);
    expect(new URLSearchParams(tokenBodies[0]).get(TOKEN_LIFETIME_FIELD)).toBe('60');
    t = 3_600_000 - REFRESH_MARGIN_MS - 1;
    await knox.getCustomer(FIXTURES.ownedActive);
    expect(knox.tokenRequests).toBe(1);
    t = 3_600_000 - REFRESH_MARGIN_MS;
    await knox.getCustomer(FIXTURES.ownedActive);
    expect(knox.tokenRequests).toBe(2);
  });

  it('not configured, nothing is asked and Knox’s default (599 s) is honoured', async () => {
    let t = 0;
    const clock: Clock = { now: () => t, sleep: async () => undefined };
    const { knox, tokenBodies } = clientFor(SIM_DEFAULT_CREDENTIALS, { clock });
    await knox.getCustomer(FIXTURES.ownedActive);
    expect(new URLSearchParams(tokenBodies[0]).has(TOKEN_LIFETIME_FIELD)).toBe(false);
    t = 599_000 - REFRESH_MARGIN_MS;
    await knox.getCustomer(FIXTURES.ownedActive);
    expect(knox.tokenRequests).toBe(2);
  });

  it('the simulator revokes a token before its expires_in: it answers ACCESS_TOKEN_INVALID at once', async () => {
    const token = await fetch(`${sim.url}/ams/v1/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: SIM_DEFAULT_CREDENTIALS.clientId,
        client_secret: SIM_DEFAULT_CREDENTIALS.clientSecret,
        scope: 'msp',
      }).toString(),
    }).then((r) => r.json() as Promise<{ access_token: string; expires_in: number }>);
    expect(token.expires_in).toBe(599);
    await sim.control.revokeTokens();
    await sim.control.tokenRefusal('status403');
    const answer = await fetch(`${sim.url}/msp/v1/managedCustomers/${FIXTURES.ownedActive}`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ code: 'ACCESS_TOKEN_INVALID', errorCode: '4032252' });
  });
});
