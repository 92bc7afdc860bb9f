/**
 * THE error table: every answer Knox can give that is not a success, and what it means for the workflow.
 *
 * Rows come from Samsung's published table (docs/samsung-error-codes.tsv), the codes added in later
 * release notes, the documented 429 and token errors, and a few answers we name ourselves (transport failures,
 * bodies that are not the error object, customer statuses, the waiting deadline). The handlers classify with it,
 * the simulator answers with it, the CDK definition derives Retry/Catch from the dispositions, and tests prove
 * every row. Nothing else may keep a list of codes.
 */
import type { Disposition } from './dispositions';

export type ErrorSource =
  /** Samsung's published seed table. */
  | 'seed'
  /** Codes documented after the seed table (names assumed where Samsung gives none). */
  | 'later'
  /** OAuth and bearer-token answers. */
  | 'auth'
  /** Answers we name ourselves: transport failures, odd bodies, statuses, the deadline. */
  | 'ours';

export interface KnoxErrorSpec {
  /** Knox's `code` name (ours for the rows whose source is `ours`). */
  code: string;
  /** Knox's `errorCode` as the string Knox sends ("0" for answers that carry none). */
  errorCode: string;
  /** The HTTP status Knox answers it with (0 where there is no HTTP answer). */
  httpStatus: number;
  /** Knox's own description, or ours. */
  message: string;
  disposition: Disposition;
  source: ErrorSource;
  /** What the operator should do about it, where there is something to say. */
  hint?: string;
}

function spec(
  source: ErrorSource,
  code: string,
  errorCode: string,
  httpStatus: number,
  disposition: Disposition,
  message: string,
  hint?: string,
): KnoxErrorSpec {
  return { code, errorCode, httpStatus, disposition, source, message, ...(hint ? { hint } : {}) };
}

/** Knox's status rule (docs/knox-contract.md): the HTTP status is the first three digits of `errorCode` (4002103: 400). */
function knoxCodeRows(source: 'seed' | 'later') {
  return (code: string, errorCode: string, disposition: Disposition, message: string, hint?: string) =>
    spec(source, code, errorCode, Number(errorCode.slice(0, 3)), disposition, message, hint);
}

// Each row says where it comes from by the builder that makes it.
const seed = knoxCodeRows('seed');
const later = knoxCodeRows('later');
/** The token answers: the status rule does not settle their status (docs/knox-contract.md), so each row gives it. */
const auth = spec.bind(undefined, 'auth');
/** Our own answers carry no Knox errorCode. */
function ours(code: string, httpStatus: number, disposition: Disposition, message: string, hint?: string) {
  return spec('ours', code, '0', httpStatus, disposition, message, hint);
}

