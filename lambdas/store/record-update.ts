/**
 * The one way a record is changed: an UpdateItem built by RecordUpdate, run under a condition. Each write bumps
 * `version` and `updatedAt`, may change the status (keeping the GSI key `kindStatus` in step), and may append history
 * entries (list_append: history only grows). `input()` is pure, so the expressions are tested without DynamoDB.
 */
import { UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { OPEN_STATUSES, TERMINAL_STATUSES, type HistoryEntry, type RecordStatus } from '#domain/api-schemas';
import { kindOfId, kindStatusOf, type WorkflowRecord } from '#domain/record';
import { TABLE } from '#domain/table-layout';
import { db, isConditionFailure, parseRecord, tableName } from './table-client';

/** Which records a write may touch: any existing one, one not yet terminal, one still open, or one still REQUESTED. */
export type WriteCondition = 'notTerminal' | 'open' | 'exists' | 'requested' | 'failed';

const NOT_TERMINAL = `attribute_exists(#pk) AND NOT (#status IN (${TERMINAL_STATUSES.map((_, i) => `:terminal${i}`).join(', ')}))`;
const OPEN_ONLY = `attribute_exists(#pk) AND #status IN (${OPEN_STATUSES.map((_, i) => `:open${i}`).join(', ')})`;
const terminalValues = Object.fromEntries(TERMINAL_STATUSES.map((s, i) => [`:terminal${i}`, s]));
const openValues = Object.fromEntries(OPEN_STATUSES.map((s, i) => [`:open${i}`, s]));
const REQUESTED_ONLY = 'attribute_exists(#pk) AND #status = :requested';
const requestedValues: Record<string, RecordStatus> = { ':requested': 'REQUESTED' };
/** A redrive reopens a FAILED record (the one way back from a terminal status). */
const FAILED_ONLY = 'attribute_exists(#pk) AND #status = :failed';
const failedValues: Record<string, RecordStatus> = { ':failed': 'FAILED' };

const CONDITIONS: Record<Exclude<WriteCondition, 'exists'>, [string, Record<string, unknown>]> = {
  notTerminal: [NOT_TERMINAL, terminalValues],
  open: [OPEN_ONLY, openValues],
  requested: [REQUESTED_ONLY, requestedValues],
  failed: [FAILED_ONLY, failedValues],
};

/**
 * Builds one UpdateItem: each write bumps `version` and `updatedAt`, may change the status (with `kindStatus`) and
 * may append history entries. Callers add their own SET/REMOVE/ADD clauses.
 */
export class RecordUpdate {
  private readonly sets = ['#updatedAt = :now', '#version = #version + :one'];
  private readonly removes: string[] = [];
  private readonly names: Record<string, string> = {
    '#pk': TABLE.partitionKey,
    '#updatedAt': 'updatedAt',
    '#version': 'version',
  };
  private readonly values: Record<string, unknown> = { ':one': 1 };
  private readonly entries: HistoryEntry[] = [];

  constructor(
    private readonly id: string,
    readonly now: string,
    private readonly table: string = tableName(),
  ) {
    this.values[':now'] = now;
  }

  set(attribute: string, value: unknown, expression?: (name: string, value: string) => string): this {
    this.names[`#${attribute}`] = attribute;
    this.values[`:${attribute}`] = value;
    this.sets.push(expression ? expression(`#${attribute}`, `:${attribute}`) : `#${attribute} = :${attribute}`);
    return this;
  }

  status(status: RecordStatus): this {
    this.set('status', status);
    return this.set(TABLE.byStatusPartitionKey, kindStatusOf(kindOfId(this.id), status));
  }

  remove(attribute: string): this {
    this.names[`#${attribute}`] = attribute;
    this.removes.push(`#${attribute}`);
    return this;
  }

  /** Adds 1 to a number, possibly inside a map (`attempts.link`), starting from 0 when it is not there yet. */
  increment(path: string[]): this {
    for (const part of path) this.names[`#${part}`] = part;
    this.values[':zero'] = 0;
    const target = path.map((p) => `#${p}`).join('.');
    this.sets.push(`${target} = if_not_exists(${target}, :zero) + :one`);
    return this;
  }

  /** Appends an entry stamped with the write time; fields left undefined or empty are not written. */
  history(entry: Omit<HistoryEntry, 'at'>): this {
    const present = Object.entries(entry).filter(([, value]) => value !== undefined && value !== '');
    this.entries.push({ at: this.now, ...(Object.fromEntries(present) as Omit<HistoryEntry, 'at'>) });
    return this;
  }

  input(condition: WriteCondition): UpdateCommandInput {
    const sets = [...this.sets];
    const values = { ...this.values };
    const names = { ...this.names };
    if (this.entries.length > 0) {
      names['#history'] = 'history';
      values[':entries'] = this.entries;
      sets.push('#history = list_append(#history, :entries)');
    }
    let conditionExpression = 'attribute_exists(#pk)';
    if (condition !== 'exists') {
      names['#status'] = 'status';
      const [expression, conditionValues] = CONDITIONS[condition];
      Object.assign(values, conditionValues);
      conditionExpression = expression;
    }
    const clauses = [`SET ${sets.join(', ')}`];
    if (this.removes.length > 0) clauses.push(`REMOVE ${this.removes.join(', ')}`);
    return {
      TableName: this.table,
      Key: { [TABLE.partitionKey]: this.id },
      UpdateExpression: clauses.join(' '),
      ConditionExpression: conditionExpression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    };
  }
}

/** Runs an update; undefined when its condition failed (record missing, or closed for the writes that need it open). */
export async function apply(update: RecordUpdate, condition: WriteCondition): Promise<WorkflowRecord | undefined> {
  try {
    const result = await db().send(new UpdateCommand(update.input(condition)));
    return parseRecord(result.Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}
