/**
 * Reads the synthesized CloudFormation template and turns the resources the local stack runs into plain local
 * descriptions: the three state machines (resolved ASL), the functions (handler module, environment, timeout), the
 * table and the Knox secret. Resources are found by their `knox-onboarding:*` Metadata, never by
 * guessing logical ids. Every Ref/GetAtt becomes a deterministic fake name or ARN in us-east-1 / 000000000000.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { RECORD_KINDS, type RecordKind } from '#domain/api-schemas';
import type { HandlerName } from '#infra/handler-function';
import { BATCH_WORKFLOW, METADATA_KEYS, STACK_NAME } from '#infra/metadata';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  PSEUDO_PARAMETERS,
  hasUnresolvedTokens,
  resolveIntrinsics,
  resolveString,
  type Json,
  type ResolveContext,
  type ResourceRefs,
} from './intrinsics';
import type { AslDefinition } from '../stepfunctions/asl';
import { functionLimits, type AsyncInvokeSettings } from './function-settings';

export type { AslDefinition, AslState, AslRetrier, AslCatcher } from '../stepfunctions/asl';
export { nestedMachines, taskStates } from '../stepfunctions/asl';

export { STACK_NAME };

/** Lambda's default timeout when the template sets none. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

// --- The template's shape (only what we read) -------------------------------------------------------------------------

const resourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
});
export const templateSchema = z.object({
  Parameters: z.record(z.string(), z.object({ Default: z.unknown().optional() }).passthrough()).optional(),
  Resources: z.record(z.string(), resourceSchema),
});
export type CfnTemplate = z.infer<typeof templateSchema>;
type CfnResource = z.infer<typeof resourceSchema>;

// --- What the local stack runs ----------------------------------------------------------------------------------------

/** Every state machine the local stack runs: one per RecordKind, and the bulk onboarding one. */
export const LOCAL_WORKFLOWS = [...RECORD_KINDS, BATCH_WORKFLOW] as const;
export type LocalWorkflow = (typeof LOCAL_WORKFLOWS)[number];

export interface LocalStateMachine {
  workflow: LocalWorkflow;
  logicalId: string;
  name: string;
  arn: string;
  definition: AslDefinition;
}

export interface LocalFunction {
  logicalId: string;
  /** The module under lambdas/ (without .ts). */
  handler: string;
  name: string;
  arn: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** The template's Environment.Variables, resolved to local values. */
  environment: Record<string, string>;
  /** ReservedConcurrentExecutions (undefined: unreserved) and the async-invoke settings (function-settings.ts). */
  reservedConcurrency?: number;
  asyncInvoke?: AsyncInvokeSettings;
}

export interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}
export interface LocalTable {
  logicalId: string;
  name: string;
  arn: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  globalSecondaryIndexes: {
    IndexName: string;
    KeySchema: KeySchemaElement[];
    Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
  }[];
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
}

export interface LocalSecret {
  logicalId: string;
  name: string;
  arn: string;
}

export interface LocalModel {
  stateMachines: LocalStateMachine[];
  functions: LocalFunction[];
  table: LocalTable;
  secret: LocalSecret;
}

// --- Fake names -------------------------------------------------------------------------------------------------------

