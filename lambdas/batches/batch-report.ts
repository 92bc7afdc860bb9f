/**
 * A batch's report (`GET /onboarding-batches/{id}/report`): every item's outcome in one document, in item order, as
 * JSON or CSV. Built in one pass from the slices (one BatchGetItem: a batch has at most 40 slices) and the items'
 * onboardings (one BatchGetItem per 100, progress.ts): never a read per item. 1,000 items make a document of a few
 * hundred KB, far below API Gateway's 10 MB response payload and 29 s integration timeout
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html); bench/report/ measures it.
 */
import type { RecordStatus } from '#domain/api-schemas';
import type { BatchRecord } from '#domain/batch-schemas';
import { hintOf } from '#domain/recorded-error';
import { itemStates } from './progress';
import { getSlices } from './slices';

export interface ReportItem {
  item: number;
  /** The CSV file line of the item, for a batch sent as CSV (1 is the header). */
  line?: number;
  /** For a retry: the item's index in the batch it retries. */
  retryOfItem?: number;
  customerId?: string;
  /** The company name of an item that creates its customer (no contact details). */
  companyName?: string;
  onboardingId: string;
  status: RecordStatus;
  code?: string;
  errorCode?: string;
  message?: string;
  hint?: string;
}

export interface BatchReport {
  batchId: string;
  status: BatchRecord['status'];
  /** For a retry: the batch it retries (its items name their index there: `retryOfItem`). */
  retryOf?: string;
  items: ReportItem[];
}

function companyNameOf(body: Record<string, unknown> | undefined): string | undefined {
  const customer = body?.customer as { companyName?: unknown } | undefined;
  return typeof customer?.companyName === 'string' ? customer.companyName : undefined;
}

/** The report of a batch; `plannedId(item)` is the onboarding id an item not started yet will have. */
export async function batchReport(batch: BatchRecord, plannedId: (item: number) => string): Promise<BatchReport> {
  const slices = await getSlices(batch.pk, batch.slices);
  const states = await itemStates(slices);
  const bodies = new Map<number, { body?: Record<string, unknown>; line?: number; origin?: number }>();
  for (const slice of slices) {
    slice.items.forEach((body, offset) => {
      const line = slice.lines?.[offset];
      const origin = slice.origin?.[offset];
      bodies.set(slice.first + offset, {
        body,
        ...(line !== undefined ? { line } : {}),
        ...(origin !== undefined ? { origin } : {}),
      });
    });
  }
  const items = states.map((state): ReportItem => {
    const stored = bodies.get(state.item);
    const companyName = companyNameOf(stored?.body);
    const error = state.lastError;
    const hint = error ? hintOf(error) : undefined;
    return {
      item: state.item,
      ...(stored?.line !== undefined ? { line: stored.line } : {}),
      ...(stored?.origin !== undefined ? { retryOfItem: stored.origin } : {}),
      ...(state.customerId !== undefined ? { customerId: state.customerId } : {}),
      ...(companyName !== undefined ? { companyName } : {}),
      onboardingId: state.onboardingId ?? plannedId(state.item),
      status: state.status,
      ...(error ? { code: error.code, errorCode: error.errorCode, message: error.message } : {}),
      ...(hint !== undefined ? { hint } : {}),
    };
  });
  return { batchId: batch.pk, status: batch.status, ...(batch.retryOf ? { retryOf: batch.retryOf } : {}), items };
}

/**
 * One CSV cell: a cell a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return) gets a leading single quote (OWASP, "CSV Injection"); a cell with a comma, quote or line break is quoted
 * with its quotes doubled (RFC 4180).
 */
export function csvCell(value: string | number | undefined): string {
  let text = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const REPORT_CSV_COLUMNS = [
  'item',
  'customer',
  'onboarding id',
  'status',
  'Knox code',
  'message',
  'hint',
] as const;

/** The column a retry's report adds after `item`: the item's index in the batch it retries. */
export const RETRY_OF_COLUMN = 'retryOf item';

/**
 * The report as CSV (CRLF line ends, RFC 4180): the item column holds the CSV line for a batch sent as CSV (a retry
 * of one keeps the original's lines); a retry's report has a `retryOf item` column after it.
 */
export function reportCsv(report: BatchReport): string {
  const retry = report.retryOf !== undefined;
  const columns = retry ? [REPORT_CSV_COLUMNS[0], RETRY_OF_COLUMN, ...REPORT_CSV_COLUMNS.slice(1)] : REPORT_CSV_COLUMNS;
  const rows = [columns.map(csvCell).join(',')];
  for (const i of report.items) {
    const knox = i.code !== undefined ? `${i.code} (${i.errorCode})` : undefined;
    const rest = [i.customerId ?? i.companyName, i.onboardingId, i.status, knox, i.message, i.hint];
    const cells = retry ? [i.line ?? i.item, i.retryOfItem, ...rest] : [i.line ?? i.item, ...rest];
    rows.push(cells.map(csvCell).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}
