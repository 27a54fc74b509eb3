import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../packages/kernel/src/outbox.ts';
import type { VehicleClass } from './contract.ts';
import { certifiedAt, syncRecordAt, syncVerdict } from './domain/clock-sync.ts';
import { VEHICLE_CLASSES } from './domain/formats.ts';
import { normalisePlate } from './domain/plates.ts';
import { runtime } from './runtime.ts';
import type { ViolationRow } from './store.ts';
import { MEASURING_KINDS, recordViolations } from './violations.ts';

/**
 * Violations a camera detects itself — spot speed, red light, bus lane, phone, headlights — posted by its
 * gateway. They take the same path as section control: the camera's clock must have been in sync (and, for
 * measurements, its certificate valid) at the time, a speed must exceed the limit by more than the tolerance,
 * the plate read is stored, and the violation is filed once per the camera's own reference.
 */

export const CAMERA_VIOLATION_KINDS = ['spot-speed', 'red-light', 'bus-lane', 'phone', 'no-headlights'] as const;
export type CameraViolationKind = (typeof CAMERA_VIOLATION_KINDS)[number];

export interface CameraViolationInput {
  camera: string;
  kind: CameraViolationKind;
  plate: string;
  country?: string | null;
  at: string;
  speedKmh?: number | null;
  limitKmh?: number | null;
  vehicleClass?: VehicleClass | null;
  lane?: number | null;
  confidence?: number | null;
  images: string[];
  video?: string | null;
  /** The camera's own id of the event: the idempotency key. */
  ref: string;
  /** Vendor details kept with the evidence (device check dates, frame numbers, …). */
  details?: Record<string, string | number | boolean | null>;
}

export async function postCameraViolation(
  kernel: Kernel,
  ctx: CommandContext,
  jurisdictions: string[],
  input: CameraViolationInput,
): Promise<{ violation: ViolationRow; created: boolean }> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const now = kernel.clock.now().getTime();
  const errors: FieldError[] = [];
  const camera = rt.camera(input.camera);
  if (!camera) errors.push({ path: 'body.camera', code: 'unknown_camera' });
  else if (!covers(jurisdictions, camera.kato)) errors.push({ path: 'body.camera', code: 'not_own_camera' });
  const plate = normalisePlate(input.plate, input.country);
  if (!plate.ok) errors.push({ path: 'body.plate', code: 'invalid_plate', params: { reason: plate.reason } });
  const atMs = Date.parse(input.at);
  if (atMs > now + rt.settings.maxFutureSkewMs) errors.push({ path: 'body.at', code: 'in_future' });
  if (atMs < now - rt.settings.readRetentionMs) errors.push({ path: 'body.at', code: 'too_old' });
  const speedKind = input.kind === 'spot-speed';
  if (speedKind && input.speedKmh == null) errors.push({ path: 'body.speedKmh', code: 'required_for_kind' });
  if (speedKind && input.limitKmh == null) errors.push({ path: 'body.limitKmh', code: 'required_for_kind' });
  if (errors.length > 0 || !camera || !plate.ok) throw Problem.validation(errors);

  const tol = rt.settings.tolerance;
  let toleranceKmh: number | null = null;
  if (speedKind) {
    const speed = input.speedKmh as number;
    const limit = input.limitKmh as number;
    const k = input.vehicleClass ? VEHICLE_CLASSES.indexOf(input.vehicleClass) : -1;
    toleranceKmh =
      k >= 0 ? Math.max(tol.kmh[k], (speed * tol.percent[k]) / 100) : Math.max(...VEHICLE_CLASSES.map((_, i) => Math.max(tol.kmh[i], (speed * tol.percent[i]) / 100)));
    if (speed <= limit + toleranceKmh) throw new Problem('traffic.within_tolerance', { speedKmh: speed, limitKmh: limit, toleranceKmh }, [], 422);
  }
  const verdict = syncVerdict(camera.sync, atMs, rt.syncPolicy);
  if (verdict !== 'in_sync') {
    rt.intake.violationsRefusedClock++;
    throw new Problem('traffic.clock_not_in_sync', { reason: verdict }, [], 422);
  }
  if (MEASURING_KINDS.has(input.kind) && !certifiedAt(camera.certificate, atMs)) throw new Problem('traffic.not_certified', {}, [], 422);

  const at = new Date(atMs).toISOString();
  const [read] = await kernel.db.query<{ id: string }>(
    `insert into traffic_read (id, camera_id, plate, plate_raw, country, vehicle_class, at, received_at, speed_kmh, lane, confidence, clock_in_sync, cert_valid,
       image_url, source, source_ref)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true, $12, $13, 'camera-violation', $14)
     on conflict (camera_id, at, plate) do update set source_ref = coalesce(traffic_read.source_ref, excluded.source_ref) returning id`,
    [
      newId(),
      camera.id,
      plate.value.plate,
      input.plate,
      plate.value.country,
      input.vehicleClass ?? null,
      at,
      new Date(now).toISOString(),
      input.speedKmh ?? null,
      input.lane ?? null,
      input.confidence ?? null,
      certifiedAt(camera.certificate, atMs),
      input.images[0] ?? null,
      input.ref,
    ],
  );
  const sync = syncRecordAt(camera.sync, atMs);
  const sourceKey = `camera:${camera.id}:${input.ref}`;
  const result = await recordViolations(kernel, ctx, [
    {
      kind: input.kind,
      plate: plate.value.plate,
      at,
      cameraId: camera.id,
      speedKmh: input.speedKmh ?? null,
      limitKmh: input.limitKmh ?? null,
      readIds: [read.id],
      sourceKey,
      evidence: {
        camera: {
          id: camera.id,
          code: camera.code,
          name: camera.name,
          location: { lon: camera.lon, lat: camera.lat },
          certificate: camera.certificate
            ? { number: camera.certificate.number, issuer: camera.certificate.issuer, validFrom: new Date(camera.certificate.validFromMs).toISOString(), validTo: new Date(camera.certificate.validToMs).toISOString() }
            : null,
          clock: sync ? { status: sync.status, source: sync.source, offsetMs: sync.offsetMs, reportedFor: new Date(sync.atMs).toISOString() } : null,
        },
        reads: [{ role: 'read', readId: read.id, cameraCode: camera.code, at, plate: plate.value.plate, plateRaw: input.plate, lane: input.lane ?? null, confidence: input.confidence ?? null }],
        measurement: speedKind
          ? { speedKmh: input.speedKmh, limitKmh: input.limitKmh, toleranceKmh, thresholdKmh: (input.limitKmh as number) + (toleranceKmh as number), excessKmh: (input.speedKmh as number) - (input.limitKmh as number) }
          : null,
        images: input.images,
        video: input.video ?? null,
        details: input.details ?? {},
        ref: input.ref,
        ruleVersion: `${input.kind} (camera); tolerance ${speedKind ? `${toleranceKmh} km/h` : 'n/a'}`,
      },
    },
  ]);
  if (result.refused.length > 0) throw new Problem('traffic.clock_not_in_sync', { reason: result.refused[0].reason }, [], 422);
  if (result.recorded.length > 0) return { violation: result.recorded[0], created: true };
  const [existing] = await kernel.db.query<ViolationRow>('select * from traffic_violation where source_key = $1', [sourceKey]);
  return { violation: existing, created: false };
}