export function localFunctionArn(handler: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${handler}`;
}
export function localStateMachineArn(workflow: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${workflow}`;
}
export function localExecutionArn(stateMachineName: string, executionName: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${stateMachineName}:${executionName}`;
}
function localTableName(resource: CfnResource, metadataValue: string): string {
  const explicit = resource.Properties?.['TableName'];
  return typeof explicit === 'string' ? explicit : `knox-onboarding-${metadataValue}`;
}
function localSecretName(metadataValue: string): string {
  return `knox-onboarding/${metadataValue}`;
}

// --- Reading ----------------------------------------------------------------------------------------------------------

export function readTemplate(path: string): CfnTemplate {
  return templateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function metadataOf(resource: CfnResource, key: string): string | undefined {
  const value = resource.Metadata?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** How every resource of the template answers Ref and GetAtt locally. */
export function buildReferences(template: CfnTemplate): ResolveContext {
  const resources: Record<string, ResourceRefs> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    resources[id] = referencesOf(id, resource);
  }
  const parameters: Record<string, string> = {};
  for (const [name, p] of Object.entries(template.Parameters ?? {})) {
    if (p.Default !== undefined) parameters[name] = String(p.Default);
  }
  return { resources, parameters, stackName: STACK_NAME };
}

function referencesOf(id: string, resource: CfnResource): ResourceRefs {
  const handler = metadataOf(resource, METADATA_KEYS.handler);
  const workflow = metadataOf(resource, METADATA_KEYS.workflow);
  const table = metadataOf(resource, METADATA_KEYS.table);
  const secret = metadataOf(resource, METADATA_KEYS.secret);
  if (resource.Type === 'AWS::Lambda::Function') {
    const name = handler ?? `local-${id}`;
    return { ref: name, attributes: { Arn: localFunctionArn(name) } };
  }
  if (resource.Type === 'AWS::StepFunctions::StateMachine') {
    const name = workflow ?? `local-${id}`;
    const arn = localStateMachineArn(name);
    return { ref: arn, attributes: { Arn: arn, Name: name } };
  }
  if (table !== undefined) {
    const name = localTableName(resource, table);
    const arn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
    return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } };
  }
  if (secret !== undefined) {
    const arn = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${localSecretName(secret)}-LOCAL0`;
    return { ref: arn, attributes: { Arn: arn } };
  }
  // Roles, log groups, alarms...: nothing local reads them, but a definition or environment may name them.
  const arn = `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource.Type.replace(/::/g, '-').toLowerCase()}/${id}`;
  return { ref: `local-${id}`, attributes: { Arn: arn }, otherAttribute: (attribute) => `${arn}/${attribute}` };
}

/** Resources carrying one of our metadata keys, by the key's value. */
function findByMetadata(
  template: CfnTemplate,
  key: string,
  type?: string,
): { id: string; value: string; resource: CfnResource }[] {
  return Object.entries(template.Resources)
    .map(([id, resource]) => ({ id, resource, value: metadataOf(resource, key) }))
    .filter((r): r is { id: string; value: string; resource: CfnResource } => r.value !== undefined)
    .filter((r) => type === undefined || r.resource.Type === type);
}

/** Everything the local stack runs, resolved. Throws with a clear message when the template lacks something. */
export function resolveModel(template: CfnTemplate): LocalModel {
  const ctx = buildReferences(template);
  return {
    stateMachines: resolveStateMachines(template, ctx),
    functions: resolveFunctions(template, ctx),
    table: resolveTable(template, ctx),
    secret: resolveSecret(template, ctx),
  };
}

function resolveStateMachines(template: CfnTemplate, ctx: ResolveContext): LocalStateMachine[] {
  const found = findByMetadata(template, METADATA_KEYS.workflow, 'AWS::StepFunctions::StateMachine');
  for (const kind of LOCAL_WORKFLOWS) {
    if (found.filter((f) => f.value === kind).length !== 1) {
      throw new Error(
        `the template needs exactly one state machine with Metadata ${METADATA_KEYS.workflow}: "${kind}"`,
      );
    }
  }
  return found.map(({ id, value, resource }) => {
    const workflow = z.enum(LOCAL_WORKFLOWS).parse(value);
    const definition = definitionFrom(id, resource, ctx);
    const refs = ctx.resources[id]!;
    return { workflow, logicalId: id, name: refs.attributes['Name']!, arn: refs.ref, definition };
  });
}

