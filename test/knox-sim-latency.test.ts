/**
 * The simulator's Knox latency switch (knox-sim/latency.ts): which operation each Knox path is, the control route
 * (`POST /_sim/latency`: "aws", "none" or ms per operation; anything else refused), the start option, and the delay
 * applied to the operation asked for only (lower bounds: the simulator sleeps at least that long).
 */
import { describe, expect, it } from 'vitest';
import { KNOX_AWS_LATENCY, knoxOperationOf } from '#knox-sim/latency';
import { startKnoxSimulator } from '#knox-sim/server';
import { CUSTOMERS_PATH, TOKEN_PATH } from '#knox-sim/world';
import { newKnoxCustomer } from '#testkit/samples';
import { useKnoxSimulator } from './support/sim-harness';

const sim = useKnoxSimulator();

async function control(method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const answer = await fetch(`${sim.url}/_sim/latency`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: answer.status, json: await answer.json() };
}

describe('Knox latency in the simulator', () => {
  it('names the operation of each Knox path', () => {
    expect(knoxOperationOf('POST', TOKEN_PATH)).toBe('token');
    expect(knoxOperationOf('POST', CUSTOMERS_PATH)).toBe('create');
    expect(knoxOperationOf('GET', `${CUSTOMERS_PATH}?pageNum=0&pageSize=50`)).toBe('list');
    expect(knoxOperationOf('POST', `${CUSTOMERS_PATH}/link`)).toBe('link');
    expect(knoxOperationOf('POST', `${CUSTOMERS_PATH}/delink/`)).toBe('delink');
    expect(knoxOperationOf('GET', `${CUSTOMERS_PATH}/1234567890`)).toBe('get');
    expect(knoxOperationOf('PUT', `${CUSTOMERS_PATH}/1234567890`)).toBe('update');
    expect(knoxOperationOf('DELETE', `${CUSTOMERS_PATH}/1234567890`)).toBeUndefined();
    expect(knoxOperationOf('GET', '/elsewhere')).toBeUndefined();
  });

  it('is switched by the control route, and refuses what it does not know', async () => {
    expect(await control('GET')).toEqual({ status: 200, json: { latency: {} } });
    expect(await control('POST', 'aws')).toEqual({ status: 200, json: { latency: KNOX_AWS_LATENCY } });
    expect((await control('POST', { list: 250, get: 10 })).json).toEqual({ latency: { list: 250, get: 10 } });
    expect((await control('POST', { lists: 250 })).status).toBe(400);
    expect((await control('POST', { list: -1 })).status).toBe(400);
    expect((await control('POST', 'none')).json).toEqual({ latency: {} });
  });

  it('delays the operation it is set for, before the answer', async () => {
    await control('POST', { create: 300 });
    const client = sim.client();
    await sim.control.clearRequests();
    await client.createCustomer(newKnoxCustomer('latency.create@acme-latency.example'));
    await client.listCustomers({ pageNum: 1, pageSize: 5 });
    const log = await sim.control.requests();
    const create = log.find((r) => r.method === 'POST' && r.path === CUSTOMERS_PATH);
    expect(create?.durationMs).toBeGreaterThanOrEqual(300);
    await control('POST', 'none');
  });

  it('starts with Knox latency when asked (KNOX_SIM_LATENCY=aws in the standalone simulator)', async () => {
    const other = await startKnoxSimulator({ port: 0, latency: 'aws' });
    try {
      const answer = await fetch(`${other.url}/_sim/latency`);
      expect(await answer.json()).toEqual({ latency: KNOX_AWS_LATENCY });
    } finally {
      await other.stop();
    }
  });
});
