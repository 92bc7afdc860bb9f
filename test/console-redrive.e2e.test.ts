import { describe, expect, it } from 'vitest';
import { SIM_DEFAULT_CREDENTIALS } from '#knox-sim/world';
import { finish, linkRequest, newCustomer, reach, start, useE2e } from './support/e2e-support';
import { useBrowser } from './support/browser-support';

const { newPage } = useBrowser();

describe('the console redrives a FAILED record', () => {
  const e2e = useE2e({ timeScale: 0.001 });

  it('shows Redrive on a FAILED record; a click continues the workflow and the redrive count shows', async () => {
    const clientId = SIM_DEFAULT_CREDENTIALS.clientId;
    const customerId = await newCustomer(e2e);
    await e2e.control.setClientAuthorized(clientId, false);
    let started: Awaited<ReturnType<typeof start>>;
    try {
      started = await start(e2e, 'onboarding', linkRequest(customerId));
      expect((await finish(e2e, started)).answer.status).toBe('FAILED');
    } finally {
      await e2e.control.setClientAuthorized(clientId, true);
    }

    const { page, problems } = await newPage();
    await page.goto(`${e2e.stack.apiUrl}/#/onboardings/${started.id}`);
    const button = page.locator('.record-head button.redrive');
    await button.waitFor({ timeout: 15_000 });
    expect(await button.getAttribute('aria-label')).toContain(started.id);
    expect(await page.locator('.record-head .redrive-count').count()).toBe(0);

    // Keyboard, as an operator would: focus and press Enter.
    await button.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#notice').textContent(), { timeout: 15_000 }).toContain('redrive 1');
    await expect
      .poll(() => page.locator('.record-head .redrive-count').textContent(), { timeout: 15_000 })
      .toBe('Redriven 1×');
    await reach(e2e, started, 'WAITING');
    expect(await page.locator('.record-head button.redrive').count()).toBe(0);
    await expect.poll(() => page.locator('.history li.history-redriven').count(), { timeout: 15_000 }).toBe(1);

    // The customer accepts: SUCCEEDED, still counted, still no button.
    await e2e.control.approveLink(customerId);
    await reach(e2e, started, 'SUCCEEDED');
    await expect
      .poll(() => page.locator('.record-head h1 .status').textContent(), {
        timeout: 15_000,
      })
      .toContain('SUCCEEDED');
    expect(await page.locator('.record-head button.redrive').count()).toBe(0);
    expect(await page.locator('.record-head .redrive-count').textContent()).toBe('Redriven 1×');
    expect(problems).toEqual([]);
  });
});
