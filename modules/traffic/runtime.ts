import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { loadTrafficSettings, type TrafficSettings } from './config/settings.ts';
import type { OwnerLookup, ReadObserver, VehicleClass } from './contract.ts';
import { type Certificate, type SyncRecord, type SyncSource, type SyncStatus, withRecord } from './domain/clock-sync.ts';
import { VEHICLE_CLASSES } from './domain/formats.ts';
import { SectionEngine, type SectionSpec } from './domain/section-engine.ts';

/**
 * Per-kernel state of the read pipeline: validated settings, the camera and section registry held in memory
 * (reads are judged against it without a query), the section engine, the observers of the other parts, the
 * owner lookup, and the serial queue that keeps post-commit work in order. Keyed by kernel, so several apps
 * in one process (tests) each have their own.
 */

export interface CameraInfo {
  /** Index in the engine. */
  idx: number;
  id: string;
  code: string;
  name: string;
  lon: number;
  lat: number;
  kato: string | null;
  directionDeg: number | null;
  directionLabel: string | null;
  lanes: number;
  owner: string;
  kinds: string[];
  certificate: Certificate | null;
  /** Clock-sync reports, oldest first (those still needed to judge reads). */
  sync: SyncRecord[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface SectionInfo {
  idx: number;
  id: string;
  name: string;
  entryCameraId: string;
  exitCameraId: string;
  lengthM: number;
  limits: Record<VehicleClass, number>;
  maxTravelS: number;
  activeFrom: string;
  activeTo: string | null;
  kato: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface CameraRow {
  id: string;
  code: string;
  name: string;
  lon: number;
  lat: number;
  kato: string | null;
  direction_deg: number | null;
  direction_label: string | null;
  lanes: number;
  owner: string;
  kinds: string[];
  cert_number: string | null;
  cert_issuer: string | null;
  cert_valid_from: Date | null;
  cert_valid_to: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface SectionRow {
  id: string;
  name: string;
  entry_camera_id: string;
  exit_camera_id: string;
  length_m: number;
  limits: Record<VehicleClass, number>;
  max_travel_s: number;
  active_from: Date;
  active_to: Date | null;
  kato: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface SyncRow {
  camera_id: string;
  at: Date;
  status: SyncStatus;
  source: SyncSource;
  offset_ms: number | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

export function specOf(s: SectionInfo, entryIdx: number, exitIdx: number): SectionSpec {
  return {
    entryCamera: entryIdx,
    exitCamera: exitIdx,
    lengthM: s.lengthM,
    limitsKmh: VEHICLE_CLASSES.map((c) => s.limits[c]),
    maxTravelMs: s.maxTravelS * 1000,
    activeFromMs: Date.parse(s.activeFrom),
    activeToMs: s.activeTo ? Date.parse(s.activeTo) : Number.POSITIVE_INFINITY,
  };
}

/** Counters of the intake paths since start (HTTP, MQTT, bus), for the stats endpoint and logs. */
export interface IntakeCounters {
  batches: number;
  lines: number;
  stored: number;
  duplicates: number;
  ignored: number;
  rejected: number;
  observerErrors: number;
  violationsRecorded: number;
  /** Violations the sink refused because a read's clock was not in sync by the history known at recording. */
  violationsRefusedClock: number;
  mqttMessages: number;
  mqttRejected: number;
  busEvents: number;
  busRejected: number;
}

export class TrafficRuntime {
  readonly settings: TrafficSettings;
  readonly cameras = new Map<string, CameraInfo>();
  readonly camerasByCode = new Map<string, CameraInfo>();
  readonly camerasByIdx: CameraInfo[] = [];
  /**
   * Counts changes applied to cameras in memory (a writer applies its change after its commit). A reload that read
   * the database while one was applied may hold an older state, so it reads again instead of overwriting it.
   */
  private cameraChanges = 0;
  readonly sections = new Map<string, SectionInfo>();
  readonly sectionsByIdx: SectionInfo[] = [];
  readonly engine: SectionEngine;
  observers: ReadObserver[] = [];
  ownerLookup: OwnerLookup = unknownOwner;
  /** Post-commit work (engine, violations, observers) runs one batch after another, in commit order. */
  private queue: Promise<void> = Promise.resolve();
  readonly intake: IntakeCounters = {
    batches: 0,
    lines: 0,
    stored: 0,
    duplicates: 0,
    ignored: 0,
    rejected: 0,
    observerErrors: 0,
    violationsRecorded: 0,
    violationsRefusedClock: 0,
    mqttMessages: 0,
    mqttRejected: 0,
    busEvents: 0,
    busRejected: 0,
  };
  /** Engine counters per section already written to `traffic_section_hour`. */
  readonly flushed = new Map<number, Record<string, number>>();
  startedAt: string;

  constructor(settings: TrafficSettings, now: Date) {
    this.settings = settings;
    this.startedAt = now.toISOString();
    this.engine = new SectionEngine({
      latenessMs: settings.watermarkMs,
      dedupeMs: settings.dedupeMs,
      maxPlausibleKmh: settings.maxPlausibleKmh,
      tolerance: settings.tolerance,
    });
  }

  get syncPolicy() {
    return { maxOffsetMs: this.settings.maxClockOffsetMs, validForMs: this.settings.syncValidMs };
  }

  /** Runs `fn` after every batch queued before it; errors stay with the caller. */
  serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  camera(idOrCode: string): CameraInfo | undefined {
    return this.cameras.get(idOrCode) ?? this.camerasByCode.get(idOrCode);
  }

  /** Adds or replaces a camera from its row (keeps its index and, unless given, its sync history). */
  putCamera(row: CameraRow, sync?: SyncRecord[]): CameraInfo {
    this.cameraChanges++;
    const old = this.cameras.get(row.id);
    const info: CameraInfo = {
      idx: old?.idx ?? this.camerasByIdx.length,
      id: row.id,
      code: row.code,
      name: row.name,
      lon: row.lon,
      lat: row.lat,
      kato: row.kato,
      directionDeg: row.direction_deg,
      directionLabel: row.direction_label,
      lanes: row.lanes,
      owner: row.owner,
      kinds: row.kinds,
      certificate:
        row.cert_number && row.cert_valid_from && row.cert_valid_to
          ? { number: row.cert_number, issuer: row.cert_issuer ?? '', validFromMs: new Date(row.cert_valid_from).getTime(), validToMs: new Date(row.cert_valid_to).getTime() }
          : null,
      sync: sync ?? old?.sync ?? [],
      version: row.version,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
    if (old && old.code !== info.code) this.camerasByCode.delete(old.code);
    this.cameras.set(info.id, info);
    this.camerasByCode.set(info.code, info);
    this.camerasByIdx[info.idx] = info;
    return info;
  }

  addSync(cameraId: string, r: SyncRecord): void {
    this.cameraChanges++;
    const c = this.cameras.get(cameraId);
    if (c) c.sync = withRecord(c.sync, r);
  }

  /** Adds or replaces a section and tells the engine. */
  putSection(row: SectionRow): SectionInfo {
    const old = this.sections.get(row.id);
    const info: SectionInfo = {
      idx: old?.idx ?? this.sectionsByIdx.length,
      id: row.id,
      name: row.name,
      entryCameraId: row.entry_camera_id,
      exitCameraId: row.exit_camera_id,
      lengthM: row.length_m,
      limits: row.limits,
      maxTravelS: row.max_travel_s,
      activeFrom: iso(row.active_from),
      activeTo: row.active_to ? iso(row.active_to) : null,
      kato: row.kato,
      version: row.version,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
    const entry = this.cameras.get(info.entryCameraId);
    const exit = this.cameras.get(info.exitCameraId);
    if (!entry || !exit) throw new Error(`section ${info.id}: camera not loaded`);
    this.engine.setSection(info.idx, specOf(info, entry.idx, exit.idx));
    this.sections.set(info.id, info);
    this.sectionsByIdx[info.idx] = info;
    return info;
  }

  /** The longest maximum travel time of any section, ms. */
  maxTravelMs(): number {
    let m = 0;
    for (const s of this.sections.values()) m = Math.max(m, s.maxTravelS * 1000);
    return m;
  }

  private loading: Promise<void> | null = null;

  /** Loads cameras (with the sync history still needed) and sections from the database, once. */
  load(kernel: Kernel): Promise<void> {
    this.loading ??= this.loadNow(kernel).catch((e) => {
      this.loading = null;
      throw e;
    });
    return this.loading;
  }

  private async loadNow(kernel: Kernel): Promise<void> {
    const { db } = kernel;
    const cameras = await db.query<CameraRow>('select * from traffic_camera order by created_at, id');
    const since = new Date(kernel.clock.now().getTime() - this.settings.readRetentionMs - this.settings.syncValidMs).toISOString();
    // Every report since the oldest read still kept, plus the last one before it (it covers the start of the window).
    const sync = await db.query<SyncRow>(
      `select camera_id, at, status, source, offset_ms from traffic_camera_sync s
       where at >= $1 or at = (select max(at) from traffic_camera_sync p where p.camera_id = s.camera_id and p.at < $1)
       order by camera_id, at`,
      [since],
    );
    const byCamera = new Map<string, SyncRecord[]>();
    for (const r of sync) {
      const list = byCamera.get(r.camera_id) ?? [];
      list.push({ atMs: new Date(r.at).getTime(), status: r.status, source: r.source, offsetMs: r.offset_ms });
      byCamera.set(r.camera_id, list);
    }
    for (const c of cameras) this.putCamera(c, byCamera.get(c.id) ?? []);
    const sections = await db.query<SectionRow>('select * from traffic_section order by created_at, id');
    for (const s of sections) this.putSection(s);
  }

  /** Forgets sync reports no read still kept can need (the last one before the window stays). */
  pruneSync(nowMs: number): void {
    const since = nowMs - this.settings.readRetentionMs - this.settings.syncValidMs;
    for (const c of this.cameras.values()) {
      let first = 0;
      while (first + 1 < c.sync.length && c.sync[first + 1].atMs <= since) first++;
      if (first > 0) c.sync = c.sync.slice(first);
    }
  }

  /** Re-reads one camera (another process changed it). */
  async reloadCamera(kernel: Kernel, id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const seen = this.cameraChanges;
      const [row] = await kernel.db.query<CameraRow>('select * from traffic_camera where id = $1', [id]);
      if (!row) return;
      const since = new Date(kernel.clock.now().getTime() - this.settings.readRetentionMs - this.settings.syncValidMs).toISOString();
      const rows = await kernel.db.query<SyncRow>(
        `select camera_id, at, status, source, offset_ms from traffic_camera_sync s
         where camera_id = $1 and (at >= $2 or at = (select max(at) from traffic_camera_sync p where p.camera_id = $1 and p.at < $2)) order by at`,
        [id, since],
      );
      let sync: SyncRecord[] = rows.map((r) => ({ atMs: new Date(r.at).getTime(), status: r.status, source: r.source, offsetMs: r.offset_ms }));
      if (this.cameraChanges !== seen) {
        // A change was applied while this read ran: read again, so a report applied here is not replaced by an
        // older state. Under a stream of changes, after a few tries keep what memory has beside what was read.
        if (attempt < 5) continue;
        for (const r of this.cameras.get(id)?.sync ?? []) if (!sync.some((x) => x.atMs === r.atMs)) sync = withRecord(sync, r);
      }
      this.putCamera(row, sync);
      return;
    }
  }

  async reloadSection(kernel: Kernel, id: string): Promise<void> {
    const [row] = await kernel.db.query<SectionRow>('select * from traffic_section where id = $1', [id]);
    if (!row) return;
    for (const cid of [row.entry_camera_id, row.exit_camera_id]) if (!this.cameras.has(cid)) await this.reloadCamera(kernel, cid);
    this.putSection(row);
  }
}

/** The default owner lookup until the vehicle register provides one: nobody is known. */
export const unknownOwner: OwnerLookup = { ownerOf: async () => null };

const runtimes = new WeakMap<Kernel, TrafficRuntime>();

/** The module's state for this kernel; validates `TARTIP_TRAFFIC_*` on first use (a bad value throws). */
export function runtime(kernel: Kernel): TrafficRuntime {
  let r = runtimes.get(kernel);
  if (!r) {
    r = new TrafficRuntime(loadTrafficSettings(kernel.config.env ?? process.env), kernel.clock.now());
    runtimes.set(kernel, r);
  }
  return r;
}
