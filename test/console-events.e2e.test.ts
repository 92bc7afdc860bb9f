/**
 * The execution's events beside its graph, in a real browser (Debian's Chromium through playwright-core) against a
 * real local stack: at 1400 px the events table sits right of the graph (their heights overlap, neither past the
 * window's right edge), at 800 px it sits under the graph; it has a row per event of the execution's history (the
 * stack's executions API), typed as the real AWS CLI's GetExecutionHistory types them; it scrolls in its own box on
 * a short window; a row selects its state on the graph, and a state selected on the graph highlights its rows.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { FIXTURES } from '#knox-sim/fixtures';
import { FAULT_MATCH, finish, linkRequest, start, useE2e, type Finished, type Started } from './support/e2e-support';
import { useBrowser } from './support/browser-support';
import { awsSfn } from './support/sfn-walls-support';

const { newPage } = useBrowser();
const e2e = useE2e();

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const node = (page: Page, state: string) => page.locator(`svg.graph g.node[data-state="${state}"]`);

async function boxOf(page: Page, selector: string): Promise<Box> {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not shown`);
  return box;
}

/** A link Knox fails once (a retry), then refuses as managed by another MSP (a Catch): errors, a local-only event. */
let aborted: { started: Started; finished: Finished } | undefined;
async function abortedLink(): Promise<{ started: Started; finished: Finished }> {
  if (!aborted) {
    await e2e.control.fault({ match: FAULT_MATCH.link, fault: { type: 'error500' }, count: 1 });
    const started = await start(e2e, 'onboarding', linkRequest(FIXTURES.managedByOtherMsp));
    const finished = await finish(e2e, started);
    expect(finished.answer.status).toBe('ABORTED');
    aborted = { started, finished };
  }
  return aborted;
}

/** The record's page at this size, once its events table has every event of the execution. */
async function openAt(width: number, height: number): Promise<{ page: Page; problems: string[]; finished: Finished }> {
  const { started, finished } = await abortedLink();
  const { page, problems } = await newPage();
  // Everything the table shows is text and styled from the style sheet: the page's CSP refuses nothing.
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  await page.setViewportSize({ width, height });
  await page.goto(`${e2e.stack.apiUrl}/#/onboardings/${started.id}`);
  await expect
    .poll(() => page.locator('table.events').getAttribute('data-count'), { timeout: 15_000 })
    .toBe(String(finished.execution.events.length));
  await node(page, STATES.linkCustomer).waitFor();
  return { page, problems, finished };
}

