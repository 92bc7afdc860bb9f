/**
 * How `npm run executions` prints executions: a table of them, or one execution's path through the diagram (the
 * states in order, with failed attempts grouped by error name, retries, catches and where a restart resumed it).
 * The shapes are validated: they come over HTTP from GET /executions.
 */
import * as z from 'zod';

const summarySchema = z.object({
  name: z.string(),
  workflow: z.string(),
  status: z.string(),
  startDate: z.string(),
  stopDate: z.string().optional(),
  recordId: z.string().optional(),
});
const stepSchema = z.object({
  state: z.string(),
  type: z.string(),
  enteredAt: z.string(),
  exitedAt: z.string().optional(),
  errors: z.array(z.object({ error: z.string(), message: z.string().optional(), at: z.string() })),
  retries: z.number(),
  caught: z.object({ errorEquals: z.array(z.string()), next: z.string() }).optional(),
});
const detailSchema = summarySchema.extend({
  error: z.string().optional(),
  cause: z.string().optional(),
  runs: z.number(),
  path: z.array(stepSchema),
  events: z.array(
    z.object({ type: z.string(), timestamp: z.string(), state: z.string().optional(), cause: z.string().optional() }),
  ),
});
export const executionListSchema = z.object({ executions: z.array(summarySchema) });
export { detailSchema as executionDetailSchema };
type Summary = z.infer<typeof summarySchema>;
type Detail = z.infer<typeof detailSchema>;

const time = (iso: string): string => iso.slice(11, 23);

function duration(from: string, to: string | undefined): string {
  if (!to) return 'running';
  const ms = Date.parse(to) - Date.parse(from);
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatList(executions: Summary[]): string {
  if (executions.length === 0) return 'No executions yet.';
  const rows = [['NAME', 'WORKFLOW', 'STATUS', 'STARTED', 'TOOK', 'RECORD']];
  for (const e of executions)
    rows.push([
      e.name,
      e.workflow,
      e.status,
      e.startDate.replace('T', ' ').slice(0, 19),
      duration(e.startDate, e.stopDate),
      e.recordId ?? '',
    ]);
  return table(rows);
}

/** Failed attempts grouped by consecutive error name: "Knox.Wait ×4". */
function errorRuns(step: z.infer<typeof stepSchema>): { error: string; count: number; message?: string }[] {
  const runs: { error: string; count: number; message?: string }[] = [];
  for (const e of step.errors) {
    const last = runs.at(-1);
    if (last && last.error === e.error) {
      last.count += 1;
      if (e.message !== undefined) last.message = e.message;
    } else {
      runs.push({ error: e.error, count: 1, ...(e.message !== undefined ? { message: e.message } : {}) });
    }
  }
  return runs;
}

export function formatDetail(d: Detail): string {
  const lines = [
    `${d.name}  (${d.workflow})  ${d.status}`,
    `  started ${d.startDate}, ${d.stopDate ? `ended ${d.stopDate} (${duration(d.startDate, d.stopDate)})` : 'still running'}` +
      `${d.recordId ? `, record ${d.recordId}` : ''}${d.runs > 1 ? `, resumed ${d.runs - 1}× after a restart` : ''}`,
    '',
  ];
  const width = Math.max(...d.path.map((s) => s.state.length), 10);
  // The first state entered after each restart is where the execution was resumed.
  const resumedSteps = new Set(
    d.events
      .filter((e) => e.type === 'ExecutionResumed')
      .map((e) => d.path.findIndex((s) => s.enteredAt >= e.timestamp)),
  );
  d.path.forEach((step, i) => {
    const marks = [
      resumedSteps.has(i) ? '(resumed after a restart)' : '',
      step.retries > 0 ? `retried ${step.retries}×` : '',
      step.caught ? `caught ${step.caught.errorEquals.join('|')} -> "${step.caught.next}"` : '',
      step.exitedAt === undefined && d.status === 'RUNNING' && i === d.path.length - 1 ? '<- now' : '',
    ].filter(Boolean);
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${step.state.padEnd(width)}  ${step.type.padEnd(7)} ${time(step.enteredAt)}  ${marks.join('  ')}`.trimEnd(),
    );
    for (const run of errorRuns(step)) {
      lines.push(
        `        ! ${run.error}${run.count > 1 ? ` ×${run.count}` : ''}${run.message ? `: ${run.message.slice(0, 160)}` : ''}`,
      );
    }
  });
  if (d.error || d.cause) lines.push('', `  ended with ${d.error ?? ''}${d.cause ? `: ${d.cause.slice(0, 300)}` : ''}`);
  return lines.join('\n');
}
