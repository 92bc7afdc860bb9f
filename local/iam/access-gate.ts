/**
 * IAM on every local AWS call (product.md "As strict as AWS": IAM). Each local function gets credentials of its own
 * (a random access key id and secret per stack start, never logged); a request signed with them is verified
 * (SigV4) and judged by the statements of that function's role in the synthesized template (template-roles.ts).
 * The engine's Lambda invokes are judged by the state machine's role, the scheduler's by the schedule's role.
 * Anyone else who signs a request (the AWS CLI, a test's SDK client: any other key) is the developer, allowed
 * everything as their own credentials would be, except the Knox secret: the secrets endpoint serves the local
 * functions only.
 *
 * What is refused answers AWS's own error (IAM User Guide, "Troubleshoot access denied error messages"):
 * `User: <assumed-role ARN> is not authorized to perform: <action> on resource: <ARN> because no identity-based
 * policy allows the <action> action` (or `with an explicit deny in an identity-based policy`), as
 * AccessDeniedException: in DynamoDB's and Step Functions' JSON 1.0 as `com.amazon.coral.service#AccessDeniedException`,
 * in Secrets Manager's JSON 1.1 as `AccessDeniedException`, and to a Step Functions Task as `Lambda.AWSLambdaException`
 * whose cause ends `(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; ...)`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsServiceError } from '../protocol/aws-json-server';
import { LOCAL_ACCOUNT } from '../template/intrinsics';
import type { FunctionCredentials } from './function-identity';
import { evaluate, type Decision } from './policy';
import { parseAuthorization, sha256Hex, signatureMatches } from './sigv4';
import type { LocalRole, TemplateRoles } from './template-roles';

/** Who makes a call: a role assumed by a local function, a state machine or the scheduler; or the developer. */
export type Caller =
  | { kind: 'developer'; arn: string }
  | { kind: 'role'; role: LocalRole; arn: string; functionName?: string };

export const DEVELOPER_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-developer`;

/** How a service spells its errors: JSON 1.0 coral services (DynamoDB, Step Functions) or Secrets Manager. */
export type ErrorStyle = 'coral' | 'secretsmanager';

const CORAL = 'com.amazon.coral.service#';

export function serviceError(style: ErrorStyle, type: string, message: string, status = 400): AwsServiceError {
  return new AwsServiceError(style === 'coral' ? `${CORAL}${type}` : type, message, status);
}

export function deniedMessage(caller: Caller, action: string, resource: string, decision: Decision): string {
  const why =
    decision === 'explicitDeny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  return `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

