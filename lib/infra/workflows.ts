/**
 * The three state machines (onboarding, offboarding, change), written so that each reads top to bottom as the
 * business process. Every Knox step gets the same error handling, derived from the dispositions
 * (lib/domain/dispositions.ts) and the configured schedules, never from a list of names typed here:
 *
 *   Retry  Knox.Retry + Lambda service errors   exponential to a cap, full jitter, for the retry window (transient)
 *   Retry  Knox.Wait                            waits on Knox itself (4002101, ...): doubling, up to pollMaxSeconds
 *   Catch  Knox.AlreadyDone                     -> where success goes (our earlier request went through)
 *   Catch  Knox.Abort, Knox.InvalidRequest, Knox.Wait (retries exhausted)  -> Record aborted
 *   (not caught)                                Knox.Operator, retries exhausted, Lambda errors: the execution fails
 *                                               in the step (execution-events marks the record FAILED; a redrive
 *                                               continues at that step: see workflow-kit.ts)
 *
 * The wait on the customer's answer is a callback ("Wait for customer answer", `.waitForTaskToken`): the execution
 * pauses at no cost until the poller sends the answer; TimeoutSeconds is the deadline (States.Timeout -> Record
 * aborted, WAIT_DEADLINE_EXCEEDED); a refusal arrives as Knox.Abort (-> Record aborted).
 */
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { RecordKind } from '#domain/api-schemas';
import { ANSWER_PATH, STATES } from '#domain/state-names';
import { executionTimeoutSeconds, type StackConfig } from './context-config';
import type { KnoxSteps } from './knox-steps';
import { loopWhileReconciling } from './reconcile-loop';
import { standardStateMachine } from './state-machine';
import { WorkflowKit } from './workflow-kit';

// --- The business processes -------------------------------------------------------------------------------------------

function onboarding(kit: WorkflowKit): sfn.IChainable {
  const { steps } = kit;
  const linkOrCreate = new sfn.Choice(kit.scope, STATES.linkOrCreate);
  const linkCustomer = kit.knoxTask(STATES.linkCustomer, steps.linkCustomer);
  const createCustomer = kit.knoxTask(STATES.createCustomer, steps.createCustomer);
  // A 4002106 reconciled over a long customer list runs the step again until the lookup ends.
  loopWhileReconciling(createCustomer);
  const waitForAnswer = kit.waitForAnswer('approval');
  const needsChange = new sfn.Choice(kit.scope, STATES.needsChange);
  const changeCustomer = kit.knoxTask(STATES.changeCustomer, steps.updateCustomer);

  linkOrCreate
    .when(sfn.Condition.stringEquals('$.path', 'link'), linkCustomer)
    .when(sfn.Condition.stringEquals('$.path', 'create'), createCustomer)
    // The API always sends a path: anything else is a bug, which execution-events records as FAILED.
    .otherwise(kit.failedEnd);
  // A link Knox already has (4002104) still waits for the customer's answer.
  kit.proceed(linkCustomer, waitForAnswer);
  kit.awaitAnswer(waitForAnswer, needsChange);
  needsChange
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent(`${ANSWER_PATH}.needsChange`),
        sfn.Condition.booleanEquals(`${ANSWER_PATH}.needsChange`, true),
      ),
      changeCustomer,
    )
    .otherwise(kit.recordSucceeded);
  kit.proceed(changeCustomer, kit.recordSucceeded);
  kit.proceed(createCustomer, kit.recordSucceeded);
  return linkOrCreate;
}

function offboarding(kit: WorkflowKit): sfn.IChainable {
  const { steps } = kit;
  const requestDelink = kit.knoxTask(STATES.requestDelink, steps.requestDelink);
  const waitForAnswer = kit.waitForAnswer('delink');

  kit.proceed(requestDelink, waitForAnswer);
  kit.awaitAnswer(waitForAnswer, kit.recordSucceeded);
  return requestDelink;
}

function change(kit: WorkflowKit): sfn.IChainable {
  const changeCustomer = kit.knoxTask(STATES.changeCustomer, kit.steps.updateCustomer);
  kit.proceed(changeCustomer, kit.recordSucceeded);
  return changeCustomer;
}

const PROCESSES: Record<RecordKind, (kit: WorkflowKit) => sfn.IChainable> = { onboarding, offboarding, change };

const COMMENTS: Record<RecordKind, string> = {
  onboarding:
    'Links an existing Knox customer to our MSP (or creates one), waits for its approval, applies what is still missing',
  offboarding: 'Asks Knox to delink a customer and waits until the customer accepts',
  change: "Changes a managed customer's management type, access type or services",
};

// --- The construct -----------------------------------------------------------------------------------------------------

export interface WorkflowsProps {
  config: StackConfig;
  steps: KnoxSteps;
}

export class Workflows extends Construct {
  readonly stateMachines: Record<RecordKind, sfn.StateMachine>;
  /** Each state machine's execution log (LogLevel.ALL, without execution data). */
  readonly logGroups = {} as Record<RecordKind, logs.LogGroup>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const build = (kind: RecordKind, constructId: string): sfn.StateMachine => {
      const workflowScope = new Construct(this, constructId);
      const kit = new WorkflowKit(workflowScope, kind, props.steps.functions, props.config);
      const { stateMachine, logGroup } = standardStateMachine(workflowScope, {
        config: props.config,
        workflow: kind,
        comment: COMMENTS[kind],
        start: PROCESSES[kind](kit),
        timeoutSeconds: executionTimeoutSeconds(props.config),
      });
      this.logGroups[kind] = logGroup;
      return stateMachine;
    };
    this.stateMachines = {
      onboarding: build('onboarding', 'Onboarding'),
      offboarding: build('offboarding', 'Offboarding'),
      change: build('change', 'Change'),
    };
  }

  get all(): sfn.StateMachine[] {
    return Object.values(this.stateMachines);
  }
}
