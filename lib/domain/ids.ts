/**
 * How every id of ours is made: a prefix and 16 hex characters. With an Idempotency-Key they are the first 16 hex of
 * sha256(scope + key), so the same key gives the same id in any table; without one they are random.
 */
import { createHash, randomBytes } from 'node:crypto';

export function idFor(prefix: string, scope: string, idempotencyKey: string | undefined): string {
  const hex =
    idempotencyKey === undefined
      ? randomBytes(8).toString('hex')
      : createHash('sha256')
          .update(scope + idempotencyKey)
          .digest('hex')
          .slice(0, 16);
  return `${prefix}-${hex}`;
}
