import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import type { FieldError } from '../../packages/kernel/src/errors.ts';
import { randomBytes } from 'node:crypto';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { NewViolation, PlateRead, VehicleClass } from './contract.ts';
import { certifiedAt, inSyncAt, syncRecordAt } from './domain/clock-sync.ts';
import { parsePayload, type ReadInput, VEHICLE_CLASSES } from './domain/formats.ts';
import { normalisePlate } from './domain/plates.ts';
import { CERT_OK, CLASS_UNKNOWN, CLOCK_OK, type Outcome } from './domain/section-engine.ts';
import { type CameraInfo, runtime, type SectionInfo, type TrafficRuntime } from './runtime.ts';
import type { ReadRow } from './store.ts';
import { recordViolations, violationSink } from './violations.ts';

/**
 * The read pipeline: parse (any accepted format) → resolve the camera and judge its clock and certificate at
 * the read's time → normalise the plate → store the batch with one multi-row insert (a read already stored —
 * same camera, time and plate — is skipped) → after the commit, in commit order: the section engine, the
 * violations it found, and every ReadObserver of the other parts. HTTP NDJSON, MQTT and the bus all come
 * through `ingestItems`.
 */

/** At most this many field errors are listed in a reply (all bad lines are still counted). */
export const MAX_ERRORS = 200;

export interface Item {
  /** Where it came from, for field-error paths: `item.0`, `event.data` — or an NDJSON line number (`line.17`). */
  label?: string;
  line?: number;
  value: unknown;
}

export interface Sender {
  /** Audit actor, e.g. `partner:anpr-gateway`, `mqtt`, `bus`. */
  actor: string;
  /** A partner key's jurisdictions (its cameras only); null = any camera (MQTT, the bus: trusted paths). */
  jurisdictions: string[] | null;
  /** Camera code from the transport (an MQTT topic): used for every read of the message. */
  camera?: string;
}

export interface IngestResult {
  /** Items (lines, messages) received. */
  received: number;
  /** Reads that passed validation. */
  accepted: number;
  /** Reads newly stored. */
  stored: number;
  /** Reads already stored before (a resent batch): not stored again. */
  duplicates: number;
  /** Items that carried no read (an OpenALPR heartbeat, a Frigate face update). */
  ignored: number;
  /** Items refused. */
  rejected: number;
  /** Field errors of the refused items (at most MAX_ERRORS), paths like `line.17.plate`. */
  errors: FieldError[];
  /** Of the stored reads: from cameras whose clock was not in sync at the read's time. */
  unsynced: number;
}

/**
 * Splits an NDJSON body into items (blank lines skipped; line numbers 1-based); bad JSON is an error at once.
 * The common case — every line one JSON value — is parsed in one go as a JSON array; anything else (a broken
 * line, two values on one line) is parsed line by line so each error names its line.
 */
export function splitNdjson(text: string): { items: Item[]; errors: FieldError[]; lines: number } {
  const lineNos: number[] = [];
  let n = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 13) {
        lineNos.push(n);
        break;
      }
    }
    start = end + 1;
  }
  if (lineNos.length === 0) return { items: [], errors: [], lines: 0 };
  // Fast path: no blank line between the first and the last value, so joining the lines with commas is an array.
  if (lineNos[lineNos.length - 1] - lineNos[0] + 1 === lineNos.length) {
    try {
      const values = JSON.parse(`[${text.trim().replace(/\r?\n/g, ',')}]`) as unknown[];
      if (values.length === lineNos.length) return { items: values.map((value, i) => ({ line: lineNos[i], value })), errors: [], lines: lineNos.length };
    } catch {
      // a bad line: find it below
    }
  }
  const items: Item[] = [];
  const errors: FieldError[] = [];
  const all = text.split('\n');
  for (const line of lineNos) {
    try {
      items.push({ line, value: JSON.parse(all[line - 1]) });
    } catch {
      errors.push({ path: `line.${line}`, code: 'invalid_json' });
    }
  }
  return { items, errors, lines: lineNos.length };
}

/** An item's place in field-error paths: `line.17`, or the label it came with. */
export const labelOf = (item: Item) => item.label ?? `line.${item.line}`;

interface Prepared {
  camera: CameraInfo;
  input: ReadInput;
  plate: string;
  country: string | null;
  cls: number;
  atMs: number;
  flags: number;
}

