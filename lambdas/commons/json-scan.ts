/**
 * A look at a JSON body's text before JSON.parse builds anything from it (product.md, "Bad input stays cheap"): one
 * pass over the characters that stops at the first object with more than MAX_OBJECT_FIELDS fields, the first array
 * longer than its route reads, or nesting deeper than MAX_DEPTH. 4 MB of unknown keys is refused after the 65th key,
 * without a parse, a list of keys or an issue per key. Text that is not JSON is left to JSON.parse to refuse.
 */
import type { ValidationFailure } from '#domain/api-schemas';
import { MAX_ARRAY_ENTRIES, MAX_DEPTH, MAX_NAME_CHARS, MAX_OBJECT_FIELDS, MAX_PATH_CHARS, cut } from './body-bounds';

type Issue = ValidationFailure['issues'][number];

interface Level {
  object: boolean;
  /** Separators seen: the container holds at least this many + 1 entries. */
  commas: number;
  /** The key (an object's) or index (an array's) of the entry being read, cut to MAX_NAME_CHARS. */
  key: string;
}

/** What a scan cost: the characters it looked at (the tests bound a refusal's work with it). */
export interface ScanWork {
  chars: number;
}

/** The first bound a body's text passes, or undefined; `arrays` names the paths that may hold more entries. */
export function scanJsonShape(
  text: string,
  arrays: Record<string, number> = {},
  work: ScanWork = { chars: 0 },
): Issue | undefined {
  const stack: Level[] = [];
  const pathOf = (upTo = stack.length) =>
    cut(
      stack
        .slice(0, upTo)
        .map((l) => l.key)
        .join('.'),
      MAX_PATH_CHARS,
    );
  const limitOf = (level: Level): number => {
    if (level.object) return MAX_OBJECT_FIELDS;
    const path = pathOf(stack.length - 1);
    return Object.hasOwn(arrays, path) ? arrays[path]! : MAX_ARRAY_ENTRIES;
  };
  let expectKey = false;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i + 1;
      for (i = start; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (expectKey && stack.length > 0) {
        stack[stack.length - 1]!.key = text.slice(start, Math.min(i, start + MAX_NAME_CHARS));
        expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      if (parent !== undefined && !parent.object) parent.key = String(parent.commas);
      if (stack.length >= MAX_DEPTH) {
        work.chars += i + 1;
        return { path: pathOf(), message: `nested deeper than ${MAX_DEPTH} levels` };
      }
      stack.push({ object: c === 0x7b, commas: 0, key: c === 0x7b ? '' : '0' });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const level = stack[stack.length - 1];
      if (level === undefined) continue;
      level.commas += 1;
      const limit = limitOf(level);
      if (level.commas + 1 > limit) {
        work.chars += i + 1;
        const what = level.object ? `more than ${limit} fields` : `more than ${limit} entries`;
        return { path: pathOf(stack.length - 1), message: `has ${what}; at most ${limit} are read` };
      }
      if (level.object) expectKey = true;
      else level.key = String(level.commas);
    }
  }
  work.chars += i;
  return undefined;
}
