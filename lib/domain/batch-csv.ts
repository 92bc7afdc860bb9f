/**
 * The CSV form of a batch (README.md, "Bulk onboarding"): a header row naming the columns, then one row per item.
 * Each row becomes exactly a `POST /onboardings` body, which the batch schema then validates like a JSON batch; the
 * problems of a row are reported as `line 19: email`. No CSV library is installed: this is a small RFC 4180 reader
 * (quoted fields, doubled quotes, CRLF or LF, a leading BOM), bounded in rows.
 */
import { MAX_BATCH_ITEMS } from './batch-schemas';

/** A link row names `customerId`; a create row the company and its contact. */
export const CSV_CUSTOMER_COLUMNS = {
  companyName: ['customer', 'companyName'],
  companySize: ['customer', 'companySize'],
  industry: ['customer', 'industry'],
  country: ['customer', 'country'],
  street1: ['customer', 'street1'],
  street2: ['customer', 'street2'],
  city: ['customer', 'city'],
  stateOrProvince: ['customer', 'stateOrProvince'],
  zipCode: ['customer', 'zipCode'],
  website: ['customer', 'website'],
  firstName: ['customer', 'contact', 'firstName'],
  lastName: ['customer', 'contact', 'lastName'],
  email: ['customer', 'contact', 'email'],
  phone: ['customer', 'contact', 'phone'],
} as const;
export const CSV_COLUMNS = [
  'customerId',
  ...Object.keys(CSV_CUSTOMER_COLUMNS),
  'managementType',
  'accessType',
  'services',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
/** Every file needs these; a file that creates customers also needs the create columns its rows fill. */
const ALWAYS_REQUIRED: readonly CsvColumn[] = ['managementType', 'services'];

export interface CsvIssue {
  path: string;
  message: string;
}

export interface CsvBatch {
  /** The onboarding bodies, one per data row (empty rows are skipped). */
  items: Record<string, unknown>[];
  /** The file line of each item (1 is the header). */
  lines: number[];
}

/** Splits CSV text into rows of fields, each with the line it starts on. Throws a CsvIssue for an open quote. */
function readRows(text: string, maxRows: number): { line: number; fields: string[] }[] | CsvIssue {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
      // The header and MAX rows: one more row is enough to know the file is too long.
      if (rows.length > maxRows + 1) return rows;
    } else {
      field += c;
    }
  }
  if (quoted) return { path: `line ${rowLine}`, message: 'a quoted field is not closed' };
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

/** `KnoxManage:prefix;KnoxMobileEnrollment` -> `[{service: 'KnoxManage', kmTenantPrefix: 'prefix'}, {service: ...}]`. */
export function parseServices(cell: string): { service: string; kmTenantPrefix?: string }[] {
  return cell
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf(':');
      if (at < 0) return { service: part };
      return { service: part.slice(0, at).trim(), kmTenantPrefix: part.slice(at + 1).trim() };
    });
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
}

/** The body a row stands for: empty cells are absent fields. */
function rowBody(header: CsvColumn[], fields: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  header.forEach((column, i) => {
    const value = (fields[i] ?? '').trim();
    if (value === '') return;
    if (column === 'services') body.services = parseServices(value);
    else if (column in CSV_CUSTOMER_COLUMNS)
      setPath(body, CSV_CUSTOMER_COLUMNS[column as keyof typeof CSV_CUSTOMER_COLUMNS], value);
    else body[column] = value;
  });
  return body;
}

/**
 * The items of a CSV batch, or the problems with the file itself (unknown, repeated or missing columns, a row with
 * more fields than the header, more than MAX_BATCH_ITEMS rows). The items' own problems are the schema's to find.
 */
export function parseBatchCsv(text: string): CsvBatch | { issues: CsvIssue[] } {
  const rows = readRows(text, MAX_BATCH_ITEMS);
  if (!Array.isArray(rows)) return { issues: [rows] };
  const [head, ...data] = rows;
  if (head === undefined)
    return { issues: [{ path: 'line 1', message: 'the file is empty: it needs a header row and one row per item' }] };
  const issues: CsvIssue[] = [];
  const names = head.fields.map((f) => f.trim());
  names.forEach((name, i) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      issues.push({
        path: `line 1: ${name.slice(0, 64) || `column ${i + 1}`}`,
        message: `unknown column; the columns are ${CSV_COLUMNS.join(', ')}`,
      });
    } else if (names.indexOf(name) !== i) {
      issues.push({ path: `line 1: ${name}`, message: 'the column is named twice' });
    }
  });
  for (const column of ALWAYS_REQUIRED) {
    if (!names.includes(column)) issues.push({ path: `line 1: ${column}`, message: 'missing column' });
  }
  if (!names.includes('customerId') && !names.includes('companyName')) {
    issues.push({
      path: 'line 1: customerId',
      message: 'missing column: customerId (to link) or the company columns (to create)',
    });
  }
  if (data.length === 0) issues.push({ path: 'line 2', message: 'the file has no item rows' });
  if (data.length > MAX_BATCH_ITEMS) {
    issues.push({
      path: `line ${data[MAX_BATCH_ITEMS]!.line}`,
      message: `a batch holds at most ${MAX_BATCH_ITEMS} items`,
    });
  }
  for (const row of data.slice(0, MAX_BATCH_ITEMS)) {
    if (row.fields.length > names.length) {
      issues.push({
        path: `line ${row.line}`,
        message: `${row.fields.length} fields, but the header names ${names.length} columns`,
      });
    }
  }
  if (issues.length > 0) return { issues };
  const header = names as CsvColumn[];
  return { items: data.map((row) => rowBody(header, row.fields)), lines: data.map((row) => row.line) };
}

/** The CSV column a body path (`customer.contact.email`, `services.0.kmTenantPrefix`) comes from. */
export function csvColumnOf(path: readonly PropertyKey[]): string {
  const [first, second, third] = path.map(String);
  if (first === 'customer') {
    const leaf = second === 'contact' ? third : second;
    return leaf !== undefined && leaf in CSV_CUSTOMER_COLUMNS ? leaf : 'customer';
  }
  return first ?? 'row';
}
