/**
 * How the simulator reads Knox request bodies: leniently. These schemas check only what the simulator needs to
 * understand a request (types and vocabularies); every business rule (SamsungCarePlus, prefixes, accessType, ...)
 * is left to ./knox-rules.ts, so that a body our API would refuse still reaches the rule that answers Knox's code.
 */
import * as z from 'zod';
import { ACCESS_TYPES, MANAGEMENT_TYPES, SERVICES } from '#domain/knox-schemas';
import { simOnlyError, type SimAnswer } from './answers';

const serviceSchema = z.object({ service: z.string().min(1), kmTenantPrefix: z.string().optional() });
/** Any service name here: each call decides what an unknown name means. */
const servicesSchema = z.array(serviceSchema);
export type LooseService = z.infer<typeof serviceSchema>;

/** Knox customer IDs arrive as strings, but a number is understood too. */
const customerIdField = z.union([z.string(), z.number().int()]).transform(String);

export const createBodySchema = z.object({
  companyName: z.string().min(1),
  companySize: z.string(),
  industry: z.string(),
  country: z.string(),
  street1: z.string(),
  street2: z.string().optional(),
  city: z.string(),
  stateOrProvince: z.string().optional(),
  zipCode: z.string().optional(),
  website: z.string().optional(),
  contact: z.object({
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'not an e-mail address'),
    phone: z.string().optional(),
    jobTitle: z.string().optional(),
  }),
  managementType: z.enum(MANAGEMENT_TYPES),
  accessType: z.enum(ACCESS_TYPES).optional(),
  services: servicesSchema,
  /** Read as any object: the Knox Guard rule answers its own codes (4002127-4002130) for bad fields. */
  kgTenantInfo: z.record(z.string(), z.unknown()).optional(),
});

export const linkBodySchema = z.object({
  customerId: customerIdField,
  managementType: z.enum(MANAGEMENT_TYPES),
  accessType: z.enum(ACCESS_TYPES).optional(),
  services: servicesSchema,
});

export const updateBodySchema = z
  .object({
    managementType: z.enum(MANAGEMENT_TYPES).optional(),
    accessType: z.enum(ACCESS_TYPES).optional(),
    services: servicesSchema.optional(),
    kgTenantInfo: z.record(z.string(), z.unknown()).optional(),
  })
  .refine(
    (b) =>
      b.managementType !== undefined ||
      b.accessType !== undefined ||
      b.services !== undefined ||
      b.kgTenantInfo !== undefined,
    'nothing to change',
  );

export const delinkBodySchema = z.object({ customerId: customerIdField });

export const listQuerySchema = z.object({
  pageNum: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(1000).default(50),
  sortOrder: z.enum(['ascending', 'descending']).default('ascending'),
});

/** Whether a name is one of the services Knox knows (SamsungCarePlus included: refusing it is a rule). */
export function isKnownService(name: string): boolean {
  return (SERVICES as readonly string[]).includes(name);
}

/** The parsed body, or the 400 answer that says which fields could not be read. */
export function readBody<S extends z.ZodType>(schema: S, value: unknown): { data: z.infer<S> } | { answer: SimAnswer } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { data: parsed.data };
  const where = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
    .join('; ');
  return { answer: simOnlyError('badRequest', `The request body could not be read: ${where}`) };
}
