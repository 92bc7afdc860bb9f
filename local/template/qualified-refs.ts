/**
 * How published versions and aliases answer `Ref` and `Fn::GetAtt Arn` locally (lib/infra/live-alias.ts publishes
 * them): AWS::Lambda::Version -> `<function ARN>:<n>` (the local Lambda runtime maps a qualified ARN to its
 * function), AWS::StepFunctions::StateMachineVersion -> `<state machine ARN>:<n>`, AWS::StepFunctions::StateMachineAlias
 * -> `<state machine ARN>:<alias name>` (the local Step Functions starts an alias's or a version's executions on the
 * state machine it qualifies: there is one definition per state machine locally, the one the stack started with).
 * These resources name their function or state machine by Ref/GetAtt, so they are resolved after the others.
 */
import { type ResolveContext, type ResourceRefs, resolveString } from './intrinsics';

/** The version number a local version ARN carries: locally each start has one version of everything. */
export const LOCAL_VERSION = '1';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown> | undefined;
}

/** Adds the refs of versions and aliases to `ctx` (and returns it): Lambda versions, state machine versions, aliases. */
export function addQualifiedReferences(resources: Record<string, Resource>, ctx: ResolveContext): ResolveContext {
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  for (const [id, r] of ofType('AWS::Lambda::Version')) {
    const fn = resolveString(r.Properties?.['FunctionName'], ctx, `${id}.FunctionName`);
    const functionArn = fn.startsWith('arn:') ? fn : functionArnOf(fn, ctx);
    ctx.resources[id] = qualified(`${functionArn}:${LOCAL_VERSION}`, { Version: LOCAL_VERSION });
  }
  for (const [id, r] of ofType('AWS::StepFunctions::StateMachineVersion')) {
    const machine = resolveString(r.Properties?.['StateMachineArn'], ctx, `${id}.StateMachineArn`);
    ctx.resources[id] = qualified(`${machine}:${LOCAL_VERSION}`, {});
  }
  for (const [id, r] of ofType('AWS::StepFunctions::StateMachineAlias')) {
    const props = r.Properties ?? {};
    const preference = props['DeploymentPreference'] as Record<string, unknown> | undefined;
    const routing = (props['RoutingConfiguration'] as Record<string, unknown>[] | undefined)?.[0];
    const versionArn = resolveString(
      preference?.['StateMachineVersionArn'] ?? routing?.['StateMachineVersionArn'],
      ctx,
      `${id}.StateMachineVersionArn`,
    );
    const name = resolveString(props['Name'], ctx, `${id}.Name`);
    ctx.resources[id] = qualified(`${unqualifiedStateMachineArn(versionArn)}:${name}`, {});
  }
  return ctx;
}

/** `arn:...:stateMachine:<name>` of a version or alias ARN (or of the unqualified ARN itself). */
export function unqualifiedStateMachineArn(arn: string): string {
  const at = arn.indexOf(':stateMachine:');
  if (at < 0) return arn;
  const name = arn.slice(at + ':stateMachine:'.length).split(':')[0];
  return `${arn.slice(0, at)}:stateMachine:${name}`;
}

function functionArnOf(name: string, ctx: ResolveContext): string {
  const found = Object.values(ctx.resources).find((r) => r.ref === name && r.attributes['Arn']?.includes(':function:'));
  if (!found) throw new Error(`a Lambda version names ${name}, which is no function of the template`);
  return found.attributes['Arn']!;
}

function qualified(arn: string, extra: Record<string, string>): ResourceRefs {
  return { ref: arn, attributes: { Arn: arn, ...extra } };
}
