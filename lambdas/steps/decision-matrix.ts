/**
 * The decision matrix: for every code of the error table and every Knox step (and the callback waits the poller
 * answers), the end state and the route there. Computed, never typed: from the table's dispositions, the one decision
 * (lib/domain/decide.ts), each step's context rules with the verdicts they declare (lambdas/*.ts `rules`), the
 * poller's answer table (lambdas/poller/answer-table.ts) and the workflows' Catch (lib/infra/workflow-kit.ts).
 * `npm run matrix` writes it to docs/decision-matrix.md; test/decision-matrix.test.ts fails when that file differs.
 */
import { decide, type DecisionContext, type Reclassification, type RuleVerdict } from '#domain/decide';
import { STEP_ERROR_NAMES, dispositionOfErrorName } from '#domain/dispositions';
import { KnoxError } from '#domain/knox-answer';
import { KNOX_ERRORS, type KnoxErrorCodeName, type KnoxErrorSpec } from '#domain/knox-errors';
import { STATES } from '#domain/state-names';
import type { CheckMode } from '#domain/payloads';
import { ABORTING_DISPOSITIONS } from '#infra/workflow-kit';
import { definition as createCustomer } from '../create-customer';
import { definition as linkCustomer } from '../link-customer';
import { answerOf, readFailureOf } from '../poller/answer-table';
import { definition as requestDelink } from '../request-delink';
import type { WorkflowRecord } from '../store';
import { definition as updateCustomer } from '../update-customer';
import type { KnoxStepDefinition } from './runner';

export type EndStatus = 'SUCCEEDED' | 'ABORTED' | 'FAILED' | 'REFUSED';

/** How a cell's answer travels (what an end-to-end run observes). */
export type Route =
  /** Our API answers 400 before any record or Knox call. */
  | 'refusedAtApi'
  /** Knox.AlreadyDone: the Catch goes where success goes. */
  | 'alreadyDone'
  /** Knox.Retry: the transient retrier, for the retry window. */
  | 'retried'
  /** Knox.Wait: the record WAITING, the Task retried on the wait's schedule. */
  | 'waits'
  /** Caught at once into Record aborted or Record failed. */
  | 'caught'
  /** The poller: the customer answered yes (SendTaskSuccess). */
  | 'answered'
  /** The poller: no answer yet, asked again next round (the deadline ends it). */
  | 'keepsWaiting'
  /** The poller: SendTaskFailure under the disposition's name. */
  | 'refused'
  /** The callback Task's TimeoutSeconds: States.Timeout. */
  | 'deadline';

export interface Branch {
  /** When this branch is taken (a context rule's verdict, an API check), if the cell has several. */
  when?: string;
  /** True when a step's context rule reads the code again. */
  rule?: true;
  route: Route;
  /** The end states the branch can reach (a step that goes on ends as the rest of the workflow goes). */
  ends: EndStatus[];
  text: string;
}

export type ColumnKey = 'link' | 'create' | 'approval' | 'delink' | 'delinkAnswer' | 'update';

interface StepColumn {
  key: ColumnKey;
  title: string;
  kind: 'step';
  definition: KnoxStepDefinition;
  /** Where the Catch of Knox.AlreadyDone (and success) goes, and how the workflow can end from there. */
  next: { state: string; ends: EndStatus[] };
}
interface AnswerColumn {
  key: ColumnKey;
  title: string;
  kind: 'answer';
  mode: CheckMode;
}
export type Column = StepColumn | AnswerColumn;

/** The customer's answer decides how a workflow that goes on to wait for it ends. */
const AFTER_ANSWER: EndStatus[] = ['SUCCEEDED', 'ABORTED'];

export const MATRIX_COLUMNS: readonly Column[] = [
  { key: 'link', title: STATES.linkCustomer, kind: 'step', definition: linkCustomer, next: afterAnswer() },
  { key: 'create', title: STATES.createCustomer, kind: 'step', definition: createCustomer, next: succeeded() },
  { key: 'approval', title: `${STATES.waitForAnswer} (link)`, kind: 'answer', mode: 'approval' },
  { key: 'delink', title: STATES.requestDelink, kind: 'step', definition: requestDelink, next: afterAnswer() },
  { key: 'delinkAnswer', title: `${STATES.waitForAnswer} (delink)`, kind: 'answer', mode: 'delink' },
  { key: 'update', title: STATES.changeCustomer, kind: 'step', definition: updateCustomer, next: succeeded() },
];

