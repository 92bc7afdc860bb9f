/**
 * The soak's invariants, as pure functions over what was read back (evidence.ts). Each returns violations
 * (sentences naming the record, customer or line at fault); an empty list everywhere is a clean run.
 *
 * 1. Outcomes: every record terminal, with the status its scenario dictates — or FAILED with lastError disposition
 *    `retry` after the fast retrier of the failing state was spent (a legitimate outcome under 36% faults, counted
 *    in its own row).
 * 2. Knox: exactly one accepted link per linked customer, one accepted create per created customer, one accepted
 *    delink per offboarded customer. The request log does not say which customer a POST was for (bodies are never
 *    logged), so per customer it is proved by counting: every linked customer got at least one accepted link (the
 *    simulator's store shows the relation), so "accepted links in the log == customers linked" means exactly one each.
 * 3. Records: a complete history (first entry REQUESTED, last entry the terminal status, nothing after it), and no
 *    customer lock left behind.
 * 4. Executions: none RUNNING; each one SUCCEEDED or FAILED and in step with its record.
 * 5. Logs: no unhandled rejection or uncaught exception, no ERROR line, nothing the local stack had to complain about.
 * 6. Secrets: neither the canary client secret nor any bearer token appears in any corpus; no `Bearer ` in logs.
 */
import * as z from 'zod';
import type { RequestLogEntry, SimCustomer } from '#knox-sim/model';
import { SIM_OTHER_MSP, SIM_OUR_MSP } from '#knox-sim/world';
import { historyEntrySchema, isTerminal, lastErrorSchema, type RecordKind } from '#domain/api-schemas';
import { RETRY_WINDOW_EXCEEDED_ERROR, STEP_ERROR_NAMES } from '#domain/dispositions';
import { KNOX_BUDGET_KEY, POLLER_STATE_KEY } from '#domain/table-layout';
import type { ExecutionDetail, ExecutionSummary } from '#local/stepfunctions/execution-path';
import type { AslDefinition } from '#local/template/template';
import type { CaseRun } from './drive';
import { CREATES_ONCE, EXPECTED_STATUS, LINKS_ONCE, type ScenarioName } from './soak-scenarios';

// --- Records as stored ----------------------------------------------------------------------------------------------

/** The part of a stored record the checks read (the rest of the item is not the soak's business). */
export const storedRecordSchema = z
  .object({
    pk: z.string(),
    kind: z.string(),
    status: z.string(),
    customerId: z.string().optional(),
    lastError: lastErrorSchema.optional(),
    attempts: z.record(z.string(), z.number()).default({}),
    executionName: z.string(),
    history: z.array(historyEntrySchema),
  })
  .passthrough();
export type StoredRecord = z.infer<typeof storedRecordSchema>;

const RECORD_ID = /^(onb|off|chg)-[0-9a-f]{16}$/;
const LOCK_PREFIX = 'lock#';

export interface Records {
  byId: Map<string, StoredRecord>;
  locks: Record<string, unknown>[];
  violations: string[];
}

