/** The list's "failed first" order: FAILED, then ABORTED, then the rest; newest first within each (a stable sort). */

const RANK: Record<string, number> = { FAILED: 0, ABORTED: 1 };

export function failedFirst<T extends { status: string; createdAt: string; id: string }>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) =>
      (RANK[a.status] ?? 2) - (RANK[b.status] ?? 2) ||
      b.createdAt.localeCompare(a.createdAt) ||
      b.id.localeCompare(a.id),
  );
}

/** The checkbox that turns the order on and off; its state outlives the view, like the filters. */
let on = false;
export function failedFirstOn(): boolean {
  return on;
}
export function failedFirstToggle(onToggle: () => void): HTMLLabelElement {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = 'filter-failed-first';
  box.checked = on;
  box.addEventListener('change', () => {
    on = box.checked;
    onToggle();
  });
  const label = document.createElement('label');
  label.className = 'failed-first';
  label.append(box, document.createTextNode(' Failed first'));
  return label;
}
