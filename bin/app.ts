/**
 * The CDK app: one stack, checked by cdk-nag's AWS Solutions rules on every synth (a violation that is neither
 * fixed nor acknowledged with a reason fails the synth). Synthesizes offline: no account lookup, no Docker.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KnoxOnboardingStack, STACK_NAME } from '#infra/knox-onboarding-stack';

const app = new App();

// An environment only when one is given (-c account=... -c region=..., or CDK_DEPLOY_ACCOUNT / CDK_DEPLOY_REGION);
// otherwise the template is environment-agnostic and deploys wherever the CLI's credentials point. Not
// CDK_DEFAULT_*: the CLI always fills those in, and nothing here needs an account lookup.
const account = (app.node.tryGetContext('account') as string | undefined) ?? process.env.CDK_DEPLOY_ACCOUNT;
const region = (app.node.tryGetContext('region') as string | undefined) ?? process.env.CDK_DEPLOY_REGION;

new KnoxOnboardingStack(app, STACK_NAME, {
  ...(account || region ? { env: { account, region } } : {}),
});

// cdk-nag 3 is a policy validation plugin (it replaced v2's Aspect and NagSuppressions).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
