/**
 * The synthesized template read as it is, for the template tests: definitions with references rendered as readable
 * placeholders, and the logical id of each resource the local stack runs (found by its `knox-onboarding:*` Metadata).
 */
import { RECORD_KINDS, type RecordKind } from '#domain/api-schemas';
import type { HandlerName } from '#infra/handler-function';
import { BATCH_WORKFLOW, METADATA_KEYS } from '#infra/metadata';
import { PSEUDO_PARAMETERS, type ResolveContext, type ResourceRefs } from './intrinsics';
import { definitionFrom, findByMetadata, type AslDefinition, type CfnTemplate } from './template';

/**
 * References rendered as readable placeholders instead of local values: `{{Ref:AWS::Partition}}`,
 * `{{GetAtt:LinkCustomerFunction1234.Arn}}`. The template tests read definitions this way, to assert on what the
 * template itself says.
 */
export function placeholderContext(template: CfnTemplate): ResolveContext {
  const resources: Record<string, ResourceRefs> = {};
  for (const id of Object.keys(template.Resources)) {
    resources[id] = {
      ref: `{{Ref:${id}}}`,
      attributes: {},
      otherAttribute: (attribute) => `{{GetAtt:${id}.${attribute}}}`,
    };
  }
  const parameters = Object.fromEntries(
    Object.keys(template.Parameters ?? {}).map((name) => [name, `{{Ref:${name}}}`]),
  );
  const pseudoParameters = Object.fromEntries(Object.keys(PSEUDO_PARAMETERS).map((name) => [name, `{{Ref:${name}}}`]));
  return { resources, parameters, pseudoParameters, stackName: '{{Ref:AWS::StackName}}' };
}

/** A state machine's definition as ASL; references become placeholders unless another context is given. */
export function resolveDefinition(
  template: CfnTemplate,
  logicalId: string,
  ctx = placeholderContext(template),
): AslDefinition {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') {
    throw new Error(`${logicalId} is not an AWS::StepFunctions::StateMachine in the template`);
  }
  return definitionFrom(logicalId, resource, ctx);
}

function onlyOne(template: CfnTemplate, key: string, value: string): string {
  const found = findByMetadata(template, key).filter((r) => r.value === value);
  if (found.length !== 1) throw new Error(`the template needs exactly one resource with Metadata ${key}: "${value}"`);
  return found[0]!.id;
}

/** Logical id of each workflow's AWS::StepFunctions::StateMachine. */
export function workflowLogicalIds(template: CfnTemplate): Record<RecordKind, string> {
  return Object.fromEntries(
    RECORD_KINDS.map((kind) => [kind, onlyOne(template, METADATA_KEYS.workflow, kind)]),
  ) as Record<RecordKind, string>;
}

/** Logical id of the bulk onboarding state machine. */
export function batchWorkflowLogicalId(template: CfnTemplate): string {
  return onlyOne(template, METADATA_KEYS.workflow, BATCH_WORKFLOW);
}

/** Logical id of each AWS::Lambda::Function, by handler module name. */
export function handlerLogicalIds(template: CfnTemplate): Map<HandlerName, string> {
  return new Map(findByMetadata(template, METADATA_KEYS.handler).map((r) => [r.value as HandlerName, r.id]));
}

/** Logical ids of the table and the Knox secret. */
export function tableLogicalId(template: CfnTemplate): string {
  return onlyOne(template, METADATA_KEYS.table, 'state');
}
export function secretLogicalId(template: CfnTemplate): string {
  return onlyOne(template, METADATA_KEYS.secret, 'knox');
}
