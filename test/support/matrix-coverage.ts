/**
 * The decision matrix (lambdas/steps/decision-matrix.ts, docs/decision-matrix.md) held to the end-to-end runs: the
 * scenarios look their expected end state up in it and record the cell they observed; the coverage check compares the
 * cells the simulator can reach with the cells observed.
 */
import { expect } from 'vitest';
import type { KnoxErrorCodeName } from '#domain/knox-errors';
import { MATRIX_COLUMNS, matrixCell, type ColumnKey, type EndStatus, type Route } from '#lambdas/steps/decision-matrix';

/** A cell of the matrix: `CODE@column`. */
export type CellKey = `${KnoxErrorCodeName}@${ColumnKey}`;
export const cellKey = (code: KnoxErrorCodeName, column: ColumnKey): CellKey => `${code}@${column}`;

/** The cells the end-to-end runs of this process observed, each through the matrix. */
export const OBSERVED_CELLS = new Set<CellKey>();

/** The branches of a cell that take `route` (there must be one). */
function branchesOf(code: KnoxErrorCodeName, column: ColumnKey, route: Route) {
  const branches = matrixCell(code, column).filter((b) => b.route === route);
  expect(branches.length, `the matrix routes ${code} on ${column} by ${route}`).toBeGreaterThan(0);
  return branches;
}

/** The one end state the matrix gives `code` on `column` by `route`: what the scenario must reach. */
export function matrixEnd(code: KnoxErrorCodeName, column: ColumnKey, route: Route): EndStatus {
  const ends = [...new Set(branchesOf(code, column, route).flatMap((b) => b.ends))];
  expect(ends, `one end state for ${code} on ${column} by ${route}`).toHaveLength(1);
  return ends[0]!;
}

/** An observed end state is one the matrix gives the cell by that route; the cell counts as observed. */
export function expectThroughMatrix(code: KnoxErrorCodeName, column: ColumnKey, route: Route, end: EndStatus): void {
  expect(branchesOf(code, column, route).flatMap((b) => b.ends)).toContain(end);
  OBSERVED_CELLS.add(cellKey(code, column));
}

/** Answers the simulator can give on any call: its faults (error500, status429, html, empty, drop) and credentials. */
const ANY_CALL: KnoxErrorCodeName[] = [
  'FAILURE',
  'TOO_MANY_REQUESTS',
  'UNEXPECTED_RESPONSE',
  'CONNECTION_FAILED',
  'AUTHORIZATION_FAIL',
  'INVALID_CLIENT',
];
const KG: KnoxErrorCodeName[] = [
  'MSP_CANNOT_MANAGE_KG',
  'KG_TENANT_INFO_INVALID_4002127',
  'KG_TENANT_INFO_INVALID_4002128',
  'KG_TENANT_INFO_INVALID_4002129',
  'KG_TENANT_INFO_INVALID_4002130',
];
const KM: KnoxErrorCodeName[] = ['KM_DOMAIN_NAME_ALREADY_EXISTS', 'KM_DOMAIN_NAME_ALREADY_IN_USAGE'];

/**
 * What the simulator answers to each call (knox-sim/knox-rules.ts: linkRefusal, createRefusal, updateRefusal,
 * delinkRefusal, getCustomer; the poller's GET; the link's look before a retry), besides ANY_CALL.
 */
export const SIM_ANSWERS: Record<ColumnKey, KnoxErrorCodeName[]> = {
  link: [
    'ADD_EC_CUSTOMER_INVALID',
    'ADD_EC_CUSTOMER_NOT_APPROVED',
    'ADD_EC_DELINK_PENDING',
    'ADD_EC_ALREADY_MANAGED',
    'ADD_EC_PENDING_CANNOT_ADD_AGAIN',
    'ADD_EC_NOT_SAME_REGION',
    'SERVICE_NOT_VALID_SCP',
    'ACCESS_TYPE_REQUIRED',
    'CUSTOMER_REJECTED_LINK',
  ],
  create: [
    'INVALID_COUNTRY',
    'SERVICE_NOT_VALID_SCP',
    'KM_TENANT_PREFIX_INVALID',
    'BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED',
    'ACCESS_TYPE_REQUIRED',
    'EMAIL_ALREADY_IN_USAGE',
    ...KM,
    ...KG,
  ],
  approval: [
    'CUSTOMER_PENDING',
    'CUSTOMER_DELINK_REQUESTED',
    'CUSTOMER_REJECTED_LINK',
    'CUSTOMER_NOT_FOUND',
    'CUSTOMER_NOT_MANAGED_BY_MSP',
    'WAIT_DEADLINE_EXCEEDED',
  ],
  delink: [
    'CUSTOMER_NOT_FOUND',
    'CUSTOMER_NOT_MANAGED_BY_MSP',
    'CANNOT_DELINK_FULLY_MANAGED',
    'CUSTOMER_PENDING_CANNOT_DELINK',
    'CANNOT_CHANGE_WHEN_DELINKING',
  ],
  delinkAnswer: [
    'CUSTOMER_DELINK_REQUESTED',
    'CUSTOMER_PENDING',
    'CUSTOMER_REJECTED_DELINK',
    'CUSTOMER_REJECTED_LINK',
    'CUSTOMER_NOT_FOUND',
    'CUSTOMER_NOT_MANAGED_BY_MSP',
    'WAIT_DEADLINE_EXCEEDED',
  ],
  update: [
    'CUSTOMER_NOT_FOUND',
    'CUSTOMER_NOT_MANAGED_BY_MSP',
    'CANNOT_CHANGE_WHEN_DELINKING',
    'CANNOT_CHANGE_WHEN_PENDING',
    'CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY',
    'SERVICE_NOT_VALID_SCP',
    'KM_TENANT_PREFIX_INVALID',
    'SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT',
    'ACCESS_TYPE_REQUIRED',
    ...KM,
    ...KG,
  ],
};

