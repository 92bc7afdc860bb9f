/**
 * The workflow's Lambda steps: one function per STEP_FUNCTIONS entry. The Knox steps read and write records and
 * read the Knox secret; record-outcome only writes the final status, so it gets the table and nothing else.
 */
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ENV } from '#domain/configuration';
import { STEP_FUNCTIONS, type StepFunctionKey } from '#domain/function-names';
import { stepTimeoutSeconds, type StackConfig } from './context-config';
import { HandlerFunction } from './handler-function';
import { pascal } from './names';
import type { KnoxSecret } from './knox-secret';
import type { StateTable } from './state-table';

/** The steps that call Knox (everything but record-outcome and await-answer). */
export type KnoxStepKey = Exclude<StepFunctionKey, 'recordOutcome' | 'awaitAnswer'>;
const NO_KNOX: readonly StepFunctionKey[] = ['recordOutcome', 'awaitAnswer'];

const DESCRIPTIONS: Record<StepFunctionKey, string> = {
  createCustomer: 'Creates the Knox customer of an onboarding (create path)',
  linkCustomer: 'Asks an existing Knox customer to be linked to our MSP',
  awaitAnswer: "Stores a callback's task token on the record while the customer is asked (no Knox call)",
  requestDelink: 'Asks Knox to delink a customer from our MSP',
  updateCustomer: "Changes a customer's management type, access type or services",
  recordOutcome: "Writes a workflow's final status and releases the customer lock",
};

export interface KnoxStepsProps {
  config: StackConfig;
  table: StateTable;
  secret: KnoxSecret;
}

export class KnoxSteps extends Construct {
  readonly functions: Record<StepFunctionKey, HandlerFunction>;

  constructor(scope: Construct, id: string, props: KnoxStepsProps) {
    super(scope, id);
    const { config, table, secret } = props;
    // The steps also enforce the retry window (the poller, which shares the Knox settings, does not).
    const knoxEnvironment = {
      ...KnoxSteps.knoxEnvironment(config),
      [ENV.retryWindowSeconds]: String(config.retryWindowSeconds),
    };

    const make = (key: StepFunctionKey, callsKnox: boolean): HandlerFunction => {
      const fn = new HandlerFunction(this, pascal(key), {
        handler: STEP_FUNCTIONS[key],
        description: DESCRIPTIONS[key],
        config,
        environment: callsKnox ? knoxEnvironment : {},
        timeout: Duration.seconds(callsKnox ? stepTimeoutSeconds(config) : 30),
      });
      table.grantRecordAccess(fn);
      if (callsKnox) secret.grantRead(fn);
      return fn;
    };

    this.functions = {
      createCustomer: make('createCustomer', true),
      linkCustomer: make('linkCustomer', true),
      awaitAnswer: make('awaitAnswer', false),
      requestDelink: make('requestDelink', true),
      updateCustomer: make('updateCustomer', true),
      recordOutcome: make('recordOutcome', false),
    };
  }

  /** The Knox client's settings, for other functions that call Knox (the poller). */
  static knoxEnvironment(config: StackConfig): Record<string, string> {
    return {
      [ENV.knoxBaseUrl]: config.knoxBaseUrl,
      [ENV.knoxTimeoutMs]: String(config.knoxTimeoutMs),
      [ENV.knoxRequestsPerSecond]: String(config.knoxRequestsPerSecond),
      [ENV.waitDeadlineSeconds]: String(config.waitDeadlineSeconds),
    };
  }

  /** The functions that call Knox, whose logs carry the Knox errors the monitoring counts. */
  get knoxFunctions(): HandlerFunction[] {
    return Object.entries(this.functions)
      .filter(([key]) => !NO_KNOX.includes(key as StepFunctionKey))
      .map(([, fn]) => fn);
  }

  get all(): HandlerFunction[] {
    return Object.values(this.functions);
  }
}
