/**
 * The console's actions in a real browser (Chromium through playwright-core) against a real local stack: Cancel on
 * an open onboarding and on an open batch (after a confirmation) ends them CANCELLED; the batch report downloads as
 * CSV and reads back; "Failed first" orders the list FAILED, ABORTED, the rest; an execution's events are named as
 * Step Functions names them and its state-transition count is the history's; at 1400 px a batch's Last error column
 * (with its hint) stays inside the page.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import { countTransitions } from '#local/stepfunctions/transition-count';
import { api, getExecution } from '#testkit/test-stack';
import { finish, freshEmail, start, useE2e, waitingOnboarding } from './support/e2e-support';
import { createRequest, linkRequest } from './support/requests';
import { useBrowser } from './support/browser-support';

const { newPage } = useBrowser({ viewport: { width: 1400, height: 900 }, acceptConfirms: true });

/** Opens a record's page, clicks its Cancel button and waits until the page shows it CANCELLED. */
async function cancelOnPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  const cancel = page.locator('header.record-head button.cancel');
  await cancel.waitFor({ timeout: 15_000 });
  await cancel.click();
  await expect
    .poll(() => page.locator('header.record-head h1 .status').textContent(), { timeout: 20_000 })
    .toBe('CANCELLED');
}

describe('the console acts', () => {
  const e2e = useE2e();

  it('Cancel on a waiting onboarding asks first, then the onboarding ends CANCELLED', async () => {
    const { started } = await waitingOnboarding(e2e);
    const { page, problems, dialogs } = await newPage();
    await cancelOnPage(page, `${e2e.stack.apiUrl}/#/onboardings/${started.id}`);
    expect(dialogs).toEqual([expect.stringMatching(/^confirm: Cancel onboarding onb-/)]);
    expect(await page.locator('header.record-head button.cancel').count()).toBe(0);
    const answer = await api<{ status: string }>(e2e.stack.apiUrl, 'GET', `/onboardings/${started.id}`);
    expect(answer.body.status).toBe('CANCELLED');
    expect(problems).toEqual([]);
  });

  it('Cancel on a running batch ends it CANCELLED; its report downloads as CSV, one row per item', async () => {
    const waiting = await waitingOnboarding(e2e); // a customer that has not answered: the batch stays open
    await e2e.control.auto({});
    const items = [linkRequest(waiting.customerId), createRequest(freshEmail())];
    const posted = await api<{ batchId: string }>(e2e.stack.apiUrl, 'POST', '/onboarding-batches', { items });
    expect(posted.status).toBe(202);
    const batchId = posted.body.batchId;
    const { page, problems, dialogs } = await newPage();
    await cancelOnPage(page, `${e2e.stack.apiUrl}/#/batches/${batchId}`);
    expect(dialogs).toEqual([`confirm: Cancel batch ${batchId}? Open work stops and the batch ends CANCELLED.`]);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('header.record-head button.report').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${batchId}.report.csv`);
    const rows = parse(readFileSync((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.item)).toEqual(['0', '1']);
    expect(rows[0]!.customer).toBe(waiting.customerId);
    expect(rows.every((r) => /^onb-[0-9a-f]{16}$/.test(r['onboarding id']!))).toBe(true);
    const report = await api<{ items: { status: string }[] }>(
      e2e.stack.apiUrl,
      'GET',
      `/onboarding-batches/${batchId}/report`,
    );
    expect(rows.map((r) => r.status)).toEqual(report.body.items.map((i) => i.status));
    expect(problems).toEqual([]);
    await e2e.control.auto({ approveLinksAfterMs: 0 });
  });

  it('"Failed first" lists FAILED, then ABORTED, then the rest, newest first within each', async () => {
    // Oldest to newest: FAILED, ABORTED, SUCCEEDED (newest first would list them the other way round).
    await e2e.control.setClientAuthorized('sim-client', false);
    try {
      const failed = await start(e2e, 'onboarding', createRequest(freshEmail()));
      expect((await finish(e2e, failed)).answer.status).toBe('FAILED');
    } finally {
      await e2e.control.setClientAuthorized('sim-client', true);
    }
    const aborted = await start(e2e, 'onboarding', linkRequest(UNKNOWN_CUSTOMER_ID));
    expect((await finish(e2e, aborted)).answer.status).toBe('ABORTED');
    const succeeded = await start(e2e, 'onboarding', createRequest(freshEmail()));
    expect((await finish(e2e, succeeded)).answer.status).toBe('SUCCEEDED');
    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/`);
    const read = async () =>
      page.locator('table.records tbody tr').evaluateAll((trs) =>
        trs.map((tr) => ({
          status: tr.querySelector('.status')?.textContent ?? '',
          at: tr.querySelector('td.age')?.getAttribute('data-at') ?? '',
        })),
      );
    await expect
      .poll(() => page.locator(`table.records tr[data-id="${succeeded.id}"]`).count(), { timeout: 15_000 })
      .toBe(1);
    expect((await read())[0]!.status).toBe('SUCCEEDED');
    await page.check('#filter-failed-first');
    const rows = await read();
    const rank = (s: string) => (s === 'FAILED' ? 0 : s === 'ABORTED' ? 1 : 2);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows[0]!.status).toBe('FAILED');
    expect(rows.map((r) => r.status)).toContain('ABORTED');
    for (let i = 1; i < rows.length; i++) {
      const [a, b] = [rows[i - 1]!, rows[i]!];
      expect(rank(a.status) < rank(b.status) || (rank(a.status) === rank(b.status) && a.at >= b.at)).toBe(true);
    }
    // Off again: newest first, whatever the status.
    await page.uncheck('#filter-failed-first');
    const plain = await read();
    expect(plain.map((r) => r.at)).toEqual([...plain.map((r) => r.at)].sort().reverse());
    expect(problems).toEqual([]);
  });

  it('the events table names events as Step Functions does; the transition count is the history’s', async () => {
    const started = await start(e2e, 'onboarding', createRequest(freshEmail()));
    const finished = await finish(e2e, started);
    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/#/onboardings/${started.id}`);
    const table = page.locator('table.events');
    await expect
      .poll(() => table.getAttribute('data-count'), { timeout: 15_000 })
      .toBe(String(finished.execution.events.length));
    const types = await table.locator('tbody td.event-type').allTextContents();
    expect(types).toHaveLength(finished.execution.events.length);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('TaskStateEntered');
    expect(types).toContain('TaskStateExited');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    const detail = await getExecution(e2e.stack.apiUrl, started.executionName);
    const expected = countTransitions(detail!.events).transitions;
    expect(expected).toBeGreaterThan(1);
    expect(await page.locator('.transitions').getAttribute('data-count')).toBe(String(expected));
    expect(await page.locator('.transitions').textContent()).toBe(`${expected} state transitions`);
    expect(problems).toEqual([]);
  });

  it('at 1400 px a batch’s Last error column, with its hint, stays inside the page', async () => {
    await e2e.control.setClientAuthorized('sim-client', false);
    let batchId: string;
    try {
      const items = [createRequest(freshEmail()), linkRequest(UNKNOWN_CUSTOMER_ID)];
      const posted = await api<{ batchId: string }>(e2e.stack.apiUrl, 'POST', '/onboarding-batches', { items });
      expect(posted.status).toBe(202);
      batchId = posted.body.batchId;
      const { page, problems } = await newPage();
      await page.goto(`${e2e.stack.apiUrl}/#/batches/${batchId}`);
      const hint = page.locator('table.batch-items tbody tr .last-error .hint');
      await expect.poll(() => hint.count(), { timeout: 30_000 }).toBeGreaterThan(0);
      const width = page.viewportSize()!.width;
      expect(width).toBe(1400);
      const table = (await page.locator('table.batch-items').boundingBox())!;
      expect(table.x + table.width).toBeLessThanOrEqual(width);
      for (const cell of await page.locator('table.batch-items tbody tr td:last-child').all()) {
        const box = (await cell.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(table.x + table.width + 1);
        const inner = await cell.evaluate((td) => ({ scroll: td.scrollWidth, client: td.clientWidth }));
        expect(inner.scroll).toBeLessThanOrEqual(inner.client);
      }
      expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(width);
      expect((await hint.first().textContent())!.startsWith('Hint: ')).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await e2e.control.setClientAuthorized('sim-client', true);
    }
  });
});