/** Splits the table's items into records (schema-checked) and lock items. */
export function readRecords(items: Record<string, unknown>[]): Records {
  const byId = new Map<string, StoredRecord>();
  const locks: Record<string, unknown>[] = [];
  const violations: string[] = [];
  for (const item of items) {
    const pk = String(item['pk']);
    if (pk.startsWith(LOCK_PREFIX)) {
      locks.push(item);
      continue;
    }
    // The shared Knox budget's item and the poller's own item live beside the records.
    if (pk === KNOX_BUDGET_KEY || pk === POLLER_STATE_KEY) continue;
    if (!RECORD_ID.test(pk)) {
      violations.push(`table: an item with an unexpected key ${pk}`);
      continue;
    }
    const parsed = storedRecordSchema.safeParse(item);
    if (!parsed.success) {
      violations.push(
        `record ${pk}: not the stored shape (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
      );
      continue;
    }
    byId.set(pk, parsed.data);
  }
  return { byId, locks, violations };
}

// --- 1. Outcomes ----------------------------------------------------------------------------------------------------

export type OutcomeClass = 'expected' | 'retriesExhausted' | 'unexpected' | 'unfinished';

export interface Outcome {
  run: CaseRun;
  scenario: ScenarioName;
  status: string;
  outcome: OutcomeClass;
  record?: StoredRecord;
  execution?: ExecutionDetail;
}

/**
 * The state the execution failed in (no Catch took it: the workflows catch no failure) with its transient retries spent: the name of the state when
 * the step gave up at the end of its retry window (RETRY_WINDOW_EXCEEDED_ERROR), or when its last error is one the
 * retrier matches and it failed MaxAttempts + 1 times with such errors (the backstop); else undefined.
 */
export function exhaustedRetrier(
  execution: ExecutionDetail | undefined,
  definition: AslDefinition | undefined,
): string | undefined {
  if (!execution || !definition) return undefined;
  const failing = execution.path.at(-1);
  if (!failing || failing.caught || failing.errors.length === 0) return undefined;
  const retriers = (definition.States[failing.state]?.['Retry'] ?? []) as {
    ErrorEquals: string[];
    MaxAttempts?: number;
  }[];
  const fast = retriers.find((r) => r.ErrorEquals.includes(STEP_ERROR_NAMES.retry));
  const last = failing.errors.at(-1);
  if (last?.error === RETRY_WINDOW_EXCEEDED_ERROR) return failing.state;
  if (!fast || !last || !fast.ErrorEquals.includes(last.error)) return undefined;
  const fastErrors = failing.errors.filter((e) => fast.ErrorEquals.includes(e.error)).length;
  // ASL's default MaxAttempts is 3.
  return fastErrors >= (fast.MaxAttempts ?? 3) + 1 ? failing.state : undefined;
}

export function classifyOutcomes(
  runs: CaseRun[],
  records: Map<string, StoredRecord>,
  executions: Map<string, ExecutionDetail>,
  definitions: Partial<Record<RecordKind, AslDefinition>>,
): { outcomes: Outcome[]; violations: string[] } {
  const outcomes: Outcome[] = [];
  const violations: string[] = [];
  for (const run of runs) {
    const scenario = run.case.scenario;
    const record = run.recordId ? records.get(run.recordId) : undefined;
    const execution = run.executionName ? executions.get(run.executionName) : undefined;
    const status = record?.status ?? run.status ?? 'none';
    const base = { run, scenario, status, ...(record ? { record } : {}), ...(execution ? { execution } : {}) };
    const label = `${run.case.kind} #${run.case.index} (${scenario}${run.recordId ? `, ${run.recordId}` : ''})`;
    if (run.problem || !record || !isTerminal(status)) {
      outcomes.push({ ...base, outcome: 'unfinished' });
      violations.push(`${label}: ${run.problem ?? (record ? `not terminal (${status})` : 'no record in the table')}`);
      continue;
    }
    if (status === EXPECTED_STATUS[scenario]) {
      outcomes.push({ ...base, outcome: 'expected' });
      continue;
    }
    const exhausted = exhaustedRetrier(execution, definitions[run.case.kind]);
    if (status === 'FAILED' && record.lastError?.disposition === 'retry' && exhausted) {
      outcomes.push({ ...base, outcome: 'retriesExhausted' });
      continue;
    }
    outcomes.push({ ...base, outcome: 'unexpected' });
    const lastError = record.lastError
      ? `${record.lastError.code} (${record.lastError.errorCode}, ${record.lastError.disposition})`
      : 'none';
    const path = execution
      ? execution.path
          .map((s) => `${s.state}${s.errors.length ? `[${s.errors.map((e) => e.error).join(',')}]` : ''}`)
          .join(' > ')
      : 'no execution';
    violations.push(`${label}: ${status}, expected ${EXPECTED_STATUS[scenario]}; lastError ${lastError}; path ${path}`);
  }
  return { outcomes, violations };
}

// --- 2. Knox --------------------------------------------------------------------------------------------------------

export type KnoxOperation = 'token' | 'create' | 'link' | 'delink' | 'get' | 'list' | 'update' | 'other';

/** What a logged request was, from its method and path (no body is ever logged). */
export function operationOf(entry: Pick<RequestLogEntry, 'method' | 'path'>): KnoxOperation {
  const path = entry.path.split('?')[0]!.replace(/\/+$/, '');
  if (path.endsWith('/oauth2/token')) return 'token';
  if (!path.startsWith('/msp/v1/managedCustomers')) return 'other';
  const rest = path.slice('/msp/v1/managedCustomers'.length);
  if (entry.method === 'POST')
    return rest === '' ? 'create' : rest === '/link' ? 'link' : rest === '/delink' ? 'delink' : 'other';
  if (entry.method === 'GET') return rest === '' ? 'list' : 'get';
  if (entry.method === 'PUT') return 'update';
  return 'other';
}

export interface KnoxAcceptance {
  accepted: Record<KnoxOperation, number>;
  /** Customers that got an accepted link / create / delink, according to the simulator's store. */
  customersLinked: number;
  customersCreated: number;
  customersDelinked: number;
}

export function checkKnox(
  outcomes: Outcome[],
  requestLog: RequestLogEntry[],
  customers: SimCustomer[],
): { figures: KnoxAcceptance; violations: string[] } {
  const violations: string[] = [];
  const accepted = { token: 0, create: 0, link: 0, delink: 0, get: 0, list: 0, update: 0, other: 0 } as Record<
    KnoxOperation,
    number
  >;
  for (const entry of requestLog) if (entry.accepted) accepted[operationOf(entry)] += 1;

  const byId = new Map(customers.map((c) => [c.customerId, c]));
  const byEmail = new Map<string, SimCustomer[]>();
  for (const c of customers) byEmail.set(c.email.toLowerCase(), [...(byEmail.get(c.email.toLowerCase()) ?? []), c]);

  let customersLinked = 0;
  let customersCreated = 0;
  let customersDelinked = 0;
  for (const o of outcomes) {
    const { case: c } = o.run;
    const label = `${c.kind} #${c.index} (${o.scenario}, customer ${c.customerId ?? c.email})`;
    if (c.kind === 'onboarding' && c.customerId) {
      const customer = byId.get(c.customerId);
      if (!customer) {
        if (o.run.postStatus === 202) violations.push(`${label}: the simulator does not know the customer`);
        continue;
      }
      const linkedByUs = customer.ownerMsp === SIM_OUR_MSP;
      if (linkedByUs) customersLinked += 1;
      if (o.outcome !== 'expected') continue;
      if (LINKS_ONCE.includes(o.scenario)) {
        const wanted = o.scenario === 'rejected' ? 'Rejected' : 'Active';
        if (!linkedByUs || customer.status !== wanted) {
          violations.push(
            `${label}: at Knox ${customer.ownerMsp ?? 'no MSP'} / ${customer.status ?? 'no status'}, expected ours / ${wanted}`,
          );
        }
      } else if (
        o.scenario === 'managedElsewhere' &&
        (customer.ownerMsp !== SIM_OTHER_MSP || customer.status !== 'Active')
      ) {
        violations.push(
          `${label}: the other MSP's customer was changed (${customer.ownerMsp ?? 'no MSP'} / ${customer.status ?? 'no status'})`,
        );
      }
    } else if (c.kind === 'onboarding' && c.email) {
      const created = byEmail.get(c.email.toLowerCase()) ?? [];
      customersCreated += created.length;
      if (created.length > 1) violations.push(`${label}: ${created.length} Knox customers carry the contact e-mail`);
      if (o.outcome === 'expected' && CREATES_ONCE.includes(o.scenario)) {
        if (created.length !== 1)
          violations.push(`${label}: SUCCEEDED but Knox has ${created.length} customers with its e-mail`);
        else if (o.record?.customerId !== created[0]!.customerId) {
          violations.push(
            `${label}: the record names customer ${o.record?.customerId ?? 'none'}, Knox created ${created[0]!.customerId}`,
          );
        }
      }
    } else if (c.kind === 'offboarding' && c.customerId) {
      const customer = byId.get(c.customerId);
      if (!customer) continue;
      // Our delink was accepted: the customer is still answering it (DelinkRequested with us), or accepted it.
      const delinked = customer.ownerMsp === null;
      if (delinked || (customer.ownerMsp === SIM_OUR_MSP && customer.status === 'DelinkRequested'))
        customersDelinked += 1;
      if (o.outcome === 'expected' && !delinked) {
        violations.push(
          `${label}: SUCCEEDED but at Knox still ${customer.ownerMsp} / ${customer.status ?? 'no status'}`,
        );
      }
    }
  }

  const compare = (what: string, inLog: number, customersWithOne: number) => {
    if (inLog !== customersWithOne) {
      violations.push(
        `Knox: ${inLog} accepted ${what}s in the request log for ${customersWithOne} customers that got one: ` +
          (inLog > customersWithOne
            ? `some customer got more than one accepted ${what}`
            : 'the log and the store disagree'),
      );
    }
  };
  compare('link', accepted.link, customersLinked);
  compare('create', accepted.create, customersCreated);
  compare('delink', accepted.delink, customersDelinked);
  return { figures: { accepted, customersLinked, customersCreated, customersDelinked }, violations };
}

// --- 3. Records -----------------------------------------------------------------------------------------------------

export function checkHistories(records: Records, runs: CaseRun[]): string[] {
  const violations = [...records.violations];
  for (const lock of records.locks) {
    violations.push(`table: customer lock ${String(lock['pk'])} (record ${String(lock['recordId'])}) left behind`);
  }
  const submitted = runs.filter((r) => r.recordId).length;
  if (records.byId.size !== submitted)
    violations.push(`table: ${records.byId.size} records for ${submitted} accepted requests`);

  for (const record of records.byId.values()) {
    const at = `record ${record.pk}`;
    const first = record.history[0];
    const last = record.history.at(-1);
    if (first?.status !== 'REQUESTED')
      violations.push(
        `${at}: history starts with ${first ? `${first.event}/${first.status ?? '-'}` : 'nothing'}, not REQUESTED`,
      );
    if (!isTerminal(record.status)) violations.push(`${at}: status ${record.status} is not terminal`);
    if (last?.status !== record.status)
      violations.push(
        `${at}: history ends with ${last ? `${last.event}/${last.status ?? '-'}` : 'nothing'}, the record is ${record.status}`,
      );
    const terminalEntries = record.history.filter((h) => h.status !== undefined && isTerminal(h.status));
    if (terminalEntries.length !== 1)
      violations.push(`${at}: ${terminalEntries.length} terminal statuses in the history`);
  }
  return violations;
}

// --- 4. Executions --------------------------------------------------------------------------------------------------

export function checkExecutions(
  runs: CaseRun[],
  summaries: ExecutionSummary[],
  records: Map<string, StoredRecord>,
): string[] {
  const violations: string[] = [];
  const byName = new Map(summaries.map((s) => [s.name, s]));
  for (const s of summaries) {
    if (s.status !== 'SUCCEEDED' && s.status !== 'FAILED') violations.push(`execution ${s.name}: ${s.status}`);
  }
  for (const run of runs) {
    if (!run.executionName || !run.recordId) continue;
    const execution = byName.get(run.executionName);
    if (!execution) {
      violations.push(`execution ${run.executionName}: missing (record ${run.recordId})`);
      continue;
    }
    const record = records.get(run.recordId);
    if (!record) continue;
    const wanted = record.status === 'FAILED' ? 'FAILED' : 'SUCCEEDED';
    if (isTerminal(record.status) && execution.status !== wanted) {
      violations.push(`execution ${run.executionName}: ${execution.status} while its record is ${record.status}`);
    }
  }
  if (summaries.length !== byName.size)
    violations.push(`executions: ${summaries.length - byName.size} names used twice`);
  return violations;
}

// --- 5. Logs --------------------------------------------------------------------------------------------------------

const UNHANDLED = /unhandled|uncaught/i;
const ERRORISH = /\b(error|exception|fatal)\b/i;
/** Lines the local stack prints on a healthy run. */
// A poll round that met Knox trouble (a KnoxError) changes nothing and the next round asks again: expected under faults.
const BENIGN_STACK_LINES = [
  /^Synthesizing the CDK app/,
  /^poll round failed: KnoxError$/,
  // A round that met a Knox fault is not retried (the poller's async-invoke config): the next tick is the retry.
  /^async poller: event dropped after 1 attempts \(KnoxError\)$/,
];
/** Non-JSON lines Node.js itself prints on a healthy run (the AWS SDK's notice about its Node.js 20 support). */
const BENIGN_PROCESS_LINES = [
  /NodeDeprecationWarning/,
  /node --trace-(deprecation|warnings)/,
  /AWS SDK for JavaScript/i,
  /Node\.js 20/,
];

function levelOf(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { level?: unknown };
    return typeof parsed.level === 'string' ? parsed.level.toUpperCase() : '';
  } catch {
    return undefined;
  }
}

function excerpt(line: string, max = 300): string {
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** `expectedError` lets a scenario declare the ERROR lines it provokes on purpose (operator errors); the soak has none. */
export function checkLogs(
  lines: string[],
  stackLines: string[],
  unhandled: string[],
  expectedError: (line: string) => boolean = () => false,
): string[] {
  const violations = unhandled.map((u) => `process: ${u}`);
  for (const line of lines) {
    const level = levelOf(line);
    if (UNHANDLED.test(line)) violations.push(`log: ${excerpt(line)}`);
    else if ((level === 'ERROR' || level === 'CRITICAL') && !expectedError(line))
      violations.push(`log at ${level}: ${excerpt(line)}`);
    else if (level === undefined && ERRORISH.test(line) && !BENIGN_PROCESS_LINES.some((b) => b.test(line))) {
      violations.push(`log (not JSON): ${excerpt(line)}`);
    }
    if (line.includes('Bearer '))
      violations.push(`log: a "Bearer " string: ${excerpt(line.replace(/Bearer\s+\S+/g, 'Bearer <redacted>'))}`);
  }
  for (const line of stackLines) {
    if (!BENIGN_STACK_LINES.some((b) => b.test(line))) violations.push(`local stack: ${excerpt(line)}`);
  }
  return violations;
}

/** Counts of captured lines by level (JSON lines) and of other lines. */
export function logLevels(lines: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const level = levelOf(line) ?? 'not JSON';
    counts[level] = (counts[level] ?? 0) + 1;
  }
  return counts;
}

// --- 6. Secrets -----------------------------------------------------------------------------------------------------

export interface Corpus {
  name: string;
  texts: string[];
}

/** Every place a secret or a token was found: one violation per corpus and secret, with how many texts held it. */
export function scanSecrets(corpora: Corpus[], secrets: { label: string; value: string }[]): string[] {
  const violations: string[] = [];
  for (const corpus of corpora) {
    for (const secret of secrets) {
      if (secret.value.length < 8) continue; // too short to mean anything: never happens with our canaries
      const hits = corpus.texts.filter((t) => t.includes(secret.value)).length;
      if (hits > 0)
        violations.push(`secret scan: the ${secret.label} appears in ${hits} of ${corpus.texts.length} ${corpus.name}`);
    }
  }
  return violations;
}
