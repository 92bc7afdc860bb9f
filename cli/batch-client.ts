/**
 * A client of the bulk onboarding routes, over real HTTP: the local stack's API, or the deployed one with each request
 * signed by SigV4 (./signed-fetch.ts). The CLI (`npm run onboard`), the tests and the bench use it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { STATUSES } from '#domain/api-schemas';
import { BATCH_STATUSES, countsSchema } from '#domain/batch-schemas';
import { BATCHES_PATH } from '#domain/routes';
import { checkApiUrl, refuseRedirect } from './api-url';

/** Sends one request; answers status, headers and the body parsed as JSON (text when it is not JSON). */
export type Send = (
  method: string,
  path: string,
  body?: string,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: unknown }>;

/** Plain fetch against a base URL (the local stack: https, or http to a loopback host); redirects are refused. */
export function plainSend(baseUrl: string): Send {
  checkApiUrl(baseUrl);
  return async (method, path, body, headers = {}) => {
    const response = await fetch(`${baseUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined ? { body } : {}),
    });
    refuseRedirect(response);
    return { status: response.status, body: parseBody(await response.text()) };
  };
}

export function parseBody(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

export const batchAnswerSchema = z
  .object({
    batchId: z.string(),
    status: z.enum(BATCH_STATUSES),
    total: z.number(),
    started: z.number(),
    counts: countsSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .passthrough();
export type BatchAnswer = z.infer<typeof batchAnswerSchema>;

/**
 * A batch nothing more happens to: DONE, CANCELLED, FAILED (its workflow failed: a redrive continues it), or STOPPED
 * once the items it started are all terminal (the rest were never started).
 */
export function batchSettled(b: BatchAnswer): boolean {
  if (b.status === 'DONE' || b.status === 'CANCELLED' || b.status === 'FAILED') return true;
  if (b.status !== 'STOPPED') return false;
  return b.counts.IN_PROGRESS === 0 && b.counts.WAITING === 0 && b.counts.REQUESTED <= b.total - b.started;
}

export const batchItemSchema = z
  .object({
    item: z.number(),
    onboardingId: z.string(),
    customerId: z.string().optional(),
    status: z.enum(STATUSES),
    lastError: z.object({ code: z.string(), message: z.string() }).passthrough().optional(),
  })
  .passthrough();
export type BatchItem = z.infer<typeof batchItemSchema>;

export type BatchBody = { json: { items: unknown[]; maxFailedPercentage?: number } } | { csv: string };

export class BatchClient {
  constructor(private readonly send: Send) {}

  /** POST /onboarding-batches (202 new, 200 repeat, 4xx refused): the raw answer. */
  submit(body: BatchBody, idempotencyKey?: string): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {
      'content-type': 'csv' in body ? 'text/csv' : 'application/json',
      ...(idempotencyKey !== undefined ? { 'idempotency-key': idempotencyKey } : {}),
    };
    return this.send('POST', BATCHES_PATH, 'csv' in body ? body.csv : JSON.stringify(body.json), headers);
  }

  /**
   * POST .../retries: a new batch of the items that did not get through (202 new, 200 repeat with the same key, 409
   * not ended yet or nothing to retry): the raw answer.
   */
  retry(
    batchId: string,
    options: { includeAborted?: boolean; idempotencyKey?: string } = {},
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {
      ...(options.includeAborted ? { 'content-type': 'application/json' } : {}),
      ...(options.idempotencyKey !== undefined ? { 'idempotency-key': options.idempotencyKey } : {}),
    };
    const body = options.includeAborted ? JSON.stringify({ include: ['ABORTED'] }) : undefined;
    return this.send('POST', `${BATCHES_PATH}/${encodeURIComponent(batchId)}/retries`, body, headers);
  }

  async get(batchId: string): Promise<BatchAnswer> {
    const answer = await this.send('GET', `${BATCHES_PATH}/${encodeURIComponent(batchId)}`);
    if (answer.status !== 200)
      throw new Error(`GET batch ${batchId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return batchAnswerSchema.parse(answer.body);
  }

  /** Every item, page by page. */
  async items(batchId: string, limit = 100): Promise<BatchItem[]> {
    const out: BatchItem[] = [];
    let cursor: string | undefined;
    do {
      const query = `?limit=${limit}${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const answer = await this.send('GET', `${BATCHES_PATH}/${encodeURIComponent(batchId)}/items${query}`);
      if (answer.status !== 200)
        throw new Error(`GET items of ${batchId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const page = z.object({ items: z.array(batchItemSchema), cursor: z.string().optional() }).parse(answer.body);
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  /** GET .../report as CSV (every item's outcome, in item order). */
  async reportCsv(batchId: string): Promise<string> {
    const answer = await this.send('GET', `${BATCHES_PATH}/${encodeURIComponent(batchId)}/report`, undefined, {
      accept: 'text/csv',
    });
    if (answer.status !== 200 || typeof answer.body !== 'string')
      throw new Error(`GET report of ${batchId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  cancel(batchId: string): Promise<{ status: number; body: unknown }> {
    return this.send('DELETE', `${BATCHES_PATH}/${encodeURIComponent(batchId)}`);
  }

  /**
   * Polls the batch until `done(batch)` (default: batchSettled), calling `onBatch` with each answer. Every
   * `intervalMs` while it moves; with `maxIntervalMs`, the wait doubles up to it while the batch stands still (a GET
   * of a batch at work reads its open items: following one that waits days on its customers stays cheap), and is
   * back to `intervalMs` at the first change.
   */
  async follow(
    batchId: string,
    options: {
      intervalMs?: number;
      maxIntervalMs?: number;
      timeoutMs?: number;
      onBatch?: (batch: BatchAnswer) => void;
      done?: (batch: BatchAnswer) => boolean;
      /** How the wait is spent (tests: the waits without spending them). */
      sleep?: (ms: number) => Promise<unknown>;
    } = {},
  ): Promise<BatchAnswer> {
    const done = options.done ?? batchSettled;
    const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
    const base = options.intervalMs ?? 500;
    const max = Math.max(base, options.maxIntervalMs ?? base);
    let wait = base;
    let seen: string | undefined;
    for (;;) {
      const batch = await this.get(batchId);
      options.onBatch?.(batch);
      if (done(batch)) return batch;
      if (Date.now() > deadline)
        throw new Error(`batch ${batchId} is still ${batch.status}: ${JSON.stringify(batch.counts)}`);
      const now = JSON.stringify([batch.status, batch.started, batch.counts]);
      wait = now === seen ? Math.min(max, wait * 2) : base;
      seen = now;
      await (options.sleep ?? sleep)(wait);
    }
  }
}