function afterAnswer() {
  return { state: STATES.waitForAnswer, ends: AFTER_ANSWER };
}
function succeeded() {
  return { state: STATES.recordSucceeded, ends: ['SUCCEEDED'] as EndStatus[] };
}

/**
 * The codes our API refuses with a 400 before any Knox call (lib/domain/knox-schemas.ts names each in its message),
 * in the steps whose request carries the field: always, or only in the case `when` says (Knox may still answer it).
 */
export const REFUSED_AT_API: Partial<Record<KnoxErrorCodeName, { columns: ColumnKey[]; when?: string }>> = {
  SERVICE_NOT_VALID_SCP: { columns: ['link', 'create', 'update'] },
  KM_TENANT_PREFIX_INVALID: { columns: ['link', 'create', 'update'] },
  ACCESS_TYPE_REQUIRED: { columns: ['link', 'create', 'update'] },
  INVALID_COUNTRY: { columns: ['create'], when: 'a country that is not ISO 3166-1 alpha-2' },
  BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED: { columns: ['create'], when: 'a consumer e-mail domain our API knows' },
  ...Object.fromEntries(
    ['4002127', '4002128', '4002129', '4002130'].map((c) => [
      `KG_TENANT_INFO_INVALID_${c}`,
      { columns: ['create', 'update'], when: 'a kgTenantInfo field that fails our schema' },
    ]),
  ),
};

/** The situations the matrix asks the decision about (an attempt, a run past its window, a wait past its deadline). */
const AT_FIRST: Omit<DecisionContext, 'step'> = {
  waitingOnKnox: false,
  deadline: { at: '2026-01-15T00:00:00.000Z', passed: false },
  retryWindowSeconds: 3600,
  startedAt: Date.parse('2026-01-01T00:00:00.000Z'),
};
const WINDOW_PASSED = { ...AT_FIRST, retrySince: '2025-12-31T22:00:00.000Z' };
const DEADLINE_PASSED = { ...AT_FIRST, waitingOnKnox: true, deadline: { ...AT_FIRST.deadline, passed: true } };

/** Where a thrown name goes once no retrier takes it: Record aborted (a business outcome) or Record failed. */
function caughtEnd(name: string): 'ABORTED' | 'FAILED' {
  const disposition = dispositionOfErrorName(name);
  return disposition !== undefined && (ABORTING_DISPOSITIONS as readonly string[]).includes(disposition)
    ? 'ABORTED'
    : 'FAILED';
}

function reclassificationOf(gives: RuleVerdict['gives']): Reclassification | undefined {
  if (gives === 'table') return undefined;
  if (gives === 'alreadyDone') return { kind: 'alreadyDone', detail: '' };
  return { kind: 'error', error: KnoxError.of(gives === 'transient' ? 'FAILURE' : gives) };
}

/** The branch a step's decision leads to. */
function stepBranch(column: StepColumn, answer: KnoxError, reclassification: Reclassification | undefined): Branch {
  const step = column.definition.step;
  const decision = decide(answer, reclassification, { ...AT_FIRST, step });
  const { next } = column;
  if (decision.throws === STEP_ERROR_NAMES.alreadyDone)
    return { route: 'alreadyDone', ends: next.ends, text: `already done → ${next.state}` };
  if (decision.throws === STEP_ERROR_NAMES.retry) {
    const last = decide(answer, reclassification, { ...WINDOW_PASSED, step }).throws;
    const end = caughtEnd(last);
    return {
      route: 'retried',
      ends: [...new Set([...next.ends, end])],
      text: `retried (${decision.throws}) → ${next.state} once Knox recovers; ${end} (${last}) after the retry window`,
    };
  }
  if (decision.throws === STEP_ERROR_NAMES.wait) {
    const late = decide(answer, reclassification, { ...DEADLINE_PASSED, step }).throws;
    const end = caughtEnd(STEP_ERROR_NAMES.wait);
    return {
      route: 'waits',
      ends: [...new Set([...next.ends, end, caughtEnd(late)])],
      text:
        `waits (WAITING, Retry on ${decision.throws}) → ${next.state} once Knox lets it through; ` +
        `${end} when the Retry runs out or the deadline passes (${late})`,
    };
  }
  const end = caughtEnd(decision.throws);
  return { route: 'caught', ends: [end], text: `${end} (${decision.throws})` };
}

