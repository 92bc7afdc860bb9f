/**
 * Bad input stays cheap (product.md): bounds a request body must keep before it is validated field by field, and the
 * bounds of every 400 answer. A body's shape is checked first, without building anything per key: an object with more
 * fields than any of ours has, an array longer than its route reads, nesting deeper than ours; then only a body
 * within them meets the zod schemas, whose issues are therefore bounded by the schema's size. Every 400 lists at most
 * MAX_LISTED_ISSUES problems (then one line that counts the rest), and no path or message echoes unbounded input.
 */
import type { ValidationFailure } from '#domain/api-schemas';
import { MAX_LISTED_ISSUES } from '#domain/batch-schemas';

type Issue = ValidationFailure['issues'][number];

/** Fields an object of a body may have: ours have at most about twenty. */
export const MAX_OBJECT_FIELDS = 64;
/** Entries an array of a body may hold, unless its route reads more (a batch's `items`). */
export const MAX_ARRAY_ENTRIES = 64;
/** Nesting a body may have: ours go five deep (`items.N.customer.contact.email`). */
export const MAX_DEPTH = 12;
/** Characters of a field name an answer repeats, of an issue's path, of its message. */
export const MAX_NAME_CHARS = 64;
export const MAX_PATH_CHARS = 200;
export const MAX_MESSAGE_CHARS = 300;

/** What a shape check cost: the values it looked at (the tests bound a refusal's work with it). */
export interface ShapeWork {
  values: number;
}

function limitOf(arrays: Record<string, number>, path: string): number {
  return Object.hasOwn(arrays, path) ? arrays[path]! : MAX_ARRAY_ENTRIES;
}

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** A field name as an answer may repeat it. */
export function nameOf(key: string): string {
  return cut(key, MAX_NAME_CHARS);
}

/**
 * Issues for the parts of a parsed body beyond the shape bounds (each part reported once, not looked into), at most
 * MAX_LISTED_ISSUES of them; `arrays` names the paths that may hold more entries (`{ items: 1000 }`).
 */
export function shapeIssues(
  body: unknown,
  arrays: Record<string, number> = {},
  work: ShapeWork = { values: 0 },
): Issue[] {
  // A path is spelled out only for an issue (or an array the route reads more of): each entry keeps its parent.
  interface At {
    value: unknown;
    parent?: At;
    key: string;
    depth: number;
  }
  const pathOf = (at: At): string => {
    const keys: string[] = [];
    for (let p: At | undefined = at; p?.parent !== undefined; p = p.parent) keys.push(nameOf(p.key));
    return cut(keys.reverse().join('.'), MAX_PATH_CHARS);
  };
  const issues: Issue[] = [];
  const stack: At[] = [{ value: body, key: '', depth: 0 }];
  while (stack.length > 0 && issues.length < MAX_LISTED_ISSUES) {
    const at = stack.pop()!;
    const { value, depth } = at;
    work.values += 1;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) {
      issues.push({ path: pathOf(at), message: `nested deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(value)) {
      const limit = value.length > MAX_ARRAY_ENTRIES ? limitOf(arrays, pathOf(at)) : MAX_ARRAY_ENTRIES;
      if (value.length > limit) {
        issues.push({ path: pathOf(at), message: `holds ${value.length} entries; at most ${limit} are read` });
        continue;
      }
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], parent: at, key: String(i), depth: depth + 1 });
      continue;
    }
    // Counting the fields is the one walk over them; nothing is built per field until the count is known to be small.
    let fields = 0;
    for (const _key in value) fields += 1;
    if (fields > MAX_OBJECT_FIELDS) {
      issues.push({ path: pathOf(at), message: `has ${fields} fields; at most ${MAX_OBJECT_FIELDS} are read` });
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--)
      stack.push({ value: (value as Record<string, unknown>)[keys[i]!], parent: at, key: keys[i]!, depth: depth + 1 });
  }
  return issues;
}

/**
 * At most MAX_LISTED_ISSUES issues and one more that counts the rest (a list already cut so keeps its count line),
 * each path and message cut to its bound.
 */
export function boundedIssues(issues: readonly Issue[]): Issue[] {
  const listed =
    issues.length <= MAX_LISTED_ISSUES + 1
      ? issues
      : [
          ...issues.slice(0, MAX_LISTED_ISSUES),
          { path: '', message: `and ${issues.length - MAX_LISTED_ISSUES} more problems` },
        ];
  return listed.map((i) => ({ path: cut(i.path, MAX_PATH_CHARS), message: cut(i.message, MAX_MESSAGE_CHARS) }));
}
