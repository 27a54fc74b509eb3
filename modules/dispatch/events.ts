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
  /** How precisely `location` is known (reports' LOCATION_PRECISIONS); absent from earlier events, which were exact. */
  locationPrecision: z.enum(['point', 'house', 'street', 'place', 'district']).default('point'),
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

// ---- added with the module (issue 3); the shapes above are a contract and stay as they are -----------------

/** `dispatch.unit.created` / `dispatch.unit.updated` (status, crew, flags, staleness) — through the outbox. */
export const UnitChanged = z.object({
  unitId: z.string(),
  callSign: z.string(),
  type: z.string(),
  status: z.enum(UNIT_STATUSES),
  flags: z.array(z.string()),
  stale: z.boolean(),
  homeKato: z.string(),
  incidentId: z.string().nullable(),
  at: z.string(),
});
export type UnitChanged = z.infer<typeof UnitChanged>;

/**
 * `dispatch.unit.position` — the newest position of a unit after a telemetry batch. Published straight to the
 * bus, not through the outbox: positions are a stream where the next sample (seconds later) supersedes the last,
 * and `dispatch_position` is the record; relaying each sample through the outbox would double the writes of the
 * busiest path and replay stale positions after an outage.
 */
export const UnitPosition = z.object({
  unitId: z.string(),
  callSign: z.string(),
  lon: z.number(),
  lat: z.number(),
  speed: z.number().nullable(),
  heading: z.number().nullable(),
  battery: z.number().nullable(),
  at: z.string(),
});
export type UnitPosition = z.infer<typeof UnitPosition>;

/** `dispatch.alert.raised` — a panic, or an SLA / safety timer that ran out; consoles sound, supervisors are told. */
export const AlertRaised = z.object({
  alertId: z.string(),
  kind: z.enum(['panic', 'dispatch_overdue', 'unit_no_ack', 'on_scene_overdue', 'unit_stale']),
  incidentId: z.string().nullable(),
  unitId: z.string().nullable(),
  /** Panic: the nearest available units, nearest first. */
  nearestUnitIds: z.array(z.string()).optional(),
  escalateTo: z.literal('supervisor'),
  dueAt: z.string().nullable(),
  raisedAt: z.string(),
});
export type AlertRaised = z.infer<typeof AlertRaised>;

/** `dispatch.alert.acknowledged`. */
export const AlertAcknowledged = z.object({ alertId: z.string(), kind: z.string(), by: z.string(), at: z.string() });

export const UNIT_CREATED = 'dispatch.unit.created';
export const UNIT_UPDATED = 'dispatch.unit.updated';
export const UNIT_POSITION = 'dispatch.unit.position';
/** `dispatch.alert.escalated`: an alert nobody acknowledged in time, now the supervisors'. */
export const AlertEscalated = z.object({
  alertId: z.string(),
  kind: AlertRaised.shape.kind,
  incidentId: z.string().nullable(),
  unitId: z.string().nullable(),
  escalateTo: z.literal('supervisor'),
  raisedAt: z.string(),
  escalatedAt: z.string(),
});
export type AlertEscalated = z.infer<typeof AlertEscalated>;

export const ALERT_RAISED = 'dispatch.alert.raised';
export const ALERT_ESCALATED = 'dispatch.alert.escalated';
export const ALERT_ACKNOWLEDGED = 'dispatch.alert.acknowledged';
