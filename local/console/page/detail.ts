/**
 * One record (`#/onboardings/{id}`, `#/offboardings/{id}`, `#/changes/{id}`): its history, its execution drawn on the
 * state machine's graph, the selected state's last input, output and error, and the execution's events beside the
 * graph (events-table.ts; the layout, wide or narrow, is detail.css's).
 */
import type { HistoryEntry } from '../../../lib/domain/api-schemas';
import type { ExecutionView, GraphNode, RecordDetailAnswer, StateVisit } from '../console-model';
import { CONSOLE_API_PREFIX } from '../console-model';
import { HttpError, getJson } from './api-client';
import { h, keepingFocus, replaceChildren, type Child } from './dom';
import { age, clock, dateTime, prettyJson } from './format';
import { eventsTable } from './events-table';
import { drawGraph } from './graph-view';
import { redriveRow } from './redrive-button';
import type { View } from './view';
import { openActions } from './actions';
import { answerButtons, lastErrorLine, notify, recordHref, statusBadge, type ListKind } from './widgets';

export function detailView(kind: ListKind, id: string, onChange: () => void): View {
  const head = h('header', { class: 'record-head' }, h('h1', {}, `${kind} ${id}`));
  const history = h('ol', { class: 'history' });
  const graphBox = h('div', { class: 'graph-box' });
  const inspector = h('section', { class: 'inspector', 'aria-live': 'polite', 'aria-label': 'Selected state' });
  const executionTitle = h('h2', {}, 'Execution');
  let answer: RecordDetailAnswer | undefined;
  let lastText = '';
  let selected: string | undefined;
  const select = (state: string, fromTable: boolean): void => {
    selected = state;
    drawExecution(!fromTable);
  };
  const events = eventsTable((state) => select(state, true));
  const root = h(
    'section',
    { class: 'detail' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← All records')),
    head,
    // Graph and events side by side on a wide window, stacked on a narrow one (detail.css: a grid, no script).
    h(
      'div',
      { class: 'columns' },
      h('section', { class: 'history-box', 'aria-label': 'History' }, h('h2', {}, 'History'), history),
      h(
        'section',
        { class: 'execution-box', 'aria-label': 'Execution' },
        executionTitle,
        graphBox,
        legend(),
        inspector,
      ),
      events.root,
    ),
  );

  /** `reveal`: scroll the events box to the selected state's rows (a state selected on the graph). */
  const drawExecution = (reveal = false): void => {
    const execution = answer?.execution;
    if (!execution) {
      replaceChildren(graphBox, h('p', { class: 'empty' }, 'No execution yet.'));
      replaceChildren(inspector);
      return;
    }
    keepingFocus(graphBox, () => {
      replaceChildren(
        graphBox,
        drawGraph(execution.graph, {
          execution,
          ...(selected !== undefined ? { selected } : {}),
          onSelect: (state) => select(state, false),
        }),
      );
    });
    replaceChildren(inspector, ...inspect(execution, selected));
    events.highlight(selected, reveal);
  };

  return {
    root,
    title: `${kind} ${id}`,
    async refresh() {
      let fetched: { body: RecordDetailAnswer; text: string };
      try {
        fetched = await getJson<RecordDetailAnswer>(`${CONSOLE_API_PREFIX}/records/${encodeURIComponent(id)}`);
      } catch (error) {
        if (error instanceof HttpError && error.status === 404) {
          replaceChildren(head, h('h1', {}, `${kind} ${id}`), h('p', { class: 'empty' }, 'No such record.'));
          return;
        }
        throw error;
      }
      if (fetched.text === lastText) return;
      lastText = fetched.text;
      answer = fetched.body;
      const { record, execution } = answer;
      keepingFocus(head, () => replaceChildren(head, ...headOf(answer!, onChange)));
      replaceChildren(history, ...record.history.map(historyItem));
      if (execution) {
        replaceChildren(
          executionTitle,
          'Execution ',
          h('code', {}, execution.name),
          ' ',
          statusBadge(execution.status),
          ' ',
          transitionsNote(execution),
        );
        selected ??= execution.states.at(-1)?.state;
      }
      const drawn = new Set(execution?.graph.nodes.map((n) => n.id));
      events.show(execution?.events ?? [], (state) => drawn.has(state));
      drawExecution();
      root.setAttribute('data-loaded', 'true');
    },
  };
}

function headOf(answer: RecordDetailAnswer, onChange: () => void): Child[] {
  const r = answer.record;
  const fields: [string, string | Node | undefined][] = [
    ['Customer', r.customerId],
    ['Company', r.companyName],
    ['Knox status', r.knoxStatus],
    ['Batch', r.batchId !== undefined ? h('a', { href: recordHref('batch', r.batchId) }, r.batchId) : undefined],
    ['Created', `${dateTime(r.createdAt)} (${age(r.createdAt)} ago)`],
    ['Updated', dateTime(r.updatedAt)],
  ];
  const buttons = answer.simulator
    ? answerButtons(r, (message) => {
        notify(message);
        onChange();
      })
    : null;
  return [
    h('h1', {}, `${r.kind} `, h('code', {}, r.id), ' ', statusBadge(r.status)),
    h(
      'dl',
      { class: 'fields' },
      ...fields.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v!)]),
    ),
    r.lastError ? lastErrorLine(r.lastError) : null,
    openActions(r.kind, r.id, r.status, (message) => {
      notify(message);
      onChange();
    }),
    buttons ? h('p', { class: 'answer-row' }, 'The simulated customer can answer now: ', buttons) : null,
    redriveRow(r, (message) => {
      notify(message);
      onChange();
    }),
  ];
}

