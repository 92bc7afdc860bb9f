/**
 * The simulator's own vocabulary: the state it keeps per Knox customer, and the bodies of its control surface
 * (`/_sim/...`). The server validates control bodies with these schemas; the typed control client (./control.ts)
 * validates the server's answers with them, so both sides share one definition.
 */
import * as z from 'zod';
import {
  type ACCESS_TYPES,
  CUSTOMER_STATUSES,
  type MANAGEMENT_TYPES,
  SERVICES,
  accessTypeSchema,
  customerCompanySchema,
  managedServiceSchema,
  managementTypeSchema,
} from '#domain/knox-schemas';

export type ManagementType = (typeof MANAGEMENT_TYPES)[number];
export type AccessType = (typeof ACCESS_TYPES)[number];
export type ServiceName = (typeof SERVICES)[number];
export type RelationStatus = (typeof CUSTOMER_STATUSES)[number];

// --- Scripts and automatic answers -----------------------------------------------------------------------------------

/**
 * How one customer answers link and delink requests made through the API. The answer comes once both conditions
 * hold: `afterGets` gets of the customer have been answered since the request, and `afterMs` have passed (both
 * default to 0). `afterGets: 3` means the first three polls see `Pending` and the fourth sees the answer.
 */
export const scriptSchema = z
  .strictObject({
    onLink: z.enum(['approve', 'reject', 'never']).optional(),
    onDelink: z.enum(['accept', 'reject', 'never']).optional(),
    afterMs: z.number().int().min(0).optional(),
    afterGets: z.number().int().min(0).optional(),
  })
  .refine((s) => s.onLink !== undefined || s.onDelink !== undefined, 'a script needs onLink or onDelink');
export type Script = z.infer<typeof scriptSchema>;

/** Answers every customer gives after a delay, unless its own script says otherwise. `{}` turns them off. */
export const autoSchema = z.strictObject({
  approveLinksAfterMs: z.number().int().min(0).optional(),
  rejectLinksAfterMs: z.number().int().min(0).optional(),
  acceptDelinksAfterMs: z.number().int().min(0).optional(),
  rejectDelinksAfterMs: z.number().int().min(0).optional(),
});
export type AutoSpec = z.infer<typeof autoSchema>;

// --- Customer state ---------------------------------------------------------------------------------------------------

const serviceRequestSchema = z.object({ service: z.string(), kmTenantPrefix: z.string().optional() });

/** The company fields every simulated customer has (buildCustomer fills them in); the others stay optional. */
const ALWAYS_FILLED = {
  companySize: true,
  industry: true,
  country: true,
  email: true,
  street1: true,
  city: true,
} as const;

/** Everything the simulator knows about one Knox customer (what `GET /_sim/customers` dumps). */
export const simCustomerSchema = z.object({
  customerId: z.string(),
  // The customer object's company fields, as Knox answers them.
  ...customerCompanySchema.required(ALWAYS_FILLED).shape,
  /** The Knox region the customer's account lives in; an MSP of another region cannot link it (4002105). */
  region: z.string(),
  /** Whether Samsung approved the customer's own Knox account; unapproved ones cannot be linked (4002101). */
  samsungApproved: z.boolean(),
  /** Services the customer's account holds; an update may only switch these on (4002118). */
  accountServices: z.array(z.string()),
  /** The customer's Knox Manage tenant domain, once it has one (4002110 / 4002121 for others). */
  kmTenantDomain: z.string().optional(),
  /** The MSP this customer has a relation with (managing, pending, rejected or delinking); null when none. */
  ownerMsp: z.string().nullable(),
  /** The relation's status, which is the customer object's `status` for that MSP; null when there is no relation. */
  status: z.enum(CUSTOMER_STATUSES).nullable(),
  managementType: managementTypeSchema,
  accessType: accessTypeSchema.optional(),
  managedServices: z.array(managedServiceSchema),
  /** The link request awaiting the customer's answer (status `Pending`). */
  pendingLink: z
    .object({
      managementType: managementTypeSchema,
      accessType: accessTypeSchema.optional(),
      services: z.array(serviceRequestSchema),
      requestedAt: z.string(),
    })
    .optional(),
  /**
   * Present while a link or delink request made through the API (or a control-added customer) awaits its answer:
   * scripts and automatic answers only act on these, so fixtures stay put until a control call moves them.
   */
  waiting: z.object({ since: z.string(), gets: z.number().int() }).optional(),
  /** A delink (by any MSP) that ends on its own at this time: the customer becomes linkable again. */
  delinkEndsAt: z.string().optional(),
  script: scriptSchema.optional(),
  created: z.string(),
  modified: z.string(),
});
export type SimCustomer = z.infer<typeof simCustomerSchema>;

