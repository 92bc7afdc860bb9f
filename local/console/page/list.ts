/**
 * The list (`#/`): every onboarding, offboarding, change and batch, newest first, with status, customer, age and
 * lastError with its hint; filters by kind and status and a search by customer id (or company name, or record id).
 */
import type { BatchSummary, ConsoleRecord, LastErrorView, RecordsAnswer } from '../console-model';
import { CONSOLE_API_PREFIX } from '../console-model';
import { getJson } from './api-client';
import { BATCH_STATUSES, batchRoutesMissing, batchSummary, summaryFromGroup } from './batches';
import { h, keepingFocus, replaceChildren } from './dom';
import { failedFirst, failedFirstOn, failedFirstToggle } from './failed-first';
import { age } from './format';
import type { View } from './view';
import { answerButtons, lastErrorLine, notify, recordHref, statusBadge, tableHead, type ListKind } from './widgets';

interface Row {
  kind: ListKind;
  id: string;
  status: string;
  open: boolean;
  customerId?: string;
  companyName?: string;
  detail?: string;
  createdAt: string;
  lastError?: LastErrorView;
  record?: ConsoleRecord;
}

/** The filters outlive the view: back from a detail, the list is filtered as it was. */
const filters = { kind: 'all', status: 'all', query: '' };

