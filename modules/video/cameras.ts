import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { newId, UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext, UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import { ALERT_RAISED, type AlertRaised, CAMERA_REGISTERED, CAMERA_STATUS, CAMERA_UPDATED, type CameraChanged } from './events.ts';
import { runtime } from './runtime.ts';

/**
 * The camera register: place, direction, zone, owner, capabilities, expected heartbeat. A camera is heard by a
 * heartbeat or by any event; one silent for longer than heartbeat × TARTIP_VIDEO_SILENCE_FACTOR raises one
 * `camera_silent` alert per silence (the condition is the camera and the moment it fell silent).
 */

export const CAPABILITIES = ['objects', 'faces', 'plates', 'abandoned', 'traffic-flow', 'face-embeddings'] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const ZONE_KINDS = ['station', 'airport', 'square', 'road', 'other'] as const;

export interface Actor {
  jurisdictions: string[];
}

export interface NewCamera {
  code: string;
  name: string;
  location: { lon: number; lat: number };
  direction?: { headingDeg: number; label?: string };
  zone?: string;
  owner: string;
  capabilities: Capability[];
  heartbeatS: number;
  trafficCode?: string | null;
}
export type CameraPatch = Partial<Omit<NewCamera, 'code' | 'location' | 'direction' | 'zone'>> & {
  direction?: NewCamera['direction'] | null;
  zone?: string | null;
};

export interface CameraRow {
  id: string;
  code: string;
  name: string;
  lon: number;
  lat: number;
  kato: string | null;
  direction_deg: number | null;
  direction_label: string | null;
  zone: string | null;
  owner: string;
  capabilities: string[];
  heartbeat_s: number;
  traffic_code: string | null;
  last_seen_at: Date | null;
  status: 'unknown' | 'online' | 'silent';
  status_since: Date;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function presentCamera(c: CameraRow) {
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    location: { lon: c.lon, lat: c.lat },
    kato: c.kato,
    direction: c.direction_deg === null ? null : { headingDeg: c.direction_deg, label: c.direction_label },
    zone: c.zone,
    owner: c.owner,
    capabilities: c.capabilities,
    heartbeatS: c.heartbeat_s,
    trafficCode: c.traffic_code,
    status: c.status,
    statusSince: iso(c.status_since) as string,
    lastSeenAt: iso(c.last_seen_at),
    version: c.version,
    createdAt: iso(c.created_at) as string,
    updatedAt: iso(c.updated_at) as string,
  };
}

export const cameraChanged = (c: CameraRow, at: Date): CameraChanged => ({
  cameraId: c.id,
  code: c.code,
  name: c.name,
  location: { lon: c.lon, lat: c.lat },
  kato: c.kato,
  zone: c.zone,
  status: c.status,
  version: c.version,
  at: at.toISOString(),
});

export async function findCamera(kernel: Kernel, ref: string): Promise<CameraRow | null> {
  const col = UUID_PATTERN.test(ref) ? 'id' : 'code';
  const [c] = await kernel.db.query<CameraRow>(`select * from video_camera where ${col} = $1`, [ref]);
  return c ?? null;
}

export async function registerCamera(kernel: Kernel, ctx: CommandContext, actor: Actor, input: NewCamera): Promise<CameraRow> {
  const errors: FieldError[] = [];
  if (UUID_PATTERN.test(input.code)) errors.push({ path: 'body.code', code: 'invalid_format', params: { format: 'code (not a UUID)' } });
  const kato = kernel.areas.katoOf(input.location.lon, input.location.lat);
  if (!kato) errors.push({ path: 'body.location', code: 'outside_kazakhstan' });
  if (errors.length > 0) throw Problem.validation(errors);
  if (!covers(actor.jurisdictions, kato)) throw new Problem('outside_jurisdiction');
  return kernel.commands.run(ctx, async (uow) => {
    const [dup] = await uow.tx.query('select 1 from video_camera where code = $1', [input.code]);
    if (dup) throw new Problem('video.camera_code_taken', { code: input.code }, [{ path: 'body.code', code: 'taken' }], 409);
    const now = uow.now.toISOString();
    const [row] = await uow.tx.query<CameraRow>(
      `insert into video_camera (id, code, name, lon, lat, kato, direction_deg, direction_label, zone, owner, capabilities, heartbeat_s, traffic_code,
         last_seen_at, status, status_since, version, created_at, created_by, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, null, 'unknown', $14, 1, $14, $15, $14) returning *`,
      [
        newId(),
        input.code,
        input.name,
        input.location.lon,
        input.location.lat,
        kato,
        input.direction?.headingDeg ?? null,
        input.direction?.label ?? null,
        input.zone ?? null,
        input.owner,
        input.capabilities,
        input.heartbeatS,
        input.trafficCode === undefined ? input.code : input.trafficCode,
        now,
        ctx.actor,
      ],
    );
    await uow.audit({ action: 'camera.registered', entity: 'video_camera', entityId: row.id, jurisdiction: kato, data: { code: row.code, zone: row.zone, capabilities: row.capabilities } });
    await uow.emit({ subject: CAMERA_REGISTERED, key: row.id, permission: 'video:read', jurisdiction: kato, data: cameraChanged(row, uow.now) });
    return row;
  });
}

export async function updateCamera(kernel: Kernel, ctx: CommandContext, actor: Actor, ref: string, patch: CameraPatch): Promise<CameraRow> {
  const found = await findCamera(kernel, ref);
  if (!found) throw Problem.notFound();
  if (!covers(actor.jurisdictions, found.kato)) throw new Problem('outside_jurisdiction');
  return kernel.commands.run(ctx, async (uow) => {
    const [c] = await uow.tx.query<CameraRow>('select * from video_camera where id = $1 for update', [found.id]);
    const direction = patch.direction === undefined ? (c.direction_deg === null ? null : { headingDeg: c.direction_deg, label: c.direction_label ?? undefined }) : patch.direction;
    const [row] = await uow.tx.query<CameraRow>(
      `update video_camera set name = $2, direction_deg = $3, direction_label = $4, zone = $5, owner = $6, capabilities = $7, heartbeat_s = $8,
         traffic_code = $9, version = version + 1, updated_at = $10 where id = $1 returning *`,
      [
        c.id,
        patch.name ?? c.name,
        direction?.headingDeg ?? null,
        direction?.label ?? null,
        patch.zone === undefined ? c.zone : patch.zone,
        patch.owner ?? c.owner,
        patch.capabilities ?? c.capabilities,
        patch.heartbeatS ?? c.heartbeat_s,
        patch.trafficCode === undefined ? c.traffic_code : patch.trafficCode,
        uow.now.toISOString(),
      ],
    );
    await uow.audit({ action: 'camera.updated', entity: 'video_camera', entityId: row.id, jurisdiction: row.kato, data: { changed: Object.keys(patch) } });
    await uow.emit({ subject: CAMERA_UPDATED, key: row.id, permission: 'video:read', jurisdiction: row.kato, data: cameraChanged(row, uow.now) });
    return row;
  });
}

/**
 * Marks cameras heard now (inside the caller's transaction): last seen = now; a silent or never-seen camera is
 * online again (a `video.camera.status` event). Rows are locked in id order with FOR NO KEY UPDATE (which does
 * not conflict with the KEY SHARE locks the batch's event and alert inserts hold on them), so concurrent batches naming
 * the same cameras never deadlock. Returns the cameras that came back.
 */
export async function markHeard(uow: UnitOfWork, cameraIds: readonly string[]): Promise<CameraRow[]> {
  if (cameraIds.length === 0) return [];
  const now = uow.now.toISOString();
  await uow.tx.query('select id from video_camera where id = any($1::uuid[]) order by id for no key update', [[...cameraIds]]);
  const back = await uow.tx.query<CameraRow>(
    `update video_camera set last_seen_at = $2, status = 'online', status_since = $2
     where id = any($1::uuid[]) and status <> 'online' returning *`,
    [cameraIds, now],
  );
  await uow.tx.query(`update video_camera set last_seen_at = $2 where id = any($1::uuid[]) and status = 'online' and (last_seen_at is null or last_seen_at < $2)`, [cameraIds, now]);
  for (const c of back) {
    await uow.emit({ subject: CAMERA_STATUS, key: c.id, permission: 'video:read', jurisdiction: c.kato, data: cameraChanged(c, uow.now) });
  }
  return back;
}

/** A heartbeat from cameras named by code (a gateway's): unknown codes and codes outside the key's jurisdiction are refused, nothing changes. */
export async function heartbeat(kernel: Kernel, ctx: CommandContext, jurisdictions: string[] | null, codes: string[]): Promise<{ heard: number; back: string[] }> {
  const rows = await kernel.db.query<CameraRow>('select * from video_camera where code = any($1::text[])', [codes]);
  const byCode = new Map(rows.map((r) => [r.code, r]));
  const errors: FieldError[] = [];
  codes.forEach((code, i) => {
    const c = byCode.get(code);
    if (!c) errors.push({ path: `body.cameras.${i}`, code: 'unknown_camera' });
    else if (jurisdictions && !covers(jurisdictions, c.kato)) errors.push({ path: `body.cameras.${i}`, code: 'not_own_camera' });
  });
  if (errors.length > 0) throw Problem.validation(errors);
  const back = await kernel.commands.run(ctx, async (uow) => markHeard(uow, [...new Set(rows.map((r) => r.id))]));
  return { heard: byCode.size, back: back.map((c) => c.code) };
}

/**
 * The periodic silence check: cameras not heard for heartbeat × factor (or, never heard, since registration) turn
 * silent, each with one `camera_silent` alert for this silence. Returns the cameras that fell silent.
 */
export async function checkSilence(kernel: Kernel): Promise<CameraRow[]> {
  const { settings } = runtime(kernel);
  return kernel.commands.run({ actor: 'system:video-silence' }, async (uow) => {
    const now = uow.now.toISOString();
    const silent = await uow.tx.query<CameraRow>(
      `update video_camera set status = 'silent', status_since = $1
       where status <> 'silent' and coalesce(last_seen_at, created_at) < $1::timestamptz - make_interval(secs => heartbeat_s * $2::double precision)
       returning *`,
      [now, settings.silenceFactor],
    );
    for (const c of silent) {
      const alertId = newId();
      const condition = `silent:${c.id}:${iso(c.status_since)}`;
      const details = { lastSeenAt: iso(c.last_seen_at), heartbeatS: c.heartbeat_s };
      const [a] = await uow.tx.query<{ id: string }>(
        `insert into video_alert (id, kind, camera_id, details, kato, condition, status, raised_at)
         values ($1, 'camera_silent', $2, $3, $4, $5, 'open', $6) on conflict (condition) do nothing returning id`,
        [alertId, c.id, JSON.stringify(details), c.kato, condition, now],
      );
      await uow.emit({ subject: CAMERA_STATUS, key: c.id, permission: 'video:read', jurisdiction: c.kato, data: cameraChanged(c, uow.now) });
      if (!a) continue;
      const raised: AlertRaised = {
        alertId,
        kind: 'camera_silent',
        cameraId: c.id,
        cameraCode: c.code,
        location: { lon: c.lon, lat: c.lat },
        kato: c.kato,
        score: null,
        snapshot: null,
        eventId: null,
        raisedAt: now,
      };
      await uow.emit({ subject: ALERT_RAISED, key: c.id, permission: 'video:read', jurisdiction: c.kato, data: raised });
      await uow.audit({ action: 'alert.raised', entity: 'video_alert', entityId: alertId, jurisdiction: c.kato, data: { kind: 'camera_silent', camera: c.code } });
    }
    if (silent.length > 0) runtime(kernel).counters.alerts += silent.length;
    return silent;
  });
}
