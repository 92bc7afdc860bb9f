/**
 * The local Step Functions endpoint: the AWS JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Op>`) in front of
 * LocalExecutions, so that the API handler's default SFN client (AWS_ENDPOINT_URL_SFN) runs unchanged. Timestamps
 * go out as epoch seconds, as the SDK expects in this protocol.
 */
import {
  AwsServiceError,
  requireString,
  startAwsJsonServer,
  type AwsJsonServerOptions,
  type RunningAwsJsonServer,
} from '../protocol/aws-json-server';
import { EXECUTION_STATUSES, type ExecutionRecord, type ExecutionStatus, type RecordedEvent } from './execution-store';
import type { LocalExecutions } from './engine';
import { withAwsLatency } from '../latency/aws-latency';
import { AwsHistoryMapper } from './history-events';

const epochSeconds = (iso: string): number => Date.parse(iso) / 1000;

export async function startSfnEndpoint(
  executions: LocalExecutions,
  options: { port?: number; log?: (line: string) => void; authorize?: AwsJsonServerOptions['authorize'] } = {},
): Promise<RunningAwsJsonServer> {
  return startAwsJsonServer({
    targetPrefix: 'AWSStepFunctions',
    jsonVersion: '1.0',
    port: options.port,
    ...(options.authorize ? { authorize: options.authorize } : {}),
    onInternalError: (op, error) =>
      options.log?.(`local Step Functions ${op} failed: ${(error as Error).stack ?? String(error)}`),
    // LATENCY=aws: each call answers after Step Functions' typical latency (local/latency/aws-latency.ts).
    operations: withAwsLatency('stepfunctions', {
      StartExecution: (input) => {
        const started = executions.startExecution({
          stateMachineArn: requireString(input, 'stateMachineArn'),
          ...(typeof input['name'] === 'string' ? { name: input['name'] } : {}),
          ...(typeof input['input'] === 'string' ? { input: input['input'] } : {}),
        });
        return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
      },
      StopExecution: async (input) => {
        const { stopDate } = await executions.stopExecution(requireString(input, 'executionArn'), {
          ...(typeof input['error'] === 'string' ? { error: input['error'] } : {}),
          ...(typeof input['cause'] === 'string' ? { cause: input['cause'] } : {}),
        });
        return { stopDate: epochSeconds(stopDate) };
      },
      DescribeExecution: (input) => describeExecution(executions.requireRecord(requireString(input, 'executionArn'))),
      ListExecutions: (input) => listExecutions(executions, input),
      GetExecutionHistory: (input) => {
        const record = executions.requireRecord(requireString(input, 'executionArn'));
        const machine = executions.stateMachines.find((m) => m.arn === record.stateMachineArn);
        return executionHistory(record, input, machine?.definition ?? { States: {} });
      },
      // Callbacks (callbacks.ts): AWS answers `{}` to each, or InvalidToken, TaskDoesNotExist, TaskTimedOut, ...
      SendTaskSuccess: (input) => {
        executions.callbacks.sendTaskSuccess(input['taskToken'], input['output']);
        return {};
      },
      SendTaskFailure: (input) => {
        executions.callbacks.sendTaskFailure(input['taskToken'], input['error'], input['cause']);
        return {};
      },
      SendTaskHeartbeat: (input) => {
        executions.callbacks.sendTaskHeartbeat(input['taskToken']);
        return {};
      },
      ListStateMachines: () => ({
        stateMachines: executions.stateMachines.map((m) => ({
          stateMachineArn: m.arn,
          name: m.name,
          type: 'STANDARD',
          creationDate: 0,
        })),
      }),
      DescribeStateMachine: (input) => {
        const arn = requireString(input, 'stateMachineArn');
        const machine = executions.stateMachines.find((m) => m.arn === arn);
        if (!machine) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
        return {
          stateMachineArn: arn,
          name: machine.name,
          status: 'ACTIVE',
          type: 'STANDARD',
          definition: JSON.stringify(machine.definition),
          roleArn: '',
          creationDate: 0,
        };
      },
    }),
  });
}

/** An execution as ListExecutions lists it; DescribeExecution adds its data. */
function executionSummary(r: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: epochSeconds(r.startDate),
    ...(r.stopDate ? { stopDate: epochSeconds(r.stopDate) } : {}),
  };
}

function describeExecution(r: ExecutionRecord): Record<string, unknown> {
  return {
    ...executionSummary(r),
    input: r.input,
    inputDetails: { included: true },
    ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.cause !== undefined ? { cause: r.cause } : {}),
    ...(r.runs > 1 ? { redriveCount: r.runs - 1 } : {}),
  };
}

