/**
 * The local stack: the synthesized state machines, run on this machine with no AWS account.
 *
 *   template (cdk synth) -> dynalite (table from the template, data under DATA_DIR)
 *                        -> Knox simulator (unless KNOX_BASE_URL)     -> Secrets Manager endpoint (Knox credentials)
 *                        -> local Step Functions (engine + JSON API) -> process.env for the AWS SDK and every function
 *                        -> handler modules imported -> recovery of open records -> poller (on the scaled clock)
 *                        -> HTTP API
 *
 * One stack per process at a time (the handlers share process.env). Each function is its own instance (its own
 * bundle, its own module state: lambda/function-bundles.ts), created at each start from the endpoints in process.env
 * at that time, so a restart may use new ports; to restart the way a laptop restarts
 * (same endpoints, e.g. a client or a script that kept the URL), pass `stack.ports` back: dynamoPort, sfnPort,
 * secretsPort, knoxPort and port.
 */
import { mkdirSync } from 'node:fs';
import { STATES } from '#domain/state-names';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DEFAULTS, ENV } from '#domain/configuration';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { BATCH_WORKFLOW } from '#infra/metadata';
import { startKnoxSimulator, SIM_DEFAULT_CREDENTIALS, type RunningKnoxSimulator } from '#knox-sim/server';
import { apiGatewayModel } from '../apigateway/api-routes';
import { LocalConsole } from '../console/console-server';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './defaults';
import { ensureTable, startDynamo, type RunningDynamo } from '../dynamodb/dynamodb';
import { dynamoDelays, setAwsLatency, type LatencyMode } from '../latency/aws-latency';
import { LocalExecutions } from '../stepfunctions/engine';
import { applyEnvironment, localEnvironment } from './environment';
import { prepareMachine } from '../stepfunctions/prepare-machine';
import type { ExecutionRecord } from '../stepfunctions/execution-store';
import { startHttpApi, type HttpApiOptions, type RunningHttpApi } from '../apigateway/rest-api';
import { LambdaRuntime } from '../lambda/lambda-runtime';
import { LocalPoller } from '../scheduler/scheduler';
import { recoverOpenRecords, type RecoveryAction } from './recovery';
import { startSecretsEndpoint, type KnoxSecretValue, type RunningSecretsEndpoint } from '../secretsmanager/secrets';
import { startSfnEndpoint } from '../stepfunctions/sfn-server';
import { statusChangeEvent } from '../eventbridge/status-change-event';
import { PROJECT_DIR, ensureTemplate } from '../template/synth';
import { readTemplate, resolveModel, type LocalModel, type LocalStateMachine } from '../template/template';
import { AccessGate } from '../iam/access-gate';
import { secretsAuthorizer, sfnAuthorizer } from '../iam/endpoint-authorizers';
import { useFunctionCredentials } from '../iam/function-identity';
import { templateRoles } from '../iam/template-roles';

export { DEFAULT_DATA_DIR, DEFAULT_PORT };

