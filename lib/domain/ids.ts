/**
 * How every id of ours is made: a prefix and 16 hex characters. With an Idempotency-Key they are the first 16 hex of
 * sha256 over the scope, the key's namespace and the key, so the same key gives the same id in any table; without one
 * they are random.
 *
 * Two namespaces of keys never meet: a client's Idempotency-Key (`client`: hashed as scope + key, as ids always were)
 * and the keys we make ourselves for a batch's items (`batch-item`: hashed as scope + NUL + namespace + NUL + key) and
 * for a retry of a batch (`batch-retry`: the original's id, `#` and the client's key, hashed the same way).
 * A client key is 1 to 128 characters of IDEMPOTENCY_KEY_CHARS (no NUL, no `#`), so no client key hashes to the text a
 * batch item's key does: a caller cannot claim a batch item's record before the batch starts it.
 */
import { createHash, randomBytes } from 'node:crypto';

import { IDEMPOTENCY_KEY_PATTERN } from './idempotency-keys';

export { IDEMPOTENCY_KEY_PATTERN };

export type KeyNamespace = 'client' | 'batch-item' | 'batch-retry';

export function idFor(
  prefix: string,
  scope: string,
  idempotencyKey: string | undefined,
  namespace: KeyNamespace = 'client',
): string {
  if (idempotencyKey === undefined) return `${prefix}-${randomBytes(8).toString('hex')}`;
  if (namespace === 'client' && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey))
    throw new Error('An Idempotency-Key outside the client charset reached the id derivation');
  const text = namespace === 'client' ? scope + idempotencyKey : `${scope}\u0000${namespace}\u0000${idempotencyKey}`;
  return `${prefix}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}
