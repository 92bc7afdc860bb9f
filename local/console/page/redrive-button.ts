/**
 * The Redrive button of a FAILED record: `POST /onboardings/{id}/redrive` (or offboardings, changes) on the public
 * API, the same route an operator calls (lambdas/api/redrive.ts). The workflow continues from the step that failed;
 * the record's redrive count is shown beside it.
 */
import type { RecordKind } from '../../../lib/domain/api-schemas';
import { KIND_PATHS } from '../../../lib/domain/routes';
import type { ConsoleRecord } from '../console-model';
import { postJson } from './api-client';
import { h } from './dom';

export function redriveRow(record: ConsoleRecord, after: (message: string) => void): HTMLElement | null {
  const count = record.redriveCount ?? 0;
  const counted = count > 0 ? h('span', { class: 'redrive-count' }, `Redriven ${count}×`) : null;
  if (record.status !== 'FAILED') return counted ? h('p', { class: 'redrive-row' }, counted) : null;
  const send = async (button: HTMLButtonElement): Promise<void> => {
    button.disabled = true;
    try {
      const path = `${KIND_PATHS[record.kind as RecordKind]}/${encodeURIComponent(record.id)}/redrive`;
      const answer = await postJson<{ redriveCount?: number }>(path, {});
      after(`The ${record.kind} ${record.id} continues from the step that failed (redrive ${answer.redriveCount}).`);
    } catch (error) {
      button.disabled = false;
      after(`The ${record.kind} was not redriven: ${(error as Error).message}`);
    }
  };
  return h(
    'p',
    { class: 'redrive-row' },
    h(
      'button',
      {
        type: 'button',
        class: 'redrive',
        'data-focus': `redrive:${record.id}`,
        'aria-label': `Redrive the ${record.kind} ${record.id} from the step that failed`,
        onclick: (e: Event) => void send(e.currentTarget as HTMLButtonElement),
      },
      'Redrive',
    ),
    ' ',
    h('span', { class: 'muted' }, 'continues the workflow from the step that failed'),
    counted ? ' ' : null,
    counted,
  );
}