/** `POST /_sim/customers`: any subset of the fields; the rest take the defaults documented in README.md. */
export const simCustomerInputSchema = z.strictObject({
  customerId: z
    .string()
    .regex(/^\d{10}$/, 'a simulated customerId has 10 digits')
    .optional(),
  ...customerCompanySchema.partial().shape,
  companyName: z.string().min(1).optional(),
  email: z.string().includes('@').optional(),
  region: z.string().optional(),
  samsungApproved: z.boolean().optional(),
  accountServices: z.array(z.enum(SERVICES)).optional(),
  kmTenantDomain: z.string().optional(),
  /** Defaults to null, or to our MSP when `status` is given. */
  ownerMsp: z.string().nullable().optional(),
  status: z.enum(CUSTOMER_STATUSES).optional(),
  managementType: managementTypeSchema.optional(),
  accessType: accessTypeSchema.optional(),
  /** Services the MSP manages (Active, or requested when `status` is Pending). */
  managedServices: z.array(z.enum(SERVICES)).optional(),
  /** For a `DelinkRequested` customer: the delink ends on its own after this long. */
  delinkEndsAfterMs: z.number().int().min(0).optional(),
  script: scriptSchema.optional(),
});
export type SimCustomerInput = z.input<typeof simCustomerInputSchema>;

// --- Faults and chaos -------------------------------------------------------------------------------------------------

