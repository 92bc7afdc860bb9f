/**
 * Retry what failed, from a batch's page: the **Retry failed items** button of a settled batch (DONE, CANCELLED,
 * STOPPED) sends the public API's `POST /onboarding-batches/{id}/retries` (README.md, "Retry what failed";
 * lambdas/batches/retry-route.ts), after a confirmation, and opens the new batch; "include ABORTED" beside it sends
 * `{"include": ["ABORTED"]}`. The server decides: its 409 (still open, nothing left to retry) is shown as it says.
 *
 * A double click must not make two batches. Each click gets an Idempotency-Key (crypto.randomUUID()), kept for the
 * page's lifetime until the POST is answered: the button is disabled while it is in flight (also when the view draws
 * the header again meanwhile: the state lives here, per batch, not on the element), and a request whose answer never
 * came (the connection dropped) or that the server could not finish (5xx) is sent again with the same key, so the
 * server answers the batch it made already (200) instead of making another.
 *
 * Also the links between a retry and its original: "Retry of <original>" and "Retries: <id>, <id>".
 */
import { BATCHES_PATH } from '../../../lib/domain/routes';
import type { BatchSummary } from '../console-model';
import { h } from './dom';
import { recordHref } from './widgets';

/** The batch statuses a retry may be asked of (the others may still change: the server answers 409). */
const SETTLED = new Set(['DONE', 'CANCELLED', 'STOPPED']);

interface RetryState {
  /** The Idempotency-Key of the request not answered yet, and the include it was sent with. */
  key?: string;
  keyIncludesAborted?: boolean;
  inFlight: boolean;
  /** The "include ABORTED" checkbox (drawn again with the header). */
  includeAborted: boolean;
}

/** Per original batch, for the page's lifetime. */
const states = new Map<string, RetryState>();

function stateOf(batchId: string): RetryState {
  let state = states.get(batchId);
  if (!state) {
    state = { inFlight: false, includeAborted: false };
    states.set(batchId, state);
  }
  return state;
}

/** How many items a retry takes at most: FAILED, never started, a CANCELLED batch's CANCELLED, ABORTED if asked. */
export function retryAtMost(summary: BatchSummary, includeAborted: boolean): number {
  const n = (status: keyof BatchSummary['counts']) => summary.counts[status] ?? 0;
  return (
    n('FAILED') +
    n('REQUESTED') +
    (summary.status === 'CANCELLED' ? n('CANCELLED') : 0) +
    (includeAborted ? n('ABORTED') : 0)
  );
}

/** Whether the batch shows the button: settled, with something a retry could take (ABORTED with the checkbox). */
export function mayRetry(summary: BatchSummary): boolean {
  return SETTLED.has(summary.status) && (retryAtMost(summary, false) > 0 || (summary.counts.ABORTED ?? 0) > 0);
}

async function answerOf(response: Response): Promise<{ batchId?: string; message?: string }> {
  try {
    const body = (await response.json()) as { batchId?: unknown; message?: unknown };
    return {
      ...(typeof body.batchId === 'string' ? { batchId: body.batchId } : {}),
      ...(typeof body.message === 'string' ? { message: body.message } : {}),
    };
  } catch {
    return {};
  }
}

/** The question asked before a retry: how many items at most, and which. */
export function confirmation(summary: BatchSummary, includeAborted: boolean): string {
  const atMost = retryAtMost(summary, includeAborted);
  const which = [
    'FAILED or never started',
    ...(summary.status === 'CANCELLED' ? ['cancelled with the batch'] : []),
    ...(includeAborted ? ['ABORTED'] : []),
  ].join(', ');
  if (atMost === 0)
    return `Retry batch ${summary.batchId}? No item of it is ${which} as far as this page knows: the API decides.`;
  return `Retry batch ${summary.batchId}? A new batch of at most ${atMost} item${atMost === 1 ? '' : 's'} starts (${which}).`;
}

