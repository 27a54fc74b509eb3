import { z } from 'zod';

/**
 * Events of the `traffic` module (read pipeline). Out: through the outbox, `permission: traffic:read`,
 * `jurisdiction` = the camera's (or section's) KATO. In: `traffic.plate.read`, on which other modules (the
 * video module's analytics) publish plate reads.
 */

// ---- in --------------------------------------------------------------------------------------------------

/**
 * `traffic.plate.read` — a plate read from another module (e.g. video analytics reading plates off CCTV).
 * `data` is one read in any format the NDJSON intake accepts: ours `{camera, plate, at, …}`, OpenALPR
 * `alpr_results` / `alpr_group`, or a Frigate `lpr` update. The camera must be registered with the traffic
 * module (by its code). Consumed by the durable group `traffic.plate-read-intake`; reads are idempotent by
 * (camera, time, plate), so a redelivered event stores nothing twice.
 */
export const PLATE_READ = 'traffic.plate.read';

// ---- out -------------------------------------------------------------------------------------------------

export const CAMERA_REGISTERED = 'traffic.camera.registered';
export const CAMERA_UPDATED = 'traffic.camera.updated';
/** A camera's clock-sync state changed (synced ⇄ degraded / unsynced). */
export const CAMERA_CLOCK = 'traffic.camera.clock';
export const SECTION_CREATED = 'traffic.section.created';
export const SECTION_UPDATED = 'traffic.section.updated';
export const VIOLATION_RECORDED = 'traffic.violation.recorded';
export const VIOLATION_CONFIRMED = 'traffic.violation.confirmed';
export const VIOLATION_REJECTED = 'traffic.violation.rejected';
/** A pending violation withdrawn by the system: a camera reported, late, that its clock was not in sync. */
export const VIOLATION_VOIDED = 'traffic.violation.voided';
/** A confirmed fine was paid. */
export const VIOLATION_PAID = 'traffic.violation.paid';

/** `traffic.camera.registered` / `traffic.camera.updated` / `traffic.camera.clock`. */
export const CameraChanged = z.object({
  cameraId: z.string(),
  code: z.string(),
  name: z.string(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  kato: z.string().nullable(),
  version: z.number(),
  clock: z.object({ status: z.string(), source: z.string(), offsetMs: z.number().nullable(), at: z.string() }).nullable(),
  at: z.string(),
});
export type CameraChanged = z.infer<typeof CameraChanged>;

/** `traffic.section.created` / `traffic.section.updated`. */
export const SectionChanged = z.object({
  sectionId: z.string(),
  name: z.string(),
  entryCameraId: z.string(),
  exitCameraId: z.string(),
  lengthM: z.number(),
  limits: z.record(z.string(), z.number()),
  version: z.number(),
  at: z.string(),
});
export type SectionChanged = z.infer<typeof SectionChanged>;

/** `traffic.violation.*` — every change of a violation's status. */
export const ViolationChanged = z.object({
  violationId: z.string(),
  kind: z.string(),
  plate: z.string(),
  status: z.enum(['PENDING', 'CONFIRMED', 'REJECTED', 'VOID']),
  at: z.string(),
  cameraId: z.string().nullable(),
  sectionId: z.string().nullable(),
  kato: z.string().nullable(),
  speedKmh: z.number().nullable(),
  limitKmh: z.number().nullable(),
  /** Article part and sanction type (fine / warning / none / manual). */
  part: z.string().nullable(),
  penalty: z.string(),
  noticeNumber: z.string().nullable(),
  /** A confirmed fine: when it is due and when it was paid (null until then). */
  paymentDueAt: z.string().nullable().default(null),
  paidAt: z.string().nullable().default(null),
  changedAt: z.string(),
});
export type ViolationChanged = z.infer<typeof ViolationChanged>;
