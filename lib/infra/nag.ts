/**
 * Acknowledging cdk-nag findings precisely. AwsSolutions-IAM5 reports each wildcard resource as its own finding,
 * `AwsSolutions-IAM5[Resource::<flattened ARN>]`; acknowledging that exact id (rather than the whole rule) keeps
 * any other wildcard that creeps into the same policy visible.
 */
import { Stack, Validations } from 'aws-cdk-lib';
// cdk-nag's own flattening, so that the id we acknowledge is the id it reports.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** The IAM5 finding id of one resource ARN (a token is resolved in the construct's stack). */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resourceArn))}]`;
}

/** Acknowledges the IAM5 finding of each wildcard resource on `scope` (and its children), with one reason. */
export function acknowledgeWildcardResources(scope: IConstruct, resourceArns: string[], reason: string): void {
  Validations.of(scope).acknowledge(
    ...resourceArns.map((arn) => ({ id: wildcardResourceFinding(scope, arn), reason })),
  );
}
