/**
 * The records the console lists, read with the local stack's own DynamoDB client (as recovery reads them) and
 * validated with the record schema: every kind and every status, newest first, each row with its lastError's
 * operator hint from the error table, and, with the built-in simulator, whether its customer has a request of ours
 * to answer.
 *
 * The list is one Scan projected to the fields a row shows. The deployed code never scans (the store lists through
 * the by-status GSI, a page at a time); the console is local only, and on dynalite one projected Scan of 1,000
 * records costs a fraction of 21 full-record GSI queries (one per kind and status), which matters at a 1.5 s refresh.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { isTerminal } from '#domain/api-schemas';
import { KNOX_ERRORS } from '#domain/knox-errors';
import { recordSchema, type WorkflowRecord } from '#domain/record';
import { TABLE } from '#domain/table-layout';
import type { SimCustomer } from '#knox-sim/model';
import { scanAll } from '../dynamodb/dynamodb';
import { SIM_OUR_MSP } from '#knox-sim/world';
import type { BatchGroup, ConsoleRecord, LastErrorView, PendingAnswer } from './console-model';

/** The list stops at this many records (newest first), so that a huge table cannot stall the page. */
export const MAX_RECORDS = 5_000;

const hints = new Map<string, string>(
  KNOX_ERRORS.flatMap((e) => ('hint' in e && e.hint ? [[e.code, e.hint] as [string, string]] : [])),
);

/** What a row needs of a record; `batchId` is written by bulk onboarding on each item's record. */
const rowSchema = recordSchema
  .pick({
    pk: true,
    kind: true,
    status: true,
    customerId: true,
    knoxStatus: true,
    lastError: true,
    executionName: true,
    createdAt: true,
    updatedAt: true,
    redriveCount: true,
  })
  .extend({
    batchId: z.string().optional(),
    request: z.object({ customer: z.object({ companyName: z.string() }).optional() }).optional(),
  });
type Row = z.infer<typeof rowSchema>;
const PROJECTION = [
  'pk',
  'kind',
  'status',
  'customerId',
  'knoxStatus',
  'lastError',
  'executionName',
  'createdAt',
  'updatedAt',
  'batchId',
  'redriveCount',
  'request.customer.companyName',
];

export interface RecordList {
  records: ConsoleRecord[];
  batches: BatchGroup[];
  truncated: boolean;
}

export class RecordReader {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.db = DynamoDBDocumentClient.from(client);
  }

  /**
   * Every record of every kind (lock items are left out by the schema), newest first. `answers` is asked only when
   * some record is open (a closed one has nothing to answer).
   */
  async list(answers: () => Promise<Map<string, PendingAnswer>> = async () => new Map()): Promise<RecordList> {
    const names = Object.fromEntries(PROJECTION.flatMap((path) => path.split('.')).map((part) => [`#${part}`, part]));
    const projection = PROJECTION.map((path) =>
      path
        .split('.')
        .map((part) => `#${part}`)
        .join('.'),
    ).join(', ');
    const items = await scanAll(this.db, {
      TableName: this.tableName,
      ProjectionExpression: projection,
      ExpressionAttributeNames: names,
    });
    const rows = items.flatMap((item) => {
      const parsed = rowSchema.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    });
    const newest = rows
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.pk.localeCompare(a.pk))
      .slice(0, MAX_RECORDS);
    const pending = newest.some((r) => !isTerminal(r.status)) ? await answers() : new Map<string, PendingAnswer>();
    const records = newest.map((r) => consoleRecord(r, pending));
    return { records, batches: batchGroups(records), truncated: rows.length > MAX_RECORDS };
  }

  /** One record with its history; undefined when there is none (or the key is a lock's). */
  async read(
    id: string,
    answers: () => Promise<Map<string, PendingAnswer>> = async () => new Map(),
  ): Promise<(ConsoleRecord & { history: WorkflowRecord['history'] }) | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: id }, ConsistentRead: true }),
    );
    const parsed = recordSchema.extend({ batchId: z.string().optional() }).safeParse(Item);
    if (!parsed.success) return undefined;
    const pending = isTerminal(parsed.data.status) ? new Map<string, PendingAnswer>() : await answers();
    return { ...consoleRecord(parsed.data, pending), history: parsed.data.history };
  }
}

export function consoleRecord(record: Row, answers: Map<string, PendingAnswer>): ConsoleRecord {
  // Only the company's name: the request's contact details stay out of the page, as they stay out of the API.
  const companyName = record.request?.customer?.companyName;
  const batchId = record.batchId;
  const answer =
    record.customerId !== undefined && !isTerminal(record.status) ? answers.get(record.customerId) : undefined;
  const answerFits =
    (answer === 'link' && record.kind === 'onboarding') || (answer === 'delink' && record.kind === 'offboarding');
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
    ...(record.redriveCount !== undefined ? { redriveCount: record.redriveCount } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(answer !== undefined && answerFits ? { pendingAnswer: answer } : {}),
  };
}

function withHint(error: NonNullable<WorkflowRecord['lastError']>): LastErrorView {
  const hint = hints.get(error.code);
  return { ...error, ...(hint !== undefined ? { hint } : {}) };
}

function batchGroups(records: ConsoleRecord[]): BatchGroup[] {
  const groups = new Map<string, BatchGroup>();
  for (const r of records) {
    if (r.batchId === undefined) continue;
    const group = groups.get(r.batchId) ?? {
      batchId: r.batchId,
      records: 0,
      counts: {},
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
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
