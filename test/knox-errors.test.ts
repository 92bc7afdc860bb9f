/**
 * THE error table (lib/domain/knox-errors.ts) against its sources, and the answer parser that uses it.
 *
 * Both sources live in the repository: Samsung's published error table (docs/samsung-error-codes.tsv) and the
 * product's disposition table (the last section of docs/knox-contract.md), so the catalog can drift from neither.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DISPOSITIONS, type Disposition } from '#domain/dispositions';
import { KnoxError, errorFromAnswer, parseKnoxAnswer, parseRetryAfter, type KnoxHttpAnswer } from '#domain/knox-answer';
import { KNOX_ERRORS, SEED_ERRORS, specFor, specForErrorCode, type KnoxErrorCodeName } from '#domain/knox-errors';
import { customerSchema } from '#domain/knox-schemas';
import { DOCUMENTED_CUSTOMER } from './support/knox-support';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const samsungTableFile = path.join(repoRoot, 'docs', 'samsung-error-codes.tsv');
const contractFile = path.join(repoRoot, 'docs', 'knox-contract.md');

interface SamsungRow {
  table: 'http' | 'knox';
  code: string;
  name: string;
  description: string;
}

/** Every row of Samsung's published table: `table, code, name, description`, tab-separated, after `#` comments. */
function samsungRows(): SamsungRow[] {
  const lines = readFileSync(samsungTableFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  expect(lines[0]).toBe('table\tcode\tname\tdescription');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    expect(cells, line).toHaveLength(4);
    const [table, code, name, description] = cells as [string, string, string, string];
    expect(['http', 'knox'], line).toContain(table);
    return { table: table as SamsungRow['table'], code, name, description };
  });
}

/** The product's disposition words, as its table spells them. */
const PRODUCT_WORDS: Record<string, Disposition> = {
  retry: 'retry',
  wait: 'wait',
  'already done': 'alreadyDone',
  abort: 'abort',
  'invalid request': 'invalidRequest',
  operator: 'operator',
};

/** The `| disposition | meaning | Knox answers |` rows of docs/knox-contract.md's last section. */
function productRows(): { disposition: Disposition; answers: string }[] {
  const text = readFileSync(contractFile, 'utf8');
  const section = text.slice(text.indexOf('\n## What each answer means for the workflow'));
  const rows: { disposition: Disposition; answers: string }[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // A table line splits into ['', word, meaning, answers, ''].
    if (cells.length < 5) continue;
    const disposition = PRODUCT_WORDS[cells[1]!];
    if (disposition) rows.push({ disposition, answers: cells[3]! });
  }
  return rows;
}

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): KnoxHttpAnswer => ({
  status,
  headers: new Headers(headers),
  bodyText: typeof body === 'string' ? body : JSON.stringify(body),
});

describe("Samsung's published table", () => {
  const rows = samsungRows();
  const knoxRows = rows.filter((r) => r.table === 'knox');
  const httpRows = rows.filter((r) => r.table === 'http');

  it('is read completely (24 Knox codes, 7 HTTP codes, each once)', () => {
    expect(knoxRows).toHaveLength(24);
    expect(new Set(knoxRows.map((r) => r.code)).size).toBe(knoxRows.length);
    for (const row of knoxRows) expect(row.code, row.name).toMatch(/^\d{7}$/);
    expect(httpRows.map((r) => r.code)).toEqual(['200', '400', '401', '403', '404', '409', '500']);
  });

  it('has every Knox code in KNOX_ERRORS under its name and message, marked as a seed row, with a disposition', () => {
    const problems: string[] = [];
    for (const row of knoxRows) {
      const spec = specForErrorCode(row.code);
      if (!spec) problems.push(`${row.code} ${row.name} is missing`);
      else if (spec.code !== row.name) problems.push(`${row.code} is named ${spec.code}, Samsung says ${row.name}`);
      else if (spec.message !== row.description)
        problems.push(`${row.code} says "${spec.message}", Samsung says "${row.description}"`);
      else if (spec.source !== 'seed') problems.push(`${row.code} is not marked as a seed row`);
      else if (!DISPOSITIONS.includes(spec.disposition)) problems.push(`${row.code} has no disposition`);
    }
    expect(problems).toEqual([]);
  });

  it('is exactly what SEED_ERRORS holds (nothing marked seed that Samsung does not list)', () => {
    expect(SEED_ERRORS.map((e) => e.errorCode).sort()).toEqual(knoxRows.map((r) => r.code).sort());
  });

  it('lists, among its standard HTTP codes, the status of every seed row', () => {
    const listed = new Set(httpRows.map((r) => Number(r.code)));
    expect(SEED_ERRORS.filter((e) => !listed.has(e.httpStatus)).map((e) => e.errorCode)).toEqual([]);
  });
});

