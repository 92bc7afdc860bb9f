/**
 * Shared by the hostile-input suites (hostile-api on the handler, hostile-http on the local stack): fast-check
 * arbitraries for valid API bodies of every form, and for bodies broken in one place (malformed JSON, a wrong type, a
 * missing or extra field at any depth, a huge string, an unfit character, a look-alike letter), each with the dotted
 * path of the field a refusal must name.
 */
import fc from 'fast-check';
import { STATUSES, type RecordKind } from '#domain/api-schemas';
import {
  ACCESS_TYPES,
  COMPANY_SIZES,
  COUNTRY_CODES,
  MANAGEMENT_TYPES,
  REFUSED_SERVICE,
  SERVICES,
} from '#domain/knox-schemas';
import { ID_PREFIX } from '#domain/table-layout';

export const COLLECTIONS: Record<RecordKind, string> = {
  onboarding: '/onboardings',
  offboarding: '/offboardings',
  change: '/changes',
};
export const KINDS = Object.keys(COLLECTIONS) as RecordKind[];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// --- Valid bodies ---------------------------------------------------------------------------------------------------

/** Characters no field of ours may hold: controls (NUL included), lone surrogates, and U+FFFD (bytes lost in decoding). */
export const UNFIT_TEXT = /[\p{Cc}\p{Cs}\uFFFD]/u;

/** Free text as people type it, in any script, within `max` UTF-16 units once trimmed. */
const freeText = (max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(max, 24) })
    .filter((s) => s.trim().length > 0 && s.trim().length <= max && !UNFIT_TEXT.test(s));

/** A unique prefix per generated value: every valid case is a new customer (no lock, no idempotent repeat). */
let serial = 0;
export const nextSerial = (): string => {
  serial += 1;
  return serial.toString().padStart(6, '0');
};

const customerId = fc.stringMatching(/^\d{1,14}$/).map((digits) => `${nextSerial()}${digits}`);
const email = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z0-9]{1,6})?$/),
    fc.stringMatching(/^[a-z0-9]{1,12}(-[a-z0-9]{1,4})?$/),
    fc.constantFrom('example', 'test', 'co.example'),
    fc.boolean(),
  )
  .map(([local, domain, tld, upper]) => {
    const address = `u${nextSerial()}.${local}@${domain}.${tld}`;
    return upper ? address.toUpperCase() : address;
  });
const tenantPrefix = fc.stringMatching(/^[A-Za-z0-9-]([A-Za-z0-9.-]{0,20}[A-Za-z0-9-])?$/);
export const USABLE_SERVICES = SERVICES.filter((s) => s !== REFUSED_SERVICE);
/** Services a body may ask for (never SamsungCarePlus), each with a tenant prefix from `prefix` or none. */
export const servicesWith = (prefix: fc.Arbitrary<string>) =>
  fc
    .uniqueArray(fc.constantFrom(...USABLE_SERVICES), { minLength: 1, maxLength: USABLE_SERVICES.length })
    .chain((names) =>
      fc.tuple(
        ...names.map((service) =>
          fc
            .option(prefix, { nil: undefined })
            .map((p) => ({ service, ...(p !== undefined ? { kmTenantPrefix: p } : {}) })),
        ),
      ),
    );
const services = servicesWith(tenantPrefix);
const managementType = fc.constantFrom(...MANAGEMENT_TYPES);
const accessType = fc.constantFrom(...ACCESS_TYPES);
export const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

