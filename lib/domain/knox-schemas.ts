/**
 * zod schemas for every body of the Knox MSP Portal API, as docs/knox-contract.md fixes the contract.
 *
 * Samsung does not publish its request and response schemas, so several names here are our assumptions
 * (marked "assumed"). They all live in this one module so that they can be corrected in one place.
 * Validation rules that Knox enforces and that we can know in advance are here too, so that the API can refuse a
 * request with a 400 before any Knox call.
 */
import * as z from 'zod';

// --- Vocabularies ---------------------------------------------------------------------------------------------------

export const MANAGEMENT_TYPES = ['JointlyManaged', 'FullyManaged'] as const; // FullyManaged spelling assumed
export const ACCESS_TYPES = ['FullAccess', 'NoAccess'] as const;
export const COMPANY_SIZES = ['0-19', '20-99', '100-249', '250-499', '500-999', '1000+'] as const;
/** Knox customer status (assumed field). */
export const CUSTOMER_STATUSES = ['Active', 'Pending', 'Rejected', 'DelinkRequested'] as const;
/** Statuses in which the customer has to answer a request of ours: the record is WAITING meanwhile. */
export const AWAITING_CUSTOMER_STATUSES: readonly string[] = ['Pending', 'DelinkRequested'];
/** Service names (assumed spellings but KnoxManage). */
export const SERVICES = [
  'KnoxManage',
  'KnoxMobileEnrollment',
  'KnoxConfigure',
  'KnoxEFOTA',
  'KnoxGuard',
  'KnoxAssetIntelligence',
  'SamsungCarePlus',
] as const;
/** Knox refuses this one through the API (4002109), so we refuse it first. */
export const REFUSED_SERVICE = 'SamsungCarePlus';

/** ISO 3166-1 alpha-2, all 249 assigned codes. */
export const COUNTRY_CODES = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO ' +
  'JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR ' +
  'MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO ' +
  'RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
  'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');

/**
 * Consumer e-mail domains that Knox refuses for jointly managed customers (4002114). Knox's own list is not
 * published and may be longer: a domain missing here is still refused by Knox, and the workflow aborts with its reason.
 */
export const FREE_MAIL_DOMAINS = [
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'msn.com',
  'aol.com',
  'icloud.com',
  'me.com',
  'mail.com',
  'gmx.com',
  'gmx.de',
  'yandex.com',
  'proton.me',
  'protonmail.com',
  'qq.com',
  '163.com',
  'naver.com',
];

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

// --- Building blocks ------------------------------------------------------------------------------------------------

export const customerIdSchema = z.string().regex(/^\d{1,20}$/, 'a Knox customer ID is a string of digits');
export const managementTypeSchema = z.enum(MANAGEMENT_TYPES);
export const accessTypeSchema = z.enum(ACCESS_TYPES);
export const countrySchema = z
  .string()
  .refine((c) => COUNTRY_CODES.includes(c), 'must be an ISO 3166-1 alpha-2 country code in upper case, like "US"');

/** A Knox Manage tenant prefix: letters, digits, dots and hyphens, never starting or ending with a period. */
export const kmTenantPrefixSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9.-]+$/, 'may hold only letters, digits, periods and hyphens')
  .refine((p) => !p.startsWith('.') && !p.endsWith('.'), 'can’t begin or end with a period (Knox 4002111)');

export const serviceRequestSchema = z.strictObject({
  service: z
    .enum(SERVICES)
    .refine((s) => s !== REFUSED_SERVICE, 'the Knox MSP Portal API does not support SamsungCarePlus (Knox 4002109)'),
  kmTenantPrefix: kmTenantPrefixSchema.optional(),
});
export type ServiceRequest = z.infer<typeof serviceRequestSchema>;

export const servicesSchema = z
  .array(serviceRequestSchema)
  .min(1)
  .max(SERVICES.length)
  .refine((list) => new Set(list.map((s) => s.service)).size === list.length, 'each service may appear once');

const shortText = (max: number) => z.string().trim().min(1).max(max);

/** Knox Guard tenant vocabularies (assumed: release 26.01 names the fields, not their values). */
export const KG_DOMAIN_TYPES = ['Default', 'Custom'] as const;
export const KG_TENANT_TYPES = ['Enterprise', 'Finance'] as const;
/**
 * Which of Knox's Knox Guard validation codes refuses which kgTenantInfo field (4002127 to 4002130 are documented as
 * its validation codes; their order here is assumed). The API names the code in its 400, the simulator answers it.
 */