/** A random AWS-looking key pair: ASIA + 16 characters (Lambda's credentials are temporary ones), a 40-character secret. */
function newCredentials(): FunctionCredentials {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join('');
  return { accessKeyId: `ASIA${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

export interface SignedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What another process needs to judge requests as this gate does (the DynamoDB proxy runs in dynalite's process). */
export interface AccessSnapshot {
  functions: [string, LocalRole][];
  stateMachines: [string, LocalRole][];
  schedules: TemplateRoles['schedules'];
  roles: LocalRole[];
  credentials: [string, FunctionCredentials][];
}

export class AccessGate {
  private readonly credentials = new Map<string, FunctionCredentials>();
  private readonly keyOwners = new Map<string, string>();

  constructor(
    private readonly roles: TemplateRoles,
    credentials?: Map<string, FunctionCredentials>,
  ) {
    for (const functionName of roles.functions.keys()) {
      const own = credentials?.get(functionName) ?? newCredentials();
      this.credentials.set(functionName, own);
      this.keyOwners.set(own.accessKeyId, functionName);
    }
  }

  /** The gate as plain JSON (its roles and the functions' credentials), for `AccessGate.fromSnapshot`. */
  snapshot(): AccessSnapshot {
    return {
      functions: [...this.roles.functions],
      stateMachines: [...this.roles.stateMachines],
      schedules: this.roles.schedules,
      roles: this.roles.roles,
      credentials: [...this.credentials],
    };
  }

  static fromSnapshot(s: AccessSnapshot): AccessGate {
    return new AccessGate(
      {
        functions: new Map(s.functions),
        stateMachines: new Map(s.stateMachines),
        schedules: s.schedules,
        roles: s.roles,
      },
      new Map(s.credentials),
    );
  }

  /** A local function's own credentials (what its AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY would be on AWS). */
  credentialsOf(functionName: string): FunctionCredentials | undefined {
    return this.credentials.get(functionName);
  }

  /** The role a local function runs with. */
  functionCaller(functionName: string): Caller {
    const role = this.roles.functions.get(functionName);
    if (!role) throw new Error(`no role for function ${functionName} in the template`);
    return {
      kind: 'role',
      role,
      functionName,
      arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${role.name}/${functionName}`,
    };
  }

  /**
   * Who signed a request: a local function (its signature verified) or the developer (any other key). Unsigned
   * requests are refused as AWS refuses them.
   */
  identify(request: SignedRequest, style: ErrorStyle): Caller {
    const header = request.headers.authorization;
    if (header === undefined)
      throw serviceError(style, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
    const auth = parseAuthorization(header);
    if (!auth) {
      throw serviceError(
        style,
        'IncompleteSignatureException',
        'Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256)',
      );
    }
    const owner = this.keyOwners.get(auth.accessKeyId);
    if (owner === undefined) return { kind: 'developer', arn: DEVELOPER_ARN };
    const secret = this.credentials.get(owner)!.secretAccessKey;
    const signable = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      payloadHash: sha256Hex(request.body),
    };
    if (!signatureMatches(signable, auth, secret)) {
      throw serviceError(
        style,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    }
    return this.functionCaller(owner);
  }

  /** The decision for a caller (the developer may do anything). */
  decide(caller: Caller, action: string, resource: string): Decision {
    return caller.kind === 'developer' ? 'allow' : evaluate(caller.role.statements, action, resource);
  }

  /** Throws AWS's AccessDeniedException unless the caller may do `action` on every one of `resources`. */
  authorize(caller: Caller, action: string, resources: readonly string[], style: ErrorStyle): void {
    for (const resource of resources) {
      const decision = this.decide(caller, action, resource);
      if (decision !== 'allow')
        throw serviceError(style, 'AccessDeniedException', deniedMessage(caller, action, resource, decision));
    }
  }

  /** Throws unless the state machine's role may invoke `functionName` (the FunctionName its Task names). */
  authorizeStateMachineInvoke(stateMachineArn: string, executionName: string, functionName: string): void {
    const role = this.roles.stateMachines.get(stateMachineArn);
    if (!role) throw new Error(`no role for state machine ${stateMachineArn} in the template`);
    const caller: Caller = {
      kind: 'role',
      role,
      arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${role.name}/${executionName.slice(0, 64)}`,
    };
    const decision = this.decide(caller, 'lambda:InvokeFunction', functionName);
    if (decision === 'allow') return;
    const error = new Error(
      `${deniedMessage(caller, 'lambda:InvokeFunction', functionName, decision)} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`,
    );
    error.name = 'Lambda.AWSLambdaException';
    throw error;
  }

  /** Throws unless a schedule of the template targets `functionArn` with a role allowed to invoke it. */
  authorizeScheduledInvoke(functionArn: string): void {
    const schedules = this.roles.schedules.filter(
      (s) => s.target === functionArn || s.target.startsWith(`${functionArn}:`),
    );
    if (schedules.length === 0)
      throw namedError('AccessDeniedException', `no schedule of the template targets ${functionArn}`);
    for (const { target, role } of schedules) {
      const caller: Caller = {
        kind: 'role',
        role,
        arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${role.name}/scheduler`,
      };
      const decision = this.decide(caller, 'lambda:InvokeFunction', target);
      if (decision !== 'allow')
        throw namedError('AccessDeniedException', deniedMessage(caller, 'lambda:InvokeFunction', target, decision));
    }
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