export interface LocalStackOptions {
  /** HTTP API port: 3000 by default, 0 in tests. */
  port?: number;
  /** Where dynalite and the execution histories live (default `.local/data`, created if missing). */
  dataDir?: string;
  /** Multiplies every Wait and Retry interval and the deadline (default 1). */
  timeScale?: number;
  /** Run this synthesized template instead of cdk.out's (tests: a template with a grant removed). */
  templatePath?: string;
  /** 'aws': AWS's typical latencies on the local services and Knox's on the simulator (local/latency/aws-latency.ts). */
  latency?: LatencyMode;
  /** Talk to this Knox instead of starting the simulator (default: env KNOX_BASE_URL, else the simulator). */
  knoxBaseUrl?: string;
  /** Credentials served as the Knox secret (default: env KNOX_CLIENT_ID/KNOX_CLIENT_SECRET, else the simulator's). */
  knoxCredentials?: KnoxSecretValue;
  /** The built-in simulator's port (0: any). */
  knoxPort?: number;
  dynamoPort?: number;
  sfnPort?: number;
  secretsPort?: number;
  /**
   * Handler environment overrides, applied last (e.g. `{ WAIT_DEADLINE_SECONDS: '5' }`). WAIT_DEADLINE_SECONDS also
   * sets the callback states' TimeoutSeconds (the customer's deadline), unscaled.
   */
  env?: Record<string, string>;
  /**
   * API Gateway overrides: `throttle` replaces the stage's throttle from the template (`'none'`: not throttled, for
   * drivers that compress time or poll faster than a client would: the tests, the bench, the demo), and
   * `integrationTimeoutMs` every method's integration timeout (tests).
   */
  apiGateway?: Pick<HttpApiOptions, 'throttle' | 'integrationTimeoutMs'>;
  /** Start the poller's clock (default true); false leaves rounds to `stack.poller.round()` (tests, the bench). */
  pollerAutoStart?: boolean;
  /**
   * Changes the synthesized state machines before they run (tests: a definition changed between two starts, to see
   * in-flight executions keep theirs: local/stepfunctions/definition-versions.ts).
   */
  transformMachine?: (machine: LocalStateMachine) => LocalStateMachine;
  /** No log lines from the stack and none from the handlers (tests). */
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface LocalStack {
  apiUrl: string;
  knoxUrl: string;
  /** The built-in simulator, when it runs (not with knoxBaseUrl / KNOX_BASE_URL). */
  simulator?: RunningKnoxSimulator;
  /** The local Step Functions: executions, their status and history. */
  executions: LocalExecutions;
  ports: { api: number; dynamo: number; sfn: number; secrets: number; knox?: number };
  dataDir: string;
  timeScale: number;
  model: LocalModel;
  /** IAM: the template's roles, each function's own credentials, the checks every local AWS endpoint applies. */
  iam: AccessGate;
  /** What recovery did with the open records it found at start. */
  recovery: RecoveryAction[];
  /** The poller on the stack's clock (when the template has the poller function). */
  poller?: LocalPoller;
  /** The local Lambda: each function's instance (`coldStart()`), concurrency, throttles; `use()` for tests. */
  lambda: LambdaRuntime;
  /** GetSecretValue calls the local Secrets Manager answered so far. */
  secretReads(): number;
  stop(): Promise<void>;
}

const LAMBDAS_DIR = join(PROJECT_DIR, 'lambdas');
/** How long stop() lets invocations already running finish (their results are discarded). */
const STOP_GRACE_MS = 15_000;
/** EventBridge retries a failed delivery; we try this often. */
const STATUS_CHANGE_ATTEMPTS = 3;

let running = false;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (running) throw new Error('a local stack is already running in this process (the handlers share process.env)');
  running = true;
  const log = options.quiet ? () => undefined : (options.log ?? ((line: string) => console.error(`[local] ${line}`)));
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        log(`while stopping: ${(error as Error).message}`);
      }
    }
    cleanups.length = 0;
    running = false;
  };
  try {
    return await start(options, log, cleanups, cleanup);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function start(
  options: LocalStackOptions,
  log: (line: string) => void,
  cleanups: (() => Promise<void> | void)[],
  cleanup: () => Promise<void>,
): Promise<LocalStack> {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  const template = readTemplate(options.templatePath ?? (await ensureTemplate({ log })));
  const model = resolveModel(template);
  const runtime = new LambdaRuntime(model.functions, LAMBDAS_DIR, { timeScale, log });
  // IAM as in AWS: each function signs with its own credentials and every local AWS call is judged by its role.
  const iam = new AccessGate(templateRoles(template));
  runtime.gate = iam;
  useFunctionCredentials((name) => iam.credentialsOf(name));
  cleanups.push(() => useFunctionCredentials(undefined));
  const deadlineOverride = options.env?.[ENV.waitDeadlineSeconds];
  const prepare = (m: LocalStateMachine) =>
    prepareMachine(m, timeScale, runtime, {
      // The customer's deadline: not the batch workflow's callback (its TimeoutSeconds is the watch's backstop).
      ...(deadlineOverride !== undefined && m.workflow !== BATCH_WORKFLOW
        ? { callbackTimeoutSeconds: Number(deadlineOverride) }
        : {}),
      // The batch's pacing wait matches the Knox budget, which runs in real time: TIME_SCALE leaves it alone.
      realTimeWaits: [STATES.waitForBudget],
    });
  const machines = model.stateMachines.map((m) => prepare(options.transformMachine?.(m) ?? m));

  setAwsLatency(options.latency ?? 'none');
  cleanups.push(() => setAwsLatency('none'));
  const dynamo: RunningDynamo = await startDynamo({
    dataDir,
    access: iam.snapshot(),
    delays: dynamoDelays(),
    ...(options.dynamoPort !== undefined ? { port: options.dynamoPort } : {}),
  });
  cleanups.push(() => dynamo.stop());
  await ensureTable(dynamo.client, model.table);

  const externalKnox = options.knoxBaseUrl ?? process.env.KNOX_BASE_URL;
  const credentials = options.knoxCredentials ?? credentialsFromEnv() ?? { ...SIM_DEFAULT_CREDENTIALS };
  let simulator: RunningKnoxSimulator | undefined;
  if (!externalKnox) {
    simulator = await startKnoxSimulator({
      host: '127.0.0.1',
      port: options.knoxPort ?? 0,
      ...credentials,
      ...(options.latency === 'aws' ? { latency: 'aws' as const } : {}),
    });
    cleanups.push(() => simulator!.stop());
  }
  const knoxUrl = externalKnox ?? simulator!.url;

  const secrets: RunningSecretsEndpoint = await startSecretsEndpoint({
    secret: model.secret,
    value: credentials,
    port: options.secretsPort,
    authorize: secretsAuthorizer(iam, model.secret),
  });
  cleanups.push(() => secrets.stop());

  const executions = new LocalExecutions({
    machines,
    prepareStored: prepare,
    runtime,
    dataDir,
    log,
    ...(runtime.has(OTHER_FUNCTIONS.executionEvents)
      ? { onClosed: (record) => deliverStatusChange(runtime, record) }
      : {}),
  });
  const sfn = await startSfnEndpoint(executions, {
    port: options.sfnPort,
    log,
    authorize: sfnAuthorizer(iam, executions),
  });
  cleanups.push(() => sfn.stop());

  const restoreEnv = applyEnvironment(
    localEnvironment({
      functions: model.functions,
      knoxBaseUrl: knoxUrl,
      timeScale,
      endpoints: { dynamodb: dynamo.endpoint, sfn: sfn.endpoint, secretsManager: secrets.endpoint },
      ...(options.env ? { overrides: options.env } : {}),
      ...(options.quiet ? { quiet: true } : {}),
    }),
  );
  cleanups.push(restoreEnv);
  // Runs are stopped (left RUNNING on disk, resumed next start) while their endpoints and environment still exist.
  cleanups.push(async () => {
    await executions.shutdown();
    await runtime.idle(STOP_GRACE_MS);
  });
  await runtime.load();

  const recovery = await recoverOpenRecords(dynamo.client, model.table, executions);
  for (const r of recovery)
    if (r.action !== 'running')
      log(`recovery: ${r.kind} ${r.recordId} (${r.status}) ${r.action} as ${r.executionName}`);

  let poller: LocalPoller | undefined;
  const pollerFunction = model.functions.find((f) => f.handler === OTHER_FUNCTIONS.poller);
  if (pollerFunction) {
    const periodSeconds = Number(pollerFunction.environment[ENV.pollPeriodSeconds] ?? DEFAULTS.pollPeriodSeconds);
    poller = new LocalPoller(runtime, periodSeconds * timeScale * 1000, log);
    // Stopped before the executions: no round hands a token to a stopping engine.
    cleanups.push(() => poller!.stop());
    if (options.pollerAutoStart ?? true) poller.start();
  }

  if (!runtime.has(OTHER_FUNCTIONS.api)) throw new Error(`the template has no "${OTHER_FUNCTIONS.api}" function`);
  const http: RunningHttpApi = await startHttpApi({
    port: options.port ?? DEFAULT_PORT,
    apiGateway: apiGatewayModel(template),
    ...options.apiGateway,
    invokeApi: (event: APIGatewayProxyEvent) => runtime.invoke(OTHER_FUNCTIONS.api, event),
    executions,
    console: new LocalConsole({
      executions,
      dynamo: dynamo.client,
      tableName: model.table.name,
      ...(simulator ? { simulatorUrl: simulator.url } : {}),
      log,
    }),
    log,
  });
  // Stopped first: no new requests while the rest shuts down.
  cleanups.push(() => http.stop());

  return {
    apiUrl: http.url,
    knoxUrl,
    ...(simulator ? { simulator } : {}),
    executions,
    ports: {
      api: http.port,
      dynamo: dynamo.port,
      sfn: sfn.port,
      secrets: secrets.port,
      ...(simulator ? { knox: simulator.port } : {}),
    },
    dataDir,
    timeScale,
    model,
    iam,
    recovery,
    ...(poller ? { poller } : {}),
    lambda: runtime,
    secretReads: () => secrets.reads(),
    stop: cleanup,
  };
}

function credentialsFromEnv(): KnoxSecretValue | undefined {
  const clientId = process.env.KNOX_CLIENT_ID;
  const clientSecret = process.env.KNOX_CLIENT_SECRET;
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

/** Invokes execution-events with the EventBridge event, retrying a failed delivery like EventBridge would. */
async function deliverStatusChange(runtime: LambdaRuntime, record: ExecutionRecord): Promise<void> {
  const event = statusChangeEvent(record);
  for (let attempt = 1; ; attempt++) {
    try {
      await runtime.invoke(OTHER_FUNCTIONS.executionEvents, event);
      return;
    } catch (error) {
      if (attempt >= STATUS_CHANGE_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
