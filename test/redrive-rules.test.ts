/**
 * The local RedriveExecution's rules (local/stepfunctions/execution-redrive.ts), as AWS states them (API Reference,
 * RedriveExecution): only an execution that did not succeed, closed within 14 days, under the redrive and history
 * limits; a redrive reopens it (RUNNING, redriveCount + 1, its close forgotten); DescribeExecution's fields.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '#local/stepfunctions/execution-store';
import {
  MAX_REDRIVES,
  REDRIVE_WINDOW_MS,
  notRedrivableReason,
  redriveFields,
  reopenForRedrive,
} from '#local/stepfunctions/execution-redrive';
import { onboardingExecution } from './support/execution-support';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');

function failed(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return onboardingExecution({
    input: '{}',
    status: 'FAILED',
    startDate: new Date(NOW - 3600_000).toISOString(),
    stopDate: new Date(NOW - 60_000).toISOString(),
    error: 'Knox.Operator',
    cause: 'refused',
    position: { state: 'Link customer', input: '{"id":"onb-0000000000000000"}' },
    ...overrides,
  });
}

describe('local RedriveExecution rules', () => {
  it('redrives FAILED, TIMED_OUT and ABORTED executions closed within 14 days', () => {
    for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED'] as const) {
      expect(notRedrivableReason(failed({ status }), NOW)).toBeUndefined();
    }
    const edge = failed({ stopDate: new Date(NOW - REDRIVE_WINDOW_MS).toISOString() });
    expect(notRedrivableReason(edge, NOW)).toBeUndefined();
  });

  it('refuses RUNNING, SUCCEEDED, older than 14 days, too many redrives and a full history, saying why', () => {
    expect(notRedrivableReason(failed({ status: 'RUNNING' }), NOW)).toMatch(/RUNNING/);
    expect(notRedrivableReason(failed({ status: 'SUCCEEDED' }), NOW)).toMatch(/SUCCEEDED/);
    const old = failed({ stopDate: new Date(NOW - REDRIVE_WINDOW_MS - 1).toISOString() });
    expect(notRedrivableReason(old, NOW)).toMatch(/14 days/);
    expect(notRedrivableReason(failed({ redriveCount: MAX_REDRIVES }), NOW)).toMatch(/1000/);
    const full = failed({
      events: Array.from({ length: 24_999 }, (_, i) => ({ id: i + 1, timestamp: '', type: 'StateEntered' })),
    });
    expect(notRedrivableReason(full, NOW)).toMatch(/history/);
    expect(() => reopenForRedrive(old, NOW)).toThrow(expect.objectContaining({ name: 'ExecutionNotRedrivable' }));
  });

  it('reopens the same execution: RUNNING, one more redrive, its close forgotten, its position kept', () => {
    const record = failed();
    reopenForRedrive(record, NOW);
    expect(record).toMatchObject({ status: 'RUNNING', redriveCount: 1, redriveDate: new Date(NOW).toISOString() });
    expect(record.stopDate).toBeUndefined();
    expect(record.error).toBeUndefined();
    expect(record.cause).toBeUndefined();
    expect(record.position?.state).toBe('Link customer');
    expect(redriveFields(record, NOW)).toMatchObject({
      redriveCount: 1,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: expect.stringMatching(/RUNNING/),
    });
    expect(redriveFields(failed(), NOW)).toEqual({ redriveCount: 0, redriveStatus: 'REDRIVABLE' });
  });
});
