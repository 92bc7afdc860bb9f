/**
 * The EventBridge event Step Functions sends when an execution's status changes ("Step Functions Execution Status
 * Change", source aws.states), built from a local execution: the execution-events handler receives exactly this shape.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/intrinsics';
import type { ExecutionRecord } from '../stepfunctions/execution-store';

export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

export interface ExecutionStatusChangeDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  /** Epoch milliseconds, as EventBridge carries them. */
  startDate: number;
  stopDate: number | null;
  input: string;
  inputDetails: { included: boolean };
  output: string | null;
  outputDetails: { included: boolean } | null;
  error: string | null;
  cause: string | null;
}

export function statusChangeEvent(
  record: ExecutionRecord,
): EventBridgeEvent<typeof STATUS_CHANGE_DETAIL_TYPE, ExecutionStatusChangeDetail> {
  const stopDate = record.stopDate ? Date.parse(record.stopDate) : null;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': STATUS_CHANGE_DETAIL_TYPE,
    source: 'aws.states',
    account: LOCAL_ACCOUNT,
    time: new Date(stopDate ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: Date.parse(record.startDate),
      stopDate,
      input: record.input,
      inputDetails: { included: true },
      output: record.output ?? null,
      outputDetails: record.output === undefined ? null : { included: true },
      error: record.error ?? null,
      cause: record.cause ?? null,
    },
  };
}
