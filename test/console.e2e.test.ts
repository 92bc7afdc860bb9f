/**
 * The local console in a real browser (Debian's Chromium through playwright-core) against a real local
 * stack with the built-in simulator answering by hand: the list shows a new onboarding as it appears, a record's
 * detail draws its execution on the graph (path, Choice label, Catch, retries, the inspector), Approve completes a
 * waiting onboarding, a company name made of HTML shows as text, a batch shows its progress; without the built-in
 * simulator there are no answer buttons; the page rides out a restart of the stack.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specFor } from '#domain/knox-errors';
import { STATES } from '#domain/state-names';
import { FIXTURES } from '#knox-sim/fixtures';
import { startKnoxSimulator, type RunningKnoxSimulator } from '#knox-sim/server';
import { KnoxSimControl } from '#knox-sim/control';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/world';
import { END_NODE, START_NODE } from '#local/console/console-model';
import type { LocalStack } from '#local/stack/local-stack';
import { api, startRecord, startTestStack, tempDataDir, waitForStatus } from '#testkit/test-stack';
import {
  FAULT_MATCH,
  createRequest,
  finish,
  freshEmail,
  linkRequest,
  start,
  useE2e,
  waitingOnboarding,
} from './support/e2e-support';
import { useBrowser } from './support/browser-support';

const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

const { newPage } = useBrowser();

const row = (page: Page, id: string) => page.locator(`table.records tr[data-id="${id}"]`);
const node = (page: Page, state: string) => page.locator(`svg.graph g.node[data-state="${state}"]`);

describe('the console, with the built-in simulator', () => {
  const e2e = useE2e();

  it('the list shows a new onboarding as it appears, with its status, customer and age', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/`);
    await expect.poll(() => page.locator('.connection').textContent(), { timeout: 15_000 }).toMatch(/^live/);

    const { customerId, started } = await waitingOnboarding(e2e);

    // No reload: the page refreshes by itself.
    await expect.poll(() => row(page, started.id).count(), { timeout: 15_000 }).toBe(1);
    await expect
      .poll(() => row(page, started.id).locator('.status').textContent(), { timeout: 15_000 })
      .toBe('WAITING');
    expect(await row(page, started.id).locator('.customer-id').textContent()).toBe(customerId);
    expect(await row(page, started.id).locator('td.age').textContent()).toMatch(/^\d+ (s|min)$/);
    expect(await row(page, started.id).locator('a').getAttribute('href')).toBe(`#/onboardings/${started.id}`);

    // Search by customer id, then filter by a status it does not have.
    await page.fill('#filter-customer', customerId);
    await expect.poll(() => page.locator('table.records tr[data-id]').count()).toBe(1);
    await page.selectOption('#filter-status', 'SUCCEEDED');
    await expect.poll(() => page.locator('table.records tr[data-id]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a record has its own address; its detail draws the path, the Choice label, the Catch and the retries', async () => {
    // Link a customer someone else manages, after one Knox failure: retried once, then caught to Record aborted.
    await e2e.control.fault({ match: FAULT_MATCH.link, fault: { type: 'error500' }, count: 1 });
    const started = await start(e2e, 'onboarding', linkRequest(FIXTURES.managedByOtherMsp));
    const finished = await finish(e2e, started);
    expect(finished.answer.status).toBe('ABORTED');

    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/`);
    // The list shows the lastError with its hint from the error table.
    const spec = specFor('ADD_EC_ALREADY_MANAGED');
    await expect
      .poll(() => row(page, started.id).locator('.last-error .code').textContent())
      .toBe(`${spec.code} (${spec.errorCode})`);
    expect(await row(page, started.id).locator('.last-error .hint').textContent()).toBe(`Hint: ${spec.hint}`);

    // Keyboard: focus the record's link and follow it.
    await row(page, started.id).locator('a').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/#/onboardings/${started.id}`);
    await node(page, STATES.linkCustomer).waitFor();

    expect(await node(page, STATES.linkOrCreate).getAttribute('data-outcome')).toBe('succeeded');
    expect(await node(page, STATES.linkCustomer).getAttribute('data-outcome')).toBe('caught');
    expect(await node(page, STATES.recordAborted).getAttribute('data-outcome')).toBe('succeeded');
    expect(await node(page, STATES.onboardingAborted).getAttribute('data-outcome')).toBe('succeeded');
    expect(await node(page, STATES.createCustomer).getAttribute('data-outcome')).toBe('idle');
    expect(await node(page, STATES.linkCustomer).locator('.retry-badge').textContent()).toBe('↻1');

    const taken = await page
      .locator('svg.graph g.edge.taken')
      .evaluateAll((edges) =>
        edges.map((e) => `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')} ${e.getAttribute('class')}`),
      );
    expect(taken.sort()).toEqual(
      [
        `${START_NODE} -> ${STATES.linkOrCreate} edge edge-next taken`,
        `${STATES.linkOrCreate} -> ${STATES.linkCustomer} edge edge-choice taken`,
        `${STATES.linkCustomer} -> ${STATES.recordAborted} edge edge-catch taken`,
        `${STATES.recordAborted} -> ${STATES.onboardingAborted} edge edge-next taken`,
        `${STATES.onboardingAborted} -> ${END_NODE} edge edge-next taken`,
      ].sort(),
    );
    // The Choice branch taken carries its rule; the Catch taken carries its errors.
    const choice = page.locator(`g.edge.taken[data-from="${STATES.linkOrCreate}"] text`);
    expect(await choice.textContent()).toBe('$.path == "link"');
    expect(
      await page.locator(`g.edge.taken.edge-catch[data-from="${STATES.linkCustomer}"] text`).textContent(),
    ).toContain('Knox.Abort');
    // The state names are SVG text.
    expect(await node(page, STATES.waitForAnswer).locator('text').textContent()).toBe(STATES.waitForAnswer);

    // Select the caught state with the keyboard: its last input and error.
    await node(page, STATES.linkCustomer).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.inspector h3').textContent()).toContain(STATES.linkCustomer);
    expect(await page.locator('.inspector .io').first().textContent()).toContain(started.id);
    expect(await page.locator('.inspector .io.error pre').textContent()).toContain('Knox.Abort');
    expect(await page.locator('.inspector .outcome').textContent()).toContain('retried 1×');

    // The history and the events (beside the graph at this width: console-events.e2e.test.ts).
    expect(await page.locator('ol.history li').count()).toBeGreaterThan(2);
    expect(Number(await page.locator('table.events').getAttribute('data-count'))).toBe(
      finished.execution.events.length,
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('Approve completes a waiting onboarding', async () => {
    const { customerId, started } = await waitingOnboarding(e2e);

    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/#/onboardings/${started.id}`);
    const approve = page.locator('.record-head button.approve');
    await approve.waitFor({ timeout: 15_000 });
    expect(await approve.getAttribute('aria-label')).toBe(`Approve the link request of customer ${customerId}`);
    await approve.click();

    const done = await waitForStatus(e2e.stack.apiUrl, 'onboarding', started.id, 'SUCCEEDED', { timeoutMs: 30_000 });
    expect(done['knoxStatus']).toBe('Active');
    // The page follows by itself: status, the path to the end, and the buttons gone.
    await expect
      .poll(() => page.locator('.record-head .status').first().textContent(), { timeout: 15_000 })
      .toBe('SUCCEEDED');
    await expect
      .poll(() => node(page, STATES.onboardingSucceeded).getAttribute('data-outcome'), { timeout: 15_000 })
      .toBe('succeeded');
    expect(await page.locator('.record-head button.approve').count()).toBe(0);
    expect(await page.locator('#notice').textContent()).toContain(`Customer ${customerId} accepted`);

    // Only the page itself may answer: a cross-site form post (not JSON) or another origin is refused.
    const answer = JSON.stringify({ customerId, answer: 'link', accept: true });
    const form = await api(e2e.stack.apiUrl, 'POST', '/console/api/answers', answer, { 'content-type': 'text/plain' });
    expect(form.status).toBe(403);
    const foreign = await api(e2e.stack.apiUrl, 'POST', '/console/api/answers', answer, {
      'content-type': 'application/json',
      origin: 'http://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a company name made of HTML shows as those characters, never as HTML', async () => {
    const started = await start(e2e, 'onboarding', createRequest(freshEmail(), {}, { companyName: HOSTILE_NAME }));
    await finish(e2e, started);

    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/`);
    await expect
      .poll(() => row(page, started.id).locator('.company').textContent(), { timeout: 15_000 })
      .toBe(HOSTILE_NAME);
    expect(await page.locator('img').count()).toBe(0);

    await page.goto(`${e2e.stack.apiUrl}/#/onboardings/${started.id}`);
    await expect
      .poll(() => page.locator('dl.fields dd').allTextContents(), { timeout: 15_000 })
      .toContain(HOSTILE_NAME);
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a batch shows its progress', async () => {
    const items = [createRequest(freshEmail()), createRequest(freshEmail())];
    const posted = await api<Record<string, unknown>>(e2e.stack.apiUrl, 'POST', '/onboarding-batches', { items });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const batchId = String(posted.body['batchId']);

    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/#/batches/${batchId}`);
    const progress = page.locator('.batch-progress progress');
    await progress.waitFor({ timeout: 15_000 });
    expect(await progress.getAttribute('max')).toBe(String(items.length));
    await expect.poll(() => progress.getAttribute('value'), { timeout: 30_000 }).toBe(String(items.length));
    await expect.poll(() => page.locator('table.batch-items tbody tr').count(), { timeout: 15_000 }).toBe(items.length);
    await page.goto(`${e2e.stack.apiUrl}/`);
    await expect.poll(() => row(page, batchId).locator('.status').textContent(), { timeout: 15_000 }).toBe('DONE');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('the console, talking to another Knox (KNOX_BASE_URL)', () => {
  let knox: RunningKnoxSimulator;
  let stack: LocalStack;

  beforeAll(async () => {
    knox = await startKnoxSimulator({ port: 0 });
    stack = await startTestStack({ knoxBaseUrl: knox.url, knoxCredentials: { ...SIM_DEFAULT_CREDENTIALS } });
  });
  afterAll(async () => {
    await stack?.stop();
    await knox?.stop();
  });

  it('shows no Approve or Reject button, and the answer route refuses', async () => {
    const customerId = (await new KnoxSimControl(knox.url).addCustomer({})).customerId;
    const answer = await startRecord(stack.apiUrl, 'onboarding', linkRequest(customerId));
    const id = String(answer.body['onboardingId']);
    await waitForStatus(stack.apiUrl, 'onboarding', id, 'WAITING');

    const { page, problems } = await newPage();
    await page.goto(`${stack.apiUrl}/`);
    await expect.poll(() => row(page, id).locator('.status').textContent(), { timeout: 15_000 }).toBe('WAITING');
    expect(await page.locator('button.approve, button.reject').count()).toBe(0);
    await page.goto(`${stack.apiUrl}/#/onboardings/${id}`);
    await node(page, STATES.linkCustomer).waitFor();
    expect(await page.locator('button.approve, button.reject').count()).toBe(0);

    const refused = await api(stack.apiUrl, 'POST', '/console/api/answers', {
      customerId,
      answer: 'link',
      accept: true,
    });
    expect(refused.status).toBe(404);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('the console across a restart of the stack', () => {
  it('says the stack is not answering, then goes on where it was', async () => {
    const dataDir = tempDataDir();
    let stack = await startTestStack({ dataDir });
    const ports = stack.ports;
    try {
      const posted = await startRecord(stack.apiUrl, 'onboarding', createRequest(freshEmail()));
      const id = String(posted.body['onboardingId']);
      await waitForStatus(stack.apiUrl, 'onboarding', id, 'SUCCEEDED');

      const { page, problems } = await newPage();
      await page.goto(`${stack.apiUrl}/#/onboardings/${id}`);
      await expect
        .poll(() => page.locator('.record-head .status').first().textContent(), { timeout: 15_000 })
        .toBe('SUCCEEDED');

      await stack.stop();
      await expect.poll(() => page.locator('.connection').getAttribute('class'), { timeout: 15_000 }).toContain('down');

      stack = await startTestStack({
        dataDir,
        port: ports.api,
        dynamoPort: ports.dynamo,
        sfnPort: ports.sfn,
        secretsPort: ports.secrets,
        ...(ports.knox ? { knoxPort: ports.knox } : {}),
      });
      await expect.poll(() => page.locator('.connection').getAttribute('class'), { timeout: 15_000 }).toContain('live');
      expect(page.url()).toContain(`#/onboardings/${id}`);
      expect(await page.locator('.record-head .status').first().textContent()).toBe('SUCCEEDED');
      expect(await node(page, STATES.onboardingSucceeded).getAttribute('data-outcome')).toBe('succeeded');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await stack.stop();
    }
  });
});
