/**
 * The CSV form of a batch (lib/domain/batch-csv.ts): RFC 4180 fields (quotes, doubled quotes, line breaks inside
 * quotes, CRLF, a BOM), the `services` syntax, the file's own problems by line, and rows turned into exactly the
 * `POST /onboardings` bodies.
 */
import { describe, expect, it } from 'vitest';
import { parseBatchCsv, parseServices } from '#domain/batch-csv';

const HEADER =
  'customerId,companyName,companySize,industry,country,street1,city,firstName,lastName,email,managementType,accessType,services';

describe('parseBatchCsv', () => {
  it('turns link and create rows into onboarding bodies, with quoted fields and CRLF', () => {
    const csv =
      `\uFEFF${HEADER}\r\n1000000001,,,,,,,,,,JointlyManaged,FullAccess,KnoxMobileEnrollment\r\n` +
      ',"Acme, ""The"" Ltd",20-99,IT,US,"1 Main St\nSuite 2",Chicago,Ada,Lee,ada@acme.example,JointlyManaged,FullAccess,KnoxManage:acme;KnoxMobileEnrollment\r\n';
    const parsed = parseBatchCsv(csv);
    expect(parsed).toEqual({
      lines: [2, 3],
      items: [
        {
          customerId: '1000000001',
          managementType: 'JointlyManaged',
          accessType: 'FullAccess',
          services: [{ service: 'KnoxMobileEnrollment' }],
        },
        {
          customer: {
            companyName: 'Acme, "The" Ltd',
            companySize: '20-99',
            industry: 'IT',
            country: 'US',
            street1: '1 Main St\nSuite 2',
            city: 'Chicago',
            contact: { firstName: 'Ada', lastName: 'Lee', email: 'ada@acme.example' },
          },
          managementType: 'JointlyManaged',
          accessType: 'FullAccess',
          services: [{ service: 'KnoxManage', kmTenantPrefix: 'acme' }, { service: 'KnoxMobileEnrollment' }],
        },
      ],
    });
  });

  it('counts lines across quoted line breaks and skips empty lines', () => {
    const csv = `${HEADER}\n,"A\nB",20-99,IT,US,x,y,A,B,a@b.example,JointlyManaged,FullAccess,KnoxMobileEnrollment\n\n1000000001,,,,,,,,,,JointlyManaged,,KnoxMobileEnrollment\n`;
    const parsed = parseBatchCsv(csv);
    expect('lines' in parsed && parsed.lines).toEqual([2, 5]);
  });

  it("reports the file's own problems by line", () => {
    expect(parseBatchCsv('')).toEqual({ issues: [expect.objectContaining({ path: 'line 1' })] });
    expect(parseBatchCsv(`${HEADER}\n`)).toEqual({
      issues: [expect.objectContaining({ path: 'line 2', message: 'the file has no item rows' })],
    });
    expect(parseBatchCsv(`${HEADER}\n"open,,,\n`)).toEqual({
      issues: [{ path: 'line 2', message: 'a quoted field is not closed' }],
    });
    expect(parseBatchCsv(`${HEADER},services\n1,2\n`)).toEqual({
      issues: [{ path: 'line 1: services', message: 'the column is named twice' }],
    });
    const wide = parseBatchCsv(`customerId,managementType,services\n1,2,3,4\n`);
    expect(wide).toEqual({ issues: [{ path: 'line 2', message: '4 fields, but the header names 3 columns' }] });
    const long = parseBatchCsv(
      `customerId,managementType,services\n${'1,JointlyManaged,KnoxMobileEnrollment\n'.repeat(1001)}`,
    );
    expect(long).toEqual({ issues: [{ path: 'line 1002', message: 'a batch holds at most 1000 items' }] });
  });

  it('reads the services syntax', () => {
    expect(parseServices('KnoxManage:prefix; KnoxMobileEnrollment ;')).toEqual([
      { service: 'KnoxManage', kmTenantPrefix: 'prefix' },
      { service: 'KnoxMobileEnrollment' },
    ]);
  });
});
