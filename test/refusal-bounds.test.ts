/**
 * Bad input stays cheap (product.md): a refusal costs O(bound) work and answers a few KB, whatever the input's size.
 * The reproductions: a CSV header of 4 MB of commas (18 s of CPU, a 1.8 GB heap before: the issue list was built
 * before it was cut) and 4 MB of unknown JSON keys (a 4.4 MB answer before). Work is counted (characters scanned,
 * values looked at), never timed; memory is bounded by the heap's growth; answers by their size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CSV_FIELDS, MAX_CSV_FIELD_CHARS, parseBatchCsv, type CsvWork } from '#domain/batch-csv';
import { MAX_BATCH_ITEMS, MAX_LISTED_ISSUES } from '#domain/batch-schemas';
import { handler } from '#lambdas/api';
import { validateBatchCsv } from '#lambdas/batches/batch-input';
import { MAX_OBJECT_FIELDS, boundedIssues, shapeIssues, type ShapeWork } from '#lambdas/commons/body-bounds';
import { badRequest } from '#lambdas/commons/http';
import { scanJsonShape, type ScanWork } from '#lambdas/commons/json-scan';
import { isJsonObjectText } from '#local/apigateway/json-object-text';
import { apiEvent } from './support/api-harness';

const FOUR_MB = 4 * 1024 * 1024;
/** The most characters the CSV reader scans before it refuses a hostile first row. */
const CSV_REFUSAL_CHARS = MAX_CSV_FIELDS * (MAX_CSV_FIELD_CHARS + 2);
/** The largest 400 answer: MAX_LISTED_ISSUES + 1 issues of a bounded path and message. */
const MAX_ANSWER_BYTES = 64 * 1024;

function heapGrowth(run: () => void): number {
  const before = process.memoryUsage().heapUsed;
  run();
  return process.memoryUsage().heapUsed - before;
}

function answerBytes(failure: { message: string; issues: { path: string; message: string }[] }): number {
  return Buffer.byteLength(badRequest(failure).toResult().body);
}

