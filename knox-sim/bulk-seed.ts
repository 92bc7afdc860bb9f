/**
 * `POST /_sim/customers/bulk`: many customers of our MSP at once (a big MSP: 10,000 or 50,000 customers), in one
 * control call instead of one call each. Customer n (0-based) has id `idStart + n`, the company name
 * `<namePrefix> <n, 6 digits>` (so that by name they sort as by number) and the contact e-mail
 * `admin@c<n>.<emailDomain>`; everything else takes buildCustomer's defaults (Active, ours).
 */
import * as z from 'zod';
import { jsonAnswer, type SimAnswer } from './answers';
import { buildCustomer } from './customer-store';
import type { SimState } from './state';

export const bulkSeedSchema = z.strictObject({
  count: z.number().int().min(1).max(100_000),
  idStart: z.number().int().min(1_000_000_000).max(9_000_000_000).default(1_500_000_000),
  namePrefix: z.string().min(1).max(100).default('Bulk Customer'),
  emailDomain: z.string().min(1).max(100).default('bulk.example'),
});
export type BulkSeedInput = z.input<typeof bulkSeedSchema>;

export function bulkSeed(state: SimState, body: z.infer<typeof bulkSeedSchema>, now: Date): SimAnswer {
  const ids = Array.from({ length: body.count }, (_, n) => String(body.idStart + n));
  const taken = ids.find((id) => state.store.get(id) !== undefined);
  if (taken !== undefined) return jsonAnswer(409, { message: `Customer ${taken} already exists` });
  ids.forEach((customerId, n) => {
    const input = {
      customerId,
      companyName: `${body.namePrefix} ${String(n).padStart(6, '0')}`,
      email: `admin@c${n}.${body.emailDomain}`,
      status: 'Active' as const,
    };
    state.store.put(buildCustomer(input, { customerId, now, awaitingAnswer: false }));
  });
  return jsonAnswer(201, { added: body.count, firstId: ids[0], lastId: ids.at(-1) });
}
