/**
 * The batch report's CSV (pure): RFC 4180 quoting and OWASP's CSV-injection rule, read back with csv-parse; and the
 * Step Functions names the console gives the local engine's events.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, reportCsv, type BatchReport } from '#lambdas/batches/batch-report';
import { awsEventType, countTransitions } from '#local/stepfunctions/transition-count';

describe('the report CSV', () => {
  it('prefixes a single quote to every cell a spreadsheet would read as a formula', () => {
    for (const text of ['=1+2', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx'])
      expect((parse(csvCell(text)) as string[][])[0]![0]).toBe(`'${text}`);
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(12)).toBe('12');
    expect(csvCell(undefined)).toBe('');
  });

  it('quotes commas, quotes and line breaks per RFC 4180', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it('reads back with csv-parse: one row per item, in order, the CSV line in place of the item', () => {
    const report: BatchReport = {
      batchId: 'bat-0123456789abcdef',
      status: 'DONE',
      items: [
        { item: 0, line: 2, customerId: '1000000001', onboardingId: 'onb-a', status: 'SUCCEEDED' },
        {
          item: 1,
          line: 4,
          companyName: '=HYPERLINK("http://evil","x"), Inc',
          onboardingId: 'onb-b',
          status: 'ABORTED',
          code: 'ADD_EC_ALREADY_MANAGED',
          errorCode: '4002103',
          message: 'Managed by "someone" else,\nreally',
          hint: '-check the owner',
        },
      ],
    };
    const text = reportCsv(report);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      {
        item: '2',
        customer: '1000000001',
        'onboarding id': 'onb-a',
        status: 'SUCCEEDED',
        'Knox code': '',
        message: '',
        hint: '',
      },
      {
        item: '4',
        customer: `'=HYPERLINK("http://evil","x"), Inc`,
        'onboarding id': 'onb-b',
        status: 'ABORTED',
        'Knox code': 'ADD_EC_ALREADY_MANAGED (4002103)',
        message: 'Managed by "someone" else,\nreally',
        hint: "'-check the owner",
      },
    ]);
  });
});

describe('the events as Step Functions names them', () => {
  it('maps the local engine’s events to history event types', () => {
    expect(awsEventType('ExecutionStarted', undefined)).toBe('ExecutionStarted');
    expect(awsEventType('StateEntered', 'Task')).toBe('TaskStateEntered');
    expect(awsEventType('StateExited', 'Choice')).toBe('ChoiceStateExited');
    expect(awsEventType('StateFailed', 'Task')).toBe('TaskFailed');
    expect(awsEventType('StateRetried', 'Task')).toBe('TaskScheduled');
    expect(awsEventType('StateCaught', 'Task')).toBeUndefined();
    expect(awsEventType('ExecutionTimeout', undefined)).toBe('ExecutionTimedOut');
  });

  it('counts states entered plus retries', () => {
    const events = [
      { type: 'ExecutionStarted' },
      { type: 'StateEntered', state: 'A' },
      { type: 'StateRetried', state: 'A' },
      { type: 'StateRetried', state: 'A' },
      { type: 'StateExited', state: 'A' },
      { type: 'StateEntered', state: 'B' },
    ];
    expect(countTransitions(events)).toEqual({
      transitions: 4,
      statesEntered: 2,
      retries: 2,
      retriesByState: { A: 2 },
    });
  });
});