/** Drops undefined members, as JSON.stringify would. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export const linkBody = fc.record({ customerId, managementType, accessType, services });
export const createBody = fc.record({
  customer: fc
    .record({
      companyName: freeText(128),
      companySize: fc.constantFrom(...COMPANY_SIZES),
      industry: freeText(64),
      country: fc.constantFrom(...COUNTRY_CODES),
      street1: freeText(128),
      street2: optional(freeText(128)),
      city: freeText(64),
      stateOrProvince: optional(freeText(64)),
      zipCode: optional(freeText(16)),
      website: optional(freeText(256)),
      contact: fc
        .record({
          firstName: freeText(64),
          lastName: freeText(64),
          email,
          phone: optional(freeText(32)),
          jobTitle: optional(freeText(64)),
        })
        .map(defined),
    })
    .map(defined),
  managementType,
  accessType,
  services,
});
const offboardingBody = fc.record({ customerId });
const changeBody = fc
  .record({
    customerId,
    managementType: optional(managementType),
    accessType: optional(accessType),
    services: optional(services),
  })
  .map((body) => {
    const change = defined(body);
    // At least one thing to change, and accessType beside added services (Knox 4002120).
    if (change.managementType === undefined && change.accessType === undefined && change.services === undefined)
      change.managementType = 'JointlyManaged';
    if (change.services !== undefined && change.accessType === undefined) change.accessType = 'FullAccess';
    return change;
  });

/** A valid body of a kind (both onboarding forms). */
export function validBody(kind: RecordKind): fc.Arbitrary<Record<string, Json>> {
  const bodies = { onboarding: fc.oneof(linkBody, createBody), offboarding: offboardingBody, change: changeBody }[kind];
  return bodies as fc.Arbitrary<Record<string, Json>>;
}
export const anyValid = fc.constantFrom(...KINDS).chain((kind) => validBody(kind).map((body) => ({ kind, body })));

/** A well-formed record id of a kind (which no table of a hostile run holds). */
export const recordId = (kind: RecordKind): fc.Arbitrary<string> =>
  fc.stringMatching(/^[0-9a-f]{16}$/).map((hex) => `${ID_PREFIX[kind]}-${hex}`);

// --- Where a body can be broken -------------------------------------------------------------------------------------

type Path = (string | number)[];
const dotted = (path: Path) => path.map(String).join('.');

/** Every path inside a JSON value, the value's own (`[]`) included. */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  const own = [prefix];
  if (Array.isArray(value)) return [...own, ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object')
    return [...own, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  return own;
}

export function at(value: Json, path: Path): Json {
  return path.reduce<Json>((v, key) => (v as Record<string | number, Json>)[key]!, value);
}

/** A deep copy with the member at `path` replaced (or removed with `undefined`). */
export function replaced(value: Json, path: Path, replacement: Json | undefined): Json {
  if (path.length === 0) return replacement as Json;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    if (rest.length === 0 && replacement === undefined) copy.splice(head as number, 1);
    else copy[head as number] = replaced(copy[head as number]!, rest, replacement);
    return copy;
  }
  const copy = { ...(value as Record<string, Json>) };
  if (rest.length === 0 && replacement === undefined) delete copy[head as string];
  else copy[head as string] = replaced(copy[head as string]!, rest, replacement);
  return copy;
}

/**
 * Fields a body cannot lack, per kind, as dotted patterns (`#` is any array index). accessType is required in every
 * onboarding (services are never empty there) and in a change that adds services.
 */
function requiredPaths(kind: RecordKind, body: Record<string, Json>): string[] {
  if (kind === 'offboarding') return ['customerId'];
  // A change may drop any one of its fields but customerId (accessType stays beside services, and is a change itself).
  if (kind === 'change')
    return ['customerId', ...(body.services !== undefined ? ['accessType', 'services.#.service'] : [])];
  const top = ['managementType', 'accessType', 'services', 'services.#.service'];
  if ('customerId' in body) return ['customerId', ...top];
  return [
    'customer',
    ...top,
    ...['companyName', 'companySize', 'industry', 'country', 'street1', 'city', 'contact'].map((k) => `customer.${k}`),
    ...['firstName', 'lastName', 'email'].map((k) => `customer.contact.${k}`),
  ];
}
const pattern = (path: Path) => path.map((p) => (typeof p === 'number' ? '#' : p)).join('.');

/** Every key any of our bodies knows: an "extra" key must be none of these, or it might be a valid optional field. */
const KNOWN_KEYS = new Set([
  'customerId',
  'customer',
  'managementType',
  'accessType',
  'services',
  'service',
  'kmTenantPrefix',
  'companyName',
  'companySize',
  'industry',
  'country',
  'street1',
  'street2',
  'city',
  'stateOrProvince',
  'zipCode',
  'website',
  'contact',
  'firstName',
  'lastName',
  'email',
  'phone',
  'jobTitle',
]);

