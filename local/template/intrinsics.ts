/**
 * Resolves the CloudFormation intrinsic functions that `cdk synth` leaves in a template (Fn::Join, Fn::GetAtt, Ref,
 * Fn::Sub, Fn::Select, Fn::Split and the pseudo parameters) into plain values, with deterministic fake names and ARNs
 * for the local stack. Anything it cannot resolve (Fn::If, Fn::ImportValue, ...) fails loudly with its path, so that
 * a definition never runs with a half-resolved token in it.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_PARTITION = 'aws';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** How a resource answers `Ref` and `Fn::GetAtt` locally. */
export interface ResourceRefs {
  ref: string;
  /** Attribute name -> value; `Arn` at least for resources whose ARN is referenced. */
  attributes: Record<string, string>;
  /** For resources nothing local reads (roles, log groups): any other attribute gets a fake value. */
  otherAttribute?: (attribute: string) => string;
}

export interface ResolveContext {
  /** Logical id -> how the resource is referenced. */
  resources: Record<string, ResourceRefs>;
  /** Template parameters (CDK's BootstrapVersion) -> their default value. */
  parameters: Record<string, string>;
  stackName: string;
  /** How `AWS::Region`, `AWS::Partition`... read (default: the local fake account in us-east-1). */
  pseudoParameters?: Record<string, string>;
}

export const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::Partition': LOCAL_PARTITION,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Marks a value that `Ref: AWS::NoValue` removed. */
const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

export class UnresolvableError extends Error {
  override readonly name = 'UnresolvableError';
}

/** Resolves every intrinsic in `value`; `where` names the value in error messages. */
export function resolveIntrinsics(value: unknown, ctx: ResolveContext, where = '$'): Json {
  const out = resolve(value, ctx, where);
  if (out === NO_VALUE) throw new UnresolvableError(`${where}: resolves to AWS::NoValue`);
  return out;
}

/** Resolves `value` and requires a string (what Fn::Join parts and ARNs must be). */
export function resolveString(value: unknown, ctx: ResolveContext, where: string): string {
  const out = resolveIntrinsics(value, ctx, where);
  if (typeof out === 'string') return out;
  if (typeof out === 'number' || typeof out === 'boolean') return String(out);
  throw new UnresolvableError(`${where}: expected a string, got ${JSON.stringify(out)}`);
}