const classIndex = (c: VehicleClass | null) => (c === null ? CLASS_UNKNOWN : VEHICLE_CLASSES.indexOf(c));

/** Validates items into reads ready to store; refused items become field errors. */
export function prepare(rt: TrafficRuntime, items: Item[], sender: Sender, nowMs: number): { reads: Prepared[]; errors: FieldError[]; rejected: number; ignored: number } {
  const reads: Prepared[] = [];
  const errors: FieldError[] = [];
  let rejected = 0;
  let ignored = 0;
  const policy = rt.syncPolicy;
  const oldest = nowMs - rt.settings.readRetentionMs;
  const newest = nowMs + rt.settings.maxFutureSkewMs;
  const fail = (e: FieldError) => {
    if (errors.length < MAX_ERRORS) errors.push(e);
  };
  for (const item of items) {
    const parsed = parsePayload(item.value, '');
    if (!parsed.ok) {
      rejected++;
      const label = labelOf(item);
      for (const e of parsed.errors) fail({ ...e, path: e.path ? `${label}.${e.path}` : label });
      continue;
    }
    if (parsed.reads.length === 0) {
      ignored++;
      continue;
    }
    // A message's reads stand or fall together (an OpenALPR frame with two plates is one item).
    const ok: Prepared[] = [];
    let bad: FieldError | null = null;
    for (const input of parsed.reads) {
      const cameraField = input.source === 'tartip' ? 'camera' : input.source === 'frigate' ? 'camera' : 'camera_id';
      let camera: CameraInfo | undefined;
      if (sender.camera) camera = rt.camera(sender.camera);
      else {
        for (const id of input.camera) {
          camera = rt.camera(id);
          if (camera) break;
        }
      }
      if (!camera) {
        bad = { path: sender.camera ? 'topic.camera' : `${labelOf(item)}.${cameraField}`, code: 'unknown_camera' };
        break;
      }
      if (sender.jurisdictions && !covers(sender.jurisdictions, camera.kato)) {
        bad = { path: `${labelOf(item)}.${cameraField}`, code: 'not_own_camera' };
        break;
      }
      const timeField = input.source === 'tartip' ? 'at' : input.source === 'frigate' ? 'timestamp' : input.source === 'alpr_group' ? 'epoch_start' : 'epoch_time';
      if (!Number.isFinite(input.atMs) || input.atMs > newest) {
        bad = { path: `${labelOf(item)}.${timeField}`, code: 'in_future' };
        break;
      }
      if (input.atMs < oldest) {
        bad = { path: `${labelOf(item)}.${timeField}`, code: 'too_old' };
        break;
      }
      const plate = normalisePlate(input.plateRaw, input.country);
      if (!plate.ok) {
        const plateField = input.source === 'alpr_group' ? 'best_plate_number' : 'plate';
        bad = { path: `${labelOf(item)}.${plateField}`, code: 'invalid_plate', params: { reason: plate.reason } };
        break;
      }
      const atMs = Math.floor(input.atMs);
      const flags = (inSyncAt(camera.sync, atMs, policy) ? CLOCK_OK : 0) | (certifiedAt(camera.certificate, atMs) ? CERT_OK : 0);
      ok.push({ camera, input, plate: plate.value.plate, country: plate.value.country, cls: classIndex(input.vehicleClass), atMs, flags });
    }
    if (bad) {
      rejected++;
      fail(bad);
      continue;
    }
    for (const r of ok) reads.push(r);
  }
  return { reads, errors, rejected, ignored };
}

interface Stored {
  read: PlateRead;
  prepared: Prepared;
}