/** A value of another JSON type than `like` (every field of ours has one type, so this is always wrong). */
function wrongType(like: Json): fc.Arbitrary<Json> {
  const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  return (fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>).filter((v) => kindOf(v) !== kindOf(like));
}

/** A body broken in one place, as the JSON text to send, and the dotted path a refusal must name ('' is the body). */
export interface BrokenBody {
  kind: RecordKind;
  text: string;
  issueAt: string;
}

/** A valid body with one member chosen by `where` replaced by `make(original)` (removed when it makes undefined). */
function mutateAny(
  make: (original: Json) => fc.Arbitrary<Json | undefined>,
  where: (path: Path, kind: RecordKind, body: Record<string, Json>) => boolean,
): fc.Arbitrary<BrokenBody> {
  const spots = (kind: RecordKind, body: Record<string, Json>) =>
    pathsOf(body).filter((p) => p.length > 0 && where(p, kind, body));
  return anyValid
    .filter(({ kind, body }) => spots(kind, body).length > 0)
    .chain(({ kind, body }) =>
      fc.constantFrom(...spots(kind, body)).chain((path) =>
        make(at(body, path)).map((value) => ({
          kind,
          issueAt: dotted(path),
          text: JSON.stringify(replaced(body, path, value)),
        })),
      ),
    );
}

const isString = (path: Path, _kind: RecordKind, body: Record<string, Json>) => typeof at(body, path) === 'string';

// --- Broken bodies --------------------------------------------------------------------------------------------------

/** Text that is not JSON: truncated bodies, trailing junk, JavaScript literals, random bytes. */
export const brokenJson: fc.Arbitrary<BrokenBody> = fc
  .tuple(
    fc.constantFrom(...KINDS),
    fc.oneof(
      anyValid.chain(({ body }) => {
        const text = JSON.stringify(body);
        return fc.integer({ min: 0, max: text.length - 1 }).map((n) => text.slice(0, n));
      }),
      anyValid.chain(({ body }) =>
        fc.constantFrom('}', ']', ',', ' x', '{}', 'null', '\u0000').map((junk) => JSON.stringify(body) + junk),
      ),
      fc.constantFrom(
        "{'customerId': '1'}",
        '{customerId: "1"}',
        '{"customerId": NaN}',
        '// {}',
        '{"a":1,}',
        '\uFEFF{}',
        'undefined',
        '"',
        '[',
        '{"customerId": "1" /* c */}',
      ),
      fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
    ),
  )
  .map(([kind, text]) => ({ kind, text, issueAt: '' }));

/** JSON that is not an object: null, numbers, strings, booleans, arrays. */
export const notObjectJson: fc.Arbitrary<BrokenBody> = fc
  .tuple(
    fc.constantFrom(...KINDS),
    (fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>).filter(
      (v) => v === null || typeof v !== 'object' || Array.isArray(v),
    ),
  )
  .map(([kind, value]) => ({ kind, text: JSON.stringify(value), issueAt: '' }));

/** One field, at any depth, of another JSON type. */
export const wrongTypeBodies = mutateAny(
  (original) => wrongType(original),
  () => true,
);

/** One required field, at any depth, missing. */
export const missingFieldBodies = mutateAny(
  () => fc.constant(undefined),
  (path, kind, body) => requiredPaths(kind, body).includes(pattern(path)),
);

/** A placeholder value, replaced in the JSON text by the object with its extra key. */
const MARK = '\u0001extra-key-goes-here\u0001';