describe('the events table beside the graph', () => {
  it('at 1400 px it sits right of the graph, a row per event, typed as GetExecutionHistory types them', async () => {
    const { page, problems, finished } = await openAt(1400, 900);
    const graph = await boxOf(page, 'svg.graph');
    const table = await boxOf(page, 'table.events');
    expect(table.x).toBeGreaterThanOrEqual(graph.x + graph.width);
    // Their vertical ranges overlap.
    expect(table.y).toBeLessThan(graph.y + graph.height);
    expect(graph.y).toBeLessThan(table.y + table.height);
    // Neither runs past the window's right edge, and the page does not scroll sideways.
    expect(graph.x + graph.width).toBeLessThanOrEqual(1400);
    expect(table.x + table.width).toBeLessThanOrEqual(1400);
    expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(1400);

    // A row per event of the execution's history, in order, each with its id.
    const events = finished.execution.events;
    expect(await page.locator('table.events tbody tr').count()).toBe(events.length);
    expect(await page.locator('table.events tbody tr td:first-child').allTextContents()).toEqual(
      events.map((e) => String(e.id)),
    );
    expect(await page.locator('.events-box h2').textContent()).toBe(`Events (${events.length})`);
    // The columns: id, time, type, state, error.
    expect(await page.locator('table.events thead th').allTextContents()).toEqual([
      '#',
      'Time',
      'Type',
      'State',
      'Error',
    ]);

    // Every type shown bare is one the real AWS CLI reads in the execution's history; the rest (the Catch) are
    // local-only, in parentheses.
    const history = await awsSfn(e2e.stack.ports.sfn, [
      'get-execution-history',
      '--execution-arn',
      finished.execution.executionArn,
    ]);
    if (!history.ok) throw new Error(history.stderr);
    const awsTypes = new Set((history.json['events'] as { type: string }[]).map((e) => e.type));
    const shown = await page.locator('table.events tbody td.event-type').allTextContents();
    const local = shown.filter((t) => t.startsWith('('));
    expect(local).toEqual(['(StateCaught)']);
    const bare = shown.filter((t) => !t.startsWith('('));
    expect(bare.length).toBe(events.length - 1);
    expect(bare.filter((t) => !awsTypes.has(t))).toEqual([]);
    expect(bare).toEqual(expect.arrayContaining(['ExecutionStarted', 'TaskFailed', 'ExecutionSucceeded']));

    // The error column: the error and the start of its cause, the whole of it in the cell's title.
    const failed = page.locator('table.events tbody tr.event-StateFailed td.cause').last();
    const short = (await failed.textContent()) ?? '';
    expect(short.startsWith('Knox.Abort: ')).toBe(true);
    expect(short.length).toBeLessThanOrEqual(101);
    const whole = await failed.getAttribute('title');
    expect(short.endsWith('…') ? whole?.startsWith(short.slice(0, -1)) : whole === null).toBe(true);
    expect(problems).toEqual([]);
  });

  it('at 800 px the events table sits under the graph', async () => {
    const { page, problems } = await openAt(800, 900);
    const graph = await boxOf(page, 'svg.graph');
    const table = await boxOf(page, 'table.events');
    expect(table.y).toBeGreaterThanOrEqual(graph.y + graph.height);
    expect(table.x + table.width).toBeLessThanOrEqual(800);
    expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(800);
    expect(problems).toEqual([]);
  });

  it('on a short window the events scroll in their own box, not the page', async () => {
    const { page, problems } = await openAt(1400, 420);
    const scroller = page.locator('.events-scroll');
    const sizes = await scroller.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }));
    expect(sizes.scroll).toBeGreaterThan(sizes.client);
    const box = await scroller.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      return el.scrollTop;
    });
    const after = { box, window: await page.locator('html').evaluate((html) => html.scrollTop) };
    expect(after.box).toBeGreaterThan(0);
    expect(after.window).toBe(0);
    // The head stays at the top of the box.
    const head = await boxOf(page, 'table.events thead th >> nth=0');
    const frame = await boxOf(page, '.events-scroll');
    expect(Math.abs(head.y - frame.y)).toBeLessThan(1);
    expect(problems).toEqual([]);
  });

  it('a row selects its state on the graph; a state selected on the graph highlights its rows', async () => {
    const { page, problems, finished } = await openAt(1400, 420);
    const events = finished.execution.events;
    const rowsOf = (state: string) => events.filter((e) => e.state === state).map((e) => String(e.id));
    const highlighted = () =>
      page
        .locator('table.events tbody tr.selected')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event')));

    // A click on the Catch's row: its state is selected, with its last error in the inspector.
    await page.locator('table.events tbody tr.event-StateCaught').click();
    await expect.poll(() => node(page, STATES.linkCustomer).getAttribute('class')).toContain('selected');
    expect(await page.locator('svg.graph g.node.selected').count()).toBe(1);
    expect(await page.locator('.inspector h3').textContent()).toContain(STATES.linkCustomer);
    expect(await page.locator('.inspector .io.error pre').textContent()).toContain('Knox.Abort');
    expect(await highlighted()).toEqual(rowsOf(STATES.linkCustomer));

    // From the keyboard: a row's state button.
    const recordRow = page.locator(`table.events tbody tr[data-state="${STATES.recordAborted}"]`).first();
    await recordRow.locator('button.state-link').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => node(page, STATES.recordAborted).getAttribute('aria-pressed')).toBe('true');
    expect(await highlighted()).toEqual(rowsOf(STATES.recordAborted));

    // A row of no state (the execution's own events) selects nothing.
    expect(await page.locator('table.events tbody tr.event-ExecutionStarted button').count()).toBe(0);

    // On the graph: the first state's rows, scrolled into the events box from the bottom of the table.
    await page.locator('.events-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await node(page, STATES.linkOrCreate).click();
    await expect.poll(highlighted).toEqual(rowsOf(STATES.linkOrCreate));
    expect(rowsOf(STATES.linkOrCreate).length).toBeGreaterThan(0);
    const first = await boxOf(page, 'table.events tbody tr.selected >> nth=0');
    const box = await boxOf(page, '.events-scroll');
    expect(first.y).toBeGreaterThanOrEqual(box.y);
    expect(first.y + first.height).toBeLessThanOrEqual(box.y + box.height + 1);
    expect(problems).toEqual([]);
  });
});