function definitionFrom(id: string, resource: CfnResource, ctx: ResolveContext): AslDefinition {
  const props = resource.Properties ?? {};
  const where = `${id}.DefinitionString`;
  let definition: unknown;
  if (props['DefinitionString'] !== undefined) {
    definition = JSON.parse(resolveString(props['DefinitionString'], ctx, where));
  } else if (props['Definition'] !== undefined) {
    definition = resolveIntrinsics(props['Definition'], ctx, `${id}.Definition`);
  } else {
    throw new Error(`state machine ${id} has neither DefinitionString nor Definition`);
  }
  const substitutions = props['DefinitionSubstitutions'];
  if (substitutions !== undefined) {
    const values = resolveIntrinsics(substitutions, ctx, `${id}.DefinitionSubstitutions`) as Record<string, Json>;
    definition = JSON.parse(
      JSON.stringify(definition).replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, name: string) =>
        name in values ? String(values[name]) : m,
      ),
    );
  }
  const parsed = z
    .object({ StartAt: z.string(), States: z.record(z.string(), z.record(z.string(), z.unknown())) })
    .passthrough()
    .parse(definition);
  if (hasUnresolvedTokens(parsed)) throw new Error(`state machine ${id}: the definition still holds unresolved tokens`);
  return parsed as AslDefinition;
}

function resolveFunctions(template: CfnTemplate, ctx: ResolveContext): LocalFunction[] {
  return findByMetadata(template, METADATA_KEYS.handler, 'AWS::Lambda::Function').map(({ id, value, resource }) => {
    const props = resource.Properties ?? {};
    const variables = (props['Environment'] as { Variables?: unknown } | undefined)?.Variables ?? {};
    const resolved = resolveIntrinsics(variables, ctx, `${id}.Environment.Variables`);
    const environment = z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .parse(resolved);
    return {
      logicalId: id,
      handler: value,
      name: ctx.resources[id]!.ref,
      arn: ctx.resources[id]!.attributes['Arn']!,
      timeoutSeconds: typeof props['Timeout'] === 'number' ? props['Timeout'] : LAMBDA_DEFAULT_TIMEOUT_SECONDS,
      memoryMb: typeof props['MemorySize'] === 'number' ? props['MemorySize'] : 128,
      environment,
      ...functionLimits(template, id),
    };
  });
}

const keySchemaSchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));

function resolveTable(template: CfnTemplate, ctx: ResolveContext): LocalTable {
  const [found, ...more] = findByMetadata(template, METADATA_KEYS.table);
  if (!found || more.length > 0)
    throw new Error(`the template needs exactly one table with Metadata ${METADATA_KEYS.table}`);
  const props = z
    .object({
      KeySchema: keySchemaSchema,
      AttributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
      GlobalSecondaryIndexes: z
        .array(
          z.object({
            IndexName: z.string(),
            KeySchema: keySchemaSchema,
            Projection: z.object({
              ProjectionType: z.string().optional(),
              NonKeyAttributes: z.array(z.string()).optional(),
            }),
          }),
        )
        .optional(),
      BillingMode: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']).optional(),
    })
    .parse(resolveIntrinsics(found.resource.Properties ?? {}, ctx, `${found.id}.Properties`));
  const refs = ctx.resources[found.id]!;
  return {
    logicalId: found.id,
    name: refs.ref,
    arn: refs.attributes['Arn']!,
    keySchema: props.KeySchema,
    attributeDefinitions: props.AttributeDefinitions,
    globalSecondaryIndexes: props.GlobalSecondaryIndexes ?? [],
    // AWS::DynamoDB::GlobalTable (TableV2) is on-demand unless it says otherwise.
    billingMode:
      props.BillingMode ?? (found.resource.Type === 'AWS::DynamoDB::GlobalTable' ? 'PAY_PER_REQUEST' : 'PROVISIONED'),
  };
}

function resolveSecret(template: CfnTemplate, ctx: ResolveContext): LocalSecret {
  const [found, ...more] = findByMetadata(template, METADATA_KEYS.secret);
  if (!found || more.length > 0)
    throw new Error(`the template needs exactly one secret with Metadata ${METADATA_KEYS.secret}`);
  return { logicalId: found.id, name: localSecretName(found.value), arn: ctx.resources[found.id]!.ref };
}

// --- Reading the template as it is (the template tests) ---------------------------------------------------------------

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
