/**
 * Retry failed items from the console, in a real browser (Chromium through playwright-core) against a real local
 * stack: the page sends `POST /onboarding-batches/{id}/retries` after a confirmation and opens the new batch, which
 * says "Retry of <original>" and ends DONE once Knox is set right; the original then lists it under "Retries". The
 * server's 409 (nothing to retry) is shown as it says; "include ABORTED" retries the ABORTED items; a CANCELLED
 * batch retries the item cancelled with it. A double click makes one batch, and a request whose answer was lost is
 * sent again with the same Idempotency-Key (still one batch).
 * Everything is checked through the public API. The browser's own requests are held or dropped (page.route) to force
 * the races; they still reach the real stack.
 */
import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import { api } from '#testkit/test-stack';
import { createRequest, freshEmail, linkRequest, newCustomer, useE2e, type E2e } from './support/e2e-support';
import { useBrowser } from './support/browser-support';

const { newPage } = useBrowser({ viewport: { width: 1400, height: 900 }, acceptConfirms: true });

interface Batch {
  batchId: string;
  status: string;
  total: number;
  counts: Record<string, number>;
  retryOf?: string;
  retries?: string[];
}

const SETTLED = /^(DONE|STOPPED|CANCELLED|FAILED)$/;
const RETRIES = '**/onboarding-batches/*/retries';

async function readBatch(e2e: E2e, batchId: string): Promise<Batch> {
  const answer = await api<Batch>(e2e.stack.apiUrl, 'GET', `/onboarding-batches/${batchId}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Posts a batch and waits until it has settled. */
async function settledBatch(e2e: E2e, items: unknown[]): Promise<Batch> {
  const posted = await api<{ batchId: string }>(e2e.stack.apiUrl, 'POST', '/onboarding-batches', { items });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  await expect
    .poll(async () => (await readBatch(e2e, posted.body.batchId)).status, { timeout: 60_000, interval: 100 })
    .toMatch(SETTLED);
  return readBatch(e2e, posted.body.batchId);
}

/** A batch of `n` creates that all FAILED: Knox refused our credentials (set right again afterwards). */
async function failedBatch(e2e: E2e, n: number): Promise<Batch> {
  await e2e.control.setClientAuthorized('sim-client', false);
  try {
    const batch = await settledBatch(
      e2e,
      Array.from({ length: n }, () => createRequest(freshEmail())),
    );
    expect(batch).toMatchObject({ status: 'DONE', counts: { FAILED: n } });
    return batch;
  } finally {
    await e2e.control.setClientAuthorized('sim-client', true);
  }
}

/** Opens a batch's page and waits for its Retry failed items button. */
async function openBatch(e2e: E2e, page: Page, batchId: string) {
  await page.goto(`${e2e.stack.apiUrl}/#/batches/${batchId}`);
  const button = page.locator('header.record-head button.retry');
  await button.waitFor({ timeout: 15_000 });
  return button;
}

/** The page's address after `#` (same-document navigations included). */
const hashOf = async (page: Page): Promise<string> => new URL(page.url()).hash;

/** The batch the page has moved on to (another than `from`). */
async function landedOn(page: Page, from: string): Promise<string> {
  const other = async () => {
    const hash = await hashOf(page);
    return /^#\/batches\/bat-[0-9a-f]{16}$/.test(hash) && hash !== `#/batches/${from}`;
  };
  await expect.poll(other, { timeout: 15_000 }).toBe(true);
  return (await hashOf(page)).replace('#/batches/', '');
}

/** The Idempotency-Key of every retry POST the page sends. */
function retryKeys(page: Page): string[] {
  const keys: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/retries'))
      keys.push(request.headers()['idempotency-key'] ?? '');
  });
  return keys;
}

