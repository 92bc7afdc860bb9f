/**
 * Every execution runs the definition it started with, as in AWS, where an execution keeps its state machine's
 * definition (and, through lib/infra/live-alias.ts, the published version its alias pointed to) however many deploys
 * later it resumes. Locally a restart on changed code brings new definitions: each definition the stack starts with
 * is stored once under DATA_DIR/definitions/ by its SHA-256, an execution records the hash it started on, and a run
 * of it after a restart (resumed, or redriven) uses that stored definition when the current one differs. New
 * executions take the current definition.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord } from './execution-store';
import type { PreparedMachine } from './prepare-machine';
import type { AslDefinition, LocalStateMachine } from '../template/template';

/** Builds a runnable machine from a stored definition (the stack's own prepareMachine with its scale and runtime). */
export type PrepareStored = (machine: LocalStateMachine) => PreparedMachine;

export function definitionHash(definition: AslDefinition): string {
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16);
}

export class DefinitionVersions {
  private readonly dir: string;
  private readonly current = new Map<string, string>();
  private readonly prepared = new Map<string, PreparedMachine>();

  constructor(
    dataDir: string,
    machines: PreparedMachine[],
    private readonly prepare: PrepareStored | undefined,
  ) {
    this.dir = join(dataDir, 'definitions');
    mkdirSync(this.dir, { recursive: true });
    for (const machine of machines) {
      const hash = definitionHash(machine.definition);
      this.current.set(machine.arn, hash);
      this.prepared.set(`${machine.arn}#${hash}`, machine);
      const file = this.fileOf(machine.workflow, hash);
      if (!existsSync(file)) writeFileSync(file, JSON.stringify(machine.definition));
    }
  }

  /** A new execution: it runs the current definition, whose hash it keeps. */
  stamp(record: ExecutionRecord, machine: PreparedMachine): void {
    record.definitionHash ??= this.current.get(machine.arn);
  }

  /**
   * The machine a run of `record` uses: the current one when the execution started on it (or before hashes were
   * kept), else the definition it started with, from disk.
   */
  machineFor(record: ExecutionRecord, current: PreparedMachine): PreparedMachine {
    const hash = record.definitionHash;
    if (hash === undefined || hash === this.current.get(current.arn)) return current;
    const key = `${current.arn}#${hash}`;
    const known = this.prepared.get(key);
    if (known) return known;
    const file = this.fileOf(current.workflow, hash);
    if (!this.prepare || !existsSync(file)) {
      throw new Error(`execution ${record.name} started on definition ${hash}, which is not stored under ${this.dir}`);
    }
    const definition = JSON.parse(readFileSync(file, 'utf8')) as AslDefinition;
    const machine = this.prepare({
      workflow: current.workflow,
      logicalId: current.workflow,
      name: current.name,
      arn: current.arn,
      definition,
    });
    this.prepared.set(key, machine);
    return machine;
  }

  private fileOf(workflow: string, hash: string): string {
    return join(this.dir, `${workflow}--${hash}.json`);
  }
}