/** One unknown key in any object of a body (the body, customer, contact, a service), spliced into the JSON text. */
export const extraFieldBodies: fc.Arbitrary<BrokenBody> = anyValid.chain(({ kind, body }) => {
  const extraKey = fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'hasOwnProperty',
        'customerID',
        'CustomerId',
        'customer_id',
        ' customerId',
        'customerId\u0000',
        '',
      ),
    )
    .filter((k) => !KNOWN_KEYS.has(k));
  const objects = pathsOf(body).filter((p) => {
    const v = at(body, p);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  return fc
    .tuple(fc.constantFrom(...objects), extraKey, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>)
    .map(([path, key, value]) => {
      // Spliced into the text, so that a key like __proto__ arrives as JSON.parse reads it: an own member.
      const target = JSON.stringify(at(body, path));
      const withExtra = `{${JSON.stringify(key)}:${JSON.stringify(value)}${target === '{}' ? '' : ','}${target.slice(1)}`;
      const text =
        path.length === 0
          ? withExtra
          : JSON.stringify(replaced(body, path, MARK)).replace(JSON.stringify(MARK), () => withExtra);
      return { kind, text, issueAt: dotted(path) };
    });
});

/** An onboarding with both customerId and customer, or with no services. */
export const ambiguousOnboardings: fc.Arbitrary<BrokenBody> = fc.oneof(
  fc.tuple(linkBody, createBody).map(([link, create]) => ({
    kind: 'onboarding' as const,
    text: JSON.stringify({ ...create, customerId: link.customerId }),
    issueAt: '',
  })),
  fc.oneof(linkBody, createBody).map((body) => ({
    kind: 'onboarding' as const,
    text: JSON.stringify({ ...body, services: [] }),
    issueAt: 'services',
  })),
);

/** A string field grown by `min` to `max` bytes of one character (every field of ours has a length limit far below). */
export function hugeStringBodies(min: number, max: number): fc.Arbitrary<BrokenBody> {
  return mutateAny(
    (original) =>
      fc
        .tuple(fc.integer({ min, max }), fc.constantFrom('7', 'a', 'é', '€', '𝄞'))
        .map(([size, char]) => (original as string) + char.repeat(Math.ceil(size / Buffer.byteLength(char)))),
    isString,
  );
}

/** A control character, NUL, lone surrogate or U+FFFD inserted anywhere in any string field. */
export const unfitTextBodies = mutateAny(
  (original) =>
    fc
      .tuple(
        fc.oneof(
          fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
          fc.constantFrom('\u0000', '\u007f', '\u0085', '\u009b', '\ud800', '\udfff', '\uFFFD'),
        ),
        fc.nat(),
      )
      .map(([char, n]) => {
        const text = original as string;
        const i = n % (text.length + 1);
        return `${text.slice(0, i)}${char}${text.slice(i)}`;
      }),
  isString,
);

/** Look-alikes of the characters of ids, codes and vocabularies: digits of other scripts, homoglyphs, width forms. */
const LOOKALIKES: Record<string, string> = {
  0: '٠',
  1: '١',
  7: '७',
  9: '９',
  a: 'а',
  e: 'е',
  o: 'о',
  c: 'с',
  M: 'Μ',
  K: 'Κ',
  S: 'Ѕ',
  U: 'Ս',
};
const STRICT_FIELDS = new Set(['customerId', 'managementType', 'accessType', 'service', 'companySize', 'country']);

/** One character of an id, a code or a vocabulary word replaced by its look-alike. */
export const lookalikeBodies = mutateAny(
  (original) => {
    const text = original as string;
    const spots = [...text].map((ch, i) => (LOOKALIKES[ch] !== undefined ? i : -1)).filter((i) => i >= 0);
    return fc.constantFrom(...spots).map((i) => `${text.slice(0, i)}${LOOKALIKES[text[i]!]}${text.slice(i + 1)}`);
  },
  (path, _kind, body) => {
    const value = at(body, path);
    return (
      STRICT_FIELDS.has(String(path.at(-1))) &&
      typeof value === 'string' &&
      [...value].some((ch) => LOOKALIKES[ch] !== undefined)
    );
  },
);

/** Every kind of body broken in one place, by name (huge strings are apart: they take sizes); each suite covers each. */
export const BROKEN_BODIES = {
  brokenJson,
  notObjectJson,
  wrongTypeBodies,
  missingFieldBodies,
  extraFieldBodies,
  ambiguousOnboardings,
  unfitTextBodies,
  lookalikeBodies,
} satisfies Record<string, fc.Arbitrary<BrokenBody>>;

