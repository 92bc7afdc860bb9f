/**
 * The execution drawn as the state machine's graph, from the layout the server computed with dagre (top to bottom,
 * as the Step Functions console draws it), as SVG with the state names as <text>. Choice edges carry their rule,
 * Catch edges are dashed and show their error names when taken or when their state is selected, the path taken is
 * highlighted, each visited state is coloured by how its last visit ended, and a badge counts its retries. A state is
 * selected with a click, Enter or Space.
 */
import {
  END_NODE,
  START_NODE,
  type ExecutionView,
  type GraphEdge,
  type GraphLayout,
  type GraphNode,
  type LaidOutGraph,
  type Point,
  type StateVisit,
} from '../console-model';
import { s } from './dom';

/** The server's label metrics (local/console/layout.ts): 11 px labels. */
const LABEL_CHAR_WIDTH = 6.2;
const LINE_HEIGHT = 13;

type Box = GraphLayout['nodes'][string];

function nameOf(node: GraphNode): string {
  return node.id === START_NODE ? 'Start' : node.id === END_NODE ? 'End' : node.id;
}

export interface DrawOptions {
  execution?: ExecutionView;
  selected?: string;
  onSelect: (state: string) => void;
}

export function drawGraph(graph: LaidOutGraph, options: DrawOptions): SVGSVGElement {
  const { layout } = graph;
  const visits = new Map<string, StateVisit>((options.execution?.states ?? []).map((v) => [v.state, v]));
  const taken = options.execution?.taken ?? {};
  const started = options.execution !== undefined;
  const svg = s(
    'svg',
    {
      class: 'graph',
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: 'group',
      'aria-label': `${graph.workflow} state machine`,
    },
    defs(),
  );
  const edges = s('g', { class: 'edges' });
  // Edges not taken first, so that the path is drawn on top where edges cross.
  const ordered = [...graph.edges].sort((a, b) => Number(a.id in taken) - Number(b.id in taken));
  for (const edge of ordered) edges.appendChild(drawEdge(edge, layout, taken[edge.id], options.selected === edge.from));
  svg.appendChild(edges);
  const nodes = s('g', { class: 'nodes' });
  for (const node of graph.nodes)
    nodes.appendChild(drawNode(node, layout.nodes[node.id]!, visits.get(node.id), started, options));
  svg.appendChild(nodes);
  return svg;
}

function defs(): SVGDefsElement {
  const marker = (id: string) =>
    // In user space: a thick (taken) edge keeps the same arrowhead as a thin one.
    s(
      'marker',
      {
        id,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerUnits: 'userSpaceOnUse',
        markerWidth: 11,
        markerHeight: 11,
        orient: 'auto-start-reverse',
      },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: id }),
    );
  return s('defs', {}, marker('arrow'), marker('arrow-taken'), marker('arrow-catch'));
}

function drawEdge(edge: GraphEdge, layout: GraphLayout, times: number | undefined, fromSelected: boolean): SVGGElement {
  const laid = layout.edges[edge.id]!;
  const d = laid.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  const isTaken = times !== undefined;
  const marker = isTaken ? 'arrow-taken' : edge.kind === 'catch' ? 'arrow-catch' : 'arrow';
  const g = s(
    'g',
    {
      class: `edge edge-${edge.kind}${isTaken ? ' taken' : ''}`,
      'data-edge': edge.id,
      'data-from': edge.from,
      'data-to': edge.to,
    },
    s(
      'title',
      {},
      `${edge.from} → ${edge.to}${edge.label ? ` (${edge.kind === 'catch' ? 'Catch' : edge.kind}: ${edge.label})` : ''}${isTaken ? `, taken ${times}×` : ''}`,
    ),
    s('path', { d, 'marker-end': `url(#${marker})` }),
  );
  // A Catch's label sits at the middle of its edge, shown when the Catch was taken or its state is selected.
  const shown =
    laid.labelAt ?? (edge.kind === 'catch' && (isTaken || fromSelected) ? middleOf(laid.points) : undefined);
  const label = shown && laid.lines ? { ...shown, lines: laid.lines } : undefined;
  if (label) {
    const { x, y, lines } = label;
    const width = Math.max(...lines.map((l) => l.length)) * LABEL_CHAR_WIDTH + 8;
    const height = lines.length * LINE_HEIGHT + 4;
    const text = s('text', { class: 'edge-label', x, y: y - height / 2 + LINE_HEIGHT - 1, 'text-anchor': 'middle' });
    lines.forEach((line, i) => {
      text.appendChild(s('tspan', { x, dy: i === 0 ? 0 : LINE_HEIGHT }, line));
    });
    g.appendChild(s('rect', { class: 'edge-label-bg', x: x - width / 2, y: y - height / 2, width, height, rx: 3 }));
    g.appendChild(text);
  }
  return g;
}

/** The middle point of a polyline. */
function middleOf(points: Point[]): Point | undefined {
  return points[Math.floor(points.length / 2)];
}

const OUTCOME_WORDS: Record<StateVisit['outcome'], string> = {
  succeeded: 'succeeded',
  caught: 'caught',
  failed: 'failed',
  inProgress: 'in progress',
  stopped: 'stopped',
};

function drawNode(
  node: GraphNode,
  box: Box,
  visit: StateVisit | undefined,
  started: boolean,
  options: DrawOptions,
): SVGGElement {
  const marker = node.id === START_NODE || node.id === END_NODE;
  const name = nameOf(node);
  const outcome = marker ? (started ? 'marker' : 'idle') : visit ? visit.outcome : 'idle';
  const x = box.x - box.width / 2;
  const y = box.y - box.height / 2;
  const selected = options.selected === node.id;
  const described = visit
    ? `${OUTCOME_WORDS[visit.outcome]}${visit.retries > 0 ? `, retried ${visit.retries} times` : ''}`
    : marker
      ? ''
      : 'not visited';
  const g = s(
    'g',
    {
      class: `node type-${node.type.toLowerCase()} outcome-${outcome}${selected ? ' selected' : ''}`,
      'data-state': node.id,
      'data-outcome': outcome,
      ...(marker
        ? {}
        : {
            tabindex: 0,
            role: 'button',
            'aria-pressed': selected ? 'true' : 'false',
            'aria-label': `${name} (${node.type}): ${described}`,
            'data-focus': `state:${node.id}`,
          }),
    },
    s('title', {}, `${name} (${node.type})${described ? `: ${described}` : ''}`),
    s('rect', {
      x,
      y,
      width: box.width,
      height: box.height,
      rx: marker ? box.height / 2 : node.type === 'Choice' ? 14 : 5,
    }),
    s('text', { x: box.x, y: box.y + 4, 'text-anchor': 'middle', class: 'node-label' }, name),
  );
  if (visit && visit.retries > 0) {
    const bx = x + box.width - 4;
    const by = y + 2;
    g.appendChild(
      s(
        'g',
        { class: 'retry-badge', 'data-retries': visit.retries },
        s('rect', { x: bx - 22, y: by - 10, width: 30, height: 16, rx: 8 }),
        s('text', { x: bx - 7, y: by + 2, 'text-anchor': 'middle' }, `↻${visit.retries}`),
      ),
    );
  }
  if (!marker) {
    const select = (): void => options.onSelect(node.id);
    g.addEventListener('click', select);
    g.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select();
      }
    });
  }
  return g;
}
