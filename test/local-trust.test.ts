/**
 * Trust (product.md "Trust"): every local listener answers only requests addressed to it on the loopback address,
 * from no foreign browser origin. Each finding of the security review, turned into a test that now fails to get in:
 *
 * - a page served from another loopback origin (127.0.0.2), in real Chromium, tries a no-cors POST with a Blob body
 *   to the API, a scan and a write of DynamoDB, the simulator's outage switch, the console's answer route and the
 *   Step Functions API: nothing changes (table, simulator, executions), and nothing it tries to read can be read;
 * - DNS rebinding: a raw request with `Host: rebind.attacker.test:PORT` and the matching Origin, to each listener,
 *   is refused (421) before any work;
 * - the AWS CLI (no Origin, dummy credentials) still works on DynamoDB and Step Functions, and the Knox secret is
 *   refused to it: the secrets endpoint serves the local functions only.
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '#local/console/chromium';
import { listExecutions } from '#testkit/test-stack';
import { startE2e, stopE2e, tableKeys, waitingOnboarding, type E2e } from './support/e2e-scenarios';

const run = promisify(execFile);

let e2e: E2e;
let waiting: { customerId: string };
beforeAll(async () => {
  e2e = await startE2e({ pollerAutoStart: false });
  waiting = await waitingOnboarding(e2e);
});
afterAll(() => stopE2e(e2e));

/** What the listeners hold that an attacker would want to change. */
async function worldState() {
  return {
    keys: await tableKeys(e2e),
    outage: (await e2e.control.outageStatus()).active,
    customer: (await e2e.control.customer(waiting.customerId)).status,
    executions: (await listExecutions(e2e.stack.apiUrl)).length,
  };
}

interface Target {
  name: string;
  port: () => number;
  path: string;
  headers?: Record<string, string>;
  body: string;
}

const dynamoPut = JSON.stringify({ TableName: 'knox-onboarding-state', Item: { pk: { S: 'attacker' } } });
const TARGETS: Target[] = [
  {
    name: 'the HTTP API',
    port: () => e2e.stack.ports.api,
    path: '/onboardings',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: '1000000001', managementType: 'JointlyManaged', accessType: 'FullAccess' }),
  },
  {
    name: "the console's answer route",
    port: () => e2e.stack.ports.api,
    path: '/console/api/answers',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'CUSTOMER', answer: 'link', accept: true }),
  },
  {
    name: 'DynamoDB',
    port: () => e2e.stack.ports.dynamo,
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
    body: dynamoPut,
  },
  {
    name: 'Step Functions',
    port: () => e2e.stack.ports.sfn,
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListStateMachines' },
    body: '{}',
  },
  {
    name: 'Secrets Manager',
    port: () => e2e.stack.ports.secrets,
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body: JSON.stringify({ SecretId: 'knox-onboarding/knox' }),
  },
  {
    name: "the simulator's control routes",
    port: () => e2e.stack.ports.knox!,
    path: '/_sim/outage',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  },
];

