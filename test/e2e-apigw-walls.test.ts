/**
 * API Gateway as strict as AWS, end to end over HTTP: the stage's throttle (429), the 10 MB payload quota (413), a
 * request event over Lambda's 6 MB once JSON-escaped (413), the integration timeout (504), and a failing or timed-out
 * function (502), each with API Gateway's own status and body. And a failure these walls made visible, fixed: a DELETE
 * of a large batch once outlived the api function's timeout (API Gateway: 502, the batch half cancelled).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_SLICE_ITEMS } from '#domain/batch-schemas';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { BatchClient, plainSend } from '#cli/batch-client';
import { INFRA_DEFAULTS } from '#infra/context-config';
import { apiGatewayModel } from '#local/apigateway/api-routes';
import { GATEWAY_ANSWERS, MAX_API_PAYLOAD_BYTES } from '#local/apigateway/gateway-walls';
import { MAX_SYNC_REQUEST_BYTES } from '#local/lambda/lambda-limits';
import { templatePath } from '#local/template/synth';
import { readTemplate } from '#local/template/template';
import { sampleItems } from '#testkit/batch-samples';
import { api, eventually } from '#testkit/test-stack';
import { startE2e, stopE2e, type E2e } from './support/e2e-support';

/** API Gateway's own answer: this status, and a JSON body of just this message. */
function expectGatewayAnswer(answer: { status: number; body: unknown }, status: number, message: string): void {
  expect({ status: answer.status, body: answer.body }).toEqual({ status, body: { message } });
}

/** Runs `body` while the api function hangs (it answers 200 only once released), then releases it and restores it. */
async function whileApiHangs(e2e: E2e, body: () => Promise<void>): Promise<void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  e2e.stack.lambda.use(OTHER_FUNCTIONS.api, async () => {
    await released;
    return { statusCode: 200, body: '{}' };
  });
  try {
    await body();
  } finally {
    release();
    e2e.stack.lambda.restore(OTHER_FUNCTIONS.api);
  }
}

/** One raw HTTP exchange: the request's head only (no body), and the status line and body of the answer. */
function headOnly(port: number, head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const [headers, body] = text.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(headers ?? '')?.[1]);
      if (body !== undefined && Buffer.byteLength(body) >= length) {
        socket.destroy();
        resolve({ status: Number(text.slice(9, 12)), body });
      }
    });
    socket.on('error', reject);
  });
}

