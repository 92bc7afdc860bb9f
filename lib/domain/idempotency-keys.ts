/**
 * What a client's Idempotency-Key may hold: letters, digits and `-_.:~+/=` (UUIDs, ULIDs, base64, timestamps), 1 to
 * 128 characters. In a module of its own (no node:crypto), so that the console page's type check can read the schemas.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:~+/=-]{1,128}$/;
