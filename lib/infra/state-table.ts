/**
 * The one DynamoDB table that holds every onboarding, offboarding and change record and the per-customer locks
 * (layout: TABLE in lib/domain/workflow.ts), with the grants each kind of function needs.
 */
import { type CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ENV } from '#domain/configuration';
import { TABLE } from '#domain/table-layout';
import type { HandlerFunction } from './handler-function';
import { METADATA_KEYS } from './metadata';

/**
 * Single-item reads and writes: everything a record or lock needs, and nothing that reads the whole table (no Scan)
 * or changes the table itself.
 */
export const RECORD_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** A batch reads its slices and its items' onboardings 100 keys a call. */
export const BATCH_READ_ACTIONS = ['dynamodb:BatchGetItem'] as const;

/** What the poller does to single items: read, and update in place (never create or delete). */
export const POLLER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/** Listing records by kind and status goes through the GSI only. */
export const STATUS_QUERY_ACTIONS = ['dynamodb:Query'] as const;

export interface StateTableProps {
  /** @default RemovalPolicy.RETAIN: the records are the audit trail of every onboarding */
  removalPolicy?: RemovalPolicy;
}

export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.byStatusIndex,
      partitionKey: { name: TABLE.byStatusPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.byStatusSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    (this.table.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.table, 'state');
  }

  /** ARN of the by-status index (a GSI has its own ARN: granting on the table does not cover it). */
  get statusIndexArn(): string {
    return `${this.table.tableArn}/index/${TABLE.byStatusIndex}`;
  }

  /** Read and write single records and locks, and tell the function the table's name. */
  grantRecordAccess(fn: HandlerFunction): void {
    fn.addEnvironment(ENV.tableName, this.table.tableName);
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: [...RECORD_ACTIONS], resources: [this.table.tableArn] }));
  }

  /** Read many records in one call (a batch's slices and items). */
  grantBatchRead(fn: HandlerFunction): void {
    fn.role.addToPolicy(
      new iam.PolicyStatement({ actions: [...BATCH_READ_ACTIONS], resources: [this.table.tableArn] }),
    );
  }

  /**
   * The poller: read the waiting records (the index), its own item and single records, and update them (the
   * answer, the spent token, the round's times). No PutItem, DeleteItem or Scan.
   */
  grantPollerAccess(fn: HandlerFunction): void {
    fn.addEnvironment(ENV.tableName, this.table.tableName);
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: [...POLLER_ACTIONS], resources: [this.table.tableArn] }));
    this.grantStatusQuery(fn);
  }

  /** List records by kind and status (the API's `GET /onboardings?status=`). */
  grantStatusQuery(fn: HandlerFunction): void {
    fn.role.addToPolicy(
      new iam.PolicyStatement({ actions: [...STATUS_QUERY_ACTIONS], resources: [this.statusIndexArn] }),
    );
  }
}