/** Asks, then sends the retry of the batch (once at a time), then opens the new batch or says why not. */
async function send(summary: BatchSummary, after: (message: string) => void): Promise<void> {
  const id = summary.batchId;
  const state = stateOf(id);
  if (state.inFlight) return;
  const includeAborted = state.includeAborted;
  if (!window.confirm(confirmation(summary, includeAborted))) return;
  // A new request gets a new key; one not answered yet (or with another include, which the server would refuse with
  // 422) keeps its own.
  if (state.key === undefined || state.keyIncludesAborted !== includeAborted) {
    state.key = crypto.randomUUID();
    state.keyIncludesAborted = includeAborted;
  }
  state.inFlight = true;
  setDisabled(id, true);
  let message: string;
  try {
    const response = await fetch(`${BATCHES_PATH}/${encodeURIComponent(id)}/retries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': state.key },
      body: JSON.stringify(includeAborted ? { include: ['ABORTED'] } : {}),
    });
    const answer = await answerOf(response);
    // A 5xx may have made the batch (503: recorded, not started): the next click sends the same key again.
    if (response.status < 500) state.key = undefined;
    if ((response.status === 202 || response.status === 200) && answer.batchId) {
      state.inFlight = false;
      location.hash = recordHref('batch', answer.batchId);
      return;
    }
    message = `Could not retry batch ${id}: ${answer.message ?? `HTTP ${response.status}`}`;
  } catch (error) {
    message = `Could not retry batch ${id}: ${(error as Error).message}. Click again to send the same request.`;
  }
  state.inFlight = false;
  setDisabled(id, false);
  after(message);
}

/** The button of `batchId` on the page now (the one clicked may have been replaced by a new header). */
function setDisabled(batchId: string, disabled: boolean): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.retry')) {
    if (button.dataset['batch'] === batchId) button.disabled = disabled;
  }
}

/** The button and its checkbox, or null when the batch may not be retried. */
export function retryControls(summary: BatchSummary, after: (message: string) => void): HTMLElement | null {
  if (!mayRetry(summary)) return null;
  const id = summary.batchId;
  const state = stateOf(id);
  const box = h('input', {
    type: 'checkbox',
    id: `retry-aborted-${id}`,
    class: 'retry-aborted',
    'data-focus': `retry-aborted:${id}`,
    checked: state.includeAborted,
    onchange: (e: Event) => {
      state.includeAborted = (e.currentTarget as HTMLInputElement).checked;
    },
  });
  return h(
    'span',
    { class: 'retry-controls' },
    h(
      'button',
      {
        type: 'button',
        class: 'retry',
        'data-batch': id,
        'data-focus': `retry:${id}`,
        'aria-label': `Retry the failed items of batch ${id} in a new batch`,
        disabled: state.inFlight,
        onclick: () => void send(summary, after),
      },
      'Retry failed items',
    ),
    ' ',
    h('label', { for: box.id, class: 'retry-aborted' }, box, ' include ABORTED'),
  );
}

/** "Retry of <original>" on a retry, "Retries: <id>, <id>" on an original; null when neither. */
export function retryLinks(summary: BatchSummary): HTMLElement | null {
  const link = (id: string) => h('a', { href: recordHref('batch', id), class: 'batch-link' }, id);
  const retries = summary.retries ?? [];
  if (summary.retryOf === undefined && retries.length === 0) return null;
  const parts: (Node | string)[] = [];
  if (summary.retryOf !== undefined) parts.push(h('span', { class: 'retry-of' }, 'Retry of ', link(summary.retryOf)));
  if (summary.retryOf !== undefined && retries.length > 0) parts.push(' · ');
  if (retries.length > 0) {
    const links = retries.flatMap((id, i) => (i > 0 ? [', ', link(id)] : [link(id)]));
    parts.push(h('span', { class: 'retries' }, 'Retries: ', ...links));
  }
  return h('p', { class: 'retry-links' }, ...parts);
}
