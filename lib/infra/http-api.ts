/**
 * The operators' HTTP API (routes in README.md, "The HTTP API"): an API Gateway REST API where every method needs
 * SigV4 (IAM) credentials, proxied to the api Lambda, which validates bodies with the zod schemas and starts, stops
 * and reads our three state machines, and nothing else.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { RecordKind } from '#domain/api-schemas';
import { ENV } from '#domain/configuration';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import { API_ROUTES, pathParameterNames, type ApiRouteSpec } from '#domain/routes';
import type { StackConfig } from './context-config';
import { HandlerFunction } from './handler-function';
import { grantOnExecutions } from './state-machine';
import type { StateTable } from './state-table';

/** The stage every route lives under: https://<id>.execute-api.<region>.amazonaws.com/v1/onboardings */
export const API_STAGE = 'v1';

/** The environment variable that carries each workflow's state machine ARN to the api Lambda. */
const STATE_MACHINE_ENV: Record<RecordKind, string> = {
  onboarding: ENV.onboardingStateMachineArn,
  offboarding: ENV.offboardingStateMachineArn,
  change: ENV.changeStateMachineArn,
};

/** What API Gateway answers when a body is not a JSON object: the same shape as the api Lambda's 400. */
const BAD_BODY_RESPONSE = JSON.stringify({
  message: 'The request body is not valid',
  issues: [{ path: '', message: 'the body must be a JSON object' }],
});

export interface HttpApiProps {
  config: StackConfig;
  table: StateTable;
  stateMachines: Record<RecordKind, StateMachine>;
  /** The bulk onboarding workflow (POST starts it, DELETE stops it). */
  batchStateMachine?: StateMachine;
}

export class HttpApi extends Construct {
  readonly api: apigw.RestApi;
  readonly handler: HandlerFunction;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const { config, table, stateMachines } = props;

    this.handler = new HandlerFunction(this, 'Handler', {
      handler: OTHER_FUNCTIONS.api,
      description: 'The knox-onboarding HTTP API: records requests and starts, stops and reads workflows',
      config,
      environment: { [ENV.waitDeadlineSeconds]: String(config.waitDeadlineSeconds) },
      timeout: Duration.seconds(15),
    });
    table.grantRecordAccess(this.handler);
    table.grantStatusQuery(this.handler);
    const machines: [string, StateMachine][] = Object.entries(stateMachines).map(([kind, m]) => [
      STATE_MACHINE_ENV[kind as RecordKind],
      m,
    ]);
    if (props.batchStateMachine) {
      table.grantBatchRead(this.handler);
      machines.push([ENV.batchStateMachineArn, props.batchStateMachine]);
    }
    for (const [variable, stateMachine] of machines) {
      this.handler.addEnvironment(variable, stateMachine.stateMachineArn);
      stateMachine.grantStartExecution(this.handler.function);
      // Cancel (DELETE) and read an execution's status: on this machine's executions only.
      grantOnExecutions(this.handler.role, stateMachine, ['states:StopExecution', 'states:DescribeExecution']);
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: config.logRetentionDays });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'Onboards and offboards Knox MSP customers (IAM-authorized)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Execution logging needs the account-wide API Gateway CloudWatch role, which one stack should not own;
      // access logs below record every call.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: API_STAGE,
        tracingEnabled: true,
        metricsEnabled: true,
        throttlingRateLimit: config.apiThrottleRate,
        throttlingBurstLimit: config.apiThrottleBurst,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: { 'application/json': BAD_BODY_RESPONSE },
    });

    this.addRoutes();

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are MSP operators and their tools with AWS credentials: every method uses IAM (SigV4) authorization, not a Cognito user pool.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'The API is IAM-authorized only (unsigned requests never reach the Lambda) and throttled at the stage; a WAF web ACL would add cost without a threat it stops.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging needs the account-wide API Gateway CloudWatch role (a singleton this stack should not own); the stage writes JSON access logs for every call and the Lambda logs every request.',
      },
    );
  }

  private addRoutes(): void {
    const integration = new apigw.LambdaIntegration(this.handler.function, { proxy: true, allowTestInvoke: false });
    const bodyValidator = this.api.addRequestValidator('BodyValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const paramsValidator = this.api.addRequestValidator('ParamsValidator', { validateRequestParameters: true });
    // API Gateway checks only that the body is a JSON object; the api Lambda validates its fields with the zod
    // schemas and answers each problem with its path, the same way on API Gateway and on the local stack.
    const jsonObject = this.api.addModel('JsonObject', {
      contentType: 'application/json',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, title: 'JsonObject', type: apigw.JsonSchemaType.OBJECT },
    });

    // A body that may also be CSV: the JSON-object model applies to application/json only; text/csv passes on to the
    // api Lambda, which reads and validates it.
    const post: apigw.MethodOptions = {
      requestValidator: bodyValidator,
      requestModels: { 'application/json': jsonObject },
      requestParameters: { 'method.request.header.Idempotency-Key': false },
    };
    const withParams = (route: ApiRouteSpec): apigw.MethodOptions => ({
      requestValidator: paramsValidator,
      requestParameters: Object.fromEntries([
        ...pathParameterNames(route.resource).map((name) => [`method.request.path.${name}`, true]),
        ...(route.query ?? []).map((name) => [`method.request.querystring.${name}`, false]),
      ]),
    });

    // Every route of the one route table; resources are created once, parents first.
    for (const route of API_ROUTES as readonly ApiRouteSpec[]) {
      const resource = this.api.root.resourceForPath(route.resource);
      resource.addMethod(route.method, integration, route.jsonBody ? post : withParams(route));
    }
  }
}
