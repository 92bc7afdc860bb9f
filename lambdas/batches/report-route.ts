/**
 * GET /onboarding-batches/{batchId}/report: every item's outcome in item order, JSON by default, CSV when the
 * caller's Accept names text/csv (README.md, "Bulk onboarding").
 */
import { batchIdSchema } from '#domain/batch-schemas';
import { HttpError, json, type RouteHandler } from '../commons/http';
import { batchItemRecordId } from '../intake/intake';
import { batchReport, reportCsv } from './batch-report';
import { getBatch } from './batch-store';

/** Whether an Accept header asks for CSV (`text/csv`, with or without parameters, among other types). */
export function wantsCsv(accept: string | undefined): boolean {
  return accept?.split(',').some((t) => /^\s*text\/csv\s*(?:;.*)?$/i.test(t)) === true;
}

export const batchReportRoute: RouteHandler = async ({ id, headers }) => {
  const parsed = batchIdSchema.safeParse(id);
  const batch = parsed.success ? await getBatch(parsed.data) : undefined;
  if (batch === undefined) throw new HttpError(404, { message: `No batch ${String(id).slice(0, 64)}` });
  const report = await batchReport(batch, (item) => batchItemRecordId(batch.pk, item));
  if (!wantsCsv(headers.get('accept'))) return json(200, report);
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="${batch.pk}.report.csv"`,
      'cache-control': 'no-store',
    },
    body: reportCsv(report),
  };
};
