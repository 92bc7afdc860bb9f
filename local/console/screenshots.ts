/**
 * `npm run console:screenshots`: the README's pictures of the local console, taken in headless Chromium at 1280 px
 * from a stack of its own (temporary data, TIME_SCALE 0.001, the built-in simulator answering by hand) after a few
 * real workflows: docs/console-list.png and docs/console-detail.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KnoxSimControl } from '#knox-sim/control';
import { FIXTURES } from '#knox-sim/fixtures';
import { STATES } from '#domain/state-names';
import { createRequest, linkRequest } from '#testkit/samples';
import { PROJECT_DIR } from '../template/synth';
import { startRecord, startTestStack, waitForStatus } from '#testkit/test-stack';
import { launchChromium } from './chromium';

const DOCS = join(PROJECT_DIR, 'docs');

async function main(): Promise<void> {
  const stack = await startTestStack();
  const browser = await launchChromium({ width: 1280, height: 860 });
  try {
    const control = new KnoxSimControl(stack.knoxUrl);
    const idOf = async (kind: 'onboarding' | 'offboarding' | 'change', body: unknown): Promise<string> => {
      const answer = await startRecord(stack.apiUrl, kind, body);
      const id = answer.body[`${kind}Id`];
      if (answer.status !== 202 || typeof id !== 'string') throw new Error(`POST ${kind} answered ${answer.status}`);
      return id;
    };

    // Approved after three poll rounds: the path to the end, the wait on the customer's answer.
    const approved = await idOf('onboarding', linkRequest(FIXTURES.unmanaged));
    await waitForStatus(stack.apiUrl, 'onboarding', approved, 'WAITING');
    await stack.poller?.afterRounds(3);
    await control.approveLink(FIXTURES.unmanaged);
    await waitForStatus(stack.apiUrl, 'onboarding', approved, 'SUCCEEDED');
    // Knox fails once, then says someone else manages the customer: a retry, then a Catch to Record aborted.
    await control.fault({
      match: { method: 'POST', path: '/managedCustomers/link' },
      fault: { type: 'error500' },
      count: 1,
    });
    const aborted = await idOf('onboarding', linkRequest(FIXTURES.managedByOtherMsp));
    await waitForStatus(stack.apiUrl, 'onboarding', aborted, 'ABORTED');
    await waitForStatus(
      stack.apiUrl,
      'onboarding',
      await idOf(
        'onboarding',
        createRequest('it@hostile-name.example', { customer: { companyName: '<img src=x onerror=alert(1)>' } }),
      ),
      'SUCCEEDED',
    );
    await waitForStatus(
      stack.apiUrl,
      'change',
      await idOf('change', { customerId: FIXTURES.ownedFullyManaged, managementType: 'JointlyManaged' }),
      'SUCCEEDED',
    );
    await waitForStatus(
      stack.apiUrl,
      'onboarding',
      await idOf('onboarding', linkRequest(FIXTURES.samsungApprovalPending)),
      'WAITING',
    );
    await waitForStatus(
      stack.apiUrl,
      'offboarding',
      await idOf('offboarding', { customerId: FIXTURES.ownedActive }),
      'WAITING',
    );
    const customer = await control.addCustomer({ companyName: 'Globex' });
    await waitForStatus(
      stack.apiUrl,
      'onboarding',
      await idOf('onboarding', linkRequest(customer.customerId)),
      'WAITING',
    );

    mkdirSync(DOCS, { recursive: true });
    const page = await browser.context.newPage();
    await page.goto(`${stack.apiUrl}/`);
    await page.waitForSelector('table.records tr[data-id] .answers button');
    await page.screenshot({ path: join(DOCS, 'console-list.png') });

    await page.goto(`${stack.apiUrl}/#/onboardings/${approved}`);
    const check = page.locator(`svg.graph g.node[data-state="${STATES.waitForAnswer}"]`);
    await check.waitFor();
    await check.click();
    await page.waitForSelector('.inspector .io');
    await page.setViewportSize({ width: 1280, height: 1480 });
    await page.screenshot({ path: join(DOCS, 'console-detail.png') });
    await page.goto(`${stack.apiUrl}/#/onboardings/${aborted}`);
    await page.locator(`svg.graph g.node[data-state="${STATES.linkCustomer}"]`).click();
    await page.waitForSelector('.inspector .io.error');
    await page.screenshot({ path: join(DOCS, 'console-detail-caught.png') });
    console.log(
      `wrote ${['console-list.png', 'console-detail.png', 'console-detail-caught.png'].map((f) => join('docs', f)).join(', ')}`,
    );
  } finally {
    await browser.close();
    await stack.stop();
  }
}

await main();