/** One multi-row insert; returns the reads that were new, in input order. */
async function store(kernel: Kernel, reads: Prepared[], receivedAt: string): Promise<Stored[]> {
  if (reads.length === 0) return [];
  const n = reads.length;
  const ids = new Array<string>(n);
  // Cameras as 1-based indexes into a short list: a batch names few cameras, and uuids are long to send.
  const cameraList: string[] = [];
  const cameraPos = new Map<string, number>();
  const cameras = new Array<number>(n);
  const plates = new Array<string>(n);
  const raws = new Array<string>(n);
  const countries = new Array<string | null>(n);
  const classes = new Array<string | null>(n);
  const ats = new Array<string>(n);
  const speeds = new Array<number | null>(n);
  const lanes = new Array<number | null>(n);
  const confidences = new Array<number | null>(n);
  const clock = new Array<boolean>(n);
  const cert = new Array<boolean>(n);
  const images = new Array<string | null>(n);
  const sources = new Array<string>(n);
  const refs = new Array<string | null>(n);
  const fresh = uuidv7Batch(n);
  for (let i = 0; i < n; i++) {
    const r = reads[i];
    ids[i] = fresh[i];
    let pos = cameraPos.get(r.camera.id);
    if (pos === undefined) {
      pos = cameraList.push(r.camera.id);
      cameraPos.set(r.camera.id, pos);
    }
    cameras[i] = pos;
    plates[i] = r.plate;
    raws[i] = r.input.plateRaw;
    countries[i] = r.country;
    classes[i] = r.input.vehicleClass;
    ats[i] = new Date(r.atMs).toISOString();
    speeds[i] = r.input.speedKmh;
    lanes[i] = r.input.lane;
    confidences[i] = r.input.confidence;
    clock[i] = (r.flags & CLOCK_OK) !== 0;
    cert[i] = (r.flags & CERT_OK) !== 0;
    images[i] = r.input.imageUrl;
    sources[i] = r.input.source;
    refs[i] = r.input.sourceRef;
  }
  const inserted = await kernel.db.query<{ id: string }>(
    `insert into traffic_read (id, camera_id, plate, plate_raw, country, vehicle_class, at, speed_kmh, lane, confidence, clock_in_sync, cert_valid,
       image_url, source, source_ref, received_at)
     select t.id, ($17::uuid[])[t.c], t.plate, t.raw, t.country, t.cls, t.at, t.speed, t.lane, t.confidence, t.clock, t.cert, t.image, t.source, t.ref, $16::timestamptz
     from unnest($1::uuid[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::real[],
       $9::int2[], $10::real[], $11::bool[], $12::bool[], $13::text[], $14::text[], $15::text[])
       as t(id, c, plate, raw, country, cls, at, speed, lane, confidence, clock, cert, image, source, ref)
     on conflict (camera_id, at, plate) do nothing returning id`,
    [ids, cameras, plates, raws, countries, classes, ats, speeds, lanes, confidences, clock, cert, images, sources, refs, receivedAt, cameraList],
  );
  const out: Stored[] = [];
  // Every row new (the usual case): no need to look each up.
  const all = inserted.length === n;
  const isNew = all ? null : new Set(inserted.map((r) => r.id));
  for (let i = 0; i < n; i++) {
    if (isNew && !isNew.has(ids[i])) continue;
    const r = reads[i];
    out.push({
      prepared: r,
      read: {
        id: ids[i],
        cameraId: r.camera.id,
        plate: r.plate,
        plateRaw: r.input.plateRaw,
        country: r.country,
        vehicleClass: r.input.vehicleClass,
        at: ats[i],
        lon: r.camera.lon,
        lat: r.camera.lat,
        speedKmh: r.input.speedKmh,
        clockInSync: clock[i],
        imageUrl: r.input.imageUrl,
      },
    });
  }
  return out;
}