export const KNOX_ERRORS = [
  // --- Samsung's seed table -------------------------------------------------------------------------------------
  seed('FAILURE', '5000000', 'retry', 'Internal Server Error.'),
  seed(
    'AUTHORIZATION_FAIL',
    '4030000',
    'operator',
    'The current user is unauthorized to use this service.',
    'Check the MSP client credentials and their scope in the Knox secret.',
  ),
  seed('INVALID_COUNTRY', '4002108', 'invalidRequest', 'Unsupported country.'),
  seed(
    'ADD_EC_CUSTOMER_INVALID',
    '4002100',
    'abort',
    'This customer doesn’t exist or the ID isn’t a valid customer ID.',
    'Check the Knox customer ID with the customer.',
  ),
  seed(
    'ADD_EC_CUSTOMER_NOT_APPROVED',
    '4002101',
    'wait',
    'This customer is currently either pending approval or has been rejected by the Samsung administrator.',
  ),
  seed(
    'ADD_EC_DELINK_PENDING',
    '4002102',
    'wait',
    'This customer is currently in the process of being delinked from an MSP and cannot be added until this process is complete.',
  ),
  seed(
    'ADD_EC_ALREADY_MANAGED',
    '4002103',
    'abort',
    'This customer is already managed by someone else.',
    'Ask the customer to delink from its current MSP, then onboard again.',
  ),
  seed(
    'ADD_EC_PENDING_CANNOT_ADD_AGAIN',
    '4002104',
    'alreadyDone',
    'This customer is ‘Pending’ and cannot be added again.',
  ),
  seed(
    'ADD_EC_NOT_SAME_REGION',
    '4002105',
    'abort',
    'This customer is not available in your region.',
    'Onboard the customer from an MSP account in its region.',
  ),
  seed('CUSTOMER_NOT_FOUND', '4042100', 'abort', 'This customer doesn’t exist.'),
  seed('CUSTOMER_NOT_MANAGED_BY_MSP', '4002113', 'abort', 'Customer not managed by the current MSP.'),
  seed(
    'EMAIL_ALREADY_IN_USAGE',
    '4002106',
    'abort',
    'A Knox Cloud Services account already exists for this user. Please contact the customer or Samsung administrator.',
    'The customer already has a Knox account: onboard it with its customerId (link) instead of creating it.',
  ),
  seed(
    'SERVICE_NOT_VALID_SCP',
    '4002109',
    'invalidRequest',
    'The Knox MSP Portal API does not support Samsung Care Plus.',
  ),
  seed(
    'CANNOT_DELINK_FULLY_MANAGED',
    '4002112',
    'abort',
    'Cannot delink a fully managed customer.',
    'Fully managed customers cannot be delinked through the API: contact Samsung support.',
  ),
  seed('CUSTOMER_PENDING_CANNOT_DELINK', '4002115', 'wait', 'Customer is in pending state, cannot be delinked.'),
  seed('KM_TENANT_PREFIX_INVALID', '4002111', 'invalidRequest', 'Prefix can’t begin or end with a period.'),
  seed(
    'KM_DOMAIN_NAME_ALREADY_EXISTS',
    '4002110',
    'invalidRequest',
    'Prefix is required because the domain name already exists.',
    'Send the request again with a kmTenantPrefix for KnoxManage.',
  ),
  seed(
    'BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED',
    '4002114',
    'invalidRequest',
    'This email domain is not allowed for jointly managed customers.',
    'Use the customer’s work e-mail address, or onboard it as fully managed.',
  ),
  seed(
    'CANNOT_CHANGE_WHEN_DELINKING',
    '4002116',
    'wait',
    'Customer cannot be changed while delink request is pending.',
  ),
  seed(
    'CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY',
    '4002117',
    'abort',
    'Can’t update from jointly managed to fully managed.',
    'Delink the customer, then link it again as FullyManaged.',
  ),
  seed(
    'SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT',
    '4002118',
    'abort',
    'Service not associated with this customer’s account.',
  ),
  seed('CANNOT_CHANGE_WHEN_PENDING', '4002119', 'wait', 'Customer can’t be changed while in pending to link status.'),
  seed('ACCESS_TYPE_REQUIRED', '4002120', 'invalidRequest', 'Access type param is required when adding new services.'),
  seed(
    'KM_DOMAIN_NAME_ALREADY_IN_USAGE',
    '4002121',
    'invalidRequest',
    'The organization domain is already in use. Please add a prefix to uniquely identify your organization or to manage multiple Knox Manage administrator accounts under the same organization.',
    'Send the request again with a kmTenantPrefix for KnoxManage.',
  ),

  // --- Documented after the seed table (names assumed) ------------------------------------------------------------
  later('MSP_CANNOT_MANAGE_KG', '4002124', 'abort', 'This MSP cannot manage Knox Guard for this customer.'),
  ...['4002127', '4002128', '4002129', '4002130'].map((c) =>
    later(`KG_TENANT_INFO_INVALID_${c}`, c, 'invalidRequest', 'Knox Guard tenant information is invalid.'),
  ),
  ...['4002133', '4002134', '4002135', '4002136', '4002137', '4002138', '4002139', '4002140'].map((c) =>
    later(
      `FIELD_VALIDATION_FAILED_${c}`,
      c,
      'invalidRequest',
      'A field failed Knox validation (characters, URL or phone number).',
    ),
  ),
  later('TOO_MANY_REQUESTS', '4290000', 'retry', 'Too many requests.'),

  // --- Tokens ----------------------------------------------------------------------------------------------------
  auth(
    'ACCESS_TOKEN_EXPIRED',
    '4032251',
    401,
    'operator',
    'The access token has expired.',
    'A refreshed token was refused too: check the Knox clock and the client credentials.',
  ),
  auth(
    'ACCESS_TOKEN_INVALID',
    '4032252',
    401,
    'operator',
    'The access token is invalid.',
    'A refreshed token was refused too: check the client credentials and their scope.',
  ),
  auth(
    'INVALID_CLIENT',
    '0',
    401,
    'operator',
    'The token endpoint refused the client credentials.',
    'Set the right clientId and clientSecret in the Knox secret.',
  ),

  // --- Answers we name ourselves ------------------------------------------------------------------------------------
  ours('REQUEST_TIMEOUT', 0, 'retry', 'Knox did not answer before the client timeout.'),
  ours('CONNECTION_FAILED', 0, 'retry', 'The connection to Knox failed or was dropped.'),
  ours(
    'KNOX_BUDGET_EXHAUSTED',
    0,
    'retry',
    'The shared Knox request budget had no slot free within the wait allowed; Knox was not called.',
    'Steady exhaustion means more work than knoxRequestsPerSecond allows: spread the load or raise the budget.',
  ),
  ours(
    'UNEXPECTED_RESPONSE',
    0,
    'retry',
    'Knox answered with a body that is neither the expected result nor its error object.',
  ),
  ours(
    'CUSTOMER_LOOKUP_INCONCLUSIVE',
    0,
    'retry',
    'Knox’s customer list could not be read to the end while it held still: whether the customer is ours is unknown.',
  ),
  ours(
    'UNKNOWN_CODE',
    0,
    'operator',
    'Knox answered with an error code this workflow does not know.',
    'Add the code to lib/domain/knox-errors.ts with its disposition.',
  ),
  ours('CUSTOMER_PENDING', 200, 'wait', 'The customer has not answered the link request yet.'),
  ours('CUSTOMER_DELINK_REQUESTED', 200, 'wait', 'The customer has not answered the delink request yet.'),
  ours(
    'CUSTOMER_REJECTED_LINK',
    200,
    'abort',
    'The customer rejected the link request.',
    'Talk to the customer; onboard again once it agrees.',
  ),
  ours(
    'CUSTOMER_REJECTED_DELINK',
    200,
    'abort',
    'The customer rejected the delink request and stays managed.',
    'Talk to the customer; offboard again once it agrees.',
  ),
  ours(
    'WAIT_DEADLINE_EXCEEDED',
    0,
    'abort',
    'The customer did not answer before the deadline.',
    'Remind the customer, then onboard again.',
  ),
] as const satisfies readonly KnoxErrorSpec[];

export type KnoxErrorCodeName = (typeof KNOX_ERRORS)[number]['code'];

const byCode = new Map<string, KnoxErrorSpec>(KNOX_ERRORS.map((e) => [e.code, e]));
const byErrorCode = new Map<string, KnoxErrorSpec>(
  KNOX_ERRORS.filter((e) => e.errorCode !== '0').map((e) => [e.errorCode, e]),
);

/** The row for a Knox numeric `errorCode` ("4002103"), if we know it. */
export function specForErrorCode(errorCode: string): KnoxErrorSpec | undefined {
  return byErrorCode.get(errorCode);
}

/** The row for a `code` name ("ADD_EC_ALREADY_MANAGED" or one of ours); throws on a name not in the table. */
export function specFor(code: KnoxErrorCodeName): KnoxErrorSpec {
  const spec = byCode.get(code);
  if (!spec) throw new Error(`No row for ${code} in the Knox error table`);
  return spec;
}

/** The seed table's rows: what the end-to-end tests must cover one by one. */
export const SEED_ERRORS = KNOX_ERRORS.filter((e) => e.source === 'seed');
