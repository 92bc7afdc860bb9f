/**
 * The execution drawn as the state machine's graph: laid out by dagre (top to bottom, as the Step Functions console
 * draws it), drawn as SVG with the state names as <text>. Choice edges carry their rule, Catch edges are dashed and
 * carry their error names, the path taken is highlighted, each visited state is coloured by how its last visit
 * ended, and a badge counts its retries. A state is selected with a click, Enter or Space.
 */
import dagre from '@dagrejs/dagre';
import {
  END_NODE,
  START_NODE,
  type ExecutionView,
  type GraphEdge,
  type GraphNode,
  type StateVisit,
  type WorkflowGraph,
} from '../model';
import { s } from './dom';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  width: number;
  height: number;
  nodes: Map<string, Box>;
  edges: Map<string, { points: { x: number; y: number }[]; label?: { x: number; y: number; lines: string[] } }>;
}

const CHAR_WIDTH = 7.2;
const LABEL_CHAR_WIDTH = 6.2;
const LINE_HEIGHT = 13;
const LABEL_WRAP = 30;
const MARGIN = 16;

const layouts = new Map<string, Layout>();

/** The layout of a workflow's graph (computed once per graph: the definition does not change while the page runs). */
export function layoutOf(graph: WorkflowGraph): Layout {
  const key = JSON.stringify(graph);
  const cached = layouts.get(key);
  if (cached) return cached;
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 14, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const marker = node.id === START_NODE || node.id === END_NODE;
    g.setNode(
      node.id,
      marker ? { width: 64, height: 28 } : { width: Math.max(130, nameOf(node).length * CHAR_WIDTH + 36), height: 40 },
    );
  }
  const wrapped = new Map<string, string[]>();
  for (const edge of graph.edges) {
    // Catch labels get no room of their own: every Task has the same catchers, and their labels would crowd the
    // graph. They are drawn at the edge's middle when the Catch was taken or its state is selected.
    const lines = edge.label && edge.kind !== 'catch' ? wrap(edge.label) : [];
    wrapped.set(edge.id, lines);
    const width = lines.length > 0 ? Math.max(...lines.map((l) => l.length)) * LABEL_CHAR_WIDTH + 8 : 0;
    g.setEdge(
      edge.from,
      edge.to,
      { width, height: lines.length * LINE_HEIGHT + (lines.length > 0 ? 4 : 0), labelpos: 'c' },
      edge.id,
    );
  }
  dagre.layout(g);
  const layout: Layout = {
    width: (g.graph().width ?? 0) + 2,
    height: (g.graph().height ?? 0) + 2,
    nodes: new Map(),
    edges: new Map(),
  };
  for (const node of graph.nodes) {
    const n = g.node(node.id);
    layout.nodes.set(node.id, { x: n.x ?? 0, y: n.y ?? 0, width: n.width, height: n.height });
  }
  for (const edge of graph.edges) {
    const e = g.edge({ v: edge.from, w: edge.to, name: edge.id });
    const lines = wrapped.get(edge.id) ?? [];
    layout.edges.set(edge.id, {
      points: e.points ?? [],
      ...(lines.length > 0 && e.x !== undefined && e.y !== undefined ? { label: { x: e.x, y: e.y, lines } } : {}),
    });
  }
  layouts.set(key, layout);
  return layout;
}

function nameOf(node: GraphNode): string {
  return node.id === START_NODE ? 'Start' : node.id === END_NODE ? 'End' : node.id;
}

/** Splits a label into lines of at most LABEL_WRAP characters, at spaces (at most three lines, then an ellipsis). */
function wrap(label: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of label.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > LABEL_WRAP) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length > 3 ? [...lines.slice(0, 2), `${lines[2]} …`] : lines;
}

export interface DrawOptions {
  execution?: ExecutionView;
  selected?: string;
  onSelect: (state: string) => void;
}

export function drawGraph(graph: WorkflowGraph, options: DrawOptions): SVGSVGElement {
  const layout = layoutOf(graph);
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
    nodes.appendChild(drawNode(node, layout.nodes.get(node.id)!, visits.get(node.id), started, options));
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

function drawEdge(edge: GraphEdge, layout: Layout, times: number | undefined, fromSelected: boolean): SVGGElement {
  const laid = layout.edges.get(edge.id)!;
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
  const label =
    laid.label ??
    (edge.kind === 'catch' && edge.label && (isTaken || fromSelected)
      ? middleLabel(laid.points, edge.label)
      : undefined);
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

/** A label at the middle of a polyline (its middle point), for edges laid out without one. */
function middleLabel(
  points: { x: number; y: number }[],
  text: string,
): { x: number; y: number; lines: string[] } | undefined {
  const middle = points[Math.floor(points.length / 2)];
  return middle ? { x: middle.x, y: middle.y, lines: wrap(text) } : undefined;
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
