/**
 * CloudFormation Metadata keys that mark the resources the local stack and the tests look up in the synthesized
 * template: they find resources by these, never by logical ids. No CDK import here, so that readers of
 * the template can use it without loading aws-cdk-lib.
 */
export const METADATA_KEYS = {
  /** On each AWS::StepFunctions::StateMachine: "onboarding" | "offboarding" | "change" | "batch". */
  workflow: 'knox-onboarding:workflow',
  /** On each AWS::Lambda::Function: its handler module under lambdas/ (a STEP_FUNCTIONS / OTHER_FUNCTIONS value). */
  handler: 'knox-onboarding:handler',
  /** On the AWS::DynamoDB::Table: "state". */
  table: 'knox-onboarding:table',
  /** On the AWS::SecretsManager::Secret: "knox". */
  secret: 'knox-onboarding:secret',
} as const;

/** The stack's name: `cdk.out/<STACK_NAME>.template.json` is what the local stack reads. */
export const STACK_NAME = 'KnoxOnboardingStack';

/** The workflow Metadata value of the bulk onboarding state machine (the others are the RecordKinds). */
export const BATCH_WORKFLOW = 'batch';
