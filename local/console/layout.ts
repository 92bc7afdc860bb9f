/**
 * The graph's layout, by dagre (top to bottom, as the Step Functions console draws it), computed once per workflow
 * by the console's server: a definition does not change while the stack runs, and a layout costs far more than a
 * drawing (100-200 ms on a busy machine), so the page only draws what it receives. Sizes come from the text they hold
 * (state names, wrapped Choice rules) at the page's font sizes.
 */
import dagre from '@dagrejs/dagre';
import { END_NODE, START_NODE, type GraphLayout, type Point, type WorkflowGraph } from './console-model';

/** Average glyph widths (px) of the page's 13 px node and 11 px label fonts. */
const CHAR_WIDTH = 7.2;
export const LABEL_CHAR_WIDTH = 6.2;
export const LINE_HEIGHT = 13;
const LABEL_WRAP = 30;
const MARGIN = 16;

export function layoutGraph(graph: WorkflowGraph): GraphLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 14, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const marker = node.id === START_NODE || node.id === END_NODE;
    const name = node.id === START_NODE ? 'Start' : node.id === END_NODE ? 'End' : node.id;
    g.setNode(
      node.id,
      marker ? { width: 64, height: 28 } : { width: Math.max(130, name.length * CHAR_WIDTH + 36), height: 40 },
    );
  }
  const wrapped = new Map<string, string[]>();
  for (const edge of graph.edges) {
    const lines = edge.label ? wrap(edge.label) : [];
    wrapped.set(edge.id, lines);
    // Catch labels get no room of their own: every Task has the same catchers, and their labels would crowd the
    // graph. The page draws them at the edge's middle when the Catch was taken or its state is selected.
    const placed = edge.kind === 'catch' ? [] : lines;
    const width = placed.length > 0 ? Math.max(...placed.map((l) => l.length)) * LABEL_CHAR_WIDTH + 8 : 0;
    const height = placed.length > 0 ? placed.length * LINE_HEIGHT + 4 : 0;
    g.setEdge(edge.from, edge.to, { width, height, labelpos: 'c' }, edge.id);
  }
  dagre.layout(g);
  const layout: GraphLayout = {
    width: (g.graph().width ?? 0) + 2,
    height: (g.graph().height ?? 0) + 2,
    nodes: {},
    edges: {},
  };
  for (const node of graph.nodes) {
    const n = g.node(node.id);
    layout.nodes[node.id] = { x: round(n.x ?? 0), y: round(n.y ?? 0), width: round(n.width), height: round(n.height) };
  }
  for (const edge of graph.edges) {
    const e = g.edge({ v: edge.from, w: edge.to, name: edge.id });
    const lines = wrapped.get(edge.id) ?? [];
    layout.edges[edge.id] = {
      points: (e.points ?? []).map((p: Point) => ({ x: round(p.x), y: round(p.y) })),
      ...(lines.length > 0 ? { lines } : {}),
      ...(lines.length > 0 && edge.kind !== 'catch' && e.x !== undefined && e.y !== undefined
        ? { labelAt: { x: round(e.x), y: round(e.y) } }
        : {}),
    };
  }
  return layout;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
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
