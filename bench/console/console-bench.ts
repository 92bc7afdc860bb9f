/**
 * The local console's figures, in headless Chromium against a local stack holding 1,000 records and one
 * execution of 300 events (console-seed.ts):
 *   - the list of 1,000 records rendered, from navigation start (HTML, script, the records' JSON, the table);
 *   - the detail of the 300-event execution rendered, from navigation start (graph laid out, history, events);
 *   - the page's assets (HTML, script, style sheet; dagre lays the graph out on the server).
 * Each time is the page's own `console-rendered` mark (performance.now() at its first render), median of RUNS fresh
 * loads; each row is the figure over its target.
 */
import { rmSync } from 'node:fs';
import { launchChromium } from '#local/console/chromium';
import { CONSOLE_API_PREFIX, CONSOLE_ASSET_PREFIX } from '#local/console/console-model';
import { startLocalStack } from '#local/stack/local-stack';
import { tempDataDir } from '#testkit/test-stack';
import { SEEDED_EXECUTION_EVENTS, SEEDED_RECORD_ID, seedRecords, writeSeededExecution } from './console-seed';
import { figure, type Figure } from '../kit/figures';
import { median, round } from '../kit/stats';

export const CONSOLE_TARGETS = { listMs: 1000, detailMs: 500, assetsKb: 300 } as const;
const RECORDS = 1000;
const RUNS = 5;

export interface ConsoleMeasurement {
  figures: Figure[];
  raw: { listMs: number[]; detailMs: number[]; recordsJsonMs: number[]; assetBytes: Record<string, number> };
}

export async function measureConsole(options: { log: (line: string) => void }): Promise<ConsoleMeasurement> {
  const dataDir = tempDataDir('knox-bench-console-');
  writeSeededExecution(dataDir);
  const stack = await startLocalStack({ port: 0, dataDir, quiet: true });
  const browser = await launchChromium();
  try {
    await seedRecords(stack.ports.dynamo, stack.model.table.name, RECORDS);
    options.log(`console: ${RECORDS} records and a ${SEEDED_EXECUTION_EVENTS}-event execution seeded`);

    const assetBytes: Record<string, number> = {};
    for (const path of ['/', `${CONSOLE_ASSET_PREFIX}/app.js`, `${CONSOLE_ASSET_PREFIX}/style.css`]) {
      assetBytes[path] = (await (await fetch(`${stack.apiUrl}${path}`)).arrayBuffer()).byteLength;
    }
    const recordsJsonMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const answer = (await (await fetch(`${stack.apiUrl}${CONSOLE_API_PREFIX}/records`)).json()) as {
        records: unknown[];
      };
      recordsJsonMs.push(performance.now() - t0);
      if (answer.records.length !== RECORDS)
        throw new Error(`the console lists ${answer.records.length} records, not ${RECORDS}`);
    }

    const page = await browser.context.newPage();
    const renderedAt = async (url: string, ready: string): Promise<number> => {
      await page.goto('about:blank');
      await page.goto(url);
      await page.waitForSelector(ready, { timeout: 30_000 });
      return page.evaluate(() => performance.getEntriesByName('console-rendered')[0]?.startTime ?? Number.NaN);
    };
    const listMs: number[] = [];
    const detailMs: number[] = [];
    // The details first: a list page left behind keeps the server busy with its last refresh for a moment.
    for (let i = 0; i < RUNS; i++) {
      const url = `${stack.apiUrl}/#/onboardings/${SEEDED_RECORD_ID}`;
      detailMs.push(await renderedAt(url, `table.events[data-count="${SEEDED_EXECUTION_EVENTS}"]`));
    }
    for (let i = 0; i < RUNS; i++) {
      listMs.push(await renderedAt(`${stack.apiUrl}/`, `table.records tbody tr[data-id]:nth-child(${RECORDS})`));
    }
    await page.close();

    const list = median(listMs);
    const detail = median(detailMs);
    const totalKb = Object.values(assetBytes).reduce((a, b) => a + b, 0) / 1024;
    return {
      figures: [
        figure(
          'console',
          `console: list of ${RECORDS.toLocaleString('en-US')} records rendered (${Math.round(list)} ms) / ${CONSOLE_TARGETS.listMs} ms`,
          round(list / CONSOLE_TARGETS.listMs),
          '×',
          { max: 1 },
          `median of ${RUNS} fresh loads in headless Chromium: ${listMs.map(Math.round).join(', ')} ms; the records' JSON alone: ${Math.round(median(recordsJsonMs))} ms`,
        ),
        figure(
          'console',
          `console: detail of a ${SEEDED_EXECUTION_EVENTS}-event execution rendered (${Math.round(detail)} ms) / ${CONSOLE_TARGETS.detailMs} ms`,
          round(detail / CONSOLE_TARGETS.detailMs),
          '×',
          { max: 1 },
          `median of ${RUNS} fresh loads: ${detailMs.map(Math.round).join(', ')} ms`,
        ),
        figure(
          'console',
          `console: page assets (${round(totalKb, 1)} KB: HTML, script, style sheet) / ${CONSOLE_TARGETS.assetsKb} KB`,
          round(totalKb / CONSOLE_TARGETS.assetsKb),
          '×',
          { max: 1 },
          JSON.stringify(assetBytes),
        ),
        figure(
          'console',
          "console: the records' JSON (1,000 records, all kinds and statuses), median",
          round(median(recordsJsonMs), 0),
          'ms',
        ),
      ],
      raw: { listMs, detailMs, recordsJsonMs, assetBytes },
    };
  } finally {
    await browser.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