describe("the product's disposition table (docs/knox-contract.md)", () => {
  const rows = productRows();

  it('is read completely (one row per disposition)', () => {
    expect(rows.map((r) => r.disposition).sort()).toEqual([...DISPOSITIONS].sort());
  });

  it('gives every Knox code it mentions the disposition of its row, under the same name', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const row of rows) {
      for (const m of row.answers.matchAll(/\b(\d{7})\b(?: ([A-Z][A-Z0-9_]+))?/g)) {
        checked += 1;
        const spec = specForErrorCode(m[1]!);
        if (!spec) problems.push(`${m[1]} is not in KNOX_ERRORS`);
        else if (spec.disposition !== row.disposition)
          problems.push(`${m[1]} is ${spec.disposition}, the contract says ${row.disposition}`);
        else if (m[2] !== undefined && spec.code !== m[2])
          problems.push(`${m[1]} is ${spec.code}, the contract says ${m[2]}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(24);
  });

  it('places every seed code in one of its rows, and in one only', () => {
    const mentions = new Map<string, number>();
    for (const row of rows) {
      for (const m of row.answers.matchAll(/\b(\d{7})\b/g)) mentions.set(m[1]!, (mentions.get(m[1]!) ?? 0) + 1);
    }
    const seeds = samsungRows()
      .filter((r) => r.table === 'knox')
      .map((r) => r.code);
    expect(seeds.filter((c) => mentions.get(c) !== 1)).toEqual([]);
  });
});

describe('the answers the product table names in words', () => {
  // These rows have no 7-digit code to parse: the disposition table describes them, and the error table must agree.
  const cases: [string, KnoxErrorCodeName, Disposition][] = [
    ['HTTP 429', 'TOO_MANY_REQUESTS', 'retry'],
    ['timeouts', 'REQUEST_TIMEOUT', 'retry'],
    ['dropped connections', 'CONNECTION_FAILED', 'retry'],
    ['a body that is not the error object', 'UNEXPECTED_RESPONSE', 'retry'],
    ['a customer whose status is Pending', 'CUSTOMER_PENDING', 'wait'],
    ['a customer whose status is DelinkRequested', 'CUSTOMER_DELINK_REQUESTED', 'wait'],
    ['a customer that Rejected the link', 'CUSTOMER_REJECTED_LINK', 'abort'],
    ['bad client credentials', 'INVALID_CLIENT', 'operator'],
    ['a token refused again after one refresh (expired)', 'ACCESS_TOKEN_EXPIRED', 'operator'],
    ['a token refused again after one refresh (invalid)', 'ACCESS_TOKEN_INVALID', 'operator'],
    ['any unknown code', 'UNKNOWN_CODE', 'operator'],
  ];
  it.each(cases)('%s -> %s is %s', (_, code, disposition) => {
    expect(specFor(code).disposition).toBe(disposition);
  });
});

describe('KNOX_ERRORS', () => {
  it('has unique names and unique Knox error codes', () => {
    expect(new Set(KNOX_ERRORS.map((e) => e.code)).size).toBe(KNOX_ERRORS.length);
    const numbered = KNOX_ERRORS.filter((e) => e.errorCode !== '0');
    expect(new Set(numbered.map((e) => e.errorCode)).size).toBe(numbered.length);
  });

  it('gives each row a disposition, a message, and the HTTP status its errorCode starts with', () => {
    for (const e of KNOX_ERRORS) {
      expect(DISPOSITIONS, e.code).toContain(e.disposition);
      expect(e.message.length, e.code).toBeGreaterThan(0);
      // Knox MSP codes carry their HTTP status in their first three digits (docs/knox-contract.md); the token codes come
      // from the Knox cloud APIs and are answered with 401.
      if (/^\d{7}$/.test(e.errorCode) && e.source !== 'auth')
        expect(e.httpStatus, e.code).toBe(Number(e.errorCode.slice(0, 3)));
    }
  });

  it('finds each row by name and by errorCode', () => {
    for (const e of KNOX_ERRORS) {
      expect(specFor(e.code as KnoxErrorCodeName)).toBe(e);
      if (e.errorCode !== '0') expect(specForErrorCode(e.errorCode)).toBe(e);
    }
    expect(specForErrorCode('0')).toBeUndefined();
    expect(specForErrorCode('4009999')).toBeUndefined();
    expect(() => specFor('NO_SUCH_CODE' as KnoxErrorCodeName)).toThrow();
  });

  it('covers the codes documented after the seed table', () => {
    const later = [
      '4002124',
      '4002127',
      '4002128',
      '4002129',
      '4002130',
      '4002133',
      '4002134',
      '4002135',
      '4002136',
      '4002137',
      '4002138',
      '4002139',
      '4002140',
      '4290000',
    ];
    expect(later.filter((c) => specForErrorCode(c) === undefined)).toEqual([]);
  });
});

describe('errorFromAnswer', () => {
  it.each(KNOX_ERRORS.filter((e) => e.errorCode !== '0'))('turns $code ($errorCode) into its disposition', (spec) => {
    const error = errorFromAnswer(
      answer(spec.httpStatus, {
        transactionalId: 'tx-9',
        code: spec.code,
        errorCode: spec.errorCode,
        errorMessage: 'from Knox',
      }),
    );
    expect(error).toBeInstanceOf(KnoxError);
    expect(error).toMatchObject({
      name: 'KnoxError',
      code: spec.code,
      errorCode: spec.errorCode,
      httpStatus: spec.httpStatus,
      disposition: spec.disposition,
      transactionalId: 'tx-9',
      message: 'from Knox',
    });
  });

  it('uses the table’s message when Knox sends none', () => {
    const error = errorFromAnswer(answer(400, { code: 'ADD_EC_ALREADY_MANAGED', errorCode: '4002103' }));
    expect(error.message).toBe(specFor('ADD_EC_ALREADY_MANAGED').message);
    expect(error.transactionalId).toBeUndefined();
  });

  it('sends an unknown code to an operator, keeping Knox’s name for it', () => {
    const error = errorFromAnswer(answer(400, { code: 'SOMETHING_NEW', errorCode: '4002199', errorMessage: 'new' }));
    expect(error).toMatchObject({
      code: 'SOMETHING_NEW',
      errorCode: '4002199',
      httpStatus: 400,
      disposition: 'operator',
    });
  });

  it('retries an unknown code on a 5xx or a 429', () => {
    expect(errorFromAnswer(answer(503, { code: 'MAINTENANCE', errorCode: '5030001' })).disposition).toBe('retry');
    expect(errorFromAnswer(answer(429, { code: 'SLOW_DOWN', errorCode: '4290001' })).disposition).toBe('retry');
  });

  it.each([
    ['an HTML page', 502, '<html><body>Bad gateway</body></html>'],
    ['an empty body', 502, ''],
    ['JSON of the wrong shape', 400, { error: 'nope' }],
    ['an error object with a non-numeric errorCode', 500, { code: 'FAILURE', errorCode: 'five' }],
    ['a JSON array', 500, [1, 2]],
    ['JSON null', 503, 'null'],
    ['truncated JSON', 500, '{"code": "FAIL'],
  ])('turns %s into UNEXPECTED_RESPONSE, retried', (_, status, body) => {
    const error = errorFromAnswer(answer(status, body));
    expect(error).toMatchObject({
      code: 'UNEXPECTED_RESPONSE',
      httpStatus: status,
      errorCode: String(status),
      disposition: 'retry',
    });
  });

  it('reads Retry-After as delta-seconds', () => {
    const error = errorFromAnswer(
      answer(429, { code: 'TOO_MANY_REQUESTS', errorCode: '4290000' }, { 'Retry-After': '12' }),
    );
    expect(error).toMatchObject({ disposition: 'retry', retryAfterSeconds: 12 });
  });

  it('ignores a Retry-After it cannot read', () => {
    const error = errorFromAnswer(
      answer(429, { code: 'TOO_MANY_REQUESTS', errorCode: '4290000' }, { 'retry-after': 'soon' }),
    );
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(error.disposition).toBe('retry');
  });

  it('keeps Retry-After on an answer that is not the error object', () => {
    expect(errorFromAnswer(answer(503, '', { 'retry-after': '30' })).retryAfterSeconds).toBe(30);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['120', 120],
    [' 5 ', 5],
    ['0', 0],
    ['999999999', 86_400],
    ['Wed, 01 Jan 2025 00:01:30 GMT', 90],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
  ])('reads %j as %d s', (value, seconds) => {
    expect(parseRetryAfter(value, now)).toBe(seconds);
  });
  it.each([[null], [''], ['   '], ['soon'], ['1.5e3x']])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('parseKnoxAnswer', () => {
  // What a customer answer must hold, from the documented one.
  const { customerId, companyName, managementType, status } = DOCUMENTED_CUSTOMER;
  const good = { customerId, companyName, managementType, status };

  it('returns the validated body of a 2xx (with defaults applied)', () => {
    expect(parseKnoxAnswer(answer(200, good), customerSchema)).toEqual({ ...good, managedServices: [] });
  });

  it.each([
    ['a body that fails the schema', { ...good, status: 'Sleeping' }],
    ['an empty body', ''],
    ['an HTML page', '<html>ok</html>'],
  ])('refuses a 200 with %s as UNEXPECTED_RESPONSE', (_, body) => {
    expect(() => parseKnoxAnswer(answer(200, body), customerSchema)).toThrow(
      expect.objectContaining({ code: 'UNEXPECTED_RESPONSE', httpStatus: 200, disposition: 'retry' }),
    );
  });

  it('throws the KnoxError of a failed answer', () => {
    expect(() =>
      parseKnoxAnswer(answer(404, { code: 'CUSTOMER_NOT_FOUND', errorCode: '4042100' }), customerSchema),
    ).toThrow(expect.objectContaining({ code: 'CUSTOMER_NOT_FOUND', disposition: 'abort', httpStatus: 404 }));
  });

  it('treats a redirect as an unexpected answer, not a success', () => {
    expect(() => parseKnoxAnswer(answer(302, ''), customerSchema)).toThrow(
      expect.objectContaining({ code: 'UNEXPECTED_RESPONSE' }),
    );
  });
});

describe('KnoxError', () => {
  it('builds a row of the table with overrides, and serialises its plain fields', () => {
    const error = KnoxError.of('REQUEST_TIMEOUT', { message: 'GET /x took too long' });
    expect(error).toBeInstanceOf(Error);
    expect(error.toJSON()).toEqual({
      code: 'REQUEST_TIMEOUT',
      errorCode: '0',
      httpStatus: 0,
      disposition: 'retry',
      message: 'GET /x took too long',
    });
    const limited = KnoxError.of('TOO_MANY_REQUESTS', { retryAfterSeconds: 3, transactionalId: 't' });
    expect(limited.toJSON()).toMatchObject({ retryAfterSeconds: 3, transactionalId: 't', httpStatus: 429 });
  });
});