export const KG_TENANT_INFO_CODES = {
  kgDomainType: '4002127',
  kgTenantType: '4002128',
  phone: '4002129',
  email: '4002130',
} as const;
const kgMessage = (field: keyof typeof KG_TENANT_INFO_CODES, what: string) =>
  `${what} (Knox ${KG_TENANT_INFO_CODES[field]})`;
const oneOf = (values: readonly string[]) => `must be one of ${values.join(', ')}`;

/** Knox Guard's tenant, sent with create and update when KnoxGuard is managed (release 26.01). */
export const kgTenantInfoSchema = z.strictObject({
  kgDomainType: z.enum(KG_DOMAIN_TYPES, { error: kgMessage('kgDomainType', oneOf(KG_DOMAIN_TYPES)) }),
  kgTenantType: z.enum(KG_TENANT_TYPES, { error: kgMessage('kgTenantType', oneOf(KG_TENANT_TYPES)) }),
  phone: z.string().regex(/^\+?[0-9][0-9 ()-]{5,30}$/, kgMessage('phone', 'must be a phone number')),
  email: z.email(kgMessage('email', 'must be an e-mail address')).max(254),
});
export type KgTenantInfo = z.infer<typeof kgTenantInfoSchema>;

/** Knox Guard tenant information goes with the KnoxGuard service (assumed). */
export function checkKnoxGuardRule(
  value: { services?: { service: string }[]; kgTenantInfo?: unknown },
  addIssue: (path: (string | number)[], message: string) => void,
): void {
  if (value.kgTenantInfo !== undefined && !value.services?.some((s) => s.service === 'KnoxGuard')) {
    addIssue(['kgTenantInfo'], 'kgTenantInfo goes with the KnoxGuard service');
  }
}

export const contactSchema = z.strictObject({
  firstName: shortText(64),
  lastName: shortText(64),
  email: z.email().max(254),
  phone: shortText(32).optional(),
  jobTitle: shortText(64).optional(),
});

/** The company part of a new customer, without the management settings that sit beside it in our API. */
export const companySchema = z.strictObject({
  companyName: shortText(128),
  companySize: z.enum(COMPANY_SIZES),
  industry: shortText(64),
  country: countrySchema,
  street1: shortText(128),
  street2: shortText(128).optional(),
  city: shortText(64),
  stateOrProvince: shortText(64).optional(),
  zipCode: shortText(16).optional(),
  website: shortText(256).optional(),
  contact: contactSchema,
});
export type Company = z.infer<typeof companySchema>;

/**
 * Rules that tie the management settings to the rest of a request. They run on our API bodies and on Knox bodies
 * alike: `accessType` is required when services are added (4002120), and a jointly managed customer needs a work
 * e-mail (4002114).
 */
export function checkManagementRules(
  value: { managementType?: string; accessType?: string; services?: unknown[]; contactEmail?: string },
  addIssue: (path: (string | number)[], message: string) => void,
): void {
  if (value.services && value.services.length > 0 && value.accessType === undefined) {
    addIssue(['accessType'], 'accessType is required when services are added (Knox 4002120)');
  }
  if (value.managementType === 'JointlyManaged' && value.contactEmail !== undefined) {
    const domain = emailDomain(value.contactEmail);
    if (FREE_MAIL_DOMAINS.includes(domain)) {
      addIssue(
        ['customer', 'contact', 'email'],
        `${domain} is not a work e-mail domain, which Knox requires for jointly managed customers (Knox 4002114)`,
      );
    }
  }
}

// --- Authentication -------------------------------------------------------------------------------------------------

/** The MSP client credentials, as the Knox secret holds them and the client needs them. */
export const credentialsSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

export const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
});
export type TokenAnswer = z.infer<typeof tokenAnswerSchema>;

/**
 * The token request's form field that asks for a token lifetime in minutes (assumed: the name Knox's cloud
 * authentication uses; Samsung documents that up to 60 minutes may be asked, 10 being the default).
 */
export const TOKEN_LIFETIME_FIELD = 'validityForAccessTokenInMinutes';
export const MAX_TOKEN_LIFETIME_MINUTES = 60;

/** OAuth 2.0 error form for bad client credentials (assumed). */
export const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

// --- Error object (documented) --------------------------------------------------------------------------------------

