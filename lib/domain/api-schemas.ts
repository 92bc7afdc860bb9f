/**
 * zod schemas of our own HTTP API (README.md, "The HTTP API"): request bodies, status words and answer shapes.
 * The API handler validates with them, the local stack and the tests build requests from their types.
 */
import * as z from 'zod';
import {
  accessTypeSchema,
  checkChangeRules,
  checkKnoxGuardRule,
  checkManagementRules,
  companySchema,
  customerChangeFields,
  customerIdSchema,
  kgTenantInfoSchema,
  managementTypeSchema,
  servicesSchema,
} from './knox-schemas';
import { DISPOSITIONS } from './dispositions';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency-keys';

export const RECORD_KINDS = ['onboarding', 'offboarding', 'change'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const OPEN_STATUSES = ['REQUESTED', 'IN_PROGRESS', 'WAITING'] as const;
export const TERMINAL_STATUSES = ['SUCCEEDED', 'ABORTED', 'FAILED', 'CANCELLED'] as const;
export const STATUSES = [...OPEN_STATUSES, ...TERMINAL_STATUSES] as const;
export type RecordStatus = (typeof STATUSES)[number];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

const managementFields = {
  managementType: managementTypeSchema,
  accessType: accessTypeSchema.optional(),
  services: servicesSchema,
};

/** `POST /onboardings`: link an existing Knox customer (`customerId`) or create one (`customer`), never both. */
export const onboardingRequestSchema = z
  .union(
    [
      z.strictObject({ customerId: customerIdSchema, ...managementFields }),
      // Knox Guard's tenant goes with a create (release 26.01); a link has no such field.
      z.strictObject({ customer: companySchema, ...managementFields, kgTenantInfo: kgTenantInfoSchema.optional() }),
    ],
    {
      error:
        'send either "customerId" (link an existing Knox customer) or "customer" (create one), with managementType and services',
    },
  )
  .superRefine((v, ctx) => {
    const addIssue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    checkManagementRules({ ...v, ...('customer' in v ? { contactEmail: v.customer.contact.email } : {}) }, addIssue);
    if ('customer' in v) checkKnoxGuardRule(v, addIssue);
  });
export type OnboardingRequest = z.infer<typeof onboardingRequestSchema>;

/** `POST /offboardings`. */
export const offboardingRequestSchema = z.strictObject({ customerId: customerIdSchema });
export type OffboardingRequest = z.infer<typeof offboardingRequestSchema>;

/** `POST /changes`: at least one of managementType, accessType, services, kgTenantInfo. */
export const changeRequestSchema = z
  .strictObject({ customerId: customerIdSchema, ...customerChangeFields })
  .superRefine((v, ctx) => checkChangeRules(v, (path, message) => ctx.addIssue({ code: 'custom', path, message })));
export type ChangeRequest = z.infer<typeof changeRequestSchema>;

/** `Idempotency-Key` header: 1 to 128 of a small charset without `#` (batch items' keys live apart: ids.ts). */
export const idempotencyKeySchema = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, 'Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 - _ . : ~ + / =');

/** `GET /onboardings?status=...`. */
export const listQuerySchema = z.strictObject({ status: z.enum(STATUSES).optional() });

/** The last Knox error of a record, with Knox's own `code` name. */
export const lastErrorSchema = z.object({
  code: z.string(),
  errorCode: z.string(),
  message: z.string(),
  disposition: z.enum(DISPOSITIONS),
});
export type LastError = z.infer<typeof lastErrorSchema>;

/** One entry of a record's append-only history. */
export const historyEntrySchema = z.object({
  at: z.string(),
  /** What happened: a status change, a Knox call's outcome, an error. */
  event: z.string(),
  status: z.enum(STATUSES).optional(),
  step: z.string().optional(),
  knoxStatus: z.string().optional(),
  error: lastErrorSchema.optional(),
  detail: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** Validation failure answer: `400 {"message", "issues": [{"path", "message"}]}`. */
export interface ValidationFailure {
  message: string;
  issues: { path: string; message: string }[];
}

/** Turns zod issues into our 400 body; every issue is listed with a dotted path. */
export function validationFailure(error: z.ZodError, message = 'The request body is not valid'): ValidationFailure {
  return {
    message,
    issues: error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}
