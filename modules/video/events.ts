import { z } from 'zod';

/**
 * Events of the `video` module, through the outbox. Consoles follow them over SSE: `permission` `video:read`
 * (watchlist changes: `video:watchlist`), `jurisdiction` = the camera's KATO. Out to other modules: plate reads on
 * the traffic module's `traffic.plate.read` (see modules/traffic/events.ts).
 */
export const CAMERA_REGISTERED = 'video.camera.registered';
export const CAMERA_UPDATED = 'video.camera.updated';
/** A camera went silent, or was heard again. */
export const CAMERA_STATUS = 'video.camera.status';
export const ALERT_RAISED = 'video.alert.raised';
export const ALERT_DECIDED = 'video.alert.decided';
/** A watchlist entry was added or removed: every process reloads its index. */
export const WATCHLIST_CHANGED = 'video.watchlist.changed';

export const CameraChanged = z.object({
  cameraId: z.string(),
  code: z.string(),
  name: z.string(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  kato: z.string().nullable(),
  zone: z.string().nullable(),
  status: z.enum(['unknown', 'online', 'silent']),
  version: z.number(),
  at: z.string(),
});
export type CameraChanged = z.infer<typeof CameraChanged>;

/** `video.alert.raised` — what the console shows: never the watchlist entry's personal data. */
export const AlertRaised = z.object({
  alertId: z.string(),
  kind: z.enum(['camera_silent', 'face_match', 'abandoned_object', 'review']),
  cameraId: z.string(),
  cameraCode: z.string(),
  location: z.object({ lon: z.number(), lat: z.number() }),
  kato: z.string().nullable(),
  score: z.number().nullable(),
  snapshot: z.string().nullable(),
  eventId: z.string().nullable(),
  raisedAt: z.string(),
});
export type AlertRaised = z.infer<typeof AlertRaised>;

export const AlertDecided = z.object({
  alertId: z.string(),
  kind: z.string(),
  status: z.enum(['confirmed', 'rejected']),
  incidentId: z.string().nullable(),
  by: z.string(),
  at: z.string(),
});

export const WatchlistChanged = z.object({ watchlistId: z.string(), entryId: z.string(), change: z.enum(['added', 'removed']), at: z.string() });
