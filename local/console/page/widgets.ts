/** Pieces several views show: status badges, links to records, a lastError with its hint, the answer buttons. */
import type { RecordKind } from '../../../lib/domain/api-schemas';
import type { ConsoleRecord, LastErrorView } from '../console-model';
import { CONSOLE_API_PREFIX } from '../console-model';
import { postJson } from './api-client';
import { h } from './dom';

export type ListKind = RecordKind | 'batch';

/** The address segment of each kind: `#/onboardings/{id}`, `#/offboardings/{id}`, `#/changes/{id}`, `#/batches/{id}`. */
export const KIND_SEGMENTS: Record<ListKind, string> = {
  onboarding: 'onboardings',
  offboarding: 'offboardings',
  change: 'changes',
  batch: 'batches',
};

export function recordHref(kind: ListKind, id: string): string {
  return `#/${KIND_SEGMENTS[kind]}/${encodeURIComponent(id)}`;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status.toLowerCase().replace(/[^a-z_]/g, '')}` }, status);
}

export function lastErrorLine(error: LastErrorView): HTMLElement {
  return h(
    'div',
    { class: `last-error disposition-${error.disposition}` },
    h('span', { class: 'code' }, `${error.code} (${error.errorCode})`),
    ' ',
    h('span', { class: 'message' }, error.message),
    error.hint ? h('div', { class: 'hint' }, `Hint: ${error.hint}`) : null,
  );
}

/** A column heading, with its width (px) where the fixed layout must not share the row out evenly. */
export type Column = readonly [label: string, width?: number];

/** A table's head: a heading per column, each width set through the CSSOM (the CSP refuses style attributes). */
export function tableHead(columns: readonly Column[]): HTMLElement {
  const headings = columns.map(([label, width]) => {
    const th = h('th', { scope: 'col' }, label);
    if (width !== undefined) th.style.width = `${width}px`;
    return th;
  });
  return h('thead', {}, h('tr', {}, ...headings));
}

/** Approve and Reject for a customer of the built-in simulator that has a request of ours to answer. */
export function answerButtons(record: ConsoleRecord, after: (message: string) => void): HTMLElement | null {
  const answer = record.pendingAnswer;
  const customerId = record.customerId;
  if (answer === undefined || customerId === undefined) return null;
  const what = answer === 'link' ? 'link' : 'delink';
  const send = async (accept: boolean, button: HTMLButtonElement): Promise<void> => {
    button.disabled = true;
    try {
      await postJson(`${CONSOLE_API_PREFIX}/answers`, { customerId, answer, accept });
      after(`Customer ${customerId} ${accept ? 'accepted' : 'refused'} the ${what} request.`);
    } catch (error) {
      button.disabled = false;
      after(`The simulator did not take the answer: ${(error as Error).message}`);
    }
  };
  const button = (accept: boolean, label: 'Approve' | 'Reject'): HTMLButtonElement =>
    h(
      'button',
      {
        type: 'button',
        class: label.toLowerCase(),
        'data-focus': `${label.toLowerCase()}:${record.id}`,
        'aria-label': `${label} the ${what} request of customer ${customerId}`,
        onclick: (e: Event) => void send(accept, e.currentTarget as HTMLButtonElement),
      },
      label,
    );
  return h(
    'span',
    { class: 'answers', title: `The simulated customer answers our ${what} request` },
    button(true, 'Approve'),
    ' ',
    button(false, 'Reject'),
  );
}

/** A short note at the top of the page (answers sent, routes missing), read out by screen readers. */
export function notify(message: string): void {
  const box = document.getElementById('notice');
  if (box) box.textContent = message;
}
