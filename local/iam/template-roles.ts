/**
 * The IAM roles of the synthesized template, as the local stack enforces them: each role's statements (its
 * AWS::IAM::Policy and AWS::IAM::ManagedPolicy attachments, its inline Policies), with every Ref/GetAtt/Join resolved
 * by local/template/intrinsics.ts to the same fake ARNs the local stack uses; and who assumes which role: each
 * Lambda function (its `Role`), each state machine (its `RoleArn`), the EventBridge Scheduler schedule (its
 * `Target.RoleArn`). Trust policies (AssumeRolePolicyDocument) are not evaluated: the local stack assumes exactly
 * the roles the template wires.
 */
import { resolveIntrinsics, resolveString, type ResolveContext } from '../template/intrinsics';
import { buildReferences, STACK_NAME, type CfnTemplate } from '../template/template';
import { LOCAL_ACCOUNT } from '../template/intrinsics';
import { readStatements, UnsupportedPolicyError, type PolicyStatement } from './policy';

export interface LocalRole {
  logicalId: string;
  name: string;
  arn: string;
  statements: PolicyStatement[];
}

export interface TemplateRoles {
  roles: LocalRole[];
  /** Function name (its handler, as the local stack names functions) -> its role. */
  functions: Map<string, LocalRole>;
  /** State machine ARN -> its role. */
  stateMachines: Map<string, LocalRole>;
  /** Each schedule's target (a function ARN, maybe qualified) and the role the scheduler assumes for it. */
  schedules: { target: string; role: LocalRole }[];
}

/**
 * AWS managed policies the local stack knows the statements of (from the IAM console's policy JSON). Any other
 * managed policy ARN refuses to start rather than be guessed.
 */
const KNOWN_MANAGED_POLICIES: Record<string, unknown> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Statement: [
      { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
    ],
  },
};

/** A role's name as CloudFormation generates it when the template sets none: `<stack>-<logicalId>` (64 at most). */
function roleName(logicalId: string, props: Record<string, unknown>): string {
  const explicit = props['RoleName'];
  return typeof explicit === 'string' ? explicit : `${STACK_NAME}-${logicalId}`.slice(0, 64);
}

export function templateRoles(template: CfnTemplate, ctx: ResolveContext = buildReferences(template)): TemplateRoles {
  const resources = Object.entries(template.Resources);
  const roles = new Map<string, LocalRole>();
  /** Resolved Ref and Arn of each role -> its logical id. */
  const byReference = new Map<string, string>();
  for (const [id, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const props = resource.Properties ?? {};
    const name = roleName(id, props);
    const role: LocalRole = { logicalId: id, name, arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`, statements: [] };
    for (const [i, policy] of ((props['Policies'] as unknown[] | undefined) ?? []).entries()) {
      const document = resolveIntrinsics((policy as Record<string, unknown>)['PolicyDocument'], ctx, `${id}.Policies`);
      role.statements.push(...readStatements(document, `${id}.Policies[${i}]`));
    }
    roles.set(id, role);
    const refs = ctx.resources[id];
    if (refs) {
      byReference.set(refs.ref, id);
      if (refs.attributes['Arn']) byReference.set(refs.attributes['Arn'], id);
    }
  }
  const roleOf = (value: unknown, where: string): LocalRole => {
    const resolved = resolveString(value, ctx, where);
    const role = roles.get(byReference.get(resolved) ?? '');
    if (!role) throw new UnsupportedPolicyError(`${where}: ${resolved} is not a role of the template`);
    return role;
  };

  const managed = new Map<string, unknown>(Object.entries(KNOWN_MANAGED_POLICIES));
  for (const [id, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const props = resource.Properties ?? {};
    const document = resolveIntrinsics(props['PolicyDocument'], ctx, `${id}.PolicyDocument`);
    const statements = readStatements(document, id);
    if (resource.Type === 'AWS::IAM::ManagedPolicy') managed.set(ctx.resources[id]?.ref ?? id, document);
    for (const [i, target] of ((props['Roles'] as unknown[] | undefined) ?? []).entries()) {
      roleOf(target, `${id}.Roles[${i}]`).statements.push(...statements);
    }
    if (resource.Type === 'AWS::IAM::Policy' && (props['Users'] !== undefined || props['Groups'] !== undefined))
      throw new UnsupportedPolicyError(`${id}: policies for users or groups are not enforced locally`);
  }
  // A managed policy whose statements are not known here only matters on a role a local principal uses (a function,
  // a state machine, the schedule): a role of a service the local stack does not emulate (API Gateway's account-level
  // CloudWatch Logs role) is read but never asked.
  const unknownManaged = new Map<LocalRole, string>();
  for (const [id, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    for (const [i, arn] of ((resource.Properties?.['ManagedPolicyArns'] as unknown[] | undefined) ?? []).entries()) {
      const resolved = resolveString(arn, ctx, `${id}.ManagedPolicyArns[${i}]`);
      const document = managed.get(resolved);
      if (document === undefined)
        unknownManaged.set(roles.get(id)!, `${id}: the statements of managed policy ${resolved} are not known locally`);
      else roles.get(id)!.statements.push(...readStatements(document, resolved));
    }
  }

  const functions = new Map<string, LocalRole>();
  const stateMachines = new Map<string, LocalRole>();
  const schedules: { target: string; role: LocalRole }[] = [];
  for (const [id, resource] of resources) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::Function' && props['Role'] !== undefined) {
      functions.set(ctx.resources[id]!.ref, roleOf(props['Role'], `${id}.Role`));
    } else if (resource.Type === 'AWS::StepFunctions::StateMachine' && props['RoleArn'] !== undefined) {
      stateMachines.set(ctx.resources[id]!.ref, roleOf(props['RoleArn'], `${id}.RoleArn`));
    } else if (resource.Type === 'AWS::Scheduler::Schedule') {
      const target = props['Target'] as Record<string, unknown> | undefined;
      if (target?.['RoleArn'] === undefined || target['Arn'] === undefined) continue;
      schedules.push({
        target: resolveString(target['Arn'], ctx, `${id}.Target.Arn`),
        role: roleOf(target['RoleArn'], `${id}.Target.RoleArn`),
      });
    }
  }
  for (const used of [...functions.values(), ...stateMachines.values(), ...schedules.map((s) => s.role)]) {
    const unknown = unknownManaged.get(used);
    if (unknown !== undefined) throw new UnsupportedPolicyError(unknown);
  }
  return { roles: [...roles.values()], functions, stateMachines, schedules };
}