/** Page tokens are plain offsets: nothing secret, nothing to forge. */
function page<T>(items: T[], input: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const max =
    typeof input['maxResults'] === 'number' && input['maxResults'] > 0 ? Math.min(input['maxResults'], 1000) : 100;
  const start = typeof input['nextToken'] === 'string' ? Number.parseInt(input['nextToken'], 10) || 0 : 0;
  const slice = items.slice(start, start + max);
  return start + max < items.length ? { items: slice, nextToken: String(start + max) } : { items: slice };
}

function listExecutions(executions: LocalExecutions, input: Record<string, unknown>): Record<string, unknown> {
  const stateMachineArn = requireString(input, 'stateMachineArn');
  if (!executions.stateMachines.some((m) => m.arn === stateMachineArn)) {
    throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
  }
  const status = input['statusFilter'];
  if (status !== undefined && !(EXECUTION_STATUSES as readonly unknown[]).includes(status)) {
    throw new AwsServiceError('ValidationException', `statusFilter must be one of ${EXECUTION_STATUSES.join(', ')}`);
  }
  const all = executions.list({ stateMachineArn, ...(status ? { status: status as ExecutionStatus } : {}) });
  const { items, nextToken } = page(all, input);
  return {
    executions: items.map(executionSummary),
    ...(nextToken ? { nextToken } : {}),
  };
}

/**
 * The recorded events in GetExecutionHistory's shape: each local event as the AWS events it stands for
 * (history-events.ts, the same mapping the 25,000-event cap counts with: a Task's entry is TaskStateEntered,
 * TaskScheduled and TaskStarted), so that the history has as many events as AWS would record.
 */
function executionHistory(
  record: ExecutionRecord,
  input: Record<string, unknown>,
  definition: { States: Record<string, Record<string, unknown>> },
): Record<string, unknown> {
  const mapper = new AwsHistoryMapper(definition);
  const events = record.events.flatMap((e) => toHistoryEvents(e, mapper));
  let previous = 0;
  const numbered = events.map((e, i) => {
    const out = { ...e, id: i + 1, previousEventId: previous };
    previous = i + 1;
    return out;
  });
  const ordered = input['reverseOrder'] === true ? numbered.reverse() : numbered;
  const { items, nextToken } = page(ordered, input);
  return { events: items, ...(nextToken ? { nextToken } : {}) };
}

function toHistoryEvents(e: RecordedEvent, mapper: AwsHistoryMapper): Record<string, unknown>[] {
  const primary = toHistoryEvent(e);
  // A local restart shows as a redrive (no AWS event stands for it otherwise).
  if (e.type === 'ExecutionResumed') return primary ? [primary] : [];
  return mapper.awsEvents(e).map((type) =>
    type === primary?.['type']
      ? primary
      : {
          timestamp: epochSeconds(e.timestamp),
          type,
          [`${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`]: {
            resourceType: 'lambda',
            resource: 'invoke',
          },
        },
  );
}

function toHistoryEvent(e: RecordedEvent): Record<string, unknown> | undefined {
  // AWS names an event's details after its type (ExecutionStarted: executionStartedEventDetails), a state's after the
  // kind of event alone (TaskStateEntered: stateEnteredEventDetails).
  const event = (type: string, details: Record<string, unknown>, detailsOf = type) => ({
    timestamp: epochSeconds(e.timestamp),
    type,
    [`${detailsOf.charAt(0).toLowerCase()}${detailsOf.slice(1)}EventDetails`]: details,
  });
  // An execution's input or output, whole.
  const data = (name: 'input' | 'output', value: string) => ({
    [name]: value,
    [`${name}Details`]: { truncated: false },
  });
  const errorDetails = {
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
  switch (e.type) {
    case 'ExecutionStarted':
      return event('ExecutionStarted', data('input', e.input ?? '{}'));
    case 'ExecutionResumed':
      return event('ExecutionRedriven', {});
    case 'ExecutionSucceeded':
      return event('ExecutionSucceeded', data('output', e.output ?? 'null'));
    case 'ExecutionFailed':
      return event('ExecutionFailed', errorDetails);
    case 'ExecutionAborted':
      return event('ExecutionAborted', errorDetails);
    case 'ExecutionTimeout':
      return event('ExecutionTimedOut', errorDetails);
    case 'StateEntered':
      return event(`${e.stateType}StateEntered`, { name: e.state }, 'StateEntered');
    case 'StateExited':
      return event(`${e.stateType}StateExited`, { name: e.state }, 'StateExited');
    case 'StateFailed':
      return e.stateType === 'Task'
        ? event('TaskFailed', { resourceType: 'lambda', resource: 'invoke', ...errorDetails })
        : undefined;
    default:
      return undefined;
  }
}