function historyItem(entry: HistoryEntry): HTMLLIElement {
  return h(
    'li',
    { class: `history-${entry.event}` },
    h('time', { datetime: entry.at }, clock(entry.at)),
    ' ',
    h('span', { class: 'event' }, entry.event),
    entry.status ? h('span', {}, ' ', statusBadge(entry.status)) : null,
    entry.step ? h('span', { class: 'step' }, ` ${entry.step}`) : null,
    entry.knoxStatus ? h('span', { class: 'knox-status' }, ` Knox: ${entry.knoxStatus}`) : null,
    entry.error ? lastErrorLine(entry.error) : null,
    entry.detail ? h('div', { class: 'detail-text' }, entry.detail) : null,
  );
}

/** The execution's state transitions, counted as AWS bills them. */
function transitionsNote(execution: ExecutionView): HTMLElement {
  return h(
    'span',
    {
      class: 'transitions muted',
      'data-count': String(execution.transitions),
      title: 'States entered plus retries: what a Standard workflow is billed for',
    },
    `${execution.transitions} state transitions`,
  );
}

function legend(): HTMLElement {
  const item = (cls: string, text: string) =>
    h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text);
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    item('outcome-succeeded', 'succeeded'),
    item('outcome-caught', 'caught'),
    item('outcome-failed', 'failed'),
    item('outcome-inProgress', 'in progress'),
    item('outcome-stopped', 'stopped'),
    item('edge-taken', 'path taken'),
    item('edge-catch', 'Catch'),
    item('badge', '↻ retries'),
  );
}

function inspect(execution: ExecutionView, state: string | undefined): Child[] {
  if (state === undefined) return [h('p', { class: 'empty' }, 'Select a state to see its input, output and error.')];
  const node: GraphNode | undefined = execution.graph.nodes.find((n) => n.id === state);
  const visit: StateVisit | undefined = execution.states.find((v) => v.state === state);
  const block = (title: string, text: string | undefined) =>
    text === undefined ? null : h('div', { class: 'io' }, h('h4', {}, title), h('pre', {}, prettyJson(text)));
  return [
    h('h3', {}, state, ' ', h('span', { class: 'muted' }, node ? `(${node.type})` : '')),
    visit
      ? h(
          'p',
          { class: `outcome outcome-${visit.outcome}` },
          `${visit.outcome === 'inProgress' ? 'in progress' : visit.outcome}; entered ${visit.visits}×${visit.retries > 0 ? `, retried ${visit.retries}×` : ''}`,
        )
      : h('p', { class: 'muted' }, 'Not visited by this execution.'),
    node?.retry
      ? h(
          'p',
          { class: 'muted' },
          `Retry: ${node.retry.map((r) => `${r.errorEquals.join(', ')} up to ${r.maxAttempts}×`).join('; ')}`,
        )
      : null,
    block('Last input', visit?.lastInput),
    block('Last output', visit?.lastOutput),
    visit?.lastError
      ? h(
          'div',
          { class: 'io error' },
          h('h4', {}, `Last error (${clock(visit.lastError.at)})`),
          h(
            'pre',
            {},
            `${visit.lastError.error}${visit.lastError.cause ? `\n${prettyJson(visit.lastError.cause)}` : ''}`,
          ),
        )
      : null,
  ];
}
