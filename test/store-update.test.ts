/**
 * The record update builder on its own, without DynamoDB: the expressions every record write is made of.
 */
import { describe, expect, it } from 'vitest';
import { OPEN_STATUSES, TERMINAL_STATUSES } from '#domain/api-schemas';
import { TABLE } from '#domain/table-layout';
import { RecordUpdate } from '#lambdas/store/index';

const ID = 'onb-0123456789abcdef';
const NOW = '2026-12-01T10:00:00.000Z';
const update = () => new RecordUpdate(ID, NOW, 'records');

describe('RecordUpdate', () => {
  it('bumps version and updatedAt on every write, keyed by the record id, returning the new item', () => {
    const input = update().input('exists');
    expect(input).toMatchObject({
      TableName: 'records',
      Key: { [TABLE.partitionKey]: ID },
      UpdateExpression: 'SET #updatedAt = :now, #version = #version + :one',
      ConditionExpression: 'attribute_exists(#pk)',
      ReturnValues: 'ALL_NEW',
    });
    expect(input.ExpressionAttributeValues).toEqual({ ':now': NOW, ':one': 1 });
  });

  it('keeps the GSI key in step with the status', () => {
    const input = update().status('WAITING').input('notTerminal');
    expect(input.UpdateExpression).toContain('#status = :status');
    expect(input.UpdateExpression).toContain(`#${TABLE.byStatusPartitionKey} = :${TABLE.byStatusPartitionKey}`);
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':status': 'WAITING',
      [`:${TABLE.byStatusPartitionKey}`]: 'onboarding#WAITING',
    });
  });

  it('never leaves a terminal status: notTerminal names every terminal status, open every open one, requested one', () => {
    const notTerminal = update().input('notTerminal');
    expect(notTerminal.ConditionExpression).toMatch(/^attribute_exists\(#pk\) AND NOT \(#status IN \(/);
    expect(Object.values(notTerminal.ExpressionAttributeValues ?? {})).toEqual(
      expect.arrayContaining([...TERMINAL_STATUSES]),
    );
    const open = update().input('open');
    expect(open.ConditionExpression).toMatch(/^attribute_exists\(#pk\) AND #status IN \(/);
    expect(Object.values(open.ExpressionAttributeValues ?? {})).toEqual(expect.arrayContaining([...OPEN_STATUSES]));
    const requested = update().input('requested');
    expect(requested.ConditionExpression).toBe('attribute_exists(#pk) AND #status = :requested');
    expect(requested.ExpressionAttributeValues).toMatchObject({ ':requested': 'REQUESTED' });
  });

  it('appends history with list_append, each entry stamped with the write time', () => {
    const input = update().history({ event: 'knox-call', step: 'link' }).history({ event: 'finished' }).input('open');
    expect(input.UpdateExpression).toContain('#history = list_append(#history, :entries)');
    expect(input.ExpressionAttributeValues?.[':entries']).toEqual([
      { at: NOW, event: 'knox-call', step: 'link' },
      { at: NOW, event: 'finished' },
    ]);
  });

  it('increments counters inside maps from zero, removes attributes, and takes custom set expressions', () => {
    const input = update()
      .increment(['attempts', 'link'])
      .remove('lastError')
      .set('lastError2', 'x', (n, v) => `${n} = if_not_exists(${n}, ${v})`)
      .input('notTerminal');
    expect(input.UpdateExpression).toContain('#attempts.#link = if_not_exists(#attempts.#link, :zero) + :one');
    expect(input.UpdateExpression).toContain('#lastError2 = if_not_exists(#lastError2, :lastError2)');
    expect(input.UpdateExpression).toMatch(/ REMOVE #lastError$/);
    expect(input.ExpressionAttributeNames).toMatchObject({
      '#attempts': 'attempts',
      '#link': 'link',
      '#lastError': 'lastError',
    });
  });

  it('refuses an id that is not a record id when the status changes (the GSI key needs the kind)', () => {
    expect(() => new RecordUpdate('lock#customer#1', NOW, 'records').status('WAITING')).toThrow(/not a record id/);
  });
});
