/**
 * What the console can do, beside the simulator's answers: Cancel an open record or batch (the public API's DELETE,
 * after a confirmation) and download a batch's report as CSV (`GET /onboarding-batches/{id}/report`). Every call
 * goes to the local API of the page's own origin.
 */
import { h } from './dom';
import type { ListKind } from './widgets';

/** The public API's item path of each kind (lib/domain/routes.ts). */
const API_PATHS: Record<ListKind, string> = {
  onboarding: '/onboardings',
  offboarding: '/offboardings',
  change: '/changes',
  batch: '/onboarding-batches',
};

async function messageOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** A Cancel button: asks for confirmation, sends the DELETE, then tells `after` what happened. */
export function cancelButton(kind: ListKind, id: string, after: (message: string) => void): HTMLButtonElement {
  const cancel = async (button: HTMLButtonElement): Promise<void> => {
    if (!window.confirm(`Cancel ${kind} ${id}? Open work stops and the ${kind} ends CANCELLED.`)) return;
    button.disabled = true;
    try {
      const response = await fetch(`${API_PATHS[kind]}/${encodeURIComponent(id)}`, { method: 'DELETE' });
      if (response.ok) after(`Cancelled ${kind} ${id}.`);
      else {
        button.disabled = false;
        after(`Could not cancel ${kind} ${id}: ${await messageOf(response)}`);
      }
    } catch (error) {
      button.disabled = false;
      after(`Could not cancel ${kind} ${id}: ${(error as Error).message}`);
    }
  };
  return h(
    'button',
    {
      type: 'button',
      class: 'cancel',
      'data-focus': `cancel:${id}`,
      'aria-label': `Cancel ${kind} ${id}`,
      onclick: (e: Event) => void cancel(e.currentTarget as HTMLButtonElement),
    },
    'Cancel',
  );
}

/** A button that downloads the batch's report as CSV (`<batchId>.report.csv`). */
export function reportButton(batchId: string, after: (message: string) => void): HTMLButtonElement {
  const download = async (button: HTMLButtonElement): Promise<void> => {
    button.disabled = true;
    try {
      const response = await fetch(`${API_PATHS.batch}/${encodeURIComponent(batchId)}/report`, {
        headers: { accept: 'text/csv' },
        cache: 'no-store',
      });
      if (!response.ok) {
        after(`The report could not be read: ${await messageOf(response)}`);
        return;
      }
      const url = URL.createObjectURL(await response.blob());
      const link = h('a', { href: url, download: `${batchId}.report.csv` });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } finally {
      button.disabled = false;
    }
  };
  return h(
    'button',
    {
      type: 'button',
      class: 'report',
      'aria-label': `Download the report of batch ${batchId} (CSV)`,
      onclick: (e: Event) => void download(e.currentTarget as HTMLButtonElement),
    },
    'Download report (CSV)',
  );
}

const OPEN = new Set(['REQUESTED', 'IN_PROGRESS', 'WAITING', 'STARTING', 'RUNNING']);

/** The actions row of an open record or batch (Cancel), or null once it ended. */
export function openActions(
  kind: ListKind,
  id: string,
  status: string,
  after: (message: string) => void,
): HTMLElement | null {
  if (!OPEN.has(status)) return null;
  return h('p', { class: 'actions' }, cancelButton(kind, id, after));
}
