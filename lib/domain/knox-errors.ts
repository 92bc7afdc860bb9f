/**
 * THE error table: every answer Knox can give that is not a success, and what it means for the workflow.
 *
 * Rows come from Samsung's published table (../shared/seeds/knox-msp-error-codes.txt), the codes added in later
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

function row(
  code: string,
  errorCode: string,
  httpStatus: number,
  disposition: Disposition,
  source: ErrorSource,
  message: string,
  hint?: string,
): KnoxErrorSpec {
  return { code, errorCode, httpStatus, disposition, source, message, ...(hint ? { hint } : {}) };
}

export const KNOX_ERRORS = [
  // --- Samsung's seed table -------------------------------------------------------------------------------------
  row('FAILURE', '5000000', 500, 'retry', 'seed', 'Internal Server Error.'),
  row(
    'AUTHORIZATION_FAIL',
    '4030000',
    403,
    'operator',
    'seed',
    'The current user is unauthorized to use this service.',
    'Check the MSP client credentials and their scope in the Knox secret.',
  ),
  row('INVALID_COUNTRY', '4002108', 400, 'invalidRequest', 'seed', 'Unsupported country.'),
  row(
    'ADD_EC_CUSTOMER_INVALID',
    '4002100',
    400,
    'abort',
    'seed',
    'This customer doesn’t exist or the ID isn’t a valid customer ID.',
    'Check the Knox customer ID with the customer.',
  ),
  row(
    'ADD_EC_CUSTOMER_NOT_APPROVED',
    '4002101',
    400,
    'wait',
    'seed',
    'This customer is currently either pending approval or has been rejected by the Samsung administrator.',
  ),
  row(
    'ADD_EC_DELINK_PENDING',
    '4002102',
    400,
    'wait',
    'seed',
    'This customer is currently in the process of being delinked from an MSP and cannot be added until this process is complete.',
  ),
  row(
    'ADD_EC_ALREADY_MANAGED',
    '4002103',
    400,
    'abort',
    'seed',
    'This customer is already managed by someone else.',
    'Ask the customer to delink from its current MSP, then onboard again.',
  ),
  row(
    'ADD_EC_PENDING_CANNOT_ADD_AGAIN',
    '4002104',
    400,
    'alreadyDone',
    'seed',
    'This customer is ‘Pending’ and cannot be added again.',
  ),
  row(
    'ADD_EC_NOT_SAME_REGION',
    '4002105',
    400,
    'abort',
    'seed',
    'This customer is not available in your region.',
    'Onboard the customer from an MSP account in its region.',
  ),
  row('CUSTOMER_NOT_FOUND', '4042100', 404, 'abort', 'seed', 'This customer doesn’t exist.'),
  row('CUSTOMER_NOT_MANAGED_BY_MSP', '4002113', 400, 'abort', 'seed', 'Customer not managed by the current MSP.'),
  row(
    'EMAIL_ALREADY_IN_USAGE',
    '4002106',
    400,
    'abort',
    'seed',
    'A Knox Cloud Services account already exists for this user. Please contact the customer or Samsung administrator.',
    'The customer already has a Knox account: onboard it with its customerId (link) instead of creating it.',
  ),
  row(
    'SERVICE_NOT_VALID_SCP',
    '4002109',
    400,
    'invalidRequest',
    'seed',
    'The Knox MSP Portal API does not support Samsung Care Plus.',
  ),
  row(
    'CANNOT_DELINK_FULLY_MANAGED',
    '4002112',
    400,
    'abort',
    'seed',
    'Cannot delink a fully managed customer.',
    'Fully managed customers cannot be delinked through the API: contact Samsung support.',
  ),
  row(
    'CUSTOMER_PENDING_CANNOT_DELINK',
    '4002115',
    400,
    'wait',
    'seed',
    'Customer is in pending state, cannot be delinked.',
  ),
  row('KM_TENANT_PREFIX_INVALID', '4002111', 400, 'invalidRequest', 'seed', 'Prefix can’t begin or end with a period.'),
  row(
    'KM_DOMAIN_NAME_ALREADY_EXISTS',
    '4002110',
    400,
    'invalidRequest',
    'seed',
    'Prefix is required because the domain name already exists.',
    'Send the request again with a kmTenantPrefix for KnoxManage.',
  ),
  row(
    'BLOCKED_DOMAIN_FOR_JOINTLY_MANAGED',
    '4002114',
    400,
    'invalidRequest',
    'seed',
    'This email domain is not allowed for jointly managed customers.',
    'Use the customer’s work e-mail address, or onboard it as fully managed.',
  ),
  row(
    'CANNOT_CHANGE_WHEN_DELINKING',
    '4002116',
    400,
    'wait',
    'seed',
    'Customer cannot be changed while delink request is pending.',
  ),
  row(
    'CANNOT_UPDATE_FROM_JOINTLY_TO_FULLY',
    '4002117',
    400,
    'abort',
    'seed',
    'Can’t update from jointly managed to fully managed.',
    'Delink the customer, then link it again as FullyManaged.',
  ),
  row(
    'SERVICE_NOT_ASSOCIATED_TO_CUSTOMER_ACCOUNT',
    '4002118',
    400,
    'abort',
    'seed',
    'Service not associated with this customer’s account.',
  ),
  row(
    'CANNOT_CHANGE_WHEN_PENDING',
    '4002119',
    400,
    'wait',
    'seed',
    'Customer can’t be changed while in pending to link status.',
  ),
  row(
    'ACCESS_TYPE_REQUIRED',
    '4002120',
    400,
    'invalidRequest',
    'seed',
    'Access type param is required when adding new services.',
  ),
  row(
    'KM_DOMAIN_NAME_ALREADY_IN_USAGE',
    '4002121',
    400,
    'invalidRequest',
    'seed',
    'The organization domain is already in use. Please add a prefix to uniquely identify your organization or to manage multiple Knox Manage administrator accounts under the same organization.',
    'Send the request again with a kmTenantPrefix for KnoxManage.',
  ),

  // --- Documented after the seed table (names assumed) ------------------------------------------------------------
  row('MSP_CANNOT_MANAGE_KG', '4002124', 400, 'abort', 'later', 'This MSP cannot manage Knox Guard for this customer.'),
  ...['4002127', '4002128', '4002129', '4002130'].map((c) =>
    row(`KG_TENANT_INFO_INVALID_${c}`, c, 400, 'invalidRequest', 'later', 'Knox Guard tenant information is invalid.'),
  ),
  ...['4002133', '4002134', '4002135', '4002136', '4002137', '4002138', '4002139', '4002140'].map((c) =>
    row(
      `FIELD_VALIDATION_FAILED_${c}`,
      c,
      400,
      'invalidRequest',
      'later',
      'A field failed Knox validation (characters, URL or phone number).',
    ),
  ),
  row('TOO_MANY_REQUESTS', '4290000', 429, 'retry', 'later', 'Too many requests.'),

  // --- Tokens ----------------------------------------------------------------------------------------------------
  row(
    'ACCESS_TOKEN_EXPIRED',
    '4032251',
    401,
    'operator',
    'auth',
    'The access token has expired.',
    'A refreshed token was refused too: check the Knox clock and the client credentials.',
  ),
  row(
    'ACCESS_TOKEN_INVALID',
    '4032252',
    401,
    'operator',
    'auth',
    'The access token is invalid.',
    'A refreshed token was refused too: check the client credentials and their scope.',
  ),
  row(
    'INVALID_CLIENT',
    '0',
    401,
    'operator',
    'auth',
    'The token endpoint refused the client credentials.',
    'Set the right clientId and clientSecret in the Knox secret.',
  ),

  // --- Answers we name ourselves ------------------------------------------------------------------------------------
  row('REQUEST_TIMEOUT', '0', 0, 'retry', 'ours', 'Knox did not answer before the client timeout.'),
  row('CONNECTION_FAILED', '0', 0, 'retry', 'ours', 'The connection to Knox failed or was dropped.'),
  row(
    'KNOX_BUDGET_EXHAUSTED',
    '0',
    0,
    'retry',
    'ours',
    'The shared Knox request budget had no slot free within the wait allowed; Knox was not called.',
    'Steady exhaustion means more work than knoxRequestsPerSecond allows: spread the load or raise the budget.',
  ),
  row(
    'UNEXPECTED_RESPONSE',
    '0',
    0,
    'retry',
    'ours',
    'Knox answered with a body that is neither the expected result nor its error object.',
  ),
  row(
    'CUSTOMER_LOOKUP_INCONCLUSIVE',
    '0',
    0,
    'retry',
    'ours',
    'Knox’s customer list could not be read to the end while it held still: whether the customer is ours is unknown.',
  ),
  row(
    'UNKNOWN_CODE',
    '0',
    0,
    'operator',
    'ours',
    'Knox answered with an error code this workflow does not know.',
    'Add the code to lib/domain/knox-errors.ts with its disposition.',
  ),
  row('CUSTOMER_PENDING', '0', 200, 'wait', 'ours', 'The customer has not answered the link request yet.'),
  row('CUSTOMER_DELINK_REQUESTED', '0', 200, 'wait', 'ours', 'The customer has not answered the delink request yet.'),
  row(
    'CUSTOMER_REJECTED_LINK',
    '0',
    200,
    'abort',
    'ours',
    'The customer rejected the link request.',
    'Talk to the customer; onboard again once it agrees.',
  ),
  row(
    'CUSTOMER_REJECTED_DELINK',
    '0',
    200,
    'abort',
    'ours',
    'The customer rejected the delink request and stays managed.',
    'Talk to the customer; offboard again once it agrees.',
  ),
  row(
    'WAIT_DEADLINE_EXCEEDED',
    '0',
    0,
    'abort',
    'ours',
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
