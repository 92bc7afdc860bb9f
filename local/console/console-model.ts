/**
 * The JSON the console's server answers and its page reads (shapes only: the page bundle imports nothing else from
 * the project, so that neither zod nor node modules end up in the browser).
 */
import type { BatchStatus } from '#domain/batch-statuses';
import type { HistoryEntry, LastError, RecordKind, RecordStatus } from '#domain/api-schemas';

/** Where the console's read-only JSON lives (the page itself is at `/`). */
export const CONSOLE_API_PREFIX = '/console/api';
/** Where the page's built assets live. */
export const CONSOLE_ASSET_PREFIX = '/console/assets';

/** A record's lastError, with the error table's operator hint when it has one. */
export interface LastErrorView extends LastError {
  hint?: string;
}

/** What the built-in simulator's customer can answer right now: a link request, or a delink request. */
export type PendingAnswer = 'link' | 'delink';

/** One row of the list. */
export interface ConsoleRecord {
  kind: RecordKind;
  id: string;
  status: RecordStatus;
  customerId?: string;
  /** A create's company name, as the operator sent it (shown as text, never as HTML). */
  companyName?: string;
  knoxStatus?: string;
  lastError?: LastErrorView;
  executionName?: string;
  batchId?: string;
  createdAt: string;
  updatedAt: string;
  /** Set when the built-in simulator's customer has a request of ours to answer. */
  pendingAnswer?: PendingAnswer;
  /** How many times the FAILED workflow was redriven (absent: never). */
  redriveCount?: number;
}

export type { BatchStatus };

/** A batch as `GET /onboarding-batches/{id}` answers it (README.md, "Bulk onboarding"). */
export interface BatchSummary {
  batchId: string;
  status: BatchStatus;
  total: number;
  started: number;
  counts: Partial<Record<RecordStatus, number>>;
  /** STOPPED: the code that failed most (maxFailedPercentage); FAILED: why the batch's own workflow failed. */
  stoppedReason?: string;
  failedReason?: string;
  /** The threshold of FAILED items (percent of those started) past which the batch STOPS. */
  maxFailedPercentage?: number;
  /** On a retry: the batch it retries. On an original: its retries, oldest first. */
  retryOf?: string;
  retries?: string[];
  createdAt: string;
  updatedAt: string;
}

/** One item of `GET /onboarding-batches/{id}/items`. */
export interface BatchItem {
  item: number;
  onboardingId?: string;
  customerId?: string;
  status: RecordStatus;
  lastError?: LastErrorView;
}

/** The batches the records name (their `batchId`), counted from the records themselves. */
export interface BatchGroup {
  batchId: string;
  records: number;
  counts: Partial<Record<RecordStatus, number>>;
  createdAt: string;
  updatedAt: string;
}

/** `GET /console/api/records`. */
export interface RecordsAnswer {
  records: ConsoleRecord[];
  batches: BatchGroup[];
  /** Whether the built-in simulator runs (Approve and Reject buttons), false with KNOX_BASE_URL. */
  simulator: boolean;
  kinds: RecordKind[];
  statuses: RecordStatus[];
  terminalStatuses: RecordStatus[];
  /** Lists stop at this many records per kind and status (newest first). */
  truncated: boolean;
}

// --- The graph ------------------------------------------------------------------------------------------------------

export const START_NODE = '__start__';
export const END_NODE = '__end__';

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch';

export interface GraphNode {
  id: string;
  /** The ASL state type, or `Start` / `End` for the two markers. */
  type: string;
  /** Retriers of a Task: which errors, how many attempts. */
  retry?: { errorEquals: string[]; maxAttempts: number }[];
}

export interface GraphEdge {
  /** Unique within the graph. */
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  /** A Choice rule, `Default`, or a Catch's error names. */
  label?: string;
}

export interface WorkflowGraph {
  workflow: RecordKind;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface Point {
  x: number;
  y: number;
}

/** Where dagre put each node (its centre and size) and each edge (its points; its label's lines and centre). */
export interface GraphLayout {
  width: number;
  height: number;
  nodes: Record<string, Point & { width: number; height: number }>;
  edges: Record<string, { points: Point[]; lines?: string[]; labelAt?: Point }>;
}

/** A workflow's graph with its layout, as the page receives it. */
export interface LaidOutGraph extends WorkflowGraph {
  layout: GraphLayout;
}

// --- An execution ---------------------------------------------------------------------------------------------------

/** How a visited state ended its last visit. `stopped`: the execution was stopped (cancel, timeout) while in it. */
export type StateOutcome = 'succeeded' | 'caught' | 'failed' | 'inProgress' | 'stopped';

export interface StateVisit {
  state: string;
  outcome: StateOutcome;
  /** How many times it was entered. */
  visits: number;
  retries: number;
  /** The last visit's input and output (JSON text), and the last error it failed with. */
  lastInput?: string;
  lastOutput?: string;
  lastError?: { error: string; cause?: string; at: string };
}

export interface ConsoleEvent {
  id: number;
  timestamp: string;
  type: string;
  /** The Step Functions history event type it stands for (TaskStateEntered, TaskFailed, ...), if AWS records one. */
  awsType?: string;
  state?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionView {
  name: string;
  /** A record kind's workflow, or the bulk onboarding one (`batch`). */
  workflow: RecordKind | 'batch';
  status: string;
  startDate: string;
  stopDate?: string;
  error?: string;
  cause?: string;
  graph: LaidOutGraph;
  states: StateVisit[];
  /** Edge ids of the path taken, with how many times each was taken. */
  taken: Record<string, number>;
  events: ConsoleEvent[];
  /** State transitions as AWS bills them (states entered + retries). */
  transitions: number;
}

/** `GET /console/api/records/{id}`. */
export interface RecordDetailAnswer {
  record: ConsoleRecord & { history: HistoryEntry[] };
  execution?: ExecutionView;
  simulator: boolean;
}

/** `POST /console/api/answers` body: the simulated customer answers a request of ours. */
export interface AnswerRequest {
  customerId: string;
  answer: PendingAnswer;
  accept: boolean;
}
