/**
 * What the local Step Functions remembers about each execution (status, input, output, error, and the event history
 * recorded from the engine), in memory and as one JSON file per execution under DATA_DIR/executions/, so that
 * DescribeExecution and the history survive a restart and interrupted executions can be resumed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { LOCAL_WORKFLOWS } from '../template/template';

export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const recordedEventSchema = z.object({
  id: z.number().int(),
  timestamp: z.string(),
  /** The engine's event type (StateEntered, StateRetried, ExecutionFailed...), or ExecutionResumed (local), ExecutionRedriven. */
  type: z.string(),
  state: z.string().optional(),
  stateType: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  retry: z.object({ errorEquals: z.array(z.string()), attempt: z.number().int() }).optional(),
  catch: z.object({ errorEquals: z.array(z.string()), next: z.string() }).optional(),
  /** ExecutionStarted and StateEntered (the state's input; the console's inspector shows it). */
  input: z.string().optional(),
  /** ExecutionSucceeded and StateExited (the state's output). */
  output: z.string().optional(),
});
export type RecordedEvent = z.infer<typeof recordedEventSchema>;

export const executionRecordSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  stateMachineName: z.string(),
  workflow: z.enum(LOCAL_WORKFLOWS),
  name: z.string(),
  /** The execution input as StartExecution received it (a JSON string). */
  input: z.string(),
  status: z.enum(EXECUTION_STATUSES),
  startDate: z.string(),
  stopDate: z.string().optional(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  /** How many runs the local stack made of it: 1, plus one per resume after a restart interrupted it. */
  runs: z.number().int(),
  /**
   * The top-level state it last entered and that state's input (a JSON string): where a resumed run starts again,
   * so that a restart continues the execution instead of repeating steps whose answer has changed since.
   */
  position: z.object({ state: z.string(), input: z.string() }).optional(),
  /** The SHA-256 (16 hex) of the definition it started on (definition-versions.ts): restarts keep running it. */
  definitionHash: z.string().optional(),
  /** RedriveExecution (redrive.ts): how many times, and when last. */
  redriveCount: z.number().int().optional(),
  redriveDate: z.string().optional(),
  events: z.array(recordedEventSchema),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/**
 * Writes are coalesced: the events of this long become one write (an execution's end is written at once). At 25 ms a
 * one-second execution was rewritten every few of its events: its file writes took about 3 % of the stack's CPU.
 */
const WRITE_DELAY_MS = 200;

export class ExecutionStore {
  private readonly dir: string;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The last write of each execution, so that writes of one file never overlap. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'executions');
    mkdirSync(this.dir, { recursive: true });
  }

  /** Every execution saved before (a file that does not parse is skipped, not fatal). */
  loadAll(onSkip?: (file: string, reason: string) => void): ExecutionRecord[] {
    if (!existsSync(this.dir)) return [];
    const out: ExecutionRecord[] = [];
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.json')) continue;
      try {
        out.push(executionRecordSchema.parse(JSON.parse(readFileSync(join(this.dir, file), 'utf8'))));
      } catch (error) {
        onSkip?.(file, (error as Error).message.slice(0, 200));
      }
    }
    return out;
  }

  /** Saves soon (coalescing bursts). */
  save(record: ExecutionRecord): void {
    if (this.timers.has(record.executionArn)) return;
    const timer = setTimeout(() => {
      this.timers.delete(record.executionArn);
      void this.write(record);
    }, WRITE_DELAY_MS);
    this.timers.set(record.executionArn, timer);
  }

  /** Saves now and resolves when the file is written. */
  async saveNow(record: ExecutionRecord): Promise<void> {
    clearTimeout(this.timers.get(record.executionArn));
    this.timers.delete(record.executionArn);
    await this.write(record);
  }

  /** Waits for every pending write. */
  async flush(records: Iterable<ExecutionRecord>): Promise<void> {
    await Promise.all([...records].filter((r) => this.timers.has(r.executionArn)).map((r) => this.saveNow(r)));
    await Promise.all(this.writes.values());
  }

  private write(record: ExecutionRecord): Promise<void> {
    const key = record.executionArn;
    const previous = this.writes.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      const file = join(this.dir, `${record.workflow}--${record.name}.json`);
      const tmp = `${file}.tmp`;
      await writeFile(tmp, JSON.stringify(record, null, 1));
      await rename(tmp, file);
    });
    const settled = next.catch(() => undefined);
    this.writes.set(key, settled);
    return next;
  }
}