/** Adds the batch to the hourly per-camera counters (after the reads' commit; counters need no atomicity). */
async function countByCamera(kernel: Kernel, reads: Prepared[], stored: Stored[]): Promise<void> {
  interface Row {
    camera: string;
    hour: number;
    reads: number;
    unsynced: number;
    uncertified: number;
    duplicates: number;
  }
  const rows = new Map<number, Row>();
  const row = (r: Prepared) => {
    const hour = Math.floor(r.atMs / 3_600_000);
    const k = r.camera.idx * 1e7 + (hour % 1e7);
    let x = rows.get(k);
    if (!x) {
      x = { camera: r.camera.id, hour, reads: 0, unsynced: 0, uncertified: 0, duplicates: 0 };
      rows.set(k, x);
    }
    return x;
  };
  for (const r of reads) row(r).duplicates++;
  for (const s of stored) {
    const x = row(s.prepared);
    x.duplicates--;
    x.reads++;
    if ((s.prepared.flags & CLOCK_OK) === 0) x.unsynced++;
    if ((s.prepared.flags & CERT_OK) === 0) x.uncertified++;
  }
  const list = [...rows.values()];
  if (list.length === 0) return;
  await kernel.db.query(
    `insert into traffic_camera_hour (camera_id, hour, reads, unsynced, uncertified, duplicates)
     select c, to_timestamp(h * 3600), r, u, x, d from unnest($1::uuid[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[]) as t(c, h, r, u, x, d)
     on conflict (camera_id, hour) do update set reads = traffic_camera_hour.reads + excluded.reads,
       unsynced = traffic_camera_hour.unsynced + excluded.unsynced, uncertified = traffic_camera_hour.uncertified + excluded.uncertified,
       duplicates = traffic_camera_hour.duplicates + excluded.duplicates`,
    [list.map((r) => r.camera), list.map((r) => r.hour), list.map((r) => r.reads), list.map((r) => r.unsynced), list.map((r) => r.uncertified), list.map((r) => r.duplicates)],
  );
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * `n` UUIDv7s (RFC 9562: 48-bit Unix ms, version 7, 74 random bits) from one draw of randomness — the kernel's
 * id scheme, made in bulk for the busiest insert of the platform.
 */
export function uuidv7Batch(n: number, nowMs = Date.now()): string[] {
  const rnd = randomBytes(n * 10);
  const ts = nowMs.toString(16).padStart(12, '0');
  const head = `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7`;
  const out = new Array<string>(n);
  for (let i = 0, o = 0; i < n; i++, o += 10) {
    out[i] =
      `${head}${HEX[rnd[o] & 0x0f].slice(1)}${HEX[rnd[o + 1]]}-${HEX[(rnd[o + 2] & 0x3f) | 0x80]}${HEX[rnd[o + 3]]}-` +
      `${HEX[rnd[o + 4]]}${HEX[rnd[o + 5]]}${HEX[rnd[o + 6]]}${HEX[rnd[o + 7]]}${HEX[rnd[o + 8]]}${HEX[rnd[o + 9]]}`;
  }
  return out;
}

/** Parses, validates, stores and processes items; never throws for bad items (they are in `errors`). */
export async function ingestItems(kernel: Kernel, items: Item[], sender: Sender, preErrors: FieldError[] = [], lines = items.length): Promise<IngestResult> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const now = kernel.clock.now();
  const p = prepare(rt, items, sender, now.getTime());
  const errors = [...preErrors, ...p.errors].slice(0, MAX_ERRORS);
  const rejected = p.rejected + preErrors.length;
  const stored = await store(kernel, p.reads, now.toISOString());
  rt.intake.batches++;
  rt.intake.lines += lines;
  rt.intake.stored += stored.length;
  rt.intake.duplicates += p.reads.length - stored.length;
  rt.intake.ignored += p.ignored;
  rt.intake.rejected += rejected;
  await countByCamera(kernel, p.reads, stored).catch((e) => kernel.log.warn({ err: e }, 'traffic: camera counters not updated'));
  if (stored.length > 0) await rt.serially(() => afterCommit(kernel, stored));
  let unsynced = 0;
  for (const s of stored) if (!s.read.clockInSync) unsynced++;
  return { received: lines, accepted: p.reads.length, stored: stored.length, duplicates: p.reads.length - stored.length, ignored: p.ignored, rejected, errors, unsynced };
}

/** The section engine, its violations, then the observers — for one committed batch. */
async function afterCommit(kernel: Kernel, stored: Stored[]): Promise<void> {
  const rt = runtime(kernel);
  const engine = rt.engine;
  for (const s of stored) {
    const r = s.prepared;
    engine.ingest(r.camera.idx, r.plate, r.atMs, r.flags, r.cls);
  }
  await settle(kernel, engine.drain());
  const reads = stored.map((s) => s.read);
  const sink = violationSink(kernel);
  for (const o of rt.observers) {
    try {
      await o.observe(reads, sink);
    } catch (e) {
      rt.intake.observerErrors++;
      kernel.log.error({ err: e, observer: o.name }, 'traffic: read observer failed');
    }
  }
}

/** Moves the engine's watermark to the clock (quiet roads) and settles what it passes. */
export async function tick(kernel: Kernel): Promise<void> {
  const rt = runtime(kernel);
  await rt.serially(async () => {
    rt.engine.advance(kernel.clock.now().getTime() - rt.settings.watermarkMs);
    await settle(kernel, rt.engine.drain());
  });
}

/** Section violations not yet filed (the database refused): retried with the next batch or tick. */
const waiting = new WeakMap<Kernel, Outcome[]>();

