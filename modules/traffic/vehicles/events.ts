import { z } from 'zod';

/**
 * Events the vehicles part of `traffic` publishes (all with permission `traffic:read`). None carries an owner's
 * personal data: the live stream shows plates, flags and places.
 */

const Place = z.object({ lon: z.number(), lat: z.number() });

/** `traffic.vehicle.registered` / `traffic.vehicle.updated` — national (jurisdiction null), key = plate. */
export const VehicleChanged = z.object({
  plate: z.string(),
  class: z.string(),
  wanted: z.boolean(),
  wantedReason: z.string().nullable(),
  insuranceValidUntil: z.string().nullable(),
  at: z.string(),
});
export type VehicleChanged = z.infer<typeof VehicleChanged>;

/** `traffic.vehicle.imported` — one per bulk import; lists the plates whose wanted flag was set or cleared. */
export const VehiclesImported = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  wantedSet: z.array(z.object({ plate: z.string(), reason: z.string() })),
  wantedCleared: z.array(z.string()),
  at: z.string(),
});
export type VehiclesImported = z.infer<typeof VehiclesImported>;

/** `traffic.korgau.changed` — a plate's score crossed the threshold (either way) — national, key = plate. */
export const ScoreChanged = z.object({
  plate: z.string(),
  score: z.number(),
  flagged: z.boolean(),
  threshold: z.number(),
  at: z.string(),
});
export type ScoreChanged = z.infer<typeof ScoreChanged>;

/** `traffic.clone.detected` — the same plate at two places faster than possible; jurisdiction = the later camera's KATO. */
export const CloneDetected = z.object({
  findingId: z.string(),
  plate: z.string(),
  first: z.object({ readId: z.string(), cameraId: z.string(), at: z.string(), location: Place }),
  second: z.object({ readId: z.string(), cameraId: z.string(), at: z.string(), location: Place }),
  distanceM: z.number(),
  impliedSpeedKmh: z.number(),
});
export type CloneDetected = z.infer<typeof CloneDetected>;

/** `traffic.flagged.seen` — a flagged vehicle passed a camera; jurisdiction = the camera's KATO, key = plate. */
export const FlaggedSeen = z.object({
  plate: z.string(),
  readId: z.string(),
  cameraId: z.string(),
  at: z.string(),
  location: Place,
  reason: z.enum(['wanted', 'score']),
  wantedReason: z.string().nullable(),
  score: z.number().nullable(),
  /** The dispatch incident raised; null within the cooldown after the previous one for this plate. */
  incidentId: z.string().nullable(),
});
export type FlaggedSeen = z.infer<typeof FlaggedSeen>;

export const VEHICLE_REGISTERED = 'traffic.vehicle.registered';
export const VEHICLE_UPDATED = 'traffic.vehicle.updated';
export const VEHICLES_IMPORTED = 'traffic.vehicle.imported';
export const SCORE_CHANGED = 'traffic.korgau.changed';
export const CLONE_DETECTED = 'traffic.clone.detected';
export const FLAGGED_SEEN = 'traffic.flagged.seen';

/**
 * What the score needs from a violation. The violation path's events are mapped to this (`korgau.ts`); until
 * they exist, `recordViolationFacts` is the interface the violation code calls.
 */
export const ViolationFact = z.object({
  violationId: z.string().min(1),
  plate: z.string().min(1),
  kind: z.string().min(1),
  at: z.iso.datetime({ offset: true }),
  speedKmh: z.number().nullable().optional(),
  limitKmh: z.number().nullable().optional(),
  /** `pending` (awaiting an officer) and `rejected` do not count; everything after confirmation does. */
  status: z.enum(['pending', 'confirmed', 'rejected']),
  /** A fine was issued and is unpaid past its due date. */
  unpaid: z.boolean().default(false),
  /** A confirmed fine not paid yet: its due date (it becomes `unpaid` when that passes); null when paid or no fine. */
  unpaidAfter: z.iso.datetime({ offset: true }).nullable().optional(),
  /** The driver when known (officer-recorded offences such as drunk driving); else it counts for the owner. */
  driverIin: z.string().regex(/^\d{12}$/).nullable().optional(),
});
export type ViolationFact = z.input<typeof ViolationFact>;