export function listView(onChange: () => void): View {
  const kind = h('select', { id: 'filter-kind', 'aria-label': 'Kind' });
  const status = h('select', { id: 'filter-status', 'aria-label': 'Status' });
  const search = h('input', {
    id: 'filter-customer',
    type: 'search',
    placeholder: 'customer id or company',
    'aria-label': 'Search by customer id',
    value: filters.query,
  });
  const count = h('span', { class: 'count', 'aria-live': 'polite' });
  const note = h('p', { class: 'note' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'records' },
    h('caption', { class: 'visually-hidden' }, 'Records, newest first'),
    tableHead([
      ['Kind', 100],
      ['Id', 190],
      ['Status', 120],
      ['Customer', 220],
      ['Age', 90],
      ['Last error'],
      ['Customer answer', 180],
    ]),
    body,
  );
  const root = h(
    'section',
    { class: 'list', 'aria-label': 'Records' },
    h(
      'div',
      { class: 'filters' },
      h('label', { for: 'filter-kind' }, 'Kind '),
      kind,
      h('label', { for: 'filter-status' }, 'Status '),
      status,
      h('label', { for: 'filter-customer' }, 'Customer '),
      search,
      failedFirstToggle(() => render()),
      count,
    ),
    note,
    table,
  );

  let data: RecordsAnswer | undefined;
  let rows: Row[] = [];
  let lastKey = '';

  const render = (): void => {
    const shown = failedFirstOn() ? failedFirst(rows.filter(matches)) : rows.filter(matches);
    count.textContent = `${shown.length} of ${rows.length}`;
    keepingFocus(body, () => {
      const fragment = document.createDocumentFragment();
      for (const row of shown) fragment.appendChild(rowElement(row, data?.simulator === true, onChange));
      if (shown.length === 0)
        fragment.appendChild(
          h(
            'tr',
            {},
            h(
              'td',
              { colspan: 7, class: 'empty' },
              rows.length === 0 ? 'No records yet: POST /onboardings to start one.' : 'No record matches the filters.',
            ),
          ),
        );
      body.replaceChildren(fragment);
    });
  };
  const listen = (el: HTMLSelectElement | HTMLInputElement, key: 'kind' | 'status' | 'query'): void => {
    el.addEventListener('input', () => {
      filters[key] = el.value;
      render();
    });
  };
  // The whole row opens the record with a mouse (one listener for every row); the id's link is the keyboard's way in.
  body.addEventListener('click', (event) => {
    const target = event.target as Element;
    if (target.closest('a, button')) return;
    const href = target.closest('tr')?.querySelector('td.id a')?.getAttribute('href');
    if (href) location.hash = href.slice(1);
  });
  listen(kind, 'kind');
  listen(status, 'status');
  listen(search, 'query');

  const fillSelects = (answer: RecordsAnswer): void => {
    if (kind.options.length > 0) return;
    for (const value of ['all', ...answer.kinds, 'batch'])
      kind.appendChild(h('option', { value }, value === 'all' ? 'all kinds' : value));
    status.appendChild(h('option', { value: 'all' }, 'all statuses'));
    status.appendChild(h('option', { value: 'open' }, 'open'));
    status.appendChild(
      h('optgroup', { label: 'Records' }, ...answer.statuses.map((s) => h('option', { value: s }, s))),
    );
    status.appendChild(h('optgroup', { label: 'Batches' }, ...BATCH_STATUSES.map((s) => h('option', { value: s }, s))));
    kind.value = filters.kind;
    status.value = filters.status;
  };

  return {
    root,
    title: 'Records',
    async refresh() {
      const { body: answer, text } = await getJson<RecordsAnswer>(`${CONSOLE_API_PREFIX}/records`);
      const summaries = await Promise.all(
        answer.batches.map(
          async (g) => (await batchSummary(g.batchId)) ?? summaryFromGroup(g, answer.terminalStatuses),
        ),
      );
      const key = text + JSON.stringify(summaries);
      fillSelects(answer);
      if (key === lastKey) return this.tick?.();
      lastKey = key;
      data = answer;
      rows = [...answer.records.map(recordRow), ...summaries.map((s) => batchRow(s, answer.terminalStatuses))].sort(
        (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
      );
      replaceChildren(
        note,
        answer.truncated ? 'Only the newest records of each kind and status are listed. ' : null,
        answer.batches.length > 0 && batchRoutesMissing()
          ? 'Batch counts come from the records: this stack has no batch routes yet.'
          : null,
      );
      render();
    },
    tick() {
      const now = Date.now();
      for (const cell of body.querySelectorAll<HTMLElement>('td.age'))
        cell.textContent = age(cell.dataset['at'] ?? '', now);
    },
  };
}

function matches(row: Row): boolean {
  if (filters.kind !== 'all' && row.kind !== filters.kind) return false;
  if (filters.status === 'open' && !row.open) return false;
  if (filters.status !== 'all' && filters.status !== 'open' && row.status !== filters.status) return false;
  const query = filters.query.trim().toLowerCase();
  if (query === '') return true;
  return [row.customerId, row.companyName, row.id].some((v) => v?.toLowerCase().includes(query));
}

function recordRow(r: ConsoleRecord): Row {
  return {
    kind: r.kind,
    id: r.id,
    status: r.status,
    open: ['REQUESTED', 'IN_PROGRESS', 'WAITING'].includes(r.status),
    ...(r.customerId !== undefined ? { customerId: r.customerId } : {}),
    ...(r.companyName !== undefined ? { companyName: r.companyName } : {}),
    createdAt: r.createdAt,
    ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
    record: r,
  };
}

function batchRow(s: BatchSummary, terminal: readonly string[]): Row {
  const notSucceeded = Object.entries(s.counts)
    .filter(([status]) => terminal.includes(status) && status !== 'SUCCEEDED')
    .reduce((n, [, c]) => n + (c ?? 0), 0);
  return {
    kind: 'batch',
    id: s.batchId,
    status: s.status,
    open: s.status === 'STARTING' || s.status === 'RUNNING',
    detail: `${s.total} items${notSucceeded > 0 ? `, ${notSucceeded} not succeeded` : ''}`,
    createdAt: s.createdAt,
  };
}

function rowElement(row: Row, simulator: boolean, onChange: () => void): HTMLTableRowElement {
  const href = recordHref(row.kind, row.id);
  const tr = h(
    'tr',
    { 'data-id': row.id, 'data-kind': row.kind, class: `kind-${row.kind}` },
    h('td', { class: 'kind' }, row.kind),
    h('td', { class: 'id' }, h('a', { href, 'data-focus': `row:${row.id}` }, row.id)),
    h('td', {}, statusBadge(row.status)),
    h(
      'td',
      { class: 'customer' },
      row.customerId !== undefined ? h('span', { class: 'customer-id' }, row.customerId) : null,
      row.companyName !== undefined ? h('span', { class: 'company' }, row.companyName) : null,
      row.detail !== undefined ? h('span', { class: 'company' }, row.detail) : null,
    ),
    h('td', { class: 'age', 'data-at': row.createdAt, title: row.createdAt }, age(row.createdAt)),
    h('td', {}, row.lastError ? lastErrorLine(row.lastError) : null),
    h(
      'td',
      {},
      simulator && row.record
        ? answerButtons(row.record, (message) => {
            notify(message);
            onChange();
          })
        : null,
    ),
  );
  return tr;
}
