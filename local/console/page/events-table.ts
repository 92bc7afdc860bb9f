/**
 * The execution's events as a table beside its graph (as the Step Functions console shows them side by side): id,
 * time, the type as Step Functions names it (a local-only event, a Catch or a restart, in parentheses), the state, and
 * the error with the start of its cause (the whole of it in the cell's title; the inspector shows it too). A row
 * whose state is on the graph selects that state (a click on the row, or its state's button from the keyboard); the
 * selected state's rows are highlighted. The table scrolls in a box of its own (detail.css).
 */
import type { ConsoleEvent } from '../console-model';
import { h, keepingFocus, replaceChildren } from './dom';
import { clock } from './format';
import { tableHead } from './widgets';

/** The error and cause shown in a row; longer text is cut here and shown whole in the cell's title. */
const SHORT_CAUSE_CHARS = 100;

export interface EventsTable {
  /** The `section.events-box` (title and scrolling table). */
  root: HTMLElement;
  /** Shows these events; `onGraph` says which states the graph draws (their rows select them). */
  show(events: readonly ConsoleEvent[], onGraph: (state: string) => boolean): void;
  /** Highlights the rows of `state`; `reveal` scrolls the box to them when none is in view. */
  highlight(state: string | undefined, reveal?: boolean): void;
}

export function eventsTable(onSelect: (state: string) => void): EventsTable {
  const title = h('h2', {}, 'Events');
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'events' },
    tableHead([['#', 44], ['Time', 108], ['Type', 156], ['State', 140], ['Error']]),
    body,
  );
  const scroller = h('div', { class: 'events-scroll' }, table);
  const root = h('section', { class: 'events-box', 'aria-label': 'Events' }, title, scroller);
  let highlighted: string | undefined;

  const rows = (): HTMLTableRowElement[] => [...body.rows];

  const highlight = (state: string | undefined, reveal = false): void => {
    highlighted = state;
    const mine: HTMLTableRowElement[] = [];
    for (const row of rows()) {
      const on = state !== undefined && row.dataset['state'] === state;
      row.classList.toggle('selected', on);
      if (on) mine.push(row);
    }
    if (reveal && mine.length > 0 && !mine.some((row) => inView(row, scroller))) {
      // The box alone scrolls (never the window): the first row of the state just under the sticky head.
      scroller.scrollTop = mine[0]!.offsetTop - (table.tHead?.offsetHeight ?? 0);
    }
  };

  return {
    root,
    show(events, onGraph) {
      replaceChildren(title, `Events (${events.length})`);
      keepingFocus(body, () => {
        const fragment = document.createDocumentFragment();
        for (const event of events) fragment.appendChild(eventRow(event, onGraph, onSelect));
        body.replaceChildren(fragment);
      });
      table.setAttribute('data-count', String(events.length));
      highlight(highlighted);
    },
    highlight,
  };
}

function eventRow(
  event: ConsoleEvent,
  onGraph: (state: string) => boolean,
  onSelect: (state: string) => void,
): HTMLTableRowElement {
  const { state } = event;
  const selectable = state !== undefined && onGraph(state);
  const full = event.error ? `${event.error}${event.cause ? `: ${event.cause}` : ''}` : '';
  const short = full.length > SHORT_CAUSE_CHARS ? `${full.slice(0, SHORT_CAUSE_CHARS)}…` : full;
  return h(
    'tr',
    {
      class: `event-${event.type}${selectable ? ' selectable' : ''}`,
      'data-event': event.id,
      ...(state !== undefined ? { 'data-state': state } : {}),
      ...(selectable ? { onclick: () => onSelect(state) } : {}),
    },
    h('td', {}, event.id),
    h('td', {}, h('time', { datetime: event.timestamp }, clock(event.timestamp))),
    // As Step Functions names it; a local-only event (a Catch, a restart) in parentheses.
    h('td', { class: 'event-type', title: `local event ${event.type}` }, event.awsType ?? `(${event.type})`),
    h(
      'td',
      { class: 'event-state' },
      selectable
        ? h(
            'button',
            {
              type: 'button',
              class: 'state-link',
              'data-focus': `event:${event.id}`,
              'aria-label': `Select ${state} on the graph`,
            },
            state,
          )
        : (state ?? ''),
    ),
    h('td', { class: 'cause', ...(short !== full ? { title: full } : {}) }, short),
  );
}

/** Whether `row` is wholly inside the scrolling box, below its sticky head. */
function inView(row: HTMLElement, box: HTMLElement): boolean {
  const head = box.querySelector('thead')?.getBoundingClientRect().height ?? 0;
  const r = row.getBoundingClientRect();
  const b = box.getBoundingClientRect();
  return r.top >= b.top + head && r.bottom <= b.bottom;
}
