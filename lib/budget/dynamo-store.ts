/**
 * The shared budget in DynamoDB: one item, every change a single conditional UpdateItem that returns the item as it
 * now is (ALL_NEW). The common case (a busy schedule) is an atomic `tat = tat + :cost`, which two instances can do at
 * the same moment without either failing; only the idle case (`tat` in the past, set to now) can lose a race, and the
 * loser re-reads and tries again (shared-budget.ts).
 *
 * It takes a document client and a key, so that it knows nothing of the records table it may share: the steps wire
 * it (lambdas/steps/knox.ts).
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BudgetStore } from './budget-store';
import type { BudgetItem } from './settings';

export interface DynamoBudgetStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** The item's full key, e.g. `{ pk: 'budget#knox' }`. */
  key: Record<string, string>;
}

const NAMES = { '#tat': 'tat', '#floor': 'floorRate', '#at': 'decreasedAt', '#due': 'due' };
/** `due` grows with every claim (a missing one starts from 0: a `due` in the past counts for nothing). */
const ADD_DUE = '#due = if_not_exists(#due, :zero) + :due';

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function asItem(attributes: Record<string, unknown> | undefined): BudgetItem | undefined {
  if (attributes === undefined) return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const item: BudgetItem = {};
  const tat = num(attributes['tat']);
  const floorRate = num(attributes['floorRate']);
  const decreasedAt = num(attributes['decreasedAt']);
  const due = num(attributes['due']);
  if (tat !== undefined) item.tat = tat;
  if (due !== undefined) item.due = due;
  if (floorRate !== undefined && decreasedAt !== undefined) {
    item.floorRate = floorRate;
    item.decreasedAt = decreasedAt;
  }
  return item;
}

export class DynamoBudgetStore implements BudgetStore {
  constructor(private readonly options: DynamoBudgetStoreOptions) {}

  async read(): Promise<BudgetItem | undefined> {
    const { client, tableName, key } = this.options;
    const result = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    return asItem(result.Item);
  }

  advance(costMs: number, now: number, maxTat: number, dueMs: number): Promise<BudgetItem | undefined> {
    return this.update(`SET #tat = #tat + :cost, ${ADD_DUE}`, '#tat BETWEEN :now AND :maxTat', {
      ':cost': costMs,
      ':now': now,
      ':maxTat': maxTat,
      ':due': dueMs,
      ':zero': 0,
    });
  }

  restart(costMs: number, now: number, dueMs: number): Promise<BudgetItem | undefined> {
    return this.update(`SET #tat = :tat, ${ADD_DUE}`, 'attribute_not_exists(#tat) OR #tat < :now', {
      ':tat': now + costMs,
      ':now': now,
      ':due': dueMs,
      ':zero': 0,
    });
  }

  /** `due = max(due, tat) + cost` as two conditional forms (an update expression has no max). */
  async announce(costMs: number): Promise<BudgetItem | undefined> {
    return (
      (await this.update('SET #due = #due + :cost', '#due >= #tat', { ':cost': costMs })) ??
      this.update('SET #due = #tat + :cost', 'attribute_exists(#tat) AND (attribute_not_exists(#due) OR #due < #tat)', {
        ':cost': costMs,
      })
    );
  }

  decrease(floorRate: number, now: number, cooldownMs: number): Promise<BudgetItem | undefined> {
    return this.update('SET #floor = :floor, #at = :now', 'attribute_not_exists(#at) OR #at <= :since', {
      ':floor': floorRate,
      ':now': now,
      ':since': now - cooldownMs,
    });
  }

  private async update(
    expression: string,
    condition: string,
    values: Record<string, number>,
  ): Promise<BudgetItem | undefined> {
    const { client, tableName, key } = this.options;
    const used = Object.fromEntries(
      Object.entries(NAMES).filter(([name]) => expression.includes(name) || condition.includes(name)),
    );
    try {
      const result = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: used,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return asItem(result.Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
