/**
 * One batch (`#/batches/{id}`): its progress (how many of its items reached a terminal status, and the counts by
 * status) and its items, each a link to its onboarding. Read from the public batch routes; from the records alone
 * (their `batchId`) when this stack has none yet.
 */
import type { BatchItem, BatchSummary, RecordsAnswer } from '../console-model';
import { CONSOLE_API_PREFIX } from '../console-model';
import { getJson } from './api-client';
import { batchItems, batchSummary, finishedCount, summaryFromGroup } from './batches';
import { h, replaceChildren } from './dom';
import { age } from './format';
import type { View } from './view';
import { openActions, reportButton } from './actions';
import { retryControls, retryLinks } from './retry-button';
import { lastErrorLine, notify, recordHref, statusBadge, tableHead } from './widgets';

const ORDER = ['SUCCEEDED', 'ABORTED', 'FAILED', 'CANCELLED', 'WAITING', 'IN_PROGRESS', 'REQUESTED'];

export function batchView(id: string): View {
  const head = h('header', { class: 'record-head' }, h('h1', {}, `batch ${id}`));
  const progress = h('section', { class: 'batch-progress', 'aria-label': 'Progress' });
  const items = h('tbody');
  const more = h('p', { class: 'more' });
  const root = h(
    'section',
    { class: 'detail batch' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← All records')),
    head,
    progress,
    h(
      'section',
      { 'aria-label': 'Items' },
      h('h2', {}, 'Items'),
      h(
        'table',
        { class: 'records batch-items' },
        // The last error takes the rest of the row (and wraps, with its hint), like the list's.
        tableHead([['Item', 60], ['Onboarding', 190], ['Customer', 120], ['Status', 120], ['Last error']]),
        items,
      ),
      more,
    ),
  );
  let lastKey = '';

  return {
    root,
    title: `batch ${id}`,
    async refresh() {
      let summary = await batchSummary(id);
      let list: { items: BatchItem[]; cursor?: string } | undefined;
      let fromRecords = false;
      if (summary) {
        list = await batchItems(id);
      } else {
        // No batch routes: what the records with this batchId say.
        const { body } = await getJson<RecordsAnswer>(`${CONSOLE_API_PREFIX}/records`);
        const group = body.batches.find((b) => b.batchId === id);
        const records = body.records.filter((r) => r.batchId === id);
        if (group) summary = summaryFromGroup(group, body.terminalStatuses);
        list = {
          items: records.map((r, i) => ({
            item: i,
            onboardingId: r.id,
            ...(r.customerId ? { customerId: r.customerId } : {}),
            status: r.status,
            ...(r.lastError ? { lastError: r.lastError } : {}),
          })),
        };
        fromRecords = true;
      }
      const key = JSON.stringify([summary, list]);
      if (key === lastKey) return;
      lastKey = key;
      if (!summary) {
        replaceChildren(head, h('h1', {}, `batch ${id}`), h('p', { class: 'empty' }, 'No such batch.'));
        replaceChildren(progress);
        items.replaceChildren();
        return;
      }
      replaceChildren(
        head,
        h('h1', {}, 'batch ', h('code', {}, summary.batchId), ' ', statusBadge(summary.status)),
        h(
          'p',
          { class: 'muted' },
          `${summary.started} of ${summary.total} started; created ${age(summary.createdAt)} ago`,
          fromRecords ? ' (from the records: this stack has no batch routes yet)' : '',
        ),
        fromRecords ? null : retryLinks(summary),
        fromRecords ? null : batchActions(summary, () => void this.refresh()),
        ...(summary.stoppedReason || summary.failedReason
          ? [h('p', { class: 'last-error' }, `${summary.status}: ${summary.stoppedReason ?? summary.failedReason}`)]
          : []),
      );
      replaceChildren(progress, ...progressOf(summary));
      const fragment = document.createDocumentFragment();
      for (const item of list?.items ?? []) fragment.appendChild(itemRow(item));
      items.replaceChildren(fragment);
      replaceChildren(more, list?.cursor ? `Showing the first ${list.items.length} items.` : null);
      root.setAttribute('data-loaded', 'true');
    },
  };
}

/** Download the report; Cancel while the batch is open; Retry failed items once it has settled. */
function batchActions(summary: BatchSummary, refresh: () => void): HTMLElement {
  const after = (message: string): void => {
    notify(message);
    refresh();
  };
  return h(
    'p',
    { class: 'actions' },
    reportButton(summary.batchId, notify),
    ' ',
    openActions('batch', summary.batchId, summary.status, after)?.firstChild ?? null,
    retryControls(summary, after),
  );
}

const TERMINAL = ['SUCCEEDED', 'ABORTED', 'FAILED', 'CANCELLED'];

function progressOf(summary: BatchSummary): Node[] {
  const done = finishedCount(summary, TERMINAL);
  const total = Math.max(summary.total, 1);
  const segments = ORDER.filter((status) => (summary.counts[status as keyof typeof summary.counts] ?? 0) > 0).map(
    (status) => {
      const n = summary.counts[status as keyof typeof summary.counts] ?? 0;
      const segment = h('span', { class: `segment status-${status.toLowerCase()}`, title: `${status}: ${n}` });
      // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
      segment.style.width = `${((n / total) * 100).toFixed(2)}%`;
      return segment;
    },
  );
  return [
    h('label', { for: `progress-${summary.batchId}` }, `${done} of ${summary.total} finished`),
    h(
      'progress',
      { id: `progress-${summary.batchId}`, max: summary.total, value: done },
      `${done} of ${summary.total}`,
    ),
    h('div', { class: 'stacked', 'aria-hidden': 'true' }, ...segments),
    h(
      'ul',
      { class: 'counts' },
      ...ORDER.map((status) =>
        h('li', {}, statusBadge(status), ` ${summary.counts[status as keyof typeof summary.counts] ?? 0}`),
      ),
    ),
  ];
}

function itemRow(item: BatchItem): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, item.item),
    h(
      'td',
      {},
      item.onboardingId ? h('a', { href: recordHref('onboarding', item.onboardingId) }, item.onboardingId) : '—',
    ),
    h('td', {}, item.customerId ?? ''),
    h('td', {}, statusBadge(item.status)),
    h('td', {}, item.lastError ? lastErrorLine(item.lastError) : null),
  );
}
