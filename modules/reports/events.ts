import { z } from 'zod';

/**
 * Events the `reports` module publishes. Other modules depend on these shapes, never on reports' tables.
 */

export const Point = z.object({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });

/** `reports.report.submitted` — a citizen report was accepted (201 returned to the channel). */
export const ReportSubmitted = z.object({
  reportId: z.string(),
  /** Category code (Open311 service_code), e.g. `theft`, `road-defect`. */
  category: z.string(),
  /** Default priority of the category, P1 (most urgent) … P4; dispatch may re-triage. */
  priority: z.enum(['P1', 'P2', 'P3', 'P4']),
  location: Point,
  address: z.string().nullable(),
  /** KATO code of the district (or region) containing the point. */
  kato: z.string().nullable(),
  description: z.string().nullable(),
  channel: z.string(),
  anonymous: z.boolean(),
  mediaCount: z.number().int(),
  /** Set when this report is a duplicate: the earlier report of the same kind nearby; dispatch joins its incident. */
  duplicateOf: z.string().nullable(),
  submittedAt: z.string(),
});
export type ReportSubmitted = z.infer<typeof ReportSubmitted>;

export const REPORT_SUBMITTED = 'reports.report.submitted';