describe('the console retries what failed', () => {
  const e2e = useE2e();

  it('Retry failed items opens the retry ("Retry of"), which ends DONE; the original lists it under "Retries"', async () => {
    const original = await failedBatch(e2e, 3);
    const { page, problems, dialogs } = await newPage();
    const keys = retryKeys(page);
    const button = await openBatch(e2e, page, original.batchId);
    await button.click();
    const retryId = await landedOn(page, original.batchId);
    expect(dialogs).toEqual([
      `confirm: Retry batch ${original.batchId}? A new batch of at most 3 items starts (FAILED or never started).`,
    ]);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const retryOf = page.locator('header.record-head .retry-links .retry-of');
    await expect.poll(() => retryOf.textContent(), { timeout: 15_000 }).toBe(`Retry of ${original.batchId}`);
    await expect
      .poll(() => page.locator('header.record-head h1 .status').textContent(), { timeout: 60_000 })
      .toBe('DONE');
    const retry = await readBatch(e2e, retryId);
    expect(retry).toMatchObject({ status: 'DONE', total: 3, retryOf: original.batchId, counts: { SUCCEEDED: 3 } });
    // Everything SUCCEEDED: nothing to retry, no button.
    expect(await page.locator('header.record-head button.retry').count()).toBe(0);

    await retryOf.locator('a').click();
    await expect.poll(() => hashOf(page)).toBe(`#/batches/${original.batchId}`);
    const retries = page.locator('header.record-head .retry-links .retries');
    await expect.poll(() => retries.textContent(), { timeout: 15_000 }).toBe(`Retries: ${retryId}`);
    expect(await retries.locator('a').getAttribute('href')).toBe(`#/batches/${retryId}`);
    expect((await readBatch(e2e, original.batchId)).retries).toEqual([retryId]);
    expect(problems).toEqual([]);
  });

  it('the server’s 409 (nothing to retry) is shown as it says; "include ABORTED" then retries the ABORTED item', async () => {
    const original = await settledBatch(e2e, [createRequest(freshEmail()), linkRequest(UNKNOWN_CUSTOMER_ID)]);
    expect(original).toMatchObject({ status: 'DONE', counts: { SUCCEEDED: 1, ABORTED: 1 } });
    const { page, problems, dialogs } = await newPage();
    const button = await openBatch(e2e, page, original.batchId);
    await button.click();
    const notice = page.locator('#notice');
    await expect
      .poll(() => notice.textContent(), { timeout: 15_000 })
      .toMatch(
        new RegExp(
          `^Could not retry batch ${original.batchId}: Nothing to retry: .*ABORTED items are retried only with \\{"include": \\["ABORTED"\\]\\}$`,
        ),
      );
    expect(await button.isEnabled()).toBe(true);
    expect(await hashOf(page)).toBe(`#/batches/${original.batchId}`);
    expect((await readBatch(e2e, original.batchId)).retries).toBeUndefined();

    await page.locator('header.record-head input.retry-aborted').check();
    await button.click();
    const retryId = await landedOn(page, original.batchId);
    expect(dialogs).toEqual([
      expect.stringMatching(new RegExp(`^confirm: Retry batch ${original.batchId}\\? No item of it is`)),
      `confirm: Retry batch ${original.batchId}? A new batch of at most 1 item starts (FAILED or never started, ABORTED).`,
    ]);
    await expect
      .poll(() => page.locator('header.record-head .retry-of').textContent(), { timeout: 15_000 })
      .toBe(`Retry of ${original.batchId}`);
    await expect.poll(async () => (await readBatch(e2e, retryId)).status, { timeout: 60_000 }).toMatch(SETTLED);
    // The unknown customer is still unknown: ABORTED again.
    expect(await readBatch(e2e, retryId)).toMatchObject({
      status: 'DONE',
      total: 1,
      retryOf: original.batchId,
      counts: { ABORTED: 1 },
    });
    expect((await readBatch(e2e, original.batchId)).retries).toEqual([retryId]);
    expect(problems).toEqual([]);
  });

  it('a CANCELLED batch retries the item cancelled with it; the confirmation says so', async () => {
    // A customer that has not answered: its link waits, and the DELETE cancels it with the batch.
    const customerId = await newCustomer(e2e);
    const posted = await api<{ batchId: string }>(e2e.stack.apiUrl, 'POST', '/onboarding-batches', {
      items: [linkRequest(customerId), createRequest(freshEmail())],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const batchId = posted.body.batchId;
    await expect
      .poll(async () => (await readBatch(e2e, batchId)).counts, { timeout: 60_000, interval: 100 })
      .toMatchObject({ WAITING: 1, SUCCEEDED: 1 });
    expect((await api(e2e.stack.apiUrl, 'DELETE', `/onboarding-batches/${batchId}`)).status).toBe(202);
    await expect.poll(async () => (await readBatch(e2e, batchId)).status, { timeout: 60_000 }).toBe('CANCELLED');
    expect((await readBatch(e2e, batchId)).counts).toMatchObject({ CANCELLED: 1, SUCCEEDED: 1 });

    await e2e.control.auto({ approveLinksAfterMs: 0 });
    try {
      const { page, problems, dialogs } = await newPage();
      const button = await openBatch(e2e, page, batchId);
      await button.click();
      const retryId = await landedOn(page, batchId);
      expect(dialogs).toEqual([
        `confirm: Retry batch ${batchId}? A new batch of at most 1 item starts (FAILED or never started, cancelled with the batch).`,
      ]);
      await expect
        .poll(() => page.locator('header.record-head h1 .status').textContent(), { timeout: 60_000 })
        .toBe('DONE');
      expect(await readBatch(e2e, retryId)).toMatchObject({
        status: 'DONE',
        total: 1,
        retryOf: batchId,
        counts: { SUCCEEDED: 1 },
      });
      expect(problems).toEqual([]);
    } finally {
      await e2e.control.auto({});
    }
  });

  it('a double click while the POST is in flight sends one request and makes one batch', async () => {
    const original = await failedBatch(e2e, 3);
    const { page, problems, dialogs } = await newPage();
    const keys = retryKeys(page);
    // The POST is held until the second click has been tried: it is in flight for as long as the test needs.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await page.route(RETRIES, async (route: Route) => {
      arrived();
      await held;
      await route.continue();
    });
    const button = await openBatch(e2e, page, original.batchId);
    await button.dblclick();
    await inFlight;
    expect(await button.isDisabled()).toBe(true);
    // A click the browser would not deliver to a disabled button, sent to its listener all the same.
    await button.dispatchEvent('click');
    expect(await button.isDisabled()).toBe(true);
    release();
    const retryId = await landedOn(page, original.batchId);
    expect(keys).toHaveLength(1);
    expect(dialogs).toHaveLength(1);
    expect((await readBatch(e2e, original.batchId)).retries).toEqual([retryId]);
    expect(await readBatch(e2e, retryId)).toMatchObject({ total: 3, retryOf: original.batchId });
    expect(problems).toEqual([]);
  });

  it('an answer lost on the way: the next click sends the same Idempotency-Key and finds the same batch', async () => {
    const original = await failedBatch(e2e, 3);
    const { page, problems } = await newPage();
    const keys = retryKeys(page);
    let first = true;
    await page.route(RETRIES, async (route: Route) => {
      if (!first) return route.continue();
      first = false;
      // The stack makes the batch; its answer never reaches the page.
      const answer = await route.fetch();
      expect(answer.status()).toBe(202);
      await route.abort('connectionreset');
    });
    const button = await openBatch(e2e, page, original.batchId);
    await button.click();
    await expect
      .poll(() => page.locator('#notice').textContent(), { timeout: 15_000 })
      .toMatch(/Click again to send the same request\.$/);
    const made = (await readBatch(e2e, original.batchId)).retries;
    expect(made).toHaveLength(1);
    expect(await button.isEnabled()).toBe(true);
    await button.click();
    const retryId = await landedOn(page, original.batchId);
    expect(retryId).toBe(made![0]);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await readBatch(e2e, original.batchId)).retries).toEqual([retryId]);
    expect(problems).toEqual([]);
  });
});
