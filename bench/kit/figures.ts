/**
 * A bench figure (one row of the table): what was measured, its value, the target it is held to, and whether it
 * meets it. The table is printed once at the end of `npm run bench`; bench/results.json holds the same rows.
 */

/** How a value is compared with its target; `info` rows have no target (context for the other rows). */
export type Comparison = 'max' | 'below' | 'min' | 'info';

export interface Figure {
  /** Which measurement it belongs to (bundles, transitions, knox, throughput). */
  group: string;
  name: string;
  value: number;
  unit: string;
  comparison: Comparison;
  target?: number;
  /** Why the figure is what it is, or how to read it (printed under the table for missed rows). */
  note?: string;
  /** The same figure in the designs it is compared with (the superseded polling design, the job-poller pattern). */
  compare?: { polling?: number; jobPoller?: number };
}

export type Verdict = 'ok' | 'MISSED' | 'info';

export function verdict(figure: Figure): Verdict {
  if (figure.comparison === 'info' || figure.target === undefined) return 'info';
  if (!Number.isFinite(figure.value)) return 'MISSED';
  switch (figure.comparison) {
    case 'max':
      return figure.value <= figure.target ? 'ok' : 'MISSED';
    case 'below':
      return figure.value < figure.target ? 'ok' : 'MISSED';
    case 'min':
      return figure.value >= figure.target ? 'ok' : 'MISSED';
  }
}

export function figure(
  group: string,
  name: string,
  value: number,
  unit: string,
  target?: { max?: number; below?: number; min?: number },
  note?: string,
): Figure {
  const [comparison, bound]: [Comparison, number | undefined] =
    target?.max !== undefined
      ? ['max', target.max]
      : target?.below !== undefined
        ? ['below', target.below]
        : target?.min !== undefined
          ? ['min', target.min]
          : ['info', undefined];
  return {
    group,
    name,
    value,
    unit,
    comparison,
    ...(bound !== undefined ? { target: bound } : {}),
    ...(note ? { note } : {}),
  };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 4;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function withUnit(value: string, unit: string): string {
  if (unit === '') return value;
  if (unit === '×') return `${value}×`;
  if (unit === '$') return `$${value}`;
  return `${value} ${unit}`;
}

function targetText(f: Figure): string {
  if (f.target === undefined) return '—';
  const sign = f.comparison === 'max' ? '≤' : f.comparison === 'below' ? '<' : '≥';
  return `${sign} ${withUnit(formatNumber(f.target), f.unit)}`;
}

/** `180 (12×)`: a compared design's value and how many times this design's it is. */
function compareText(f: Figure, other: number | undefined): string {
  if (other === undefined) return '';
  const ratio =
    f.value > 0 && Number.isFinite(other) ? ` (${formatNumber(Math.round((other / f.value) * 10) / 10)}×)` : '';
  return `${withUnit(formatNumber(other), f.unit)}${ratio}`;
}

/** The table: name | value | target | ok/MISSED, in columns, with each group's rows together. */
export function renderTable(figures: readonly Figure[]): string {
  const compared = figures.some((f) => f.compare !== undefined);
  const rows = figures.map((f) => [
    f.name,
    withUnit(formatNumber(f.value), f.unit),
    targetText(f),
    verdict(f),
    ...(compared ? [compareText(f, f.compare?.polling), compareText(f, f.compare?.jobPoller)] : []),
  ]);
  const header = [
    'figure',
    'value',
    'target',
    '',
    ...(compared ? ['polling design (× this)', 'job poller (× this)'] : []),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 1 || i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let group: string | undefined;
  figures.forEach((f, i) => {
    if (group !== undefined && f.group !== group) out.push('');
    group = f.group;
    out.push(line(rows[i]!));
  });
  const missed = figures.filter((f) => verdict(f) === 'MISSED');
  if (missed.length > 0) {
    out.push('', `${missed.length} target(s) missed:`);
    for (const f of missed) out.push(`  - ${f.name}: ${f.note ?? 'see bench/results.json'}`);
  }
  return out.join('\n');
}
