import { z } from 'zod';

/** Events the roads part of `traffic` publishes (permission `traffic:read`, jurisdiction = the place's KATO). */

const Place = z.object({ lon: z.number(), lat: z.number() });

/** `traffic.crash.recorded`, key = crash id. */
export const CrashRecorded = z.object({
  crashId: z.string(),
  occurredAt: z.string(),
  location: Place,
  kato: z.string().nullable(),
  nationalRoad: z.boolean(),
  roadCode: z.string().nullable(),
  injuries: z.number().int(),
  deaths: z.number().int(),
  vehicles: z.number().int(),
});
export type CrashRecorded = z.infer<typeof CrashRecorded>;

/** `traffic.defect.created` / `traffic.defect.updated` (status, severity, deadline, organisation), key = defect id. */
export const DefectChanged = z.object({
  defectId: z.string(),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  location: Place,
  kato: z.string().nullable(),
  deadline: z.string(),
  responsibleOrg: z.string().nullable(),
  source: z.enum(['inspection', 'citizen']),
  reportId: z.string().nullable(),
  at: z.string(),
});
export type DefectChanged = z.infer<typeof DefectChanged>;

/** `traffic.defect.overdue` — past its deadline and not fixed; the console alerts. Key = defect id. */
export const DefectOverdue = z.object({
  defectId: z.string(),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  location: Place,
  kato: z.string().nullable(),
  deadline: z.string(),
  responsibleOrg: z.string().nullable(),
  /** The dispatch `road-defect` incident raised (severity at or above TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY), else null. */
  incidentId: z.string().nullable(),
  at: z.string(),
});
export type DefectOverdue = z.infer<typeof DefectOverdue>;

/** `traffic.inspection.recorded`, key = inspection id. */
export const InspectionRecorded = z.object({ inspectionId: z.string(), inspector: z.string(), roadCode: z.string().nullable(), defects: z.number().int(), at: z.string() });

export const CRASH_RECORDED = 'traffic.crash.recorded';
export const DEFECT_CREATED = 'traffic.defect.created';
export const DEFECT_UPDATED = 'traffic.defect.updated';
export const DEFECT_OVERDUE = 'traffic.defect.overdue';
export const INSPECTION_RECORDED = 'traffic.inspection.recorded';