describe('API Gateway in front of the api function', () => {
  let e2e: E2e;
  beforeAll(async () => {
    // A short integration timeout, so that a 504 costs 3 s instead of 29.
    e2e = await startE2e({ apiGateway: { integrationTimeoutMs: 3_000 } });
  });
  afterAll(async () => {
    await stopE2e(e2e);
  });
  const apiFunction = () => e2e.stack.lambda.functionOf(OTHER_FUNCTIONS.api)!;

  it('refuses a body declared over 10 MB at once, with API Gateway`s 413 (not the api`s own 413)', async () => {
    const answer = await headOnly(
      e2e.stack.ports.api,
      `POST /onboardings HTTP/1.1\r\nHost: 127.0.0.1:${e2e.stack.ports.api}\r\nContent-Type: application/json\r\nContent-Length: ${MAX_API_PAYLOAD_BYTES + 1}\r\n\r\n`,
    );
    expect(answer).toEqual({ status: 413, body: GATEWAY_ANSWERS.payloadTooLarge.body });
    expect(answer.body).toBe('HTTP content length exceeded 10485760 bytes.');
  });

  it('answers 413 {"message": "Request Too Long"} when the event is over Lambda`s 6 MB once JSON-escaped', async () => {
    // 3.2 MB of quotes: under the batch route's 4 MB, over 6,291,456 bytes once each quote is escaped in the event.
    const csv = '"'.repeat(3_200_000);
    expect(csv.length * 2).toBeGreaterThan(MAX_SYNC_REQUEST_BYTES);
    let ran = 0;
    e2e.stack.lambda.use(OTHER_FUNCTIONS.api, () => {
      ran += 1;
      return { statusCode: 400, body: '{}' };
    });
    try {
      const answer = await api(e2e.stack.apiUrl, 'POST', '/onboarding-batches', csv, { 'content-type': 'text/csv' });
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ message: 'Request Too Long' });
      expect(ran).toBe(0);
    } finally {
      e2e.stack.lambda.restore(OTHER_FUNCTIONS.api);
    }
  });

  it('answers 502 {"message": "Internal server error"} when the function throws, or outlives its timeout', async () => {
    e2e.stack.lambda.use(OTHER_FUNCTIONS.api, () => {
      throw new Error('boom');
    });
    try {
      expectGatewayAnswer(await api(e2e.stack.apiUrl, 'GET', '/onboardings/onb-1'), 502, 'Internal server error');
    } finally {
      e2e.stack.lambda.restore(OTHER_FUNCTIONS.api);
    }
    const timeout = apiFunction().timeoutSeconds;
    apiFunction().timeoutSeconds = 0.2;
    try {
      await whileApiHangs(e2e, async () => {
        expectGatewayAnswer(await api(e2e.stack.apiUrl, 'GET', '/onboardings/onb-1'), 502, 'Internal server error');
      });
    } finally {
      apiFunction().timeoutSeconds = timeout;
    }
  });

  it('answers 504 {"message": "Endpoint request timed out"} when the integration outlasts its timeout', async () => {
    expect(apiFunction().timeoutSeconds * 1000).toBeGreaterThan(3_000);
    // The function answers only after API Gateway has given up on it.
    await whileApiHangs(e2e, async () => {
      expectGatewayAnswer(await api(e2e.stack.apiUrl, 'GET', '/onboardings/onb-1'), 504, 'Endpoint request timed out');
    });
  });

  // Once a known failure: the cancel loop ran in the api function, so a large batch outlived the function's timeout
  // (1,000 items: 16.7 s measured against 15 s) and API Gateway answered 502 with the batch half cancelled. Here 30
  // items against a 2 s timeout; test/e2e-batch-cancel.test.ts cancels 1,000.
  it('cancels a whole batch with one DELETE inside a short api timeout: 202 at once, the items cancelled by the workflow', async () => {
    const client = new BatchClient(plainSend(e2e.stack.apiUrl));
    await e2e.control.auto({}); // links stay Pending: the items wait on their customers
    const items = await sampleItems(e2e.control, { links: BATCH_SLICE_ITEMS + 5, creates: 0 });
    const answer = await client.submit({ json: { items } });
    const batchId = (answer.body as { batchId: string }).batchId;
    await client.follow(batchId, { intervalMs: 50, timeoutMs: 30_000, done: (b) => b.started > 0 });
    // Before, the api function cancelled every item itself and outlived its timeout (API Gateway: 502, the batch half
    // cancelled). Now it only records the request and wakes the batch's workflow (test/e2e-batch-cancel.test.ts: 1,000).
    const timeout = apiFunction().timeoutSeconds;
    apiFunction().timeoutSeconds = 2;
    let cancelled: { status: number; body: unknown };
    try {
      cancelled = await client.cancel(batchId);
    } finally {
      apiFunction().timeoutSeconds = timeout;
    }
    expect(cancelled.status).toBe(202);
    const listed = await eventually(
      async () => {
        const all = await client.items(batchId);
        return all.every((i) => i.status === 'CANCELLED') ? all : undefined;
      },
      { what: 'every item of the batch CANCELLED' },
    );
    expect(listed.length).toBeGreaterThan(0);
  });
});

describe('the stage throttle', () => {
  it('is the template`s (the CDK context apiThrottleRate / apiThrottleBurst)', () => {
    expect(apiGatewayModel(readTemplate(templatePath())).throttle).toEqual({
      rateLimit: INFRA_DEFAULTS.apiThrottleRate,
      burstLimit: INFRA_DEFAULTS.apiThrottleBurst,
    });
  });

  it('answers 429 {"message":"Too Many Requests"} once the burst is spent, before the function runs', async () => {
    // A burst of 3 and a refill too slow to matter: the fourth request finds the bucket empty.
    const e2e = await startE2e({ apiGateway: { throttle: { rateLimit: 0.001, burstLimit: 3 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await api(e2e.stack.apiUrl, 'GET', '/onboardings/onb-1')).status);
      expect(statuses).not.toContain(429);
      let ran = 0;
      e2e.stack.lambda.use(OTHER_FUNCTIONS.api, () => {
        ran += 1;
        return { statusCode: 200, body: '{}' };
      });
      expectGatewayAnswer(await api(e2e.stack.apiUrl, 'GET', '/onboardings/onb-1'), 429, 'Too Many Requests');
      expect(ran).toBe(0);
    } finally {
      await stopE2e(e2e);
    }
  });
});
