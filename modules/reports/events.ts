import { z } from 'zod';

/**
 * Events the `reports` module publishes. Other modules depend on these shapes, never on reports' tables.
 */

export const Point = z.object({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });

/**
 * How precisely a report's point is known: `point` — the reporter's own position (or an operator's pin); otherwise
 * the gazetteer placed the address given instead, at a `house`, on a `street`, in a `place` (village,
 * neighbourhood) or only inside a `district`. Consoles show anything but a point or a house as approximate.
 */
export const LOCATION_PRECISIONS = ['point', 'house', 'street', 'place', 'district'] as const;
export type LocationPrecision = (typeof LOCATION_PRECISIONS)[number];
/** Precise enough to compare reports by distance (duplicates) and to send the nearest unit on it. */
export const isExactLocation = (p: LocationPrecision): boolean => p === 'point' || p === 'house';

/** `reports.report.submitted` — a citizen report was accepted (201 returned to the channel). */
export const ReportSubmitted = z.object({
  reportId: z.string(),
  /** Category code (Open311 service_code), e.g. `theft`, `road-defect`. */
  category: z.string(),
  /** Default priority of the category, P1 (most urgent) … P4; dispatch may re-triage. */
  priority: z.enum(['P1', 'P2', 'P3', 'P4']),
  location: Point,
  /** Absent from events written before addresses were geocoded: those always had the reporter's point. */
  locationPrecision: z.enum(LOCATION_PRECISIONS).default('point'),
  address: z.string().nullable(),
  /** KATO code of the district (or region) containing the point. */
  kato: z.string().nullable(),
  description: z.string().nullable(),
  /** The category's Open311 attributes as the citizen gave them (e.g. road-defect's `defect_type`). */
  attributes: z.record(z.string(), z.string()).default({}),
  channel: z.string(),
  anonymous: z.boolean(),
  mediaCount: z.number().int(),
  /** Set when this report is a duplicate: the earlier report of the same kind nearby; dispatch joins its incident. */
  duplicateOf: z.string().nullable(),
  submittedAt: z.string(),
});
export type ReportSubmitted = z.infer<typeof ReportSubmitted>;

export const REPORT_SUBMITTED = 'reports.report.submitted';

/**
 * `reports.report.status_changed` — a report's status or note changed (following its incident, or marked false by
 * staff). For live views (the operations centre's stream); partners get the same change through their webhook.
 */
export const ReportStatusChanged = z.object({
  reportId: z.string(),
  status: z.enum(['received', 'accepted', 'dispatched', 'on_scene', 'closed']),
  /** Free text written with the change (e.g. the officer's closing note). */
  statusNote: z.string().nullable(),
  /** When there is no text: a note code readers show in their language (`incident_cancelled`, `false_report`). */
  statusNoteCode: z.string().nullable(),
  incidentId: z.string().nullable(),
  falseReport: z.boolean(),
  at: z.string(),
});
export type ReportStatusChanged = z.infer<typeof ReportStatusChanged>;

export const REPORT_STATUS_CHANGED = 'reports.report.status_changed';
