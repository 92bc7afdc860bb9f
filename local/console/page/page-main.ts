/**
 * The local console's page: a hash router over three views (the list, a record, a batch), refreshed by polling the
 * local stack every REFRESH_MS. A failed refresh (the stack restarting) says so and keeps polling; the page goes on
 * where it was once the stack answers again.
 */
import { batchView } from './batch-view';
import { detailView } from './detail';
import { h, replaceChildren } from './dom';
import { clock } from './format';
import { listView } from './list';
import type { View } from './view';
import { KIND_SEGMENTS, type ListKind } from './widgets';

const REFRESH_MS = 1_500;
const MAX_REFRESH_MS = 5_000;

const status = h('span', { class: 'connection', role: 'status', 'aria-live': 'polite' }, 'connecting…');
const notice = h('p', { id: 'notice', class: 'notice', role: 'status', 'aria-live': 'polite' });
const main = h('main', { id: 'view', tabindex: -1 });

let view: View | undefined;
let timer: number | undefined;
let generation = 0;
let rendered = 0;
const RENDERED_MARK = 'console-rendered';

function route(): View {
  const path = location.hash.replace(/^#/, '');
  const match = /^\/(onboardings|offboardings|changes|batches)\/([^/?]+)$/.exec(path);
  if (match) {
    const kind = (Object.entries(KIND_SEGMENTS).find(([, segment]) => segment === match[1])?.[0] ??
      'onboarding') as ListKind;
    const id = decodeURIComponent(match[2]!);
    return kind === 'batch' ? batchView(id) : detailView(kind, id, refreshSoon);
  }
  return listView(refreshSoon);
}

function mount(): void {
  view = route();
  generation += 1;
  document.title = `${view.title} · knox-onboarding local console`;
  replaceChildren(main, view.root);
  refreshSoon();
}

/** Refreshes now (a route change, an answer sent) and then every REFRESH_MS. */
function refreshSoon(): void {
  window.clearTimeout(timer);
  void refresh();
}

async function refresh(): Promise<void> {
  const mine = generation;
  const current = view;
  const started = performance.now();
  try {
    await current?.refresh();
    if (mine !== generation) return;
    // The first render of each view, for `npm run bench` (milliseconds since the navigation started).
    if (rendered !== mine) {
      rendered = mine;
      performance.mark(RENDERED_MARK, { detail: location.hash });
    }
    status.className = 'connection live';
    status.textContent = `live · ${clock(new Date().toISOString())}`;
  } catch (error) {
    if (mine !== generation) return;
    status.className = 'connection down';
    status.textContent = `the local stack is not answering (${(error as Error).message}); retrying…`;
  } finally {
    if (mine === generation) {
      window.clearTimeout(timer);
      // A refresh that took long (a big table on a busy machine) waits longer before the next one.
      const took = performance.now() - started;
      timer = window.setTimeout(() => void refresh(), Math.min(MAX_REFRESH_MS, Math.max(REFRESH_MS, 4 * took)));
    }
  }
}

function start(): void {
  const app = document.getElementById('app');
  if (!app) return;
  replaceChildren(
    app,
    h(
      'header',
      { class: 'top' },
      h('a', { href: '#/', class: 'brand' }, 'knox-onboarding ', h('span', { class: 'muted' }, 'local console')),
      status,
    ),
    notice,
    main,
  );
  window.addEventListener('hashchange', () => {
    notice.textContent = '';
    mount();
    // Keyboard users land on the new view, not on the link they left.
    main.focus({ preventScroll: true });
  });
  mount();
}

start();
