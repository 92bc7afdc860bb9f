/**
 * Recovery when the local stack starts: an accepted onboarding (offboarding, change) is never silently dropped. Every
 * record that is not terminal (the GSI, per kind and open status) gets its execution running again:
 * - its execution was interrupted by the last stop: it is resumed under the same name, at the state it was in (to
 *   the API it is the same execution, still RUNNING, as in AWS where nothing stopped). Not from the start: a link
 *   repeated after the customer approved it during the downtime answers 4002103 ALREADY_MANAGED, and would abort;
 * - it has no execution (the API stopped between writing the record and starting it): started with the record's name;
 * - its execution is closed although the record is open: a new execution `<name>-r<n>`, from the start (Knox steps
 *   treat "already done" answers such as 4002104 as done).
 * Open bulk onboarding batches (STARTING, RUNNING, CANCELLING) likewise: their execution resumes at the state it was
 * in (the starter skips items already started, so nothing is started twice and nothing skipped; a cancellation goes on
 * from the slice it reached). A FAILED batch (its workflow failed) gets a new execution, whose first step continues it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { OPEN_STATUSES, RECORD_KINDS } from '#domain/api-schemas';
import { BATCH_KIND, LIVE_BATCH_STATUSES, batchRecordSchema } from '#domain/batch-schemas';
import { BATCH_WORKFLOW } from '#infra/metadata';
import { kindStatusOf, recordSchema } from '#domain/record';
import { TABLE } from '#domain/table-layout';
import type { LocalExecutions } from '../stepfunctions/engine';
import { localExecutionArn, type LocalTable, type LocalWorkflow } from '../template/template';

/** The part of a record recovery reads (the handlers own the full layout). */
const openRecordSchema = recordSchema.pick({
  pk: true,
  kind: true,
  status: true,
  executionName: true,
  executionArn: true,
  path: true,
});
const openBatchSchema = batchRecordSchema.pick({
  pk: true,
  kind: true,
  status: true,
  executionName: true,
  executionArn: true,
});
type OpenRecord = Omit<z.infer<typeof openRecordSchema>, 'kind' | 'status'> & {
  kind: string;
  status: string;
  workflow: LocalWorkflow;
};

export interface RecoveryAction {
  recordId: string;
  kind: string;
  status: string;
  action: 'running' | 'resumed' | 'started' | 'restarted';
  executionName: string;
}

/** Open records and batches, read through the by-status index. */
async function openRecords(client: DynamoDBClient, table: LocalTable): Promise<OpenRecord[]> {
  const doc = DynamoDBDocumentClient.from(client);
  const out: OpenRecord[] = [];
  const partitions = [
    ...RECORD_KINDS.flatMap((kind) =>
      OPEN_STATUSES.map((status) => ({ key: kindStatusOf(kind, status), batch: false })),
    ),
    // A FAILED batch too: a restart continues it (its step revives it), like a redrive on AWS.
    ...[...LIVE_BATCH_STATUSES, 'FAILED'].map((status) => ({ key: `${BATCH_KIND}#${status}`, batch: true })),
  ];
  for (const { key, batch } of partitions) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: TABLE.byStatusIndex,
          KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': TABLE.byStatusPartitionKey },
          ExpressionAttributeValues: { ':k': key },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (batch) {
          const parsed = openBatchSchema.safeParse(item);
          if (parsed.success) out.push({ ...parsed.data, workflow: BATCH_WORKFLOW });
        } else {
          const parsed = openRecordSchema.safeParse(item);
          if (parsed.success) out.push({ ...parsed.data, workflow: parsed.data.kind });
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return out;
}

/** The execution input a record's workflow starts with (WorkflowInput; a batch's: BatchWorkflowInput). */
function inputOf(record: OpenRecord): string {
  if (record.workflow === BATCH_WORKFLOW) return JSON.stringify({ batchId: record.pk });
  return JSON.stringify({ id: record.pk, ...(record.path ? { path: record.path } : {}) });
}

export async function recoverOpenRecords(
  client: DynamoDBClient,
  table: LocalTable,
  executions: LocalExecutions,
): Promise<RecoveryAction[]> {
  const actions: RecoveryAction[] = [];
  for (const record of await openRecords(client, table)) {
    const machine = executions.machineOf(record.workflow);
    const arn = record.executionArn ?? localExecutionArn(machine.name, record.executionName);
    const execution = executions.describe(arn);
    const report = (action: RecoveryAction['action'], executionName: string): void => {
      actions.push({ recordId: record.pk, kind: record.kind, status: record.status, action, executionName });
    };
    if (execution && executions.isRunning(arn)) {
      report('running', execution.name);
    } else if (execution?.status === 'RUNNING') {
      executions.resume(arn);
      report('resumed', execution.name);
    } else if (!execution) {
      executions.startExecution({ stateMachineArn: machine.arn, name: record.executionName, input: inputOf(record) });
      report('started', record.executionName);
    } else {
      const name = freeName(executions, machine.name, execution.name);
      executions.startExecution({ stateMachineArn: machine.arn, name, input: execution.input });
      report('restarted', name);
    }
  }
  return actions;
}

/** `<name>-r1`, `-r2`, ... whichever is unused (kept within Step Functions' 80 characters). */
function freeName(executions: LocalExecutions, machineName: string, name: string): string {
  const base = name.replace(/-r\d+$/, '');
  for (let n = 1; ; n++) {
    const suffix = `-r${n}`;
    const candidate = `${base.slice(0, 80 - suffix.length)}${suffix}`;
    if (!executions.describe(localExecutionArn(machineName, candidate))) return candidate;
  }
}
