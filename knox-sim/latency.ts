/**
 * Knox's own latency, per operation, for the simulator (off unless asked: `KNOX_SIM_LATENCY=aws` for the standalone
 * simulator, the `latency` start option, `POST /_sim/latency`). "aws" means "as a deployed stack sees Knox from AWS":
 * hundreds of ms per call, a list page at 250 ms for 50 customers. These are assumptions for a remote SaaS API
 * (Samsung publishes no latency figures); a test or bench may set its own per operation.
 */
import * as z from 'zod';
import { CUSTOMERS_PATH, TOKEN_PATH } from './world';

export const KNOX_OPERATIONS = ['token', 'create', 'link', 'get', 'list', 'update', 'delink'] as const;
export type KnoxOperation = (typeof KNOX_OPERATIONS)[number];
export type KnoxLatency = Partial<Record<KnoxOperation, number>>;

/** Typical Knox latencies (ms) seen from an AWS region: assumed, see above. */
export const KNOX_AWS_LATENCY: Record<KnoxOperation, number> = {
  token: 300,
  create: 400,
  link: 400,
  get: 200,
  /** One page of 50 customers. */
  list: 250,
  update: 300,
  delink: 300,
};

export const knoxLatencySchema = z.union([
  z.literal('aws'),
  z.literal('none'),
  z.strictObject(Object.fromEntries(KNOX_OPERATIONS.map((op) => [op, z.number().int().min(0).max(60_000).optional()]))),
]);

/** The per-operation table a setting stands for. */
export function knoxLatencyTable(setting: z.infer<typeof knoxLatencySchema> | undefined): KnoxLatency {
  if (setting === undefined || setting === 'none') return {};
  if (setting === 'aws') return { ...KNOX_AWS_LATENCY };
  return setting as KnoxLatency;
}

/** Which Knox operation a request is (undefined for a path that is none). */
export function knoxOperationOf(method: string, path: string): KnoxOperation | undefined {
  const bare = path.split('?')[0]?.replace(/\/+$/, '') ?? '';
  if (bare === TOKEN_PATH) return 'token';
  if (!bare.startsWith(CUSTOMERS_PATH)) return undefined;
  const rest = bare.slice(CUSTOMERS_PATH.length);
  if (rest === '') return method === 'POST' ? 'create' : method === 'GET' ? 'list' : undefined;
  if (rest === '/link') return 'link';
  if (rest === '/delink') return 'delink';
  return method === 'PUT' ? 'update' : method === 'GET' ? 'get' : undefined;
}
