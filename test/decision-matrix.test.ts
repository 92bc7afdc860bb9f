/**
 * The decision matrix (docs/decision-matrix.md) is what the code decides: regenerated here, it must equal the committed
 * file (`npm run matrix` writes it). Its context-rule cells say what the step modules' rules say, and its "refused by the
 * API" cells are the codes our request schemas name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KNOX_ERRORS, specFor, type KnoxErrorCodeName } from '#domain/knox-errors';
import { KG_TENANT_INFO_CODES } from '#domain/knox-schemas';
import {
  MATRIX_COLUMNS,
  REFUSED_AT_API,
  decisionMatrix,
  matrixCell,
  type Branch,
  type ColumnKey,
} from '#lambdas/steps/decision-matrix';
import { MATRIX_PATH, renderDecisionMatrix } from '#lambdas/steps/matrix-markdown';
import { NOT_OBSERVED_HERE, SIM_ANSWERS, reachableCells } from './support/matrix-coverage';

const summary = (branches: Branch[]) => branches.map((b) => [b.rule === true, b.route, b.ends]);

describe('the decision matrix', () => {
  it(`${MATRIX_PATH} is what the code decides (run \`npm run matrix\` after changing a decision)`, () => {
    const committed = readFileSync(new URL(`../${MATRIX_PATH}`, import.meta.url), 'utf8');
    expect(committed).toBe(renderDecisionMatrix());
  });

  it('has a row for every code of the table and a non-empty cell in every column', () => {
    const rows = decisionMatrix();
    expect(rows.map((r) => r.spec.code)).toEqual(KNOX_ERRORS.map((e) => e.code));
    for (const row of rows)
      for (const column of MATRIX_COLUMNS) expect(row.cells[column.key].length).toBeGreaterThan(0);
  });

  it.each([
    // 4002104 on a link: already done by the table (our earlier link), then the customer's answer decides.
    ['ADD_EC_PENDING_CANNOT_ADD_AGAIN', 'link', [[false, 'alreadyDone', ['SUCCEEDED', 'ABORTED']]]],
    // 4002103 on a link: already done if the customer is ours, else ABORTED; a failed look is retried.
    [
      'ADD_EC_ALREADY_MANAGED',
      'link',
      [
        [true, 'alreadyDone', ['SUCCEEDED', 'ABORTED']],
        [true, 'caught', ['ABORTED']],
        [true, 'retried', ['SUCCEEDED', 'ABORTED', 'FAILED']],
      ],
    ],
    ['ADD_EC_ALREADY_MANAGED', 'create', [[false, 'caught', ['ABORTED']]]],
    // 4002106 on a create: already done if one of our customers has the e-mail, else ABORTED.
    [
      'EMAIL_ALREADY_IN_USAGE',
      'create',
      [
        [true, 'alreadyDone', ['SUCCEEDED']],
        [true, 'caught', ['ABORTED']],
        [true, 'retried', ['SUCCEEDED', 'FAILED']],
        [true, 'retried', ['SUCCEEDED', 'FAILED']],
      ],
    ],
    // 4002113 on a delink: the retry of a delink whose answer was lost is already done; a first attempt ABORTED.
    [
      'CUSTOMER_NOT_MANAGED_BY_MSP',
      'delink',
      [
        [true, 'alreadyDone', ['SUCCEEDED', 'ABORTED']],
        [true, 'caught', ['ABORTED']],
      ],
    ],
    ['CUSTOMER_NOT_MANAGED_BY_MSP', 'delinkAnswer', [[false, 'answered', ['SUCCEEDED']]]],
    ['CUSTOMER_NOT_MANAGED_BY_MSP', 'approval', [[false, 'refused', ['ABORTED']]]],
    // 4002116 on a delink is our own pending delink; on a change it waits.
    ['CANNOT_CHANGE_WHEN_DELINKING', 'delink', [[true, 'alreadyDone', ['SUCCEEDED', 'ABORTED']]]],
    ['CANNOT_CHANGE_WHEN_DELINKING', 'update', [[false, 'waits', ['SUCCEEDED', 'ABORTED']]]],
    ['FAILURE', 'update', [[false, 'retried', ['SUCCEEDED', 'FAILED']]]],
    ['AUTHORIZATION_FAIL', 'create', [[false, 'caught', ['FAILED']]]],
    ['AUTHORIZATION_FAIL', 'approval', [[false, 'keepsWaiting', ['SUCCEEDED', 'ABORTED']]]],
    ['SERVICE_NOT_VALID_SCP', 'update', [[false, 'refusedAtApi', ['REFUSED']]]],
    [
      'INVALID_COUNTRY',
      'create',
      [
        [false, 'refusedAtApi', ['REFUSED']],
        [false, 'caught', ['ABORTED']],
      ],
    ],
    ['CUSTOMER_PENDING', 'approval', [[false, 'keepsWaiting', ['SUCCEEDED', 'ABORTED']]]],
    ['CUSTOMER_REJECTED_LINK', 'approval', [[false, 'refused', ['ABORTED']]]],
    ['CUSTOMER_REJECTED_LINK', 'link', [[false, 'caught', ['ABORTED']]]],
    ['WAIT_DEADLINE_EXCEEDED', 'delinkAnswer', [[false, 'deadline', ['ABORTED']]]],
  ] as [KnoxErrorCodeName, ColumnKey, [boolean, string, string[]][]][])('%s on %s', (code, column, expected) => {
    expect(summary(matrixCell(code, column))).toEqual(expected);
  });

  it('every context rule of a step is a code of the table with at least one verdict, and shows in its column', () => {
    for (const column of MATRIX_COLUMNS) {
      if (column.kind !== 'step') continue;
      for (const [code, rule] of Object.entries(column.definition.rules ?? {})) {
        if (rule === undefined) continue;
        expect(specFor(code as KnoxErrorCodeName).code).toBe(code);
        expect(rule.verdicts.length).toBeGreaterThan(0);
        const cell = matrixCell(code as KnoxErrorCodeName, column.key);
        expect(cell.filter((b) => b.rule).map((b) => b.when)).toEqual(rule.verdicts.map((v) => v.when));
      }
    }
  });

  it('the codes refused by the API are the ones our request schemas name (and the ISO country check)', () => {
    const schemas = readFileSync(new URL('../lib/domain/knox-schemas.ts', import.meta.url), 'utf8');
    const named = new Set([...schemas.matchAll(/\(Knox (\d{7})\)/g)].map((m) => m[1]));
    for (const c of Object.values(KG_TENANT_INFO_CODES)) named.add(c);
    const declared = Object.keys(REFUSED_AT_API).filter((c) => c !== 'INVALID_COUNTRY');
    expect(new Set(declared.map((c) => specFor(c as KnoxErrorCodeName).errorCode))).toEqual(named);
    expect(schemas).toContain('ISO 3166-1 alpha-2');
  });

  it('the end-to-end coverage knows every code the simulator’s rules answer, and lists only reachable cells', () => {
    const rules = readFileSync(new URL('../knox-sim/knox-rules.ts', import.meta.url), 'utf8');
    const known = new Set<string>(KNOX_ERRORS.map((e) => e.code));
    const answered = new Set([...rules.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!).filter((c) => known.has(c)));
    expect(answered.size).toBeGreaterThan(20);
    const declared = new Set(Object.values(SIM_ANSWERS).flat());
    for (const code of answered) expect(declared, code).toContain(code);
    const reachable = new Set<string>(reachableCells());
    for (const cell of Object.keys(NOT_OBSERVED_HERE)) expect(reachable, cell).toContain(cell);
  });
});
