import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { haversineM } from '../../packages/kernel/src/geo/distance.ts';
import { newId, UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext, UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import type { VehicleClass } from './contract.ts';
import { type SyncRecord, type SyncSource, type SyncStatus, syncRecordAt, syncVerdict } from './domain/clock-sync.ts';
import { VEHICLE_CLASSES } from './domain/formats.ts';
import {
  CAMERA_CLOCK,
  CAMERA_REGISTERED,
  CAMERA_UPDATED,
  type CameraChanged,
  SECTION_CREATED,
  SECTION_UPDATED,
  type SectionChanged,
} from './events.ts';
import { type CameraInfo, type CameraRow, runtime, type SectionInfo, type SectionRow } from './runtime.ts';
import { revalidatePending } from './violations.ts';

/**
 * Cameras and gantries, their clock-sync reports, and sections. Writes go through the command path (state,
 * audit, outbox event in one transaction) and then into this process's registry; other processes follow
 * the events (see index.ts).
 */

export const CAMERA_KINDS = ['anpr', 'average-speed', 'spot-speed', 'red-light', 'bus-lane', 'phone-seatbelt'] as const;
export type CameraKind = (typeof CAMERA_KINDS)[number];

/** Who acts: a staff member (jurisdictions) or a partner gateway (jurisdictions of its key). */
export interface Actor {
  jurisdictions: string[];
}

export interface NewCamera {
  code: string;
  name: string;
  location: { lon: number; lat: number };
  direction?: { headingDeg: number; label?: string };
  lanes: number;
  owner: string;
  kinds: CameraKind[];
  certificate?: { number: string; issuer: string; validFrom: string; validTo: string };
  clock?: { status: SyncStatus; source: SyncSource; offsetMs?: number | null };
}

export type CameraPatch = Partial<Pick<NewCamera, 'name' | 'direction' | 'lanes' | 'owner' | 'kinds'>> & { certificate?: NewCamera['certificate'] | null };

export interface ClockReport {
  camera: string;
  status: SyncStatus;
  source: SyncSource;
  offsetMs?: number | null;
  /** When the state was measured; default now. */
  at?: string;
}

export interface NewSection {
  name: string;
  entryCamera: string;
  exitCamera: string;
  lengthM: number;
  limits: { car: number } & Partial<Record<VehicleClass, number>>;
  maxTravelS?: number;
  activeFrom?: string;
  activeTo?: string | null;
}

export type SectionPatch = Partial<Pick<NewSection, 'name' | 'lengthM' | 'limits' | 'maxTravelS' | 'activeTo'>>;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

// ---- presenters ----------------------------------------------------------------------------------------------

export function presentCamera(kernel: Kernel, c: CameraInfo) {
  const rt = runtime(kernel);
  const nowMs = kernel.clock.now().getTime();
  const last = c.sync.length > 0 ? c.sync[c.sync.length - 1] : null;
  const current = syncRecordAt(c.sync, nowMs);
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    location: { lon: c.lon, lat: c.lat },
    kato: c.kato,
    direction: c.directionDeg === null ? null : { headingDeg: c.directionDeg, label: c.directionLabel },
    lanes: c.lanes,
    owner: c.owner,
    kinds: c.kinds,
    certificate: c.certificate
      ? {
          number: c.certificate.number,
          issuer: c.certificate.issuer,
          validFrom: new Date(c.certificate.validFromMs).toISOString(),
          validTo: new Date(c.certificate.validToMs).toISOString(),
          validNow: nowMs >= c.certificate.validFromMs && nowMs <= c.certificate.validToMs,
        }
      : null,
    clock: {
      /** The verdict for a read taken now. */
      verdict: syncVerdict(c.sync, nowMs, rt.syncPolicy),
      status: current?.status ?? null,
      source: current?.source ?? null,
      offsetMs: current?.offsetMs ?? null,
      since: current ? new Date(current.atMs).toISOString() : null,
      lastReportAt: last ? new Date(last.atMs).toISOString() : null,
    },
    version: c.version,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function presentSection(kernel: Kernel, s: SectionInfo) {
  const rt = runtime(kernel);
  const entry = rt.cameras.get(s.entryCameraId) as CameraInfo;
  const exit = rt.cameras.get(s.exitCameraId) as CameraInfo;
  const c = rt.engine.sectionCounters(s.idx);
  return {
    id: s.id,
    name: s.name,
    entryCamera: { id: entry.id, code: entry.code, name: entry.name, location: { lon: entry.lon, lat: entry.lat } },
    exitCamera: { id: exit.id, code: exit.code, name: exit.name, location: { lon: exit.lon, lat: exit.lat } },
    lengthM: s.lengthM,
    limits: s.limits,
    maxTravelS: s.maxTravelS,
    activeFrom: s.activeFrom,
    activeTo: s.activeTo,
    kato: s.kato,
    version: s.version,
    /** This process's engine since it started. */
    live: {
      inFlight: rt.engine.sectionInFlight(s.idx),
      pairs: c.pairs,
      averageSpeedKmh: c.pairs > 0 ? Math.round((c.speedSumKmh / c.pairs) * 10) / 10 : null,
      violations: c.violations,
      suppressedUnsynced: c.suppressedUnsynced,
    },
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

const cameraEvent = (c: CameraRow, last: SyncRecord | null, at: Date): CameraChanged => ({
  cameraId: c.id,
  code: c.code,
  name: c.name,
  location: { lon: c.lon, lat: c.lat },
  kato: c.kato,
  version: c.version,
  clock: last ? { status: last.status, source: last.source, offsetMs: last.offsetMs, at: new Date(last.atMs).toISOString() } : null,
  at: at.toISOString(),
});

const lastOf = (sync: readonly SyncRecord[]) => (sync.length > 0 ? sync[sync.length - 1] : null);

const sectionEvent = (s: SectionRow, at: Date): SectionChanged => ({
  sectionId: s.id,
  name: s.name,
  entryCameraId: s.entry_camera_id,
  exitCameraId: s.exit_camera_id,
  lengthM: s.length_m,
  limits: s.limits,
  version: s.version,
  at: at.toISOString(),
});

// ---- cameras -------------------------------------------------------------------------------------------------

function certificateErrors(cert: NewCamera['certificate'] | null | undefined, path: string): FieldError[] {
  if (!cert) return [];
  return Date.parse(cert.validTo) <= Date.parse(cert.validFrom) ? [{ path: `${path}.validTo`, code: 'before_start' }] : [];
}

export async function registerCamera(kernel: Kernel, ctx: CommandContext, actor: Actor, input: NewCamera): Promise<CameraInfo> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const errors: FieldError[] = [...certificateErrors(input.certificate, 'body.certificate')];
  if (UUID_PATTERN.test(input.code)) errors.push({ path: 'body.code', code: 'invalid_format', params: { format: 'code (not a UUID)' } });
  const kato = kernel.areas.katoOf(input.location.lon, input.location.lat);
  if (!kato) errors.push({ path: 'body.location', code: 'outside_kazakhstan' });
  if (errors.length > 0) throw Problem.validation(errors);
  if (!covers(actor.jurisdictions, kato)) throw new Problem('outside_jurisdiction');
  const id = newId();
  const { row, sync } = await kernel.commands.run(ctx, async (uow) => {
    const [dup] = await uow.tx.query('select 1 from traffic_camera where code = $1', [input.code]);
    if (dup) throw new Problem('traffic.camera_code_taken', { code: input.code }, [{ path: 'body.code', code: 'taken' }], 409);
    const now = uow.now.toISOString();
    const [row] = await uow.tx.query<CameraRow>(
      `insert into traffic_camera (id, code, name, lon, lat, kato, direction_deg, direction_label, lanes, owner, kinds,
         cert_number, cert_issuer, cert_valid_from, cert_valid_to, version, created_at, created_by, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $17, $16) returning *`,
      [
        id,
        input.code,
        input.name,
        input.location.lon,
        input.location.lat,
        kato,
        input.direction?.headingDeg ?? null,
        input.direction?.label ?? null,
        input.lanes,
        input.owner,
        [...new Set(input.kinds)],
        input.certificate?.number ?? null,
        input.certificate?.issuer ?? null,
        input.certificate?.validFrom ?? null,
        input.certificate?.validTo ?? null,
        now,
        ctx.actor,
      ],
    );
    const sync: SyncRecord[] = [];
    if (input.clock) {
      const r: SyncRecord = { atMs: uow.now.getTime(), status: input.clock.status, source: input.clock.source, offsetMs: input.clock.offsetMs ?? null };
      await insertSync(uow, id, r, ctx.actor);
      sync.push(r);
    }
    await uow.audit({ action: 'camera.registered', entity: 'traffic_camera', entityId: id, jurisdiction: kato, data: { code: input.code, kinds: input.kinds } });
    await uow.emit({ subject: CAMERA_REGISTERED, key: id, jurisdiction: kato, permission: 'traffic:read', data: cameraEvent(row, lastOf(sync), uow.now) });
    return { row, sync };
  });
  // The registry learns of it once it is committed.
  return rt.putCamera(row, sync);
}

export async function updateCamera(kernel: Kernel, ctx: CommandContext, actor: Actor, idOrCode: string, patch: CameraPatch): Promise<CameraInfo> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const errors = certificateErrors(patch.certificate, 'body.certificate');
  if (errors.length > 0) throw Problem.validation(errors);
  const known = rt.camera(idOrCode);
  if (!known) throw Problem.notFound();
  if (!covers(actor.jurisdictions, known.kato)) throw new Problem('outside_jurisdiction');
  const row = await kernel.commands.run(ctx, async (uow) => {
    const sets: string[] = [];
    const params: unknown[] = [known.id];
    const set = (col: string, v: unknown) => {
      params.push(v);
      sets.push(`${col} = $${params.length}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.lanes !== undefined) set('lanes', patch.lanes);
    if (patch.owner !== undefined) set('owner', patch.owner);
    if (patch.kinds !== undefined) set('kinds', [...new Set(patch.kinds)]);
    if (patch.direction !== undefined) {
      set('direction_deg', patch.direction.headingDeg);
      set('direction_label', patch.direction.label ?? null);
    }
    if (patch.certificate !== undefined) {
      set('cert_number', patch.certificate?.number ?? null);
      set('cert_issuer', patch.certificate?.issuer ?? null);
      set('cert_valid_from', patch.certificate?.validFrom ?? null);
      set('cert_valid_to', patch.certificate?.validTo ?? null);
    }
    set('updated_at', uow.now.toISOString());
    const [row] = await uow.tx.query<CameraRow>(`update traffic_camera set ${sets.join(', ')}, version = version + 1 where id = $1 returning *`, params);
    if (!row) throw Problem.notFound();
    await uow.audit({ action: 'camera.updated', entity: 'traffic_camera', entityId: row.id, jurisdiction: row.kato, data: { changed: Object.keys(patch) } });
    await uow.emit({ subject: CAMERA_UPDATED, key: row.id, jurisdiction: row.kato, permission: 'traffic:read', data: cameraEvent(row, lastOf(known.sync), uow.now) });
    return row;
  });
  return rt.putCamera(row);
}

async function insertSync(uow: UnitOfWork, cameraId: string, r: SyncRecord, by: string): Promise<void> {
  await uow.tx.query(
    `insert into traffic_camera_sync (camera_id, at, status, source, offset_ms, reported_by, received_at) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (camera_id, at) do update set status = excluded.status, source = excluded.source, offset_ms = excluded.offset_ms,
       reported_by = excluded.reported_by, received_at = excluded.received_at`,
    [cameraId, new Date(r.atMs).toISOString(), r.status, r.source, r.offsetMs, by, uow.now.toISOString()],
  );
}

export interface ClockResult {
  camera: string;
  cameraId: string;
  at: string;
  status: SyncStatus;
  /** The state changed compared with the report before it. */
  changed: boolean;
}

/**
 * Clock-sync reports from gateways (or an engineer). Each becomes part of the camera's history. A report that
 * the clock was *not* in sync from a past time withdraws (VOID) the pending violations built on that camera's
 * reads since then: they were made before anyone knew.
 */
export async function reportClock(kernel: Kernel, ctx: CommandContext, actor: Actor, reports: ClockReport[]): Promise<{ results: ClockResult[]; voided: number }> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const now = kernel.clock.now();
  const errors: FieldError[] = [];
  const resolved = reports.map((r, i) => {
    const c = rt.camera(r.camera);
    const atMs = r.at ? Date.parse(r.at) : now.getTime();
    if (!c) errors.push({ path: `body.reports.${i}.camera`, code: 'unknown_camera' });
    else if (!covers(actor.jurisdictions, c.kato)) errors.push({ path: `body.reports.${i}.camera`, code: 'not_own_camera' });
    if (atMs > now.getTime() + rt.settings.maxFutureSkewMs) errors.push({ path: `body.reports.${i}.at`, code: 'in_future' });
    return { c: c as CameraInfo, record: { atMs, status: r.status, source: r.source, offsetMs: r.offsetMs ?? null } satisfies SyncRecord, input: r };
  });
  if (errors.length > 0) throw Problem.validation(errors);
  const results = await kernel.commands.run(ctx, async (uow) => {
    const out: ClockResult[] = [];
    for (const { c, record, input } of resolved) {
      const before = syncRecordAt(c.sync, record.atMs - 1);
      await insertSync(uow, c.id, record, ctx.actor);
      const changed = !before || before.status !== record.status;
      if (changed) {
        const [row] = await uow.tx.query<CameraRow>('select * from traffic_camera where id = $1', [c.id]);
        await uow.audit({ action: 'camera.clock_changed', entity: 'traffic_camera', entityId: c.id, jurisdiction: c.kato, data: { status: record.status, source: record.source, offsetMs: record.offsetMs, at: new Date(record.atMs).toISOString() } });
        await uow.emit({ subject: CAMERA_CLOCK, key: c.id, jurisdiction: c.kato, permission: 'traffic:read', data: cameraEvent(row, record, uow.now) });
      }
      out.push({ camera: input.camera, cameraId: c.id, at: new Date(record.atMs).toISOString(), status: record.status, changed });
    }
    return out;
  });
  for (const { c, record } of resolved) rt.addSync(c.id, record);
  let voided = 0;
  for (const { c, record } of resolved) {
    if (record.status !== 'synced' || (record.offsetMs !== null && Math.abs(record.offsetMs) > rt.settings.maxClockOffsetMs)) {
      voided += await revalidatePending(kernel, ctx, c.id, new Date(record.atMs).toISOString());
    }
  }
  return { results, voided };
}

// ---- sections ------------------------------------------------------------------------------------------------

function limitsOf(l: NewSection['limits']): Record<VehicleClass, number> {
  return Object.fromEntries(VEHICLE_CLASSES.map((c) => [c, l[c] ?? l.car])) as Record<VehicleClass, number>;
}

/** The road can be longer than the straight line between the gantries, not shorter; and not absurdly longer. */
function lengthErrors(lengthM: number, entry: CameraInfo, exit: CameraInfo, path: string): FieldError[] {
  const straight = haversineM(entry, exit);
  if (lengthM < straight * 0.99 - 50) return [{ path, code: 'shorter_than_distance', params: { distanceM: Math.round(straight) } }];
  if (lengthM > straight * 2 + 1000) return [{ path, code: 'longer_than_plausible', params: { distanceM: Math.round(straight) } }];
  return [];
}

/** Default maximum travel time: the section at 20 km/h. */
const defaultMaxTravelS = (lengthM: number) => Math.max(60, Math.ceil(lengthM / (20 / 3.6)));

export async function createSection(kernel: Kernel, ctx: CommandContext, actor: Actor, input: NewSection): Promise<SectionInfo> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const entry = rt.camera(input.entryCamera);
  const exit = rt.camera(input.exitCamera);
  const errors: FieldError[] = [];
  if (!entry) errors.push({ path: 'body.entryCamera', code: 'unknown_camera' });
  if (!exit) errors.push({ path: 'body.exitCamera', code: 'unknown_camera' });
  if (entry && exit && entry.id === exit.id) errors.push({ path: 'body.exitCamera', code: 'same_camera' });
  if (entry && exit && entry.id !== exit.id) errors.push(...lengthErrors(input.lengthM, entry, exit, 'body.lengthM'));
  const activeFrom = input.activeFrom ?? kernel.clock.now().toISOString();
  if (input.activeTo && Date.parse(input.activeTo) <= Date.parse(activeFrom)) errors.push({ path: 'body.activeTo', code: 'before_start' });
  if (errors.length > 0) throw Problem.validation(errors);
  const [e, x] = [entry as CameraInfo, exit as CameraInfo];
  if (!covers(actor.jurisdictions, e.kato) || !covers(actor.jurisdictions, x.kato)) throw new Problem('outside_jurisdiction');
  return kernel.commands.run(ctx, async (uow) => {
    const now = uow.now.toISOString();
    const [row] = await uow.tx.query<SectionRow>(
      `insert into traffic_section (id, name, entry_camera_id, exit_camera_id, length_m, limits, max_travel_s, active_from, active_to, kato,
         version, created_at, created_by, updated_at)
       values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, 1, $11, $12, $11) returning *`,
      [newId(), input.name, e.id, x.id, input.lengthM, JSON.stringify(limitsOf(input.limits)), input.maxTravelS ?? defaultMaxTravelS(input.lengthM), activeFrom, input.activeTo ?? null, e.kato, now, ctx.actor],
    );
    await uow.audit({ action: 'section.created', entity: 'traffic_section', entityId: row.id, jurisdiction: row.kato, data: sectionEvent(row, uow.now) });
    await uow.emit({ subject: SECTION_CREATED, key: row.id, jurisdiction: row.kato, permission: 'traffic:read', data: sectionEvent(row, uow.now) });
    return row;
  }).then((row) => rt.putSection(row));
}

export async function updateSection(kernel: Kernel, ctx: CommandContext, actor: Actor, id: string, patch: SectionPatch): Promise<SectionInfo> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const s = rt.sections.get(id);
  if (!s) throw Problem.notFound();
  if (!covers(actor.jurisdictions, s.kato)) throw new Problem('outside_jurisdiction');
  const entry = rt.cameras.get(s.entryCameraId) as CameraInfo;
  const exit = rt.cameras.get(s.exitCameraId) as CameraInfo;
  const errors: FieldError[] = patch.lengthM === undefined ? [] : lengthErrors(patch.lengthM, entry, exit, 'body.lengthM');
  if (patch.activeTo && Date.parse(patch.activeTo) <= Date.parse(s.activeFrom)) errors.push({ path: 'body.activeTo', code: 'before_start' });
  if (errors.length > 0) throw Problem.validation(errors);
  return kernel.commands.run(ctx, async (uow) => {
    const limits = patch.limits ? limitsOf(patch.limits) : s.limits;
    const [row] = await uow.tx.query<SectionRow>(
      `update traffic_section set name = $2, length_m = $3, limits = $4::jsonb, max_travel_s = $5, active_to = $6, version = version + 1, updated_at = $7
       where id = $1 returning *`,
      [
        id,
        patch.name ?? s.name,
        patch.lengthM ?? s.lengthM,
        JSON.stringify(limits),
        patch.maxTravelS ?? s.maxTravelS,
        patch.activeTo === undefined ? s.activeTo : patch.activeTo,
        uow.now.toISOString(),
      ],
    );
    await uow.audit({ action: 'section.updated', entity: 'traffic_section', entityId: id, jurisdiction: row.kato, data: { changed: Object.keys(patch), version: row.version } });
    await uow.emit({ subject: SECTION_UPDATED, key: id, jurisdiction: row.kato, permission: 'traffic:read', data: sectionEvent(row, uow.now) });
    return row;
  }).then((row) => rt.putSection(row));
}

export { iso };