/** Every cell of the matrix the simulator can reach. */
export function reachableCells(): CellKey[] {
  return MATRIX_COLUMNS.flatMap((c) =>
    [...new Set([...SIM_ANSWERS[c.key], ...ANY_CALL])].map((code) => cellKey(code, c.key)),
  );
}

const cells = (codes: KnoxErrorCodeName[], columns: ColumnKey[]): CellKey[] =>
  columns.flatMap((column) => codes.map((code) => cellKey(code, column)));
const TRANSIENT: KnoxErrorCodeName[] = ['FAILURE', 'TOO_MANY_REQUESTS', 'UNEXPECTED_RESPONSE', 'CONNECTION_FAILED'];
const KG_ALL = KG;

/**
 * The reachable cells test/e2e-codes.test.ts does not observe, each with the reason: another suite drives it end to end
 * (with its own assertions), or it is proven below the end-to-end tier only.
 */
const WHY_NOT: [string, CellKey[]][] = [
  [
    'test/e2e-transport.test.ts drives each fault on a link end to end (retried, then SUCCEEDED)',
    cells(['TOO_MANY_REQUESTS', 'UNEXPECTED_RESPONSE', 'CONNECTION_FAILED'], ['link']),
  ],
  [
    'the same Knox.Retry retrier on every Knox task (test/local-definition.test.ts); test/e2e-outage.test.ts rides an ' +
      'outage out on every workflow; test/handlers-steps.test.ts throws Knox.Retry for 5000000 on every step',
    cells(TRANSIENT, ['create', 'delink', 'update']),
  ],
  [
    'the same Catch as on the link; test/handlers-steps.test.ts throws Knox.Operator for 4030000 on every step',
    cells(['AUTHORIZATION_FAIL'], ['create', 'delink', 'update']),
  ],
  [
    'bad client credentials fail the token call before any Knox call: Knox.Operator like 4030000 ' +
      '(test/handlers-steps.test.ts, test/knox-tokens.test.ts)',
    cells(['INVALID_CLIENT'], ['link', 'create', 'delink', 'update']),
  ],
  [
    'a refusal the link reads before it is sent again after a lost answer: proven on the step ' +
      '(test/handlers-steps.test.ts, "a lost answer the customer refused before the retry")',
    cells(['CUSTOMER_REJECTED_LINK'], ['link']),
  ],
  [
    'our own delink whose answer was lost, met on its retry: proven on the step (test/handlers-steps.test.ts, ' +
      '"4002116 on a delink is our own pending delink")',
    cells(['CANNOT_CHANGE_WHEN_DELINKING'], ['delink']),
  ],
  [
    'Knox Guard refusals (release 26.01): the simulator’s rules are proven in test/knox-sim.test.ts and ' +
      'test/knox-contract-facts.test.ts; no end-to-end scenario drives them yet',
    cells(KG_ALL, ['create', 'update']),
  ],
  [
    'test/e2e-changes.test.ts drives them on a change (4042100, 4002113, 4002110, 4002121: ABORTED)',
    cells(['CUSTOMER_NOT_FOUND', 'CUSTOMER_NOT_MANAGED_BY_MSP', ...KM], ['update']),
  ],
  [
    'test/e2e-lifecycle.test.ts: approval after rounds, a rejected link, the deadline (States.Timeout)',
    cells(['CUSTOMER_REJECTED_LINK', 'WAIT_DEADLINE_EXCEEDED'], ['approval']),
  ],
  [
    'test/e2e-lifecycle.test.ts: a delink rejected (Active) and one waited on',
    cells(['CUSTOMER_REJECTED_DELINK', 'CUSTOMER_DELINK_REQUESTED'], ['delinkAnswer']),
  ],
  [
    'the poller’s answer table for these statuses and read errors is proven per row in test/handlers-steps.test.ts and ' +
      'test/hostile-knox.test.ts (the poller’s reads); a poller round’s failures in test/e2e-callbacks.test.ts',
    [
      ...cells(['CUSTOMER_DELINK_REQUESTED', 'CUSTOMER_NOT_FOUND', 'CUSTOMER_NOT_MANAGED_BY_MSP'], ['approval']),
      ...cells(
        ['CUSTOMER_PENDING', 'CUSTOMER_REJECTED_LINK', 'CUSTOMER_NOT_FOUND', 'WAIT_DEADLINE_EXCEEDED'],
        ['delinkAnswer'],
      ),
      ...cells([...TRANSIENT, 'AUTHORIZATION_FAIL', 'INVALID_CLIENT'], ['approval', 'delinkAnswer']),
    ],
  ],
];

/** Each cell not observed here, with its reason. */
export const NOT_OBSERVED_HERE: Record<string, string> = Object.fromEntries(
  WHY_NOT.flatMap(([reason, keys]) => keys.map((k) => [k, reason])),
);