/** Turns the engine's outcomes into violations (with their evidence) and files them. */
export async function settle(kernel: Kernel, outcomes: Outcome[]): Promise<void> {
  const rt = runtime(kernel);
  for (const o of outcomes) {
    if (o.kind !== 'violation') {
      kernel.log.info({ kind: o.kind, plate: o.plate, section: rt.sectionsByIdx[o.section]?.id, speedKmh: Math.round(o.speedKmh) }, 'traffic: pair not made a violation');
    }
  }
  const list = [...(waiting.get(kernel) ?? []), ...outcomes.filter((o) => o.kind === 'violation')];
  waiting.delete(kernel);
  if (list.length === 0) return;
  try {
    await recordViolations(kernel, { actor: 'system:section-control' }, await sectionViolations(kernel, list));
  } catch (e) {
    // The pairs have left the engine: keep them until the database takes them (a restart's rebuild finds them too).
    kernel.log.error({ err: e, count: list.length }, 'traffic: section violations not recorded; will retry');
    waiting.set(kernel, list);
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Builds the evidence of each section violation from the two stored reads. */
async function sectionViolations(kernel: Kernel, list: Outcome[]): Promise<NewViolation[]> {
  const rt = runtime(kernel);
  const keys: { camera: string; at: string; plate: string }[] = [];
  for (const o of list) {
    const s = rt.sectionsByIdx[o.section];
    keys.push({ camera: s.entryCameraId, at: new Date(o.entryAtMs).toISOString(), plate: o.plate });
    keys.push({ camera: s.exitCameraId, at: new Date(o.exitAtMs).toISOString(), plate: o.plate });
  }
  const rows = await kernel.db.query<ReadRow>(
    `select r.* from traffic_read r join unnest($1::uuid[], $2::timestamptz[], $3::text[]) as k(camera_id, at, plate)
     on r.camera_id = k.camera_id and r.at = k.at and r.plate = k.plate`,
    [keys.map((k) => k.camera), keys.map((k) => k.at), keys.map((k) => k.plate)],
  );
  const byKey = new Map(rows.map((r) => [`${r.camera_id}|${new Date(r.at).toISOString()}|${r.plate}`, r]));
  const out: NewViolation[] = [];
  for (const o of list) {
    const s = rt.sectionsByIdx[o.section];
    const entry = byKey.get(`${s.entryCameraId}|${new Date(o.entryAtMs).toISOString()}|${o.plate}`);
    const exit = byKey.get(`${s.exitCameraId}|${new Date(o.exitAtMs).toISOString()}|${o.plate}`);
    if (!entry || !exit) {
      kernel.log.error({ section: s.id, plate: o.plate }, 'traffic: a paired read is missing from the store');
      continue;
    }
    out.push(sectionViolation(rt, s, o, entry, exit));
  }
  return out;
}

export function sectionViolation(rt: TrafficRuntime, s: SectionInfo, o: Outcome, entry: ReadRow, exit: ReadRow): NewViolation {
  const dtS = (o.exitAtMs - o.entryAtMs) / 1000;
  const cls = o.vehicleClass === CLASS_UNKNOWN ? null : VEHICLE_CLASSES[o.vehicleClass];
  const readEvidence = (role: 'entry' | 'exit', r: ReadRow) => {
    const c = rt.cameras.get(r.camera_id) as CameraInfo;
    const atMs = new Date(r.at).getTime();
    const sync = syncRecordAt(c.sync, atMs);
    return {
      role,
      readId: r.id,
      cameraId: c.id,
      cameraCode: c.code,
      cameraName: c.name,
      location: { lon: c.lon, lat: c.lat },
      at: new Date(r.at).toISOString(),
      receivedAt: new Date(r.received_at).toISOString(),
      plate: r.plate,
      plateRaw: r.plate_raw,
      country: r.country,
      vehicleClass: r.vehicle_class,
      lane: r.lane,
      confidence: r.confidence,
      imageUrl: r.image_url,
      source: r.source,
      sourceRef: r.source_ref,
      clock: sync ? { status: sync.status, source: sync.source, offsetMs: sync.offsetMs, reportedFor: new Date(sync.atMs).toISOString() } : null,
      certificate: c.certificate
        ? { number: c.certificate.number, issuer: c.certificate.issuer, validFrom: new Date(c.certificate.validFromMs).toISOString(), validTo: new Date(c.certificate.validToMs).toISOString() }
        : null,
    };
  };
  const tolerance = rt.settings.tolerance;
  const ruleVersion = `section ${s.id} v${s.version}; tolerance ${cls ? `${tolerance.kmh[o.vehicleClass]} km/h, ${tolerance.percent[o.vehicleClass]}%` : 'most lenient class'}; engine 1`;
  return {
    kind: 'average-speed',
    plate: o.plate,
    at: new Date(o.exitAtMs).toISOString(),
    cameraId: s.exitCameraId,
    speedKmh: round1(o.speedKmh),
    limitKmh: o.limitKmh,
    readIds: [entry.id, exit.id],
    sourceKey: `average-speed:${s.id}:${o.plate}:${o.entryAtMs}:${o.exitAtMs}`,
    evidence: {
      section: { id: s.id, name: s.name, version: s.version, lengthM: s.lengthM, limits: s.limits, maxTravelS: s.maxTravelS },
      measurement: {
        method: 'average speed = section length ÷ time between the entry and exit reads',
        lengthM: s.lengthM,
        travelTimeS: dtS,
        speedKmh: round1(o.speedKmh),
        vehicleClass: cls,
        limitKmh: o.limitKmh,
        toleranceKmh: round1(o.toleranceKmh),
        thresholdKmh: round1(o.limitKmh + o.toleranceKmh),
        excessKmh: round1(o.speedKmh - o.limitKmh),
      },
      reads: [readEvidence('entry', entry), readEvidence('exit', exit)],
      images: [entry.image_url, exit.image_url].filter((u): u is string => u !== null),
      ruleVersion,
    },
  };
}

/**
 * After a restart: the engine's in-flight state is rebuilt from the reads stored in the last window (the
 * longest travel time + the allowed lateness + the duplicate window), replayed in time order, then settled up
 * to the clock's watermark. Pairs settled before the crash come out again with the same source keys, so
 * recording them is a no-op; pairs the crash interrupted are recorded now. Nothing is paired twice.
 */
export async function rebuild(kernel: Kernel, pageSize = 50_000): Promise<{ reads: number; violations: number }> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const cameras = [...new Set([...rt.sections.values()].flatMap((s) => [s.entryCameraId, s.exitCameraId]))];
  if (cameras.length === 0) return { reads: 0, violations: 0 };
  const nowMs = kernel.clock.now().getTime();
  const since = new Date(nowMs - rt.maxTravelMs() - rt.settings.watermarkMs - rt.settings.dedupeMs).toISOString();
  let after: { at: string; id: string } = { at: since, id: '00000000-0000-0000-0000-000000000000' };
  let count = 0;
  let violations = 0;
  await rt.serially(async () => {
    for (;;) {
      const rows = await kernel.db.query<{ id: string; camera_id: string; plate: string; at: Date; vehicle_class: VehicleClass | null; clock_in_sync: boolean; cert_valid: boolean }>(
        `select id, camera_id, plate, at, vehicle_class, clock_in_sync, cert_valid from traffic_read
         where camera_id = any($1::uuid[]) and at >= $2 and (at, id) > ($3::timestamptz, $4::uuid) order by at, id limit $5`,
        [cameras, since, after.at, after.id, pageSize],
      );
      for (const r of rows) {
        const c = rt.cameras.get(r.camera_id);
        if (!c) continue;
        rt.engine.ingest(c.idx, r.plate, new Date(r.at).getTime(), (r.clock_in_sync ? CLOCK_OK : 0) | (r.cert_valid ? CERT_OK : 0), classIndex(r.vehicle_class));
      }
      count += rows.length;
      const found = rt.engine.drain();
      violations += found.filter((o) => o.kind === 'violation').length;
      await settle(kernel, found);
      if (rows.length < pageSize) break;
      const last = rows[rows.length - 1];
      after = { at: new Date(last.at).toISOString(), id: last.id };
    }
    rt.engine.advance(nowMs - rt.settings.watermarkMs);
    const found = rt.engine.drain();
    violations += found.filter((o) => o.kind === 'violation').length;
    await settle(kernel, found);
    // What the replay counted was counted before the restart: it is not added to the hourly counters again.
    for (const s of rt.sections.values()) rt.flushed.set(s.idx, { ...rt.engine.sectionCounters(s.idx) });
  });
  return { reads: count, violations };
}
