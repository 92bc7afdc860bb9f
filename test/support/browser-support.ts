/**
 * The hooks of the console suites that drive a real browser (Debian's Chromium through playwright-core): one browser
 * for the file, every page closed after each test (a failed test leaves its page open, and no page may keep polling a
 * stack that stops), and fresh pages that record what would fail the test.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium, type Browser } from '#local/console/chromium';

export interface ConsolePage {
  page: Page;
  /** Script errors, and dialogs the test did not ask for (an alert would mean HTML ran). */
  problems: string[];
  /** With `acceptConfirms`: every dialog, as `type: message`. */
  dialogs: string[];
}

export interface BrowserOptions {
  viewport?: { width: number; height: number };
  /** Accept the confirmations a page asks for and record every dialog in `dialogs`, instead of in `problems`. */
  acceptConfirms?: boolean;
}

export interface ConsoleBrowser {
  newPage(): Promise<ConsolePage>;
}

export function useBrowser(options: BrowserOptions = {}): ConsoleBrowser {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(options.viewport);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await Promise.all(browser.context.pages().map((page) => page.close()));
  });
  return {
    async newPage() {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      const dialogs: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('dialog', (dialog) => {
        if (options.acceptConfirms) {
          dialogs.push(`${dialog.type()}: ${dialog.message()}`);
          void (dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss());
        } else {
          problems.push(`dialog: ${dialog.message()}`);
          void dialog.dismiss();
        }
      });
      return { page, problems, dialogs };
    },
  };
}