function rawPost(
  port: number,
  target: Target,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; cors: string[] }> {
  return new Promise((resolve, reject) => {
    const body = target.body.replace('CUSTOMER', waiting.customerId);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: target.path,
        headers: { ...target.headers, ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            cors: Object.keys(res.headers).filter((h) => h.startsWith('access-control-')),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('DNS rebinding: a request for another host name is refused by every listener before any work', () => {
  it.each(TARGETS)('$name answers 421 to Host rebind.attacker.test:PORT with the matching Origin', async (target) => {
    const before = await worldState();
    const port = target.port();
    const answer = await rawPost(port, target, {
      host: `rebind.attacker.test:${port}`,
      origin: `http://rebind.attacker.test:${port}`,
    });
    expect(answer.status).toBe(421);
    expect(answer.cors).toEqual([]);
    expect(await worldState()).toEqual(before);
  });

  it.each(TARGETS)('$name answers 403 to its own Host with a foreign Origin, preflights included', async (target) => {
    const before = await worldState();
    const port = target.port();
    const answer = await rawPost(port, target, { host: `127.0.0.1:${port}`, origin: 'http://127.0.0.2:8080' });
    expect(answer.status).toBe(403);
    expect(answer.cors).toEqual([]);
    const preflight = await new Promise<{ status: number; cors: string[] }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'OPTIONS',
          path: target.path,
          headers: {
            origin: 'http://127.0.0.2:8080',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type,x-amz-target,authorization',
          },
        },
        (res) => {
          res.resume();
          resolve({
            status: res.statusCode ?? 0,
            cors: Object.keys(res.headers).filter((h) => h.startsWith('access-control-')),
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(preflight).toEqual({ status: 403, cors: [] });
    expect(await worldState()).toEqual(before);
  });
});

describe('a page on another loopback origin, in Chromium', () => {
  let browser: Browser;
  let attacker: Server;
  let attackerUrl: string;
  beforeAll(async () => {
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>a page the operator visits</title>');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.2', resolve));
    attackerUrl = `http://127.0.0.2:${(attacker.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
  });

  it('changes nothing and reads nothing on any listener; the same page on the console origin reads its records', async () => {
    const before = await worldState();
    const page = await browser.context.newPage();
    await page.goto(attackerUrl);
    const { ports } = e2e.stack;
    const outcomes = await page.evaluate(
      async ({ ports, customerId, dynamoPut }) => {
        const json = (value: unknown) => new Blob([JSON.stringify(value)], { type: 'application/json' });
        const attempt = async (name: string, url: string, init: RequestInit) => {
          try {
            const response = await fetch(url, init);
            // An opaque answer (no-cors) tells the page nothing; a readable one would be a leak.
            return { name, read: response.type !== 'opaque', status: response.status };
          } catch (error) {
            return { name, read: false, error: (error as Error).name };
          }
        };
        const at = (port: number, path = '/') => `http://127.0.0.1:${port}${path}`;
        const amz = (target: string, version = '1.0') => ({
          'content-type': `application/x-amz-json-${version}`,
          'x-amz-target': target,
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000',
        });
        const body = { customerId: '1000000001', managementType: 'JointlyManaged', accessType: 'FullAccess' };
        return [
          await attempt('api no-cors POST', at(ports.api, '/onboardings'), {
            method: 'POST',
            mode: 'no-cors',
            body: json(body),
          }),
          await attempt('api read', at(ports.api, '/onboardings'), {}),
          await attempt('console answer', at(ports.api, '/console/api/answers'), {
            method: 'POST',
            mode: 'no-cors',
            body: json({ customerId, answer: 'link', accept: true }),
          }),
          await attempt('console read', at(ports.api, '/console/api/records'), {}),
          await attempt('dynamodb scan', at(ports.dynamo), {
            method: 'POST',
            headers: amz('DynamoDB_20120810.Scan'),
            body: JSON.stringify({ TableName: 'knox-onboarding-state' }),
          }),
          await attempt('dynamodb put', at(ports.dynamo), {
            method: 'POST',
            headers: amz('DynamoDB_20120810.PutItem'),
            body: dynamoPut,
          }),
          await attempt('dynamodb no-cors put', at(ports.dynamo), { method: 'POST', mode: 'no-cors', body: dynamoPut }),
          await attempt('simulator outage', at(ports.knox, '/_sim/outage'), {
            method: 'POST',
            mode: 'no-cors',
            body: json({}),
          }),
          await attempt('simulator read', at(ports.knox, '/_sim/customers'), {}),
          await attempt('step functions start', at(ports.sfn), {
            method: 'POST',
            headers: amz('AWSStepFunctions.StartExecution'),
            body: JSON.stringify({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:onboarding' }),
          }),
          await attempt('step functions no-cors', at(ports.sfn), { method: 'POST', mode: 'no-cors', body: json({}) }),
          await attempt('secrets read', at(ports.secrets), {
            method: 'POST',
            headers: amz('secretsmanager.GetSecretValue', '1.1'),
            body: JSON.stringify({ SecretId: 'knox-onboarding/knox' }),
          }),
        ];
      },
      { ports: { ...ports, knox: ports.knox! }, customerId: waiting.customerId, dynamoPut },
    );
    expect(outcomes).toHaveLength(12);
    for (const outcome of outcomes) expect(outcome, outcome.name).toMatchObject({ read: false });
    // The cross-origin reads never got an answer the page could see (CORS refused: a TypeError in fetch).
    for (const name of ['api read', 'console read', 'dynamodb scan', 'dynamodb put', 'simulator read', 'secrets read'])
      expect(outcomes.find((o) => o.name === name)).toMatchObject({ error: 'TypeError' });
    expect(await worldState()).toEqual(before);
    expect(before).toMatchObject({ outage: false, customer: 'Pending' });

    // The walls are the difference: the console's own page, on its own origin, reads its records.
    const own = await browser.context.newPage();
    await own.goto(`${e2e.stack.apiUrl}/`);
    const status = await own.evaluate(async () => (await fetch('/console/api/records')).status);
    expect(status).toBe(200);
  });
});

describe('the AWS CLI, with dummy credentials and no Origin', () => {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'dummy',
    AWS_SECRET_ACCESS_KEY: 'dummy',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_PAGER: '',
  };
  const aws = (...args: string[]) => run('aws', [...args, '--output', 'json'], { env, timeout: 30_000 });

  it('scans the table through the DynamoDB proxy (127.0.0.1 and localhost)', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const { stdout } = await aws(
        'dynamodb',
        'scan',
        '--endpoint-url',
        `http://${host}:${e2e.stack.ports.dynamo}`,
        '--table-name',
        e2e.tableName,
        '--select',
        'COUNT',
      );
      expect(JSON.parse(stdout)).toMatchObject({ Count: (await tableKeys(e2e)).length });
    }
  });

  it('lists the state machines of the local Step Functions', async () => {
    const { stdout } = await aws(
      'stepfunctions',
      'list-state-machines',
      '--endpoint-url',
      `http://127.0.0.1:${e2e.stack.ports.sfn}`,
    );
    const names = (JSON.parse(stdout) as { stateMachines: { name: string }[] }).stateMachines.map((m) => m.name);
    expect(names.sort()).toEqual(e2e.stack.model.stateMachines.map((m) => m.name).sort());
  });

  it('is refused the Knox secret (AccessDeniedException), which never appears in its output', async () => {
    const failure = await aws(
      'secretsmanager',
      'get-secret-value',
      '--endpoint-url',
      `http://127.0.0.1:${e2e.stack.ports.secrets}`,
      '--secret-id',
      e2e.stack.model.secret.arn,
    ).then(
      () => undefined,
      (error: { stderr?: string; stdout?: string }) => error,
    );
    expect(failure?.stderr).toContain('AccessDeniedException');
    expect(failure?.stderr).toContain('serves the local functions only');
    expect(`${failure?.stdout}${failure?.stderr}`).not.toContain('clientSecret');
  });

  it('an unsigned request is refused as AWS refuses it (MissingAuthenticationTokenException)', async () => {
    const answer = await rawPost(e2e.stack.ports.sfn, TARGETS[3]!, { host: `127.0.0.1:${e2e.stack.ports.sfn}` });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
    });
  });
});
