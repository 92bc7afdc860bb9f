/**
 * The IAM action and the resource ARNs of each local AWS request (Service Authorization Reference: "Actions,
 * resources, and condition keys" for Amazon DynamoDB, AWS Step Functions and AWS Secrets Manager):
 *
 * - DynamoDB: `dynamodb:<Operation>` on `arn:aws:dynamodb:<region>:<account>:table/<TableName>`, or
 *   `.../table/<TableName>/index/<IndexName>` for a Query or Scan of an index; BatchGetItem and BatchWriteItem on each
 *   table they name, the transactions on each item's table; ListTables on `*`.
 * - Step Functions: `states:<Operation>` on the state machine (StartExecution, ListExecutions, DescribeStateMachine),
 *   the execution (DescribeExecution, StopExecution, GetExecutionHistory), and for SendTaskSuccess / Failure /
 *   Heartbeat the state machine whose execution issued the token (what CDK's `grantTaskResponse` grants on);
 *   ListStateMachines on `*`.
 * - Secrets Manager: `secretsmanager:<Operation>` on the secret's ARN.
 */
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/intrinsics';

export interface ActionRequest {
  action: string;
  resources: string[];
}

const TABLE_PREFIX = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/`;

export function tableArn(tableName: string, indexName?: string): string {
  return `${TABLE_PREFIX}${tableName}${indexName ? `/index/${indexName}` : ''}`;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The tables a DynamoDB request touches (from its JSON body). */
function dynamoResources(operation: string, input: Record<string, unknown>): string[] {
  if (operation === 'ListTables') return ['*'];
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const items = input['RequestItems'];
    return items && typeof items === 'object' ? Object.keys(items).map((t) => tableArn(t)) : [];
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const list = Array.isArray(input['TransactItems']) ? (input['TransactItems'] as Record<string, unknown>[]) : [];
    const tables = list.flatMap((item) =>
      Object.values(item ?? {}).map((part) => str((part as Record<string, unknown> | null)?.['TableName'])),
    );
    return [...new Set(tables.filter((t): t is string => t !== undefined))].map((t) => tableArn(t));
  }
  const table = str(input['TableName']) ?? str(input['TableArn']);
  // An operation that names no table (DescribeLimits, DescribeEndpoints) is judged on every resource.
  if (table === undefined) return ['*'];
  const arn = table.startsWith('arn:') ? table : tableArn(table);
  const index = str(input['IndexName']);
  return [index ? `${arn}/index/${index}` : arn];
}

/** `DynamoDB_20120810.PutItem` and its body -> `dynamodb:PutItem` on the table. */
export function dynamoAction(target: string, input: Record<string, unknown>): ActionRequest | undefined {
  const [prefix, operation] = target.split('.', 2);
  if (!prefix?.startsWith('DynamoDB_') || !operation) return undefined;
  return { action: `dynamodb:${operation}`, resources: dynamoResources(operation, input) };
}

/** How the Step Functions checks find a token's state machine. */
export interface TaskTokenMachines {
  stateMachineOfToken(token: unknown): string | undefined;
}

const SFN_STATE_MACHINE_MEMBER: Record<string, string> = {
  StartExecution: 'stateMachineArn',
  StartSyncExecution: 'stateMachineArn',
  ListExecutions: 'stateMachineArn',
  DescribeStateMachine: 'stateMachineArn',
  DescribeExecution: 'executionArn',
  StopExecution: 'executionArn',
  GetExecutionHistory: 'executionArn',
  RedriveExecution: 'executionArn',
};

export function sfnAction(operation: string, input: Record<string, unknown>, tokens: TaskTokenMachines): ActionRequest {
  const action = `states:${operation}`;
  if (operation === 'ListStateMachines' || operation === 'ListActivities') return { action, resources: ['*'] };
  if (operation.startsWith('SendTask')) {
    // An unknown token names no machine: the operation itself answers InvalidToken / TaskDoesNotExist.
    const machine = tokens.stateMachineOfToken(input['taskToken']);
    return { action, resources: machine ? [machine] : [] };
  }
  const member = SFN_STATE_MACHINE_MEMBER[operation];
  const arn = member ? str(input[member]) : undefined;
  return { action, resources: arn ? [arn] : ['*'] };
}

export function secretsAction(operation: string, secretArn: string): ActionRequest {
  return { action: `secretsmanager:${operation}`, resources: [secretArn] };
}
