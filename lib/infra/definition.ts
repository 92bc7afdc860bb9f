/**
 * Reading the synthesized template: find the workflows, functions, table and secret by their CloudFormation
 * Metadata (never by guessing logical ids), and turn a state machine's DefinitionString (a Fn::Join of JSON text and
 * references to functions) into plain Amazon States Language. The local stack and the template tests both use it.
 */
import type { RecordKind } from '../domain/api-schemas';
import type { HandlerName } from './handler-function';
import { METADATA_KEYS } from './metadata';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  [key: string]: unknown;
}
export interface CfnTemplate {
  Resources: Record<string, TemplateResource>;
  [key: string]: unknown;
}

/** Turns one CloudFormation intrinsic (`{Ref}`, `{Fn::GetAtt}`, ...) found inside the definition into a string. */
export type TokenResolver = (intrinsic: Record<string, unknown>) => string;

/**
 * The default resolver: a readable placeholder that is safe inside a JSON string,
 * `{{Ref:AWS::Partition}}` or `{{GetAtt:LinkCustomerFunction1234.Arn}}`.
 */
export const placeholderResolver: TokenResolver = (intrinsic) => {
  if (typeof intrinsic.Ref === 'string') return `{{Ref:${intrinsic.Ref}}}`;
  const getAtt = intrinsic['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `{{GetAtt:${getAtt.join('.')}}}`;
  if (typeof getAtt === 'string') return `{{GetAtt:${getAtt}}}`;
  throw new Error(`Unexpected intrinsic in a state machine definition: ${JSON.stringify(intrinsic)}`);
};

/** An Amazon States Language document (what the tests and the local engine read). */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  Comment?: string;
}
export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}
export interface AslCatcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultSelector?: Record<string, unknown>;
  ResultPath?: string | null;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
  TimeoutSeconds?: number;
  Seconds?: number;
  Choices?: Record<string, unknown>[];
  Default?: string;
  Error?: string;
  Cause?: string;
  [key: string]: unknown;
}

/** Logical ids of resources whose Metadata has `key` (value: the metadata value). */
export function findByMetadata(template: CfnTemplate, key: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const value = resource.Metadata?.[key];
    if (typeof value === 'string') found.set(value, logicalId);
  }
  return found;
}

/** Logical id of each workflow's AWS::StepFunctions::StateMachine. */
export function workflowLogicalIds(template: CfnTemplate): Record<RecordKind, string> {
  const found = findByMetadata(template, METADATA_KEYS.workflow);
  const pick = (kind: RecordKind): string => {
    const id = found.get(kind);
    if (!id) throw new Error(`No state machine with Metadata ${METADATA_KEYS.workflow}=${kind} in the template`);
    return id;
  };
  return { onboarding: pick('onboarding'), offboarding: pick('offboarding'), change: pick('change') };
}

/** Logical id of each AWS::Lambda::Function, by handler module name. */
export function handlerLogicalIds(template: CfnTemplate): Map<HandlerName, string> {
  return findByMetadata(template, METADATA_KEYS.handler) as Map<HandlerName, string>;
}

/** Logical ids of the table and the Knox secret. */
export function tableLogicalId(template: CfnTemplate): string {
  return required(findByMetadata(template, METADATA_KEYS.table).get('state'), METADATA_KEYS.table);
}
export function secretLogicalId(template: CfnTemplate): string {
  return required(findByMetadata(template, METADATA_KEYS.secret).get('knox'), METADATA_KEYS.secret);
}

/** The state machine's definition as ASL, with every reference turned into a string by `resolve`. */
export function resolveDefinition(
  template: CfnTemplate,
  logicalId: string,
  resolve: TokenResolver = placeholderResolver,
): AslDefinition {
  const resource = template.Resources[logicalId];
  if (!resource || resource.Type !== 'AWS::StepFunctions::StateMachine') {
    throw new Error(`${logicalId} is not an AWS::StepFunctions::StateMachine in the template`);
  }
  const body = resource.Properties?.DefinitionString;
  return JSON.parse(renderString(body, resolve)) as AslDefinition;
}

/** A CloudFormation string value: a literal, a Fn::Join of literals and intrinsics, or one intrinsic. */
function renderString(value: unknown, resolve: TokenResolver): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, unknown[]];
      return parts.map((part) => renderString(part, resolve)).join(separator);
    }
    return resolve(value as Record<string, unknown>);
  }
  throw new Error(`Unexpected DefinitionString: ${JSON.stringify(value)}`);
}

function required(id: string | undefined, key: string): string {
  if (!id) throw new Error(`No resource with Metadata ${key} in the template`);
  return id;
}
