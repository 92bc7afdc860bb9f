/**
 * The console's graph and execution view (local/console/graph.ts, execution-view.ts), without a browser: the graph
 * built from the synthesized onboarding definition, and a recorded execution turned into outcomes, retries, last
 * input/output/error and the edges taken. The browser side is test/console.e2e.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { STATES } from '#domain/state-names';
import { executionView } from '#local/console/execution-view';
import { describeRule, workflowGraph } from '#local/console/graph';
import { layoutGraph } from '#local/console/layout';
import { END_NODE, START_NODE, type LaidOutGraph } from '#local/console/console-model';
import type { ExecutionRecord, RecordedEvent } from '#local/stepfunctions/execution-store';
import { ensureTemplate } from '#local/template/synth';
import { readTemplate, resolveModel } from '#local/template/template';
import { onboardingExecution } from './support/execution-support';

let graph: LaidOutGraph;
let stateNames: string[];

beforeAll(async () => {
  const model = resolveModel(readTemplate(await ensureTemplate()));
  const onboarding = model.stateMachines.find((m) => m.workflow === 'onboarding')!;
  const plain = workflowGraph('onboarding', onboarding.definition);
  graph = { ...plain, layout: layoutGraph(plain) };
  stateNames = Object.keys(onboarding.definition.States);
});

const edgesFrom = (from: string) => graph.edges.filter((e) => e.from === from);

describe('the graph of a synthesized definition', () => {
  it('has a Start, an End and one node per state, and every edge joins two of them', () => {
    const ids = graph.nodes.map((n) => n.id);
    expect(ids[0]).toBe(START_NODE);
    expect(ids.at(-1)).toBe(END_NODE);
    expect(ids.slice(1, -1)).toEqual(stateNames);
    for (const edge of graph.edges) {
      expect(ids).toContain(edge.from);
      expect(ids).toContain(edge.to);
    }
    expect(new Set(graph.edges.map((e) => e.id)).size).toBe(graph.edges.length);
  });

  it('labels Choice branches with their rules and the Default', () => {
    expect(edgesFrom(STATES.linkOrCreate).map((e) => [e.kind, e.to, e.label])).toEqual(
      expect.arrayContaining([
        ['choice', STATES.linkCustomer, '$.path == "link"'],
        ['choice', STATES.createCustomer, '$.path == "create"'],
        ['default', STATES.onboardingFailed, 'Default'],
      ]),
    );
    expect(edgesFrom(STATES.needsChange).find((e) => e.kind === 'choice')).toMatchObject({
      to: STATES.changeCustomer,
      label: '$.answer.needsChange is present and $.answer.needsChange == true',
    });
  });

  it('keeps each Catch as its own edge, labelled with the errors it matches, and retriers on their node', () => {
    const catches = edgesFrom(STATES.linkCustomer).filter((e) => e.kind === 'catch');
    expect(catches.map((e) => e.to)).toEqual([STATES.waitForAnswer, STATES.recordAborted, STATES.onboardingCancelled]);
    expect(catches[0]!.label).toBe(STEP_ERROR_NAMES.alreadyDone);
    // Link customer -> Wait: both its Next and its AlreadyDone Catch.
    expect(
      edgesFrom(STATES.linkCustomer)
        .filter((e) => e.to === STATES.waitForAnswer)
        .map((e) => e.kind)
        .sort(),
    ).toEqual(['catch', 'next']);
    const link = graph.nodes.find((n) => n.id === STATES.linkCustomer)!;
    expect(link.retry?.flatMap((r) => r.errorEquals)).toEqual(
      expect.arrayContaining([STEP_ERROR_NAMES.retry, STEP_ERROR_NAMES.wait]),
    );
    expect(edgesFrom(STATES.onboardingSucceeded)).toEqual([expect.objectContaining({ to: END_NODE, kind: 'next' })]);
  });

  it('is laid out by dagre: every node placed inside the drawing, every edge with points, Choice rules placed', () => {
    const { layout } = graph;
    for (const node of graph.nodes) {
      const box = layout.nodes[node.id]!;
      expect(box.x - box.width / 2).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height / 2).toBeLessThanOrEqual(layout.height);
    }
    for (const edge of graph.edges) expect(layout.edges[edge.id]!.points.length).toBeGreaterThanOrEqual(2);
    const choice = graph.edges.find((e) => e.kind === 'choice' && e.to === STATES.linkCustomer)!;
    expect(layout.edges[choice.id]).toMatchObject({ lines: ['$.path == "link"'], labelAt: expect.any(Object) });
    // Catch labels are wrapped but not placed (the page puts them on the edge when it shows them).
    const caught = graph.edges.find((e) => e.kind === 'catch')!;
    expect(layout.edges[caught.id]!.labelAt).toBeUndefined();
    const start = layout.nodes[START_NODE]!;
    const end = layout.nodes[END_NODE]!;
    expect(start.y).toBeLessThan(end.y);
  });

  it('describes the rules of Choice states', () => {
    expect(describeRule({ Variable: '$.n', NumericGreaterThanEquals: 3 })).toBe('$.n >= 3');
    expect(describeRule({ Not: { Variable: '$.s', StringEqualsPath: '$.t' } })).toBe('not ($.s == $.t)');
    expect(
      describeRule({
        Or: [
          { Variable: '$.a', IsNull: true },
          { Variable: '$.b', BooleanEquals: false },
        ],
      }),
    ).toBe('($.a is null) or ($.b == false)');
  });
});

let id = 0;
const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
function ev(type: string, state?: string, extra: Partial<RecordedEvent> = {}): RecordedEvent {
  id += 1;
  return { id, timestamp: at(id), type, ...(state ? { state, stateType: 'Task' } : {}), ...extra };
}
function execution(status: ExecutionRecord['status'], events: RecordedEvent[]): ExecutionRecord {
  return onboardingExecution({ input: '{"id":"onb-1","path":"link"}', status, startDate: at(0), events });
}
const takenPairs = (view: ReturnType<typeof executionView>) =>
  Object.keys(view.taken).map((edgeId) => {
    const edge = graph.edges.find((e) => e.id === edgeId)!;
    return `${edge.from} -${edge.kind}-> ${edge.to}`;
  });

describe('an execution on the graph', () => {
  it('marks the path, a caught state with its retries, and each state’s last input, output and error', () => {
    const cause = JSON.stringify({ errorType: 'Knox.Abort', errorMessage: 'ADD_EC_ALREADY_MANAGED (4002103)' });
    const view = executionView(
      execution('SUCCEEDED', [
        ev('ExecutionStarted', undefined, { input: '{"id":"onb-1","path":"link"}' }),
        ev('StateEntered', STATES.linkOrCreate, { input: '{"id":"onb-1","path":"link"}' }),
        ev('StateExited', STATES.linkOrCreate, { output: '{"id":"onb-1","path":"link"}' }),
        ev('StateEntered', STATES.linkCustomer, { input: '{"id":"onb-1","path":"link"}' }),
        ev('StateFailed', STATES.linkCustomer, { error: 'Knox.Retry', cause: '{}' }),
        ev('StateRetried', STATES.linkCustomer, { retry: { errorEquals: ['Knox.Retry'], attempt: 1 } }),
        ev('StateFailed', STATES.linkCustomer, { error: 'Knox.Abort', cause }),
        ev('StateCaught', STATES.linkCustomer, {
          catch: { errorEquals: ['Knox.Abort', 'Knox.InvalidRequest', 'Knox.Wait'], next: STATES.recordAborted },
        }),
        ev('StateExited', STATES.linkCustomer, { output: '{}' }),
        ev('StateEntered', STATES.recordAborted, { input: '{"id":"onb-1"}' }),
        ev('StateExited', STATES.recordAborted, { output: '{"id":"onb-1"}' }),
        ev('StateEntered', STATES.onboardingAborted, { stateType: 'Succeed' }),
        ev('ExecutionSucceeded', undefined, { output: '{}' }),
      ]),
      graph,
    );
    expect(takenPairs(view).sort()).toEqual(
      [
        `${START_NODE} -next-> ${STATES.linkOrCreate}`,
        `${STATES.linkOrCreate} -choice-> ${STATES.linkCustomer}`,
        `${STATES.linkCustomer} -catch-> ${STATES.recordAborted}`,
        `${STATES.recordAborted} -next-> ${STATES.onboardingAborted}`,
        `${STATES.onboardingAborted} -next-> ${END_NODE}`,
      ].sort(),
    );
    const link = view.states.find((s) => s.state === STATES.linkCustomer)!;
    expect(link).toMatchObject({
      outcome: 'caught',
      visits: 1,
      retries: 1,
      lastInput: '{"id":"onb-1","path":"link"}',
      lastError: { error: 'Knox.Abort', cause },
    });
    expect(view.states.find((s) => s.state === STATES.onboardingAborted)?.outcome).toBe('succeeded');
    expect(view.states.map((s) => s.state)).not.toContain(STATES.createCustomer);
    // Events keep the Lambda error's message, not its whole cause.
    expect(view.events.find((e) => e.error === 'Knox.Abort')?.cause).toBe('ADD_EC_ALREADY_MANAGED (4002103)');
  });

  it('shows a running state in progress, a stopped one as stopped, and a resumed run without a second edge', () => {
    const events = [
      ev('ExecutionStarted'),
      ev('StateEntered', STATES.linkOrCreate),
      ev('StateExited', STATES.linkOrCreate),
      ev('StateEntered', STATES.linkCustomer),
      ev('StateFailed', STATES.linkCustomer, { error: 'Knox.Wait' }),
      ev('StateRetried', STATES.linkCustomer),
      ev('ExecutionInterrupted'),
      ev('ExecutionResumed', STATES.linkCustomer),
      ev('StateEntered', STATES.linkCustomer),
    ];
    const running = executionView(execution('RUNNING', events), graph);
    expect(running.states.find((s) => s.state === STATES.linkCustomer)).toMatchObject({
      outcome: 'inProgress',
      visits: 1,
      retries: 1,
    });
    expect(Object.values(running.taken)).toEqual([1, 1]);
    const stopped = executionView(execution('ABORTED', [...events, ev('ExecutionAborted')]), graph);
    expect(stopped.states.find((s) => s.state === STATES.linkCustomer)?.outcome).toBe('stopped');
    expect(takenPairs(stopped).some((pair) => pair.endsWith(END_NODE))).toBe(false);
  });
});
