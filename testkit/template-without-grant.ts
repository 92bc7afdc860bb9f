/**
 * The CDK app synthesized in-process, optionally with one grant removed by a test-only Aspect, written to a temporary
 * file the local stack can start from (`startTestStack({ templatePath })`). The IAM tests run the same scenario on
 * both: what the real grants allow passes, and the template without one grant fails locally as it would on AWS.
 * Bundling is skipped (`aws:cdk:bundling-stacks: []`): the local stack runs the handler modules, not the bundles.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, Lazy, Stack, type IAspect } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { KnoxOnboardingStack, STACK_NAME } from '#infra/knox-onboarding-stack';

/** A grant to remove: one action from the policy at `policyPath` (a construct path such as `Steps/LinkCustomer/Role`). */
export interface RemovedGrant {
  policyPath: string;
  action: string;
}

type Statement = { Action?: string | string[] } & Record<string, unknown>;

/** Removes `grant.action` from every statement of the matching policy (and statements left with no action). */
class RemoveGrant implements IAspect {
  removed = 0;
  constructor(private readonly grant: RemovedGrant) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnPolicy) || !node.node.path.includes(`/${this.grant.policyPath}/`)) return;
    const original: unknown = node.policyDocument;
    this.removed += 1;
    node.policyDocument = Lazy.any({
      produce: () => {
        const document = Stack.of(node).resolve(original) as { Statement: Statement[] };
        const statements = document.Statement.map((s) => {
          const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a !== this.grant.action);
          return { ...s, Action: actions.length === 1 ? actions[0] : actions };
        }).filter((s) => (Array.isArray(s.Action) ? s.Action.length > 0 : s.Action !== undefined));
        return { ...document, Statement: statements };
      },
    });
  }
}

/** The template with every grant, synthesized once per process. */
let complete: string | undefined;

/** Synthesizes the app (without `grant` when given) and answers the template file's path. */
export function synthesizeTemplate(grant?: RemovedGrant): string {
  if (!grant) {
    complete ??= synthesize();
    return complete;
  }
  return synthesize(grant);
}

function synthesize(grant?: RemovedGrant): string {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new KnoxOnboardingStack(app, STACK_NAME);
  const aspect = grant ? new RemoveGrant(grant) : undefined;
  if (aspect) Aspects.of(stack).add(aspect);
  const template = app.synth().getStackByName(STACK_NAME).template as unknown;
  if (aspect && aspect.removed !== 1)
    throw new Error(`expected one policy under ${grant?.policyPath}, found ${aspect.removed}`);
  const dir = mkdtempSync(join(tmpdir(), 'knox-template-'));
  const path = join(dir, `${Stack.of(stack).stackName}.template.json`);
  writeFileSync(path, JSON.stringify(template, null, 1));
  return path;
}