describe('a hostile CSV is refused after O(bound) work', () => {
  it('a header of 4 MB of commas: refused at the bound, a few hundred bytes of answer, no heap to speak of', () => {
    const commas = ','.repeat(FOUR_MB);
    const work: CsvWork = { chars: 0 };
    let issues: { path: string; message: string }[] = [];
    const growth = heapGrowth(() => {
      const csv = parseBatchCsv(commas, work);
      issues = 'issues' in csv ? csv.issues : [];
    });
    expect(issues).toEqual([
      { path: 'line 1', message: expect.stringContaining(`more than ${MAX_CSV_FIELDS} fields`) },
    ]);
    expect(work.chars).toBeLessThanOrEqual(MAX_CSV_FIELDS);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
    const failure = validateBatchCsv(commas);
    expect(failure.ok).toBe(false);
    if (!failure.ok) expect(answerBytes(failure.failure)).toBeLessThan(2048);
  });

  it('one endless field: refused after MAX_CSV_FIELD_CHARS characters', () => {
    const work: CsvWork = { chars: 0 };
    const csv = parseBatchCsv(`customerId,${'x'.repeat(FOUR_MB)}`, work);
    expect(csv).toEqual({ issues: [{ path: 'line 1', message: expect.stringContaining('a field longer than') }] });
    expect(work.chars).toBeLessThanOrEqual('customerId,'.length + MAX_CSV_FIELD_CHARS + 1);
  });

  it('any header (commas, long names, quotes, unknown columns) is refused or read with bounded work and answer', () => {
    const piece = fc.oneof(
      fc.constant(','),
      fc.constant(',,,,,,,,,,,,,,,,'),
      fc.constant('"'),
      fc.constantFrom('customerId', 'email', 'colour', 'managementType'),
      fc.string({ maxLength: 40 }),
      fc.nat({ max: 5000 }).map((n) => 'y'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 400 }), fc.nat({ max: 3 }), (pieces, repeat) => {
        const header = pieces.join('').repeat(repeat + 1);
        const work: CsvWork = { chars: 0 };
        const csv = parseBatchCsv(`${header}\n1234567890,JointlyManaged\n`, work);
        if ('issues' in csv) {
          // Refused: within the first row's bound, with at most one issue per field of it.
          expect(csv.issues.length).toBeLessThanOrEqual(MAX_CSV_FIELDS + 3);
          if (work.chars > header.length) expect(work.chars).toBeLessThanOrEqual(header.length + 40);
          else expect(work.chars).toBeLessThanOrEqual(CSV_REFUSAL_CHARS);
          expect(answerBytes({ message: 'x', issues: csv.issues })).toBeLessThan(MAX_ANSWER_BYTES);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('a hostile JSON body is refused after O(bound) work', () => {
  it('4 MB of unknown keys: the scan stops at the 65th key, before any parse; a few hundred bytes of answer', () => {
    const entries: string[] = [];
    for (let i = 0; entries.length * 12 < FOUR_MB; i++) entries.push(`"k${i}":0`);
    const text = `{${entries.join(',')}}`;
    const work: ScanWork = { chars: 0 };
    const issue = scanJsonShape(text, {}, work);
    expect(issue).toEqual({
      path: '',
      message: `has more than ${MAX_OBJECT_FIELDS} fields; at most ${MAX_OBJECT_FIELDS} are read`,
    });
    expect(work.chars).toBeLessThan(MAX_OBJECT_FIELDS * 16);
    expect(answerBytes({ message: 'x', issues: [issue!] })).toBeLessThan(512);
  });

  it('a batch may hold MAX_BATCH_ITEMS items, not one more; any other array at most the default', () => {
    const items = (n: number) => JSON.stringify({ items: Array.from({ length: n }, () => ({})) });
    expect(scanJsonShape(items(MAX_BATCH_ITEMS), { items: MAX_BATCH_ITEMS })).toBeUndefined();
    expect(scanJsonShape(items(MAX_BATCH_ITEMS + 1), { items: MAX_BATCH_ITEMS })?.path).toBe('items');
    expect(scanJsonShape(items(MAX_BATCH_ITEMS), {})?.path).toBe('items');
    expect(scanJsonShape('{"customer":{"contact":[1,2,3]}}')).toBeUndefined();
    expect(scanJsonShape(`${'['.repeat(40)}${']'.repeat(40)}`)?.message).toMatch(/nested deeper/);
  });

  it('any body: the scan and the shape check agree on what passes, work and answers stay bounded', () => {
    const key = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.nat({ max: 3000 }).map((n) => 'k'.repeat(n)),
    );
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.integer(),
        fc.string({ maxLength: 10 }),
        fc.array(tie('v'), { maxLength: 80 }),
        fc.dictionary(key, tie('v'), { maxKeys: 80 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (body) => {
        const text = JSON.stringify(body);
        const scan: ScanWork = { chars: 0 };
        const shape: ShapeWork = { values: 0 };
        const scanned = scanJsonShape(text, {}, scan);
        const shaped = shapeIssues(body, {}, shape);
        expect(scanned === undefined).toBe(shaped.length === 0);
        expect(scan.chars).toBeLessThanOrEqual(text.length);
        if (scanned !== undefined)
          expect(answerBytes({ message: 'x', issues: [scanned, ...shaped] })).toBeLessThan(MAX_ANSWER_BYTES);
      }),
      { numRuns: 300 },
    );
  });

  it('a 400 lists at most MAX_LISTED_ISSUES problems and a count, each path and message cut', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({
      path: `p${i}.${'x'.repeat(5000)}`,
      message: 'm'.repeat(5000),
    }));
    const listed = boundedIssues(many);
    expect(listed).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(listed.at(-1)).toEqual({ path: '', message: `and ${100_000 - MAX_LISTED_ISSUES} more problems` });
    expect(answerBytes({ message: 'x', issues: many })).toBeLessThan(MAX_ANSWER_BYTES);
  });
});

describe('the api handler survives paths it cannot decode', () => {
  it('an undecodable path or pathParameters value (a lone surrogate) is a 404, never a 5xx', async () => {
    for (const [path, id] of [
      ['/onboardings/%ED%A0%80', '\ud800'],
      ['/offboardings/%E0%A4%A', '%E0%A4%A'],
      ['/onboarding-batches/%ED%A0%80', '\udfff'],
      ['/onboarding-batches/%ED%A0%80/items', '\ud800'],
    ] as const) {
      const event = { ...apiEvent('GET', path), pathParameters: { onboardingId: id, batchId: id } };
      const result = await handler(event);
      expect(result.statusCode, path).toBe(404);
      expect(JSON.parse(result.body).message.length).toBeLessThan(200);
    }
  });
});

describe("the local API Gateway's JSON-object check, without JSON.parse", () => {
  const parsesToObject = (text: string): boolean => {
    try {
      const v: unknown = JSON.parse(text);
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      return false;
    }
  };

  it('fast-check: agrees with JSON.parse on JSON texts, their mutations and JSON-ish noise', () => {
    const mutated = fc
      .tuple(
        fc.json({ maxDepth: 4 }),
        fc.nat(),
        fc.constantFrom('', '{', '}', '[', ']', ',', ':', '"', '\\', ' ', '-', '0', 'e', '.', '\u0001'),
      )
      .map(([json, at, insert]) => {
        const k = json.length === 0 ? 0 : at % (json.length + 1);
        return `${json.slice(0, k)}${insert}${json.slice(k + (at % 2))}`;
      });
    const noise = fc.string({
      unit: fc.constantFrom(...'{}[]:,"\\ \t\n-+.0123456789eEtrufalsn\u0000'.split('')),
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 4 }), mutated, noise), (text) => {
        expect(isJsonObjectText(text), JSON.stringify(text)).toBe(parsesToObject(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('known edge cases', () => {
    for (const text of ['{}', ' {"a":[1,-0.5e+3,"\\u00e9",true,false,null,{}]} ', '{"a":"\\ud800"}', '{"":{}}'])
      expect(isJsonObjectText(text), text).toBe(true);
    for (const text of [
      '',
      '[]',
      '"x"',
      '{',
      '{"a"}',
      '{"a":01}',
      '{"a":1,}',
      '{"a":.5}',
      '{"a":"\t"}',
      '\ufeff{}',
      '{} x',
      '{"a":tru}',
    ])
      expect(isJsonObjectText(text), text).toBe(parsesToObject(text));
  });
});
