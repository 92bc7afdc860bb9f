/**
 * A state machine's graph, from its synthesized definition, as the Step Functions console draws it: a Start and an
 * End marker, one node per state, and one edge per transition: `Next`, each Choice rule (labelled with its
 * condition), a Choice's `Default`, and each Catch (labelled with the errors it matches). Retriers are kept on their
 * node (the page shows them as a badge when they ran).
 */
import type { RecordKind } from '#domain/api-schemas';
import type { AslDefinition } from '../template/template';
import { END_NODE, START_NODE, type GraphEdge, type GraphNode, type WorkflowGraph } from './console-model';

type Json = unknown;
type AslState = Record<string, Json>;

export function workflowGraph(
  workflow: RecordKind,
  definition: Pick<AslDefinition, 'StartAt' | 'States'>,
): WorkflowGraph {
  const nodes: GraphNode[] = [{ id: START_NODE, type: 'Start' }];
  const edges: GraphEdge[] = [];
  const add = (from: string, to: string, kind: GraphEdge['kind'], label?: string): void => {
    edges.push({
      id: `${edges.length}:${kind}:${from}->${to}`,
      from,
      to,
      kind,
      ...(label !== undefined ? { label } : {}),
    });
  };
  add(START_NODE, definition.StartAt, 'next');
  for (const [name, state] of Object.entries(definition.States) as [string, AslState][]) {
    const type = String(state['Type']);
    const retry = retriers(state);
    nodes.push({ id: name, type, ...(retry.length > 0 ? { retry } : {}) });
    if (type === 'Choice') {
      for (const rule of asArray(state['Choices'])) {
        const next = (rule as AslState)['Next'];
        if (typeof next === 'string') add(name, next, 'choice', describeRule(rule as AslState));
      }
      if (typeof state['Default'] === 'string') add(name, state['Default'], 'default', 'Default');
    }
    if (typeof state['Next'] === 'string') add(name, state['Next'], 'next');
    if (state['End'] === true || type === 'Succeed' || type === 'Fail') add(name, END_NODE, 'next');
    for (const catcher of asArray(state['Catch'])) {
      const c = catcher as AslState;
      if (typeof c['Next'] === 'string')
        add(name, c['Next'], 'catch', asArray(c['ErrorEquals']).map(String).join(', '));
    }
  }
  nodes.push({ id: END_NODE, type: 'End' });
  return { workflow, nodes, edges };
}

function asArray(value: Json): Json[] {
  return Array.isArray(value) ? value : [];
}

function retriers(state: AslState): { errorEquals: string[]; maxAttempts: number }[] {
  return asArray(state['Retry']).map((r) => {
    const retrier = r as AslState;
    // Step Functions' default MaxAttempts is 3.
    const max = typeof retrier['MaxAttempts'] === 'number' ? retrier['MaxAttempts'] : 3;
    return { errorEquals: asArray(retrier['ErrorEquals']).map(String), maxAttempts: max };
  });
}

/** Comparison operators of a Choice rule, as the label shows them (the first pattern that matches wins). */
const OPERATORS: [RegExp, string][] = [
  // Before plain Equals, which they end with.
  [/LessThanEquals(Path)?$/, '<='],
  [/GreaterThanEquals(Path)?$/, '>='],
  [/Equals(Path)?$/, '=='],
  [/LessThan(Path)?$/, '<'],
  [/GreaterThan(Path)?$/, '>'],
  [/^StringMatches$/, 'matches'],
];

/** A Choice rule as one line: `$.path == "link"`, `$.a is present and $.a == true`, `not (...)`. */
export function describeRule(rule: AslState): string {
  if (Array.isArray(rule['And'])) return rule['And'].map((r) => describeRule(r as AslState)).join(' and ');
  if (Array.isArray(rule['Or'])) return rule['Or'].map((r) => `(${describeRule(r as AslState)})`).join(' or ');
  if (rule['Not'] !== undefined && typeof rule['Not'] === 'object')
    return `not (${describeRule(rule['Not'] as AslState)})`;
  const variable = String(rule['Variable'] ?? '?');
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') continue;
    const test = /^Is(Present|Null|Boolean|Numeric|String|Timestamp)$/.exec(key);
    if (test) return `${variable} ${value === true ? 'is' : 'is not'} ${test[1]!.toLowerCase()}`;
    const op = OPERATORS.find(([pattern]) => pattern.test(key))?.[1] ?? key;
    const operand = key.endsWith('Path') ? String(value) : JSON.stringify(value);
    return `${variable} ${op} ${operand}`;
  }
  return variable;
}
