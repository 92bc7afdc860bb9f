/**
 * Debian's Chromium, driven by playwright-core, for the console's browser tests, its bench and its screenshots:
 * headless, with a fresh profile in a temporary folder (removed on close), never a downloaded browser.
 * `CHROMIUM_PATH` names another binary; `.ci/run` installs the `chromium` package when it is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh user-data-dir; the page is 1280 px wide (the width the console is made for). */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'knox-console-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
