/**
 * One Lambda function, its log group and its own role: the building block of every function in the stack.
 *
 * The function gets an explicit role with only the log-writing rights on its own log group (instead of the
 * AWS-managed AWSLambdaBasicExecutionRole, which allows writing to every log group), and each construct that owns a
 * resource grants its own rights on it (`table.grantRecordAccess(fn)`, `secret.grantRead(fn)`).
 */
import { fileURLToPath } from 'node:url';
import { type CfnResource, type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { OTHER_FUNCTIONS, STEP_FUNCTIONS } from '#domain/function-names';
import type { StackConfig } from './context-config';
import { METADATA_KEYS } from './metadata';

/** The module name of a handler under lambdas/ (a value of STEP_FUNCTIONS or OTHER_FUNCTIONS). */
export type HandlerName =
  | (typeof STEP_FUNCTIONS)[keyof typeof STEP_FUNCTIONS]
  | (typeof OTHER_FUNCTIONS)[keyof typeof OTHER_FUNCTIONS];

/** Every function's Powertools service name (log lines and traces are grouped by it). */
export const SERVICE_NAME = 'knox-onboarding';

/** The project's lambdas/ directory (this file is lib/infra/handler-function.ts). */
export const LAMBDAS_DIR = fileURLToPath(new URL('../../lambdas/', import.meta.url));

/** The entry file of a handler module. */
export function handlerEntry(handler: HandlerName): string {
  return `${LAMBDAS_DIR}${handler}.ts`;
}

export interface HandlerFunctionProps {
  handler: HandlerName;
  description: string;
  config: StackConfig;
  environment: Record<string, string>;
  timeout: Duration;
  /** @default 256 */
  memorySize?: number;
  /** @default none (the account's unreserved pool) */
  reservedConcurrentExecutions?: number;
}

export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: iam.Role;
  readonly handler: HandlerName;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.handler = props.handler;

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.config.logRetentionDays });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.handler} handler of knox-onboarding`,
    });
    // The function writes to its own log group only (the log group's ARN ends in ":*", which covers its streams).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      // X-Ray: no `tracing` here, on purpose. The state machines and the API stage trace every execution and
      // request, and Lambda's own default (pass-through) puts each invocation in the traces they sample, with no
      // X-Ray rights on the role. Active tracing adds only the function's own segment: tracing the SDK and Knox calls
      // inside it needs the Powertools Tracer, which adds 127 KB (aws-xray-sdk-core) to every bundle, about doubling
      // it, and to every cold start. Knox calls are logged with their code and disposition instead.
      role: this.role,
      logGroup: this.logGroup,
      // The state machines name a published version of each function (./live-alias.ts): an execution that waits for
      // weeks runs the code it started with, so a version is kept when a newer one is published.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        // Stack traces point at the TypeScript source (the bundle ships its source map).
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        // Prefer the ESM build of dependencies that ship both, so that tree shaking works.
        mainFields: ['module', 'main'],
        // CommonJS dependencies bundled into an ESM file still call require(): give them one.
        banner:
          "import { createRequire as __knoxCreateRequire } from 'node:module'; const require = __knoxCreateRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        target: 'node22',
        // The Node.js 22 runtime ships AWS SDK v3; bundling our own copy would only grow the cold start.
        externalModules: ['@aws-sdk/*'],
      },
    });
    (this.function.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.handler, props.handler);

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime this project is built and tested for; a newer runtime is adopted with its own test run.',
    });
  }

  /** Adds an environment variable (for values that only exist once other constructs are built). */
  addEnvironment(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }
}