function stepCell(column: StepColumn, spec: KnoxErrorSpec): Branch[] {
  const code = spec.code as KnoxErrorCodeName;
  const branches: Branch[] = [];
  const api = REFUSED_AT_API[code];
  if (api?.columns.includes(column.key)) {
    const text = 'refused by the API (400): no record, no Knox call';
    branches.push({ ...(api.when ? { when: api.when } : {}), route: 'refusedAtApi', ends: ['REFUSED'], text });
    if (!api.when) return branches;
  }
  const answer = KnoxError.of(code);
  const rule = column.definition.rules?.[code];
  if (!rule) {
    const branch = stepBranch(column, answer, undefined);
    return [...branches, branches.length > 0 ? { when: 'else (Knox refuses it)', ...branch } : branch];
  }
  for (const verdict of rule.verdicts) {
    const branch = stepBranch(column, answer, reclassificationOf(verdict.gives));
    branches.push({ when: verdict.when, rule: true, ...branch });
  }
  return branches;
}

/** What the poller makes of the code on its read of a waiting customer, and where the callback Task then goes. */
function answerCell(column: AnswerColumn, spec: KnoxErrorSpec): Branch[] {
  const answer = KnoxError.of(spec.code as KnoxErrorCodeName);
  const waiting = `${STATES.waitForAnswer} goes on waiting`;
  if (spec.code === 'WAIT_DEADLINE_EXCEEDED')
    return [{ route: 'deadline', ends: ['ABORTED'], text: 'the Task’s TimeoutSeconds: States.Timeout → ABORTED' }];
  // A customer status (Knox answered 200 with the customer) is the table's row for it.
  const failure =
    spec.httpStatus === 200 ? (answer.disposition === 'wait' ? 'unread' : 'refused') : readFailureOf(answer);
  if (failure === 'notManaged') {
    const record = { kind: column.mode === 'delink' ? 'offboarding' : 'onboarding', customerId: '' } as WorkflowRecord;
    const meant = answerOf(record, { notManaged: true });
    if (meant.kind === 'answered')
      return [{ route: 'answered', ends: ['SUCCEEDED'], text: `answered (${meant.detail}) → SUCCEEDED` }];
    if (meant.kind === 'refused') return [refusedBranch(meant.error)];
  }
  if (failure === 'unread') {
    const what = spec.httpStatus === 200 ? 'not yet' : 'no answer this round';
    return [{ route: 'keepsWaiting', ends: AFTER_ANSWER, text: `${what}: ${waiting} (ABORTED at the deadline)` }];
  }
  if (failure === 'roundFails') {
    const text = `the poller's round fails (alarmed), changing nothing: ${waiting} (ABORTED at the deadline)`;
    return [{ route: 'keepsWaiting', ends: AFTER_ANSWER, text }];
  }
  return [refusedBranch(answer)];
}

function refusedBranch(error: KnoxError): Branch {
  const name = STEP_ERROR_NAMES[error.disposition];
  // The callback Task's Catch: the aborting dispositions to Record aborted, anything else to Record failed.
  const end = caughtEnd(name === STEP_ERROR_NAMES.alreadyDone ? 'none' : name);
  return { route: 'refused', ends: [end], text: `refused (SendTaskFailure ${name}) → ${end}` };
}

export interface MatrixRow {
  spec: KnoxErrorSpec;
  cells: Record<ColumnKey, Branch[]>;
}

/** The whole matrix: a row per code of the error table, in its order. */
export function decisionMatrix(): MatrixRow[] {
  return KNOX_ERRORS.map((spec) => ({
    spec,
    cells: Object.fromEntries(
      MATRIX_COLUMNS.map((c) => [c.key, c.kind === 'step' ? stepCell(c, spec) : answerCell(c, spec)]),
    ) as Record<ColumnKey, Branch[]>,
  }));
}

/** One cell of the matrix. */
export function matrixCell(code: KnoxErrorCodeName, column: ColumnKey): Branch[] {
  const row = decisionMatrix().find((r) => r.spec.code === code);
  if (!row) throw new Error(`No row for ${code} in the decision matrix`);
  return row.cells[column];
}
