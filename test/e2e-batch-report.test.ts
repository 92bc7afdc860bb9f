/**
 * The batch report end to end on the local stack (real HTTP, dynalite, the simulator): a CSV batch with mixed
 * outcomes (links that succeed, a link Knox refuses (ADD_EC_CUSTOMER_INVALID), creates whose company names a
 * spreadsheet would run as formulas) reports every item in item order, as JSON and as CSV; the CSV, read back with
 * csv-parse, names each item's CSV line and holds no live formula.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { UNKNOWN_CUSTOMER_ID } from '#knox-sim/fixtures';
import { sampleItems } from '#testkit/batch-samples';
import { useBatchStack } from './support/stack-support';

const HEADER =
  'customerId,companyName,companySize,industry,country,street1,city,firstName,lastName,email,managementType,accessType,services';
const tail = 'JointlyManaged,FullAccess,KnoxMobileEnrollment';

describe('GET /onboarding-batches/{id}/report', () => {
  const local = useBatchStack((ready) => ready.control.auto({ approveLinksAfterMs: 0 }));

  it('reports every item in order, as JSON and as CSV with formula cells made inert', async () => {
    const links = await sampleItems(local.control, { links: 2, creates: 0 });
    const ids = links.map((l) => String(l.customerId));
    const tag = Date.now().toString(36);
    const formula = '=HYPERLINK("http://evil.example","click")';
    const csv = [
      HEADER,
      `${ids[0]},,,,,,,,,,${tail}`,
      `,"${formula.replaceAll('"', '""')}",20-99,COMMUNICATIONS,US,1 Main St,Chicago,Ada,Lee,ada@f-${tag}.example,${tail}`,
      '',
      `${UNKNOWN_CUSTOMER_ID},,,,,,,,,,${tail}`,
      `,+cmd ${tag},20-99,COMMUNICATIONS,US,1 Main St,Chicago,Bo,Li,bo@p-${tag}.example,${tail}`,
      `${ids[1]},,,,,,,,,,${tail}`,
    ].join('\r\n');
    const answer = await local.client.submit({ csv });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const batchId = (answer.body as { batchId: string }).batchId;
    const done = await local.client.follow(batchId, { intervalMs: 100, timeoutMs: 60_000 });
    expect(done.status).toBe('DONE');

    const json = await fetch(`${local.stack.apiUrl}/onboarding-batches/${batchId}/report`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await json.json()) as { batchId: string; status: string; items: Record<string, unknown>[] };
    expect(report.batchId).toBe(batchId);
    expect(report.status).toBe('DONE');
    expect(report.items.map((i) => i.item)).toEqual([0, 1, 2, 3, 4]);
    // Line 4 of the file is empty: the items after it keep their own file lines.
    expect(report.items.map((i) => i.line)).toEqual([2, 3, 5, 6, 7]);
    expect(report.items.map((i) => i.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'ABORTED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(report.items[0]).toMatchObject({ customerId: ids[0] });
    expect(report.items[1]).toMatchObject({ companyName: formula });
    expect(report.items[2]).toMatchObject({
      customerId: UNKNOWN_CUSTOMER_ID,
      code: 'ADD_EC_CUSTOMER_INVALID',
      errorCode: '4002100',
    });
    expect(String(report.items[2]!.message).length).toBeGreaterThan(0);
    const items = await local.client.items(batchId);
    expect(report.items.map((i) => i.onboardingId)).toEqual(items.map((i) => i.onboardingId));

    const text = await local.client.reportCsv(batchId);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([
      'item',
      'customer',
      'onboarding id',
      'status',
      'Knox code',
      'message',
      'hint',
    ]);
    expect(rows.map((r) => r.item)).toEqual(['2', '3', '5', '6', '7']);
    expect(rows.map((r) => r.status)).toEqual(report.items.map((i) => i.status));
    expect(rows.map((r) => r['onboarding id'])).toEqual(report.items.map((i) => i.onboardingId));
    // Created customers are named by their Knox id once known; the formula names stay in the JSON report.
    expect(rows[2]).toMatchObject({ customer: UNKNOWN_CUSTOMER_ID, 'Knox code': 'ADD_EC_CUSTOMER_INVALID (4002100)' });
    expect(rows[2]!.message).toBe(report.items[2]!.message);
    // No cell starts with a character a spreadsheet reads as a formula.
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('quotes formula cells of creates not yet known to Knox with a leading single quote', async () => {
    const tag = Date.now().toString(36);
    const body = {
      items: [
        {
          customer: {
            companyName: '=1+2',
            companySize: '20-99',
            industry: 'COMMUNICATIONS',
            country: 'US',
            street1: '1 Main St',
            city: 'Chicago',
            contact: { firstName: 'Ada', lastName: 'Lee', email: `q@q-${tag}.example` },
          },
          managementType: 'JointlyManaged',
          accessType: 'FullAccess',
          services: [{ service: 'KnoxMobileEnrollment' }],
        },
        ...(await sampleItems(local.control, { links: 0, creates: 1 })),
      ],
    };
    // Knox refuses every create for now: the create's customer never gets a Knox id.
    await local.control.setClientAuthorized('sim-client', false);
    try {
      const answer = await local.client.submit({ json: body });
      expect(answer.status).toBe(202);
      const batchId = (answer.body as { batchId: string }).batchId;
      expect((await local.client.follow(batchId, { intervalMs: 100, timeoutMs: 50_000 })).counts.FAILED).toBe(2);
      const rows = parse(await local.client.reportCsv(batchId), { columns: true }) as Record<string, string>[];
      expect(rows.map((r) => r.item)).toEqual(['0', '1']);
      expect(rows[0]).toMatchObject({
        customer: "'=1+2",
        status: 'FAILED',
        'Knox code': 'AUTHORIZATION_FAIL (4030000)',
      });
      expect(rows[0]!.hint!.length).toBeGreaterThan(0);
      expect(rows[1]!.status).toBe('FAILED');
    } finally {
      await local.control.setClientAuthorized('sim-client', true);
    }
  });

  it('answers 404 for an unknown batch', async () => {
    const answer = await fetch(`${local.stack.apiUrl}/onboarding-batches/bat-0000000000000000/report`);
    expect(answer.status).toBe(404);
  });
});
