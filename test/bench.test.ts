/**
 * Keeps the cost claim from regressing: the bench's own transition counting (bench/transitions/transition-scenarios.ts, bench/models/history.ts),
 * run on the local stack for the create path and a link approved at the first poll, must stay within the targets
 * the bench holds them to. Counts only, never time.
 */
import { describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { awsHistoryEvents, countTransitions } from '#bench/models/history';
import { runScenario } from '#bench/transitions/transition-scenarios';
import { TRANSITION_TARGETS } from '#bench/transitions/transitions';
import type { RecordedEvent } from '#local/stepfunctions/execution-store';
import { useTestStack } from './support/stack-support';

describe('transitions per onboarding (bench)', () => {
  const local = useTestStack();

  it('a create costs at most the target in state transitions, with one Knox call', async () => {
    const result = await runScenario(local.stack, 'create');
    expect(result.recordStatus).toBe('SUCCEEDED');
    expect(result.path).toContain(STATES.createCustomer);
    expect(result.transitions.transitions).toBeGreaterThanOrEqual(result.path.length);
    expect(result.transitions.transitions).toBeLessThanOrEqual(TRANSITION_TARGETS.create);
    expect(result.knox.byKind.create).toBe(1);
    expect(result.knox.calls).toBe(result.minimumKnoxCalls);
    expect(result.history.unmapped).toEqual([]);
  });

  it('a link approved at the first round costs at most the target in state transitions, with one link and one look', async () => {
    const result = await runScenario(local.stack, 'linkFirstPoll');
    expect(result.recordStatus).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining([STATES.linkCustomer, STATES.waitForAnswer, STATES.needsChange]),
    );
    expect(result.polls).toBe(1);
    expect(result.transitions.transitions).toBeLessThanOrEqual(TRANSITION_TARGETS.linkFirstPoll);
    expect(result.knox.byKind).toMatchObject({ link: 1, get: 1 });
    expect(result.knox.calls).toBe(result.minimumKnoxCalls);
    expect(result.history.unmapped).toEqual([]);
  });
});

describe('the bench counting rules', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const ev = (id: number, type: string, state?: string, stateType?: string): RecordedEvent => ({
    id,
    timestamp: at,
    type,
    ...(state ? { state } : {}),
    ...(stateType ? { stateType } : {}),
  });
  // A Task polled twice (one failed attempt, one retry that succeeded), then a Succeed state.
  const events: RecordedEvent[] = [
    ev(1, 'ExecutionStarted'),
    ev(2, 'StateEntered', 'Check', 'Task'),
    ev(3, 'StateFailed', 'Check', 'Task'),
    ev(4, 'StateRetried', 'Check', 'Task'),
    ev(5, 'StateExited', 'Check', 'Task'),
    ev(6, 'StateEntered', 'Done', 'Succeed'),
    ev(7, 'StateExited', 'Done', 'Succeed'),
    ev(8, 'ExecutionSucceeded'),
  ];
  const definition = {
    StartAt: 'Check',
    States: { Check: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke' }, Done: { Type: 'Succeed' } },
  };

  it('counts each state entered and each retry as a transition', () => {
    expect(countTransitions(events)).toMatchObject({
      transitions: 3,
      statesEntered: 2,
      retries: 1,
      retriesByState: { Check: 1 },
    });
  });

  it('maps a retried Task to the events AWS records for each attempt', () => {
    const history = awsHistoryEvents(events, definition);
    expect(history.byType).toEqual({
      ExecutionStarted: 1,
      TaskStateEntered: 1,
      TaskScheduled: 2,
      TaskStarted: 2,
      TaskFailed: 1,
      TaskSucceeded: 1,
      TaskStateExited: 1,
      SucceedStateEntered: 1,
      SucceedStateExited: 1,
      ExecutionSucceeded: 1,
    });
    expect(history.total).toBe(12);
  });
});
