/**
 * What the console bench shows: 1,000 records written straight into the local table (every kind, every status,
 * some with a lastError, shaped by the record schema), and one execution of 300 events (a long wait on Knox itself:
 * each attempt of the link is a failure and a retry) saved where the local Step Functions keeps its histories, for the record it belongs to.
 * Running 1,000 workflows would measure the workflows; this measures the page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RECORD_KINDS, STATUSES, isTerminal } from '#domain/api-schemas';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { specFor } from '#domain/knox-errors';
import { recordSchema, type WorkflowRecord } from '#domain/record';
import { ID_PREFIX } from '#domain/table-layout';
import { STATES } from '#domain/state-names';
import type { ExecutionRecord, RecordedEvent } from '#local/stepfunctions/execution-store';
import { localExecutionArn, localStateMachineArn } from '#local/template/template';

export const SEEDED_EXECUTION = 'bench-console-300';
/** The record whose execution has SEEDED_EXECUTION_EVENTS events. */
export const SEEDED_RECORD_ID = 'onb-0000000000000300';
export const SEEDED_EXECUTION_EVENTS = 300;

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

/** The 300-event execution, written before the stack starts (it loads histories at start). */
export function writeSeededExecution(dataDir: string): void {
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const events: RecordedEvent[] = [];
  const push = (type: string, state?: string, stateType?: string, extra: Partial<RecordedEvent> = {}): void => {
    const id = events.length + 1;
    events.push({
      id,
      timestamp: new Date(start + id * 1000).toISOString(),
      type,
      ...(state ? { state } : {}),
      ...(stateType ? { stateType } : {}),
      ...extra,
    });
  };
  const input = JSON.stringify({ id: SEEDED_RECORD_ID, path: 'link' });
  push('ExecutionStarted', undefined, undefined, { input });
  push('StateEntered', STATES.linkOrCreate, 'Choice', { input });
  push('StateExited', STATES.linkOrCreate, 'Choice', { output: input });
  // A long wait on Knox itself (Samsung has not approved the customer's account: 4002101), retried on its schedule.
  push('StateEntered', STATES.linkCustomer, 'Task', { input });
  const pending = specFor('ADD_EC_CUSTOMER_NOT_APPROVED');
  const tail = 10; // exit of the link, the wait, Needs a change?, Record succeeded, the Succeed state, ExecutionSucceeded
  while (events.length < SEEDED_EXECUTION_EVENTS - tail) {
    push('StateFailed', STATES.linkCustomer, 'Task', {
      error: STEP_ERROR_NAMES.wait,
      cause: JSON.stringify({
        errorType: STEP_ERROR_NAMES.wait,
        errorMessage: `${pending.code} (${pending.errorCode}): ${pending.message}`,
      }),
    });
    push('StateRetried', STATES.linkCustomer, 'Task', {
      retry: { errorEquals: [STEP_ERROR_NAMES.wait], attempt: events.length },
    });
  }
  push('StateExited', STATES.linkCustomer, 'Task', { output: input });
  for (const [state, type] of [
    [STATES.waitForAnswer, 'Task'],
    [STATES.needsChange, 'Choice'],
    [STATES.recordSucceeded, 'Task'],
    [STATES.onboardingSucceeded, 'Succeed'],
  ] as const) {
    push('StateEntered', state, type, { input });
    push('StateExited', state, type, { output: input });
  }
  push('ExecutionSucceeded', undefined, undefined, { output: input });
  if (events.length !== SEEDED_EXECUTION_EVENTS) throw new Error(`the seeded execution has ${events.length} events`);

  const record: ExecutionRecord = {
    executionArn: localExecutionArn('onboarding', SEEDED_EXECUTION),
    stateMachineArn: localStateMachineArn('onboarding'),
    stateMachineName: 'onboarding',
    workflow: 'onboarding',
    name: SEEDED_EXECUTION,
    input,
    status: 'SUCCEEDED',
    startDate: new Date(start).toISOString(),
    stopDate: events.at(-1)!.timestamp,
    output: input,
    runs: 1,
    events,
  };
  const dir = join(dataDir, 'executions');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `onboarding--${SEEDED_EXECUTION}.json`), JSON.stringify(record));
}

/** `count` records, the first of them the seeded execution's; written in batches of 25. */
export async function seedRecords(dynamoPort: number, tableName: string, count: number): Promise<void> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${dynamoPort}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  try {
    const records = Array.from({ length: count }, (_, i) => seededRecord(i));
    for (let i = 0; i < records.length; i += 25) {
      await db.send(
        new BatchWriteCommand({
          RequestItems: { [tableName]: records.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
  } finally {
    db.destroy();
  }
}

function seededRecord(i: number): WorkflowRecord {
  const kind = i === 0 ? 'onboarding' : RECORD_KINDS[i % RECORD_KINDS.length]!;
  const status = i === 0 ? 'SUCCEEDED' : STATUSES[i % STATUSES.length]!;
  const id = i === 0 ? SEEDED_RECORD_ID : `${ID_PREFIX[kind]}-${hex16(0x1000 + i)}`;
  const customerId = String(2_000_000_000 + i);
  const createdAt = new Date(Date.parse('2026-01-01T00:00:00.000Z') - i * 60_000).toISOString();
  const error =
    status === 'ABORTED'
      ? specFor('ADD_EC_ALREADY_MANAGED')
      : status === 'WAITING'
        ? specFor('CUSTOMER_PENDING')
        : undefined;
  const lastError = error
    ? { code: error.code, errorCode: error.errorCode, message: error.message, disposition: error.disposition }
    : undefined;
  return recordSchema.parse({
    pk: id,
    kind,
    status,
    customerId,
    customerKey: customerId,
    request:
      kind === 'onboarding'
        ? {
            customerId,
            managementType: 'JointlyManaged',
            accessType: 'FullAccess',
            services: [{ service: 'KnoxMobileEnrollment' }],
          }
        : { customerId },
    ...(lastError ? { lastError } : {}),
    executionName: i === 0 ? SEEDED_EXECUTION : `${customerId}-${id}`,
    deadline: createdAt,
    createdAt,
    updatedAt: createdAt,
    version: 3,
    history: [
      { at: createdAt, event: 'requested', status: 'REQUESTED' },
      { at: createdAt, event: 'status-changed', status: isTerminal(status) ? status : 'IN_PROGRESS' },
      ...(lastError ? [{ at: createdAt, event: 'knox-error', status, error: lastError }] : []),
    ],
    kindStatus: `${kind}#${status}`,
  });
}
