/**
 * What the soak reads back once the workload has run, from the outside of the stack only: the raw DynamoDB items
 * (AWS SDK against the stack's dynalite), every execution (`GET /executions` and `GET /executions/{name}`), the
 * execution files under DATA_DIR, and the simulator's request log and customer store (control surface).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand as DocumentScanCommand } from '@aws-sdk/lib-dynamodb';
import type { RequestLogEntry, SimCustomer } from '#knox-sim/model';
import type { KnoxSimControl } from '#knox-sim/control';
import { localDynamoClient } from '#local/dynamodb/dynamodb';
import type { ExecutionDetail, ExecutionSummary } from '#local/stepfunctions/execution-path';

export interface TableContents {
  /** Every item, unmarshalled. */
  items: Record<string, unknown>[];
  /** Every item as DynamoDB returned it (AttributeValue JSON), for the secret scan. */
  rawTexts: string[];
}

/** A full Scan, page by page: raw for the scan of secrets, unmarshalled for the checks. */
export async function scanTable(dynamoEndpoint: string, tableName: string): Promise<TableContents> {
  const client = localDynamoClient(dynamoEndpoint);
  const documents = DynamoDBDocumentClient.from(client);
  try {
    const rawTexts: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) rawTexts.push(JSON.stringify(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    const items: Record<string, unknown>[] = [];
    let documentKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new DocumentScanCommand({ TableName: tableName, ExclusiveStartKey: documentKey }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      documentKey = page.LastEvaluatedKey;
    } while (documentKey);
    return { items, rawTexts };
  } finally {
    client.destroy();
  }
}

async function getJson<T>(url: string, onBody: (text: string) => void): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  const text = await response.text();
  onBody(text);
  return { status: response.status, body: JSON.parse(text) as T };
}

export async function listExecutions(apiUrl: string, onBody: (text: string) => void): Promise<ExecutionSummary[]> {
  const answer = await getJson<{ executions: ExecutionSummary[] }>(`${apiUrl}/executions`, onBody);
  if (answer.status !== 200) throw new Error(`GET /executions answered ${answer.status}`);
  return answer.body.executions;
}

/** Waits (bounded) until no execution is RUNNING; answers the summaries as they are then. */
export async function settleExecutions(
  apiUrl: string,
  maxMs: number,
  onBody: (text: string) => void,
): Promise<ExecutionSummary[]> {
  const until = Date.now() + maxMs;
  let list = await listExecutions(apiUrl, onBody);
  while (list.some((e) => e.status === 'RUNNING') && Date.now() < until) {
    await sleep(200);
    list = await listExecutions(apiUrl, onBody);
  }
  return list;
}

/** `GET /executions/{name}` of each execution: its path, events, input, output and error. */
export async function readExecutions(
  apiUrl: string,
  summaries: ExecutionSummary[],
  onBody: (text: string) => void,
): Promise<ExecutionDetail[]> {
  const details: ExecutionDetail[] = [];
  for (const summary of summaries) {
    const answer = await getJson<ExecutionDetail>(`${apiUrl}/executions/${encodeURIComponent(summary.name)}`, onBody);
    if (answer.status === 200) details.push(answer.body);
  }
  return details;
}

/** The contents of every execution file the local Step Functions wrote under DATA_DIR/executions. */
export function readExecutionFiles(dataDir: string): string[] {
  const dir = join(dataDir, 'executions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

export interface KnoxEvidence {
  requestLog: RequestLogEntry[];
  customers: SimCustomer[];
}

export async function readKnox(control: KnoxSimControl): Promise<KnoxEvidence> {
  return { requestLog: await control.requests(), customers: await control.customers() };
}
