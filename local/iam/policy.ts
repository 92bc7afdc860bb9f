/**
 * A small IAM policy evaluator for identity-based policies, as AWS evaluates them within one account (IAM User Guide,
 * "Policy evaluation logic"): an explicit Deny in any statement wins, else an Allow in any statement allows, else the
 * request is implicitly denied. Action and NotAction match case-insensitively with `*` and `?` ("IAM JSON policy
 * elements: Action"); Resource and NotResource match ARNs case-sensitively, segment by segment for partition,
 * service, region and account, and with `*` / `?` over the whole resource part, colons and slashes included
 * ("IAM JSON policy elements: Resource": "you can use wildcard characters (* and ?) within any ARN segment").
 *
 * Conditions and policy variables are refused when a policy is read (`readStatements`), never ignored: no statement
 * of the template uses them today, and a statement evaluated without its condition would allow more than AWS does.
 */

export type Effect = 'Allow' | 'Deny';

export interface PolicyStatement {
  sid?: string;
  effect: Effect;
  /** Exactly one of action / notAction. */
  action?: string[];
  notAction?: string[];
  /** Exactly one of resource / notResource. */
  resource?: string[];
  notResource?: string[];
}

export type Decision = 'allow' | 'explicitDeny' | 'implicitDeny';

export class UnsupportedPolicyError extends Error {
  override readonly name = 'UnsupportedPolicyError';
}

const asList = (value: unknown, where: string): string[] | undefined => {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v): v is string => typeof v === 'string'))
    throw new UnsupportedPolicyError(`${where}: expected strings, got ${JSON.stringify(value)}`);
  return list;
};

/** A policy document's statements (resolved JSON), checked for what this evaluator does not do. */
export function readStatements(document: unknown, where: string): PolicyStatement[] {
  const raw = (document as { Statement?: unknown } | null)?.Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return statements.map((s, i) => {
    const at = `${where}.Statement[${i}]`;
    const st = s as Record<string, unknown>;
    if (st['Condition'] !== undefined) {
      throw new UnsupportedPolicyError(
        `${at}: Condition ${JSON.stringify(st['Condition'])} is not evaluated by the local stack (refusing rather than ignoring it)`,
      );
    }
    if (st['Principal'] !== undefined || st['NotPrincipal'] !== undefined)
      throw new UnsupportedPolicyError(`${at}: an identity-based policy has no Principal`);
    const effect = st['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny')
      throw new UnsupportedPolicyError(`${at}: Effect must be Allow or Deny`);
    const action = asList(st['Action'], `${at}.Action`);
    const notAction = asList(st['NotAction'], `${at}.NotAction`);
    const resource = asList(st['Resource'], `${at}.Resource`);
    const notResource = asList(st['NotResource'], `${at}.NotResource`);
    if ((action === undefined) === (notAction === undefined))
      throw new UnsupportedPolicyError(`${at}: needs exactly one of Action and NotAction`);
    if ((resource === undefined) === (notResource === undefined))
      throw new UnsupportedPolicyError(`${at}: needs exactly one of Resource and NotResource`);
    for (const r of [...(resource ?? []), ...(notResource ?? [])]) {
      if (r.includes('${'))
        throw new UnsupportedPolicyError(`${at}: policy variables (${r}) are not evaluated by the local stack`);
    }
    return {
      ...(typeof st['Sid'] === 'string' ? { sid: st['Sid'] } : {}),
      effect,
      ...(action ? { action } : {}),
      ...(notAction ? { notAction } : {}),
      ...(resource ? { resource } : {}),
      ...(notResource ? { notResource } : {}),
    };
  });
}

/** `*` any run of characters, `?` one character, everything else literal. */
function globToRegExp(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

const patternCache = new Map<string, RegExp>();
function glob(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = patternCache.get(key);
  if (!re) {
    re = globToRegExp(pattern, caseInsensitive ? 'i' : '');
    patternCache.set(key, re);
  }
  return re.test(value);
}

/** `dynamodb:Get*` matches `dynamodb:GetItem` (service prefix and action name case-insensitive). */
export function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern, action, true);
}

/** An ARN against a Resource pattern: the first five segments one by one, then the resource part as a whole. */
export function resourceMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return glob(pattern, arn, false);
  for (let i = 0; i < 5; i++) if (!glob(p[i]!, a[i]!, false)) return false;
  return glob(p[5]!, a[5]!, false);
}

/** arn:partition:service:region:account:resource (the resource part keeps its own colons). */
function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function statementApplies(s: PolicyStatement, action: string, resource: string): boolean {
  const actionHit = s.action
    ? s.action.some((p) => actionMatches(p, action))
    : !s.notAction!.some((p) => actionMatches(p, action));
  if (!actionHit) return false;
  return s.resource
    ? s.resource.some((p) => resourceMatches(p, resource))
    : !s.notResource!.some((p) => resourceMatches(p, resource));
}

/** The decision for one action on one resource under a set of statements. */
export function evaluate(statements: readonly PolicyStatement[], action: string, resource: string): Decision {
  let allowed = false;
  for (const s of statements) {
    if (!statementApplies(s, action, resource)) continue;
    if (s.effect === 'Deny') return 'explicitDeny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicitDeny';
}