function resolve(value: unknown, ctx: ResolveContext, where: string): Resolved {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (Array.isArray(value)) {
    return value.map((v, i) => resolve(v, ctx, `${where}[${i}]`)).filter((v): v is Json => v !== NO_VALUE);
  }
  if (typeof value !== 'object') throw new UnresolvableError(`${where}: not JSON (${typeof value})`);
  const entries = Object.entries(value as Record<string, unknown>);
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && isIntrinsicKey(first[0])) {
    return resolveIntrinsic(first[0], first[1], ctx, `${where}.${first[0]}`);
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of entries) {
    const r = resolve(v, ctx, `${where}.${k}`);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

function isIntrinsicKey(key: string): boolean {
  return key === 'Ref' || key.startsWith('Fn::');
}

function resolveIntrinsic(fn: string, arg: unknown, ctx: ResolveContext, where: string): Resolved {
  switch (fn) {
    case 'Ref':
      return resolveRef(arg, ctx, where);
    case 'Fn::GetAtt':
      return resolveGetAtt(arg, ctx, where);
    case 'Fn::Join': {
      const [delimiter, parts] = asTuple(arg, 2, where);
      const list = resolve(parts, ctx, `${where}[1]`);
      if (typeof delimiter !== 'string' || !Array.isArray(list))
        throw new UnresolvableError(`${where}: malformed Fn::Join`);
      return list.map((p, i) => scalarToString(p, `${where}[1][${i}]`)).join(delimiter);
    }
    case 'Fn::Select': {
      const [index, list] = asTuple(arg, 2, where);
      const i = Number(resolve(index, ctx, `${where}[0]`));
      const items = resolve(list, ctx, `${where}[1]`);
      if (!Array.isArray(items) || !Number.isInteger(i) || items[i] === undefined) {
        throw new UnresolvableError(`${where}: malformed Fn::Select`);
      }
      return items[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = asTuple(arg, 2, where);
      const text = resolveString(source, ctx, `${where}[1]`);
      if (typeof delimiter !== 'string') throw new UnresolvableError(`${where}: malformed Fn::Split`);
      return text.split(delimiter);
    }
    case 'Fn::Sub':
      return resolveSub(arg, ctx, where);
    default:
      throw new UnresolvableError(`${where}: ${fn} is not supported by the local stack`);
  }
}

function resolveRef(arg: unknown, ctx: ResolveContext, where: string): Resolved {
  if (typeof arg !== 'string') throw new UnresolvableError(`${where}: Ref needs a name`);
  if (arg === 'AWS::NoValue') return NO_VALUE;
  if (arg === 'AWS::StackName') return ctx.stackName;
  const pseudo = (ctx.pseudoParameters ?? PSEUDO_PARAMETERS)[arg];
  if (pseudo !== undefined) return pseudo;
  const resource = ctx.resources[arg];
  if (resource) return resource.ref;
  const parameter = ctx.parameters[arg];
  if (parameter !== undefined) return parameter;
  throw new UnresolvableError(`${where}: Ref to unknown ${arg}`);
}

function resolveGetAtt(arg: unknown, ctx: ResolveContext, where: string): Resolved {
  const [logicalId, attribute] = typeof arg === 'string' ? splitOnce(arg, '.') : asTuple(arg, 2, where);
  if (typeof logicalId !== 'string' || typeof attribute !== 'string')
    throw new UnresolvableError(`${where}: malformed Fn::GetAtt`);
  const resource = ctx.resources[logicalId];
  const value = resource?.attributes[attribute] ?? resource?.otherAttribute?.(attribute);
  if (value === undefined)
    throw new UnresolvableError(`${where}: Fn::GetAtt ${logicalId}.${attribute} has no local value`);
  return value;
}

/** `Fn::Sub`: `${Name}`, `${Logical.Attr}`, `${AWS::Region}` and `${!Literal}`, with an optional variable map. */
function resolveSub(arg: unknown, ctx: ResolveContext, where: string): Resolved {
  const [template, variables] = typeof arg === 'string' ? [arg, {}] : asTuple(arg, 2, where);
  if (typeof template !== 'string' || typeof variables !== 'object' || variables === null) {
    throw new UnresolvableError(`${where}: malformed Fn::Sub`);
  }
  const vars = variables as Record<string, unknown>;
  return template.replace(/\$\{(!?)([^}]+)\}/g, (_match, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    if (name in vars) return resolveString(vars[name], ctx, `${where}.${name}`);
    if (name.includes('.') && !name.startsWith('AWS::')) {
      return scalarToString(resolveGetAtt(name, ctx, `${where}.${name}`), where);
    }
    return scalarToString(resolveRef(name, ctx, `${where}.${name}`), where);
  });
}

function scalarToString(value: Resolved, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UnresolvableError(`${where}: cannot join ${value === NO_VALUE ? 'AWS::NoValue' : JSON.stringify(value)}`);
}

function asTuple(arg: unknown, length: number, where: string): unknown[] {
  if (!Array.isArray(arg) || arg.length !== length)
    throw new UnresolvableError(`${where}: expected ${length} arguments`);
  return arg;
}

function splitOnce(text: string, separator: string): [string, string] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

/** True when a resolved value still carries something that looks like an unresolved CDK token or intrinsic. */
export function hasUnresolvedTokens(value: unknown): boolean {
  const text = JSON.stringify(value);
  return /\$\{Token\[|"Ref"\s*:|"Fn::|#\{Token/.test(text);
}