export const FAULT_TYPES = [
  'error500',
  'status429',
  'latency',
  'drop',
  'html',
  'empty',
  'workThen500',
  'tokenRevoked',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/**
 * Which Knox requests a fault applies to. `path` is a substring of the request path (query included), or a regular
 * expression written `/source/flags`. The token endpoint is only matched when `path` is given and matches it.
 */
export const faultMatchSchema = z.strictObject({ method: z.string().optional(), path: z.string().optional() });
export type FaultMatch = z.infer<typeof faultMatchSchema>;

export const faultSchema = z.strictObject({
  type: z.enum(FAULT_TYPES),
  /** For status429: the Retry-After header's seconds (1 by default); null sends no header (Knox may send none). */
  retryAfterSeconds: z.number().int().min(0).nullable().optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
});
export type Fault = z.infer<typeof faultSchema>;

/** `POST /_sim/faults`: the next `count` matching requests get `fault`. */
export const faultRuleSchema = z.strictObject({
  match: faultMatchSchema.default({}),
  fault: faultSchema,
  count: z.number().int().min(1).default(1),
});
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

const rate = z.number().min(0).max(1).optional();
/** Chaos draws one number per matching request from a seeded generator, so a seed replays the same faults. */
export const CHAOS_FAULT_TYPES = [
  'error500',
  'status429',
  'latency',
  'workThen500',
  'drop',
  'html',
  'empty',
  'tokenRevoked',
] as const;
export const chaosSchema = z
  .strictObject({
    seed: z.number().int().optional(),
    rates: z.strictObject({
      error500: rate,
      status429: rate,
      latency: rate,
      workThen500: rate,
      drop: rate,
      html: rate,
      empty: rate,
      tokenRevoked: rate,
    }),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    retryAfterSeconds: z.number().int().min(0).nullable().optional(),
    match: faultMatchSchema.optional(),
  })
  .refine(
    (c) => Object.values(c.rates).reduce<number>((sum, r) => sum + (r ?? 0), 0) <= 1,
    'the rates add up to more than 1',
  );
export type ChaosInput = z.input<typeof chaosSchema>;
export type ChaosSpec = z.infer<typeof chaosSchema>;

// --- The list's behaviour: paging, order, movement -----------------------------------------------------------------

/** Keys the simulated list can be sorted by (Knox does not say which it uses). */
export const LIST_SORT_KEYS = ['customerId', 'companyName', 'created'] as const;

/**
 * How `GET /managedCustomers` pages (`POST /_sim/paging`; reset restores the defaults: every page as asked, by
 * ascending customerId, 200, an honest totalCount).
 */
export const pagingSchema = z.strictObject({
  /** Serve at most this many customers per page, whatever pageSize asks (pageNum counts in served pages). */
  maxPageSize: z.number().int().min(1).max(1000).optional(),
  /** Sort key (ties by customerId); sortOrder still reverses it. */
  sortBy: z.enum(LIST_SORT_KEYS).optional(),
  /** Answer 206 Partial Content for every page but the last. */
  partialContent: z.boolean().optional(),
  /** totalCount lies by this much (never below 0). */
  totalCountDelta: z.number().int().optional(),
});
export type PagingSpec = z.infer<typeof pagingSchema>;

/**
 * `POST /_sim/list-changes`: once `afterListPages` more list pages have been answered, these customers leave our list
 * (as after an accepted delink) and these join it (as after an approved link; `status` defaults to Active with us).
 * Deterministic movement between two pages of one listing.
 */
export const listChangeSchema = z.strictObject({
  afterListPages: z.number().int().min(1).default(1),
  remove: z.array(z.string().regex(/^\d{1,20}$/)).default([]),
  add: z.array(simCustomerInputSchema).default([]),
});
export type ListChangeInput = z.input<typeof listChangeSchema>;
export type ListChange = z.infer<typeof listChangeSchema>;

/**
 * How a dead or unknown bearer token is refused (`POST /_sim/tokens/refusal`): `status401` (the default: 401 with
 * 4032251 / 4032252), `status403` (403 with the same codes, as the contract's status rule has it), or
 * `authorizationFail` (403 4030000, as Samsung's KBA-1242 shows an expired token answered).
 */
export const TOKEN_REFUSAL_STYLES = ['status401', 'status403', 'authorizationFail'] as const;
export const tokenRefusalSchema = z.strictObject({ style: z.enum(TOKEN_REFUSAL_STYLES) });
export type TokenRefusalStyle = (typeof TOKEN_REFUSAL_STYLES)[number];

/**
 * `POST /_sim/outage`: Knox is down. Every Knox request, the token endpoint included, answers 500 FAILURE or (a
 * `dropRate` share, drawn from a seeded generator) has its connection dropped, until `until`, for `durationMs`, or
 * until `DELETE /_sim/outage`. Counted fault rules still come first (a `workThen500` armed before the outage is the
 * write Knox committed just before going down); chaos resumes afterwards.
 */
export const DEFAULT_OUTAGE_DROP_RATE = 1 / 3;
export const outageSchema = z
  .strictObject({
    durationMs: z.number().int().min(1).optional(),
    until: z.iso.datetime().optional(),
    dropRate: z.number().min(0).max(1).default(DEFAULT_OUTAGE_DROP_RATE),
    seed: z.number().int().optional(),
  })
  .refine((o) => o.durationMs === undefined || o.until === undefined, 'give durationMs or until, not both');
export type OutageInput = z.input<typeof outageSchema>;
export type OutageSpec = z.infer<typeof outageSchema>;

/** What `GET /_sim/outage` answers. */
export const outageStatusSchema = z.object({
  active: z.boolean(),
  since: z.string().optional(),
  /** Absent: until switched off. */
  until: z.string().optional(),
  dropRate: z.number().optional(),
  /** Knox requests the outage answered (500 or dropped) since it began. */
  refused: z.number().int(),
});
export type OutageStatus = z.infer<typeof outageStatusSchema>;

// --- Request log ------------------------------------------------------------------------------------------------------

export const requestLogEntrySchema = z.object({
  seq: z.number().int(),
  method: z.string(),
  /** Path and query as requested. */
  path: z.string(),
  /** The HTTP status answered; 0 when a `drop` fault closed the connection without an answer. */
  status: z.number().int(),
  at: z.string(),
  durationMs: z.number(),
  fault: z.enum(FAULT_TYPES).optional(),
  /** True when the fault was the outage's (`POST /_sim/outage`), not a counted rule's or chaos'. */
  outage: z.boolean().optional(),
  /** True when the request changed Knox state (also under `workThen500`, whose answer is lost). */
  accepted: z.boolean(),
  /** Knox's `errorCode` when the simulator answered with an error object. */
  errorCode: z.string().optional(),
});
export type RequestLogEntry = z.infer<typeof requestLogEntrySchema>;
