/**
 * Samsung's later documented facts in the contract (docs/knox-contract.md): Knox Guard's kgTenantInfo on create
 * and update (our schemas and API validation, the simulator's 4002127-4002130 and 4002124), KnoxAssetIntelligence
 * among the services, officeNumber on the customer. The simulator is reached over HTTP with the real client. And the
 * contract's documented customer is the one the Knox suites share.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES } from '#knox-sim/server';
import { changeRequestSchema, onboardingRequestSchema } from '#domain/api-schemas';
import { specForErrorCode } from '#domain/knox-errors';
import {
  KG_TENANT_INFO_CODES,
  SERVICES,
  customerSchema,
  newCustomerSchema,
  updateRequestSchema,
  type KgTenantInfo,
  type NewCustomer,
} from '#domain/knox-schemas';
import type { HttpKnoxClient } from '#knox/client';
import { newKnoxCustomer } from '#testkit/samples';
import { DOCUMENTED_CUSTOMER } from './support/knox-support';
import { useKnoxSimulator } from './support/sim-harness';

const contractFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'knox-contract.md');

describe('the contract (docs/knox-contract.md)', () => {
  it('shows the customer object the Knox suites share, and customerSchema accepts it', () => {
    const doc = readFileSync(contractFile, 'utf8');
    const section = doc.slice(doc.indexOf('\n## The customer object'));
    const example = /```json\n([\s\S]*?)```/.exec(section);
    expect(example).not.toBeNull();
    expect(JSON.parse(example![1]!)).toEqual(DOCUMENTED_CUSTOMER);
    expect(customerSchema.safeParse(DOCUMENTED_CUSTOMER).success).toBe(true);
  });
});

const KG: KgTenantInfo = {
  kgDomainType: 'Default',
  kgTenantType: 'Enterprise',
  phone: '+1 312 555 0100',
  email: 'kg@guarded.example',
};

const newCustomer = (email: string, extra: Partial<NewCustomer> = {}): NewCustomer =>
  newKnoxCustomer(email, {
    companyName: 'Guarded Inc',
    industry: 'FINANCE',
    contact: { firstName: 'Ada', lastName: 'Guard', email, phone: '+1 312 555 0199' },
    services: [{ service: 'KnoxGuard' }],
    ...extra,
  });

describe('our schemas and API validation', () => {
  it('KnoxAssetIntelligence is a service an onboarding may ask for', () => {
    expect(SERVICES).toContain('KnoxAssetIntelligence');
    const parsed = onboardingRequestSchema.safeParse({
      customerId: FIXTURES.unmanaged,
      managementType: 'JointlyManaged',
      accessType: 'FullAccess',
      services: [{ service: 'KnoxAssetIntelligence' }],
    });
    expect(parsed.success).toBe(true);
  });

  it('a create may carry kgTenantInfo with KnoxGuard; each bad field names its Knox code', () => {
    const { managementType, accessType, services, ...customer } = newCustomer('it@guarded.example');
    const body = { customer, managementType, accessType, services, kgTenantInfo: KG };
    expect(onboardingRequestSchema.safeParse(body).success).toBe(true);
    expect(newCustomerSchema.safeParse({ ...newCustomer('it@guarded.example'), kgTenantInfo: KG }).success).toBe(true);
    for (const [field, code] of Object.entries(KG_TENANT_INFO_CODES)) {
      const bad = onboardingRequestSchema.safeParse({ ...body, kgTenantInfo: { ...KG, [field]: 'not valid at all' } });
      expect(bad.success).toBe(false);
      // Named in the issue itself, or inside the union's issue for the create variant.
      expect(JSON.stringify(bad.error!.issues)).toContain(`Knox ${code}`);
      const knoxBody = newCustomerSchema.safeParse({
        ...newCustomer('it@guarded.example'),
        kgTenantInfo: { ...KG, [field]: 'not valid at all' },
      });
      expect(knoxBody.error!.issues.find((i) => i.path.join('.') === `kgTenantInfo.${field}`)?.message).toContain(
        `Knox ${code}`,
      );
    }
  });

  it('kgTenantInfo without KnoxGuard is refused; a link has no kgTenantInfo', () => {
    const { managementType, accessType, ...customer } = newCustomer('it@guarded.example');
    const withoutGuard = {
      customer,
      managementType,
      accessType,
      services: [{ service: 'KnoxManage' }],
      kgTenantInfo: KG,
    };
    expect(onboardingRequestSchema.safeParse(withoutGuard).error?.issues.map((i) => i.path.join('.'))).toContain(
      'kgTenantInfo',
    );
    const link = {
      customerId: FIXTURES.unmanaged,
      managementType,
      accessType,
      services: [{ service: 'KnoxGuard' }],
      kgTenantInfo: KG,
    };
    expect(onboardingRequestSchema.safeParse(link).success).toBe(false);
  });

  it('a change (and Knox’s update) may carry kgTenantInfo alone', () => {
    expect(changeRequestSchema.safeParse({ customerId: FIXTURES.ownedActive, kgTenantInfo: KG }).success).toBe(true);
    expect(updateRequestSchema.safeParse({ kgTenantInfo: KG }).success).toBe(true);
    expect(updateRequestSchema.safeParse({ kgTenantInfo: { ...KG, email: 'nope' } }).success).toBe(false);
  });
});

describe('the simulator answers Knox Guard’s codes', () => {
  const sim = useKnoxSimulator();
  let knox: HttpKnoxClient;
  beforeEach(() => {
    knox = sim.client();
  });

  it('creates a Knox Guard customer with valid tenant information', async () => {
    const created = await knox.createCustomer({ ...newCustomer('it@guarded-ok.example'), kgTenantInfo: KG });
    expect(created.managedServices).toEqual([{ service: 'KnoxGuard', status: 'Active' }]);
  });

  it.each(Object.entries(KG_TENANT_INFO_CODES))('a bad %s answers %s on create and on update', async (field, code) => {
    // The body bypasses our schema: only Knox can refuse it here.
    const bad = { ...KG, [field]: 'not valid at all' } as unknown as KgTenantInfo;
    const expected = { errorCode: code, code: specForErrorCode(code)!.code, disposition: 'invalidRequest' };
    await expect(
      knox.createCustomer({ ...newCustomer(`it.${field}@guarded.example`), kgTenantInfo: bad }),
    ).rejects.toMatchObject(expected);
    await expect(
      knox.updateCustomer(FIXTURES.ownedActive, {
        accessType: 'FullAccess',
        services: [{ service: 'KnoxGuard' }],
        kgTenantInfo: bad,
      }),
    ).rejects.toMatchObject(expected);
  });

  it('an MSP Samsung has not approved for Knox Guard gets 4002124 on create and update, until approved', async () => {
    await sim.control.knoxGuardApproval(false);
    const refused = { errorCode: '4002124', code: 'MSP_CANNOT_MANAGE_KG', disposition: 'abort' };
    await expect(
      knox.createCustomer({ ...newCustomer('it@guarded-no.example'), kgTenantInfo: KG }),
    ).rejects.toMatchObject(refused);
    await expect(
      knox.updateCustomer(FIXTURES.ownedActive, { accessType: 'FullAccess', services: [{ service: 'KnoxGuard' }] }),
    ).rejects.toMatchObject(refused);
    // Other services are not concerned.
    await expect(
      knox.createCustomer(newCustomer('it@unguarded.example', { services: [{ service: 'KnoxAssetIntelligence' }] })),
    ).resolves.toMatchObject({ managedServices: [{ service: 'KnoxAssetIntelligence', status: 'Active' }] });
    await sim.control.knoxGuardApproval(true);
    await expect(
      knox.updateCustomer(FIXTURES.ownedActive, {
        accessType: 'FullAccess',
        services: [{ service: 'KnoxGuard' }],
        kgTenantInfo: KG,
      }),
    ).resolves.toMatchObject({ customerId: FIXTURES.ownedActive });
  });

  it('officeNumber is on the customer Knox answers', async () => {
    const added = await sim.control.addCustomer({ status: 'Active', officeNumber: '111 111 1111' });
    expect(await knox.getCustomer(added.customerId)).toMatchObject({ officeNumber: '111 111 1111' });
    const created = await knox.createCustomer(
      newCustomer('it@office.example', { services: [{ service: 'KnoxMobileEnrollment' }] }),
    );
    expect(created.officeNumber).toBe('+1 312 555 0199');
  });
});
