import { z } from 'zod';

/**
 * Events the `dispatch` module publishes. `reports` follows incidents through these to update the citizen's
 * tracking page and the channel's webhooks.
 */

export const INCIDENT_STATUSES = [
  'RECEIVED',
  'TRIAGED',
  'PENDING',
  'DISPATCHED',
  'EN_ROUTE',
  'ON_SCENE',
  'CLEARED',
  'CLOSED',
  'CANCELLED',
  'MERGED',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const UNIT_STATUSES = ['AVAILABLE', 'DISPATCHED', 'EN_ROUTE', 'ON_SCENE', 'RETURNING', 'BUSY', 'OUT_OF_SERVICE'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

/** `dispatch.incident.created` and `dispatch.incident.updated` (every status change, merge, assignment). */
export const IncidentChanged = z.object({
  incidentId: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  priority: z.enum(['P1', 'P2', 'P3', 'P4']),
  category: z.string(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  kato: z.string().nullable(),
  /** Citizen reports attached to this incident (so `reports` can update each). */
  reportIds: z.array(z.string()),
  /** When MERGED: the incident it was merged into. */
  mergedInto: z.string().nullable(),
  /** The note written with this change (e.g. the officer's closing note), if any. */
  note: z.string().nullable(),
  at: z.string(),
});
export type IncidentChanged = z.infer<typeof IncidentChanged>;

export const INCIDENT_CREATED = 'dispatch.incident.created';
export const INCIDENT_UPDATED = 'dispatch.incident.updated';