// --- Bad headers and queries ---------------------------------------------------------------------------------------

/** Content types that are not JSON. */
export const nonJsonContentType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/jsonp',
    'application/json5',
    'application/x-json',
    'json',
    'application/',
    '*/*',
    'text/html; charset=utf-8',
  ),
  fc
    .string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' })
    .filter((s) => !/json/i.test(s) && s.trim() === s && s.length > 0),
);

/** Idempotency-Key values the API must refuse; `byteString` keeps to what an HTTP client can put in a header. */
export function badIdempotencyKey(byteString = false): fc.Arbitrary<string> {
  const any = fc.oneof(
    fc.constantFrom(
      'has space',
      'tab\there',
      'clé',
      'k'.repeat(129),
      'ünïcödé',
      '鍵',
      '🔑',
      'new\nline',
      'nul\u0000',
      '',
      ' ',
    ),
    fc.string({ minLength: 129, maxLength: 2000, unit: 'grapheme-ascii' }).map((s) => s.replaceAll(' ', 'x')),
    fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => !/^[\x21-\x7e]+$/.test(s)),
  );
  // A header value travels as bytes 0x20-0xFF (tab allowed) with no leading or trailing blank.
  return byteString
    ? any.filter((s) => /^[\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?$/.test(s))
    : any;
}

/** Queries GET /onboardings must refuse, with the parameter a refusal must name. */
export const badListQuery: fc.Arbitrary<{ params: [string, string][]; issueAt: string }> = (() => {
  const statuses: readonly string[] = STATUSES;
  const status = fc.constantFrom(...STATUSES);
  const notStatus = fc
    .oneof(
      fc.string({ maxLength: 30 }),
      status.chain((s) =>
        fc.constantFrom(s.toLowerCase(), ` ${s}`, `${s} `, `${s},WAITING`, `${s}\u0000`, s.replace('I', 'І')),
      ),
    )
    .filter((s) => !statuses.includes(s));
  const badLimit = fc.oneof(
    fc.constantFrom('0', '-1', '101', '1.5', 'abc', '', 'NaN', 'Infinity', '1e3', '99999999999999999999'),
    fc.integer({ min: 101 }).map(String),
  );
  return fc.oneof(
    fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !['status', 'cursor', 'limit'].includes(k)),
        fc.string({ maxLength: 20 }),
      )
      .map(([k, v]) => ({ params: [[k, v]] as [string, string][], issueAt: '' })),
    notStatus.map((s) => ({ params: [['status', s]] as [string, string][], issueAt: 'status' })),
    fc.tuple(status, badLimit).map(([s, l]) => ({
      params: [
        ['status', s],
        ['limit', l],
      ] as [string, string][],
      issueAt: 'limit',
    })),
    fc.tuple(status, fc.string({ minLength: 1, maxLength: 100 })).map(([s, c]) => ({
      params: [
        ['status', s],
        ['cursor', c],
      ] as [string, string][],
      issueAt: 'cursor',
    })),
    fc.tuple(status, fc.jsonValue()).map(([s, v]) => ({
      params: [
        ['status', s],
        ['cursor', Buffer.from(JSON.stringify(v)).toString('base64url')],
      ] as [string, string][],
      issueAt: 'cursor',
    })),
    fc
      .string({ minLength: 1, maxLength: 100 })
      .map((c) => ({ params: [['cursor', c]] as [string, string][], issueAt: 'cursor' })),
    fc
      .tuple(fc.constantFrom('status', 'limit', 'cursor'), fc.array(status, { minLength: 2, maxLength: 3 }))
      .map(([k, values]) => ({
        params: values.map((v, i) => [k, k === 'limit' ? String(i + 1) : v] as [string, string]),
        issueAt: k,
      })),
  );
})();

/** True when `at` is the issue's path or lies under it ('' is the whole body). */
export function covers(issuePath: string, at: string): boolean {
  return issuePath === at || issuePath === '' || at.startsWith(`${issuePath}.`);
}
