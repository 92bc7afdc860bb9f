/**
 * The records the console lists, read with the store's own reads (the GSI by kind and status, newest first, and the
 * record by id): every kind and every status, each row with its lastError's operator hint from the error table, and,
 * with the built-in simulator, whether its customer has a request of ours to answer.
 */
import { RECORD_KINDS, STATUSES, isTerminal, type RecordKind, type RecordStatus } from '../../lib/domain/api-schemas';
import { KNOX_ERRORS } from '../../lib/domain/knox-errors';
import { getRecord, listByStatus, type WorkflowRecord } from '../../lambdas/store';
import type { SimCustomer } from '../../knox-sim/model';
import { SIM_OUR_MSP } from '../../knox-sim/world';
import type { BatchGroup, ConsoleRecord, LastErrorView, PendingAnswer } from './model';

/** The list stops at this many records per kind and status (newest first), so a huge table cannot stall the page. */
export const MAX_PER_STATUS = 2_000;
const PAGE_SIZE = 500;

const hints = new Map<string, string>(KNOX_ERRORS.flatMap((e) => ('hint' in e && e.hint ? [[e.code, e.hint] as [string, string]] : [])));

export interface RecordList {
  records: ConsoleRecord[];
  batches: BatchGroup[];
  truncated: boolean;
}

/** Every record of every kind, newest first. `answers`: the simulator's customers awaiting an answer, by id. */
export async function listRecords(answers: Map<string, PendingAnswer> = new Map()): Promise<RecordList> {
  const pairs = RECORD_KINDS.flatMap((kind) => STATUSES.map((status) => [kind, status] as const));
  const pages = await Promise.all(pairs.map(([kind, status]) => readAll(kind, status)));
  const records = pages
    .flatMap((p) => p.items)
    .map((r) => consoleRecord(r, answers))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  return { records, batches: batchGroups(records), truncated: pages.some((p) => p.truncated) };
}

export async function readRecord(id: string, answers: Map<string, PendingAnswer> = new Map()): Promise<(ConsoleRecord & { history: WorkflowRecord['history'] }) | undefined> {
  const record = await getRecord(id);
  return record ? { ...consoleRecord(record, answers), history: record.history } : undefined;
}

async function readAll(kind: RecordKind, status: RecordStatus): Promise<{ items: WorkflowRecord[]; truncated: boolean }> {
  const items: WorkflowRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listByStatus(kind, status, { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor && items.length < MAX_PER_STATUS);
  return { items: items.slice(0, MAX_PER_STATUS), truncated: cursor !== undefined };
}

export function consoleRecord(record: WorkflowRecord, answers: Map<string, PendingAnswer>): ConsoleRecord {
  const companyName = companyNameOf(record.request);
  // batchId: written by bulk onboarding on each item's record (product.md "Bulk onboarding").
  const batchId = (record as { batchId?: unknown }).batchId;
  const answer = record.customerId !== undefined && !isTerminal(record.status) ? answers.get(record.customerId) : undefined;
  const answerFits = (answer === 'link' && record.kind === 'onboarding') || (answer === 'delink' && record.kind === 'offboarding');
  return {
    kind: record.kind,
    id: record.pk,
    status: record.status,
    ...(record.customerId !== undefined ? { customerId: record.customerId } : {}),
    ...(companyName !== undefined ? { companyName } : {}),
    ...(record.knoxStatus !== undefined ? { knoxStatus: record.knoxStatus } : {}),
    ...(record.lastError !== undefined ? { lastError: withHint(record.lastError) } : {}),
    executionName: record.executionName,
    ...(typeof batchId === 'string' ? { batchId } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(answer !== undefined && answerFits ? { pendingAnswer: answer } : {}),
  };
}

function withHint(error: NonNullable<WorkflowRecord['lastError']>): LastErrorView {
  const hint = hints.get(error.code);
  return { ...error, ...(hint !== undefined ? { hint } : {}) };
}

/** Only the company's name: the request's contact details stay out of the page, as they stay out of the API. */
function companyNameOf(request: Record<string, unknown>): string | undefined {
  const customer = request['customer'];
  if (typeof customer !== 'object' || customer === null) return undefined;
  const name = (customer as Record<string, unknown>)['companyName'];
  return typeof name === 'string' ? name : undefined;
}

function batchGroups(records: ConsoleRecord[]): BatchGroup[] {
  const groups = new Map<string, BatchGroup>();
  for (const r of records) {
    if (r.batchId === undefined) continue;
    const group = groups.get(r.batchId) ?? { batchId: r.batchId, records: 0, counts: {}, createdAt: r.createdAt, updatedAt: r.updatedAt };
    group.records += 1;
    group.counts[r.status] = (group.counts[r.status] ?? 0) + 1;
    if (r.createdAt < group.createdAt) group.createdAt = r.createdAt;
    if (r.updatedAt > group.updatedAt) group.updatedAt = r.updatedAt;
    groups.set(r.batchId, group);
  }
  return [...groups.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The simulator's customers that have a request of ours to answer: a link (Pending) or a delink (DelinkRequested). */
export function pendingAnswers(customers: SimCustomer[]): Map<string, PendingAnswer> {
  const out = new Map<string, PendingAnswer>();
  for (const c of customers) {
    if (c.ownerMsp !== SIM_OUR_MSP) continue;
    if (c.status === 'Pending') out.set(c.customerId, 'link');
    else if (c.status === 'DelinkRequested') out.set(c.customerId, 'delink');
  }
  return out;
}
