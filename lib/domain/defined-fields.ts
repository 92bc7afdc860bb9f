/**
 * The fields of `source` named in `keys` whose value is defined: `...definedFields(record, ['lastError', 'retrySince'])`
 * in an answer leaves out what is absent (JSON keeps no `undefined`, DynamoDB's marshaller refuses it).
 */
export function definedFields<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