export const knoxErrorBodySchema = z.object({
  transactionalId: z.string().optional(),
  code: z.string().min(1),
  errorCode: z.string().regex(/^\d+$/),
  errorMessage: z.string().optional(),
});
export type KnoxErrorBody = z.infer<typeof knoxErrorBodySchema>;

// --- Customer object and list ---------------------------------------------------------------------------------------

/** The customer object's company fields, as Knox answers them: any but the name may be missing. */
export const customerCompanySchema = z.object({
  companyName: z.string(),
  companySize: z.string().optional(),
  industry: z.string().optional(),
  country: z.string().optional(),
  email: z.string().optional(),
  officeNumber: z.string().optional(),
  street1: z.string().optional(),
  city: z.string().optional(),
  stateOrProvince: z.string().optional(),
  zipCode: z.string().optional(),
  website: z.string().optional(),
});

/** A service as the customer object lists it, with its status (Active, or Pending while a link awaits its answer). */
export const managedServiceSchema = z.object({ service: z.string(), status: z.string() });

export const customerSchema = z.object({
  customerId: customerIdSchema,
  ...customerCompanySchema.shape,
  managementType: managementTypeSchema,
  status: z.enum(CUSTOMER_STATUSES),
  managedServices: z.array(managedServiceSchema).default([]),
  optional: z.object({ created: z.string().optional(), modified: z.string().optional() }).optional(),
});
export type KnoxCustomer = z.infer<typeof customerSchema>;
export type CustomerStatus = KnoxCustomer['status'];

/** `totalCount` is a string in Knox's documented example. */
export const customerListSchema = z.object({
  totalCount: z.string().regex(/^\d+$/),
  customers: z.array(customerSchema),
});
export type KnoxCustomerList = z.infer<typeof customerListSchema>;

// --- Request bodies -------------------------------------------------------------------------------------------------

/** `POST /msp/v1/managedCustomers` (assumed names, from the portal's add-customer form). */
export const newCustomerSchema = companySchema
  .extend({
    managementType: managementTypeSchema,
    accessType: accessTypeSchema.optional(),
    services: servicesSchema,
    kgTenantInfo: kgTenantInfoSchema.optional(),
  })
  .superRefine((v, ctx) => {
    const addIssue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path: path.filter((p) => p !== 'customer'), message });
    checkManagementRules({ ...v, contactEmail: v.contact.email }, addIssue);
    checkKnoxGuardRule(v, addIssue);
  });
export type NewCustomer = z.infer<typeof newCustomerSchema>;

/** `POST /msp/v1/managedCustomers/link`. */
export const linkRequestSchema = z
  .strictObject({
    customerId: customerIdSchema,
    managementType: managementTypeSchema,
    accessType: accessTypeSchema.optional(),
    services: servicesSchema,
  })
  .superRefine((v, ctx) => checkManagementRules(v, (path, message) => ctx.addIssue({ code: 'custom', path, message })));
export type LinkRequest = z.infer<typeof linkRequestSchema>;

/** What a change of a managed customer may change: each optional (our `POST /changes` adds the customerId). */
export const customerChangeFields = {
  managementType: managementTypeSchema.optional(),
  accessType: accessTypeSchema.optional(),
  services: servicesSchema.optional(),
  kgTenantInfo: kgTenantInfoSchema.optional(),
};

/** A change needs at least one thing to change, and the management rules hold for what it changes. */
export function checkChangeRules(
  value: { managementType?: string; accessType?: string; services?: unknown[]; kgTenantInfo?: unknown },
  addIssue: (path: (string | number)[], message: string) => void,
): void {
  if ([value.managementType, value.accessType, value.services, value.kgTenantInfo].every((f) => f === undefined)) {
    addIssue([], 'a change needs managementType, accessType or services, or kgTenantInfo');
  }
  checkManagementRules(value, addIssue);
}

/** `PUT /msp/v1/managedCustomers/{customerId}`: at least one thing to change. */
export const updateRequestSchema = z
  .strictObject(customerChangeFields)
  .superRefine((v, ctx) => checkChangeRules(v, (path, message) => ctx.addIssue({ code: 'custom', path, message })));
export type UpdateRequest = z.infer<typeof updateRequestSchema>;

/** `POST /msp/v1/managedCustomers/delink`. */
export const delinkRequestSchema = z.strictObject({ customerId: customerIdSchema });
export type DelinkRequest = z.infer<typeof delinkRequestSchema>;
