import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type FieldError, fieldErrorsFromZod } from '../../../packages/kernel/src/errors.ts';

/**
 * Camera analytics payloads as their sources send them, each turned into zero or more `VideoEvent`s (pure; no I/O):
 *
 * - ours (`generic`): `{id, camera, at, kind, label?, zone?, score?, snapshot?, embedding?, plate?, lane?, speedKmh?, count?}`;
 * - Frigate (`frigate`): `frigate/events` and `frigate/reviews` (`{type: new|update|end, before, after}`), and
 *   `frigate/tracked_object_update` (`{type: face|lpr|description|classification, id, …}`);
 * - ONVIF Profile M event JSON from the MQTT event broker (`onvif`): `{UtcTime, Source{…}, Data{…}}` on
 *   `<TopicPrefix>/onvif-ej/<topic path>/<source values>`; the TopicPrefix is the camera code;
 * - CompreFace's recognize response (`compreface`): `{result: [{box, subjects[{subject, similarity}], embedding?}]}`;
 * - Double Take's MQTT messages (`double-take`): `double-take/matches/<name>` (`match`) and `double-take/cameras/<c>`
 *   (`matches[]`);
 * - NVIDIA DeepStream nvmsgconv full schema (`deepstream`): `{messageid, mdsversion, @timestamp, sensor{id}, object{…}, event{type}}`.
 *
 * Field paths in errors are relative to the payload (`after.camera`); callers prefix them (`body.3.after.camera`).
 */

export const FORMATS = ['generic', 'frigate', 'onvif', 'compreface', 'double-take', 'deepstream'] as const;
export type Format = (typeof FORMATS)[number];
export const EVENT_KINDS = ['object', 'face', 'plate', 'abandoned', 'review', 'count', 'other'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface VideoEvent {
  source: Format;
  /** The source's own id of what happened; with `source`, the idempotency key. */
  sourceId: string;
  camera: string;
  /** ISO 8601 UTC. */
  at: string;
  kind: EventKind;
  label: string | null;
  zone: string | null;
  /** 0..1 */
  score: number | null;
  snapshot: string | null;
  /** A face embedding to match against the watchlists (not stored). */
  embedding: number[] | null;
  plate: { text: string; country: string | null; confidence: number | null } | null;
  /** For plates: the read in a form the traffic module's intake accepts (a Frigate `lpr` update is passed as is). */
  plateRead: Record<string, unknown> | null;
  /** Frigate review severity. */
  severity: 'alert' | 'detection' | null;
  /** A later state of the same thing (Frigate new → update* → end) replaces the stored one. */
  upsert: boolean;
  /** Seconds the object has been stationary when this was sent (abandoned-object dwell rules); null = moving or unknown. */
  stationaryS: number | null;
  lane: number | null;
  speedKmh: number | null;
  count: number | null;
  /** The payload as received. */
  data: unknown;
}

export type Parsed = { ok: true; events: VideoEvent[] } | { ok: false; errors: FieldError[] };

const base = (source: Format, sourceId: string, camera: string, at: string, kind: EventKind, data: unknown): VideoEvent => ({
  source,
  sourceId,
  camera,
  at,
  kind,
  label: null,
  zone: null,
  score: null,
  snapshot: null,
  embedding: null,
  plate: null,
  plateRead: null,
  severity: null,
  upsert: false,
  stationaryS: null,
  lane: null,
  speedKmh: null,
  count: null,
  data,
});

const CameraCode = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/);
const Text = (max: number) => z.string().trim().min(1).max(max);
const Iso = z.iso.datetime({ offset: true });
const Score = z.number().min(0).max(1);
const Embedding = z.array(z.number()).min(16).max(4096);
const Snapshot = z.string().min(1).max(2000);
/** Frigate times are UNIX seconds (floats). */
const Epoch = z.number().min(946_684_800).max(32_503_680_000);
const epochIso = (s: number) => new Date(Math.round(s * 1000)).toISOString();
const isoOf = (s: string) => new Date(s).toISOString();

function errorsOf(e: z.ZodError, prefix = ''): FieldError[] {
  return fieldErrorsFromZod(e.issues.slice(0, 20), prefix);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): { ok: true; value: T } | { ok: false; errors: FieldError[] } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: errorsOf(r.error, prefix) };
}

// ---- ours ------------------------------------------------------------------------------------------------------

export const GenericEvent = z.strictObject({
  id: Text(200),
  camera: CameraCode,
  at: Iso,
  kind: z.enum(EVENT_KINDS),
  label: Text(100).optional(),
  zone: Text(100).optional(),
  score: Score.optional(),
  snapshot: Snapshot.optional(),
  embedding: Embedding.optional(),
  plate: z.strictObject({ text: Text(20), country: z.string().regex(/^[A-Z]{2}$/).optional(), confidence: Score.optional() }).optional(),
  lane: z.number().int().min(0).max(16).optional(),
  speedKmh: z.number().min(0).max(400).optional(),
  count: z.number().int().min(0).max(100_000).optional(),
  /** Seconds the object has been stationary (abandoned-object rules). */
  stationaryS: z.number().min(0).max(7 * 86_400).optional(),
});

export function parseGeneric(value: unknown): Parsed {
  const r = parseWith(GenericEvent, value);
  if (!r.ok) return r;
  const x = r.value;
  if (x.kind === 'plate' && !x.plate) return { ok: false, errors: [{ path: 'plate', code: 'required' }] };
  const e = base('generic', x.id, x.camera, isoOf(x.at), x.kind, value);
  Object.assign(e, {
    label: x.label ?? null,
    zone: x.zone ?? null,
    score: x.score ?? null,
    snapshot: x.snapshot ?? null,
    embedding: x.embedding ?? null,
    lane: x.lane ?? null,
    speedKmh: x.speedKmh ?? null,
    count: x.count ?? null,
    stationaryS: x.stationaryS ?? null,
  });
  if (x.plate) {
    e.plate = { text: x.plate.text, country: x.plate.country ?? null, confidence: x.plate.confidence ?? null };
    e.plateRead = ourPlateRead(x.camera, e.at, e.plate, `video:generic:${x.id}`, x.lane, x.speedKmh);
  }
  return { ok: true, events: [e] };
}

/** A plate read in the traffic module's own NDJSON form. */
function ourPlateRead(camera: string, at: string, p: { text: string; country: string | null; confidence: number | null }, ref: string, lane?: number | null, speedKmh?: number | null) {
  return {
    camera,
    plate: p.text,
    at,
    ...(p.country ? { country: p.country } : {}),
    ...(p.confidence !== null ? { confidence: p.confidence } : {}),
    ...(lane ? { lane } : {}),
    ...(speedKmh ? { speedKmh: Math.round(speedKmh) } : {}),
    ref,
  };
}

// ---- Frigate ---------------------------------------------------------------------------------------------------

const FrigateObject = z.looseObject({
  id: Text(200),
  camera: CameraCode,
  label: Text(100),
  start_time: Epoch,
  end_time: Epoch.nullable().optional(),
  frame_time: Epoch.optional(),
  top_score: Score.nullable().optional(),
  score: Score.nullable().optional(),
  false_positive: z.boolean().optional(),
  stationary: z.boolean().optional(),
  motionless_count: z.number().int().min(0).optional(),
  current_zones: z.array(z.string()).optional(),
  entered_zones: z.array(z.string()).optional(),
  has_snapshot: z.boolean().optional(),
  sub_label: z.union([z.tuple([z.string(), z.number()]), z.string()]).nullable().optional(),
  current_estimated_speed: z.number().nullable().optional(),
  recognized_license_plate: z.string().nullable().optional(),
  recognized_license_plate_score: z.number().nullable().optional(),
});
const FrigateEvent = z.looseObject({ type: z.enum(['new', 'update', 'end']), before: z.unknown().optional(), after: FrigateObject });

const FrigateReview = z.looseObject({
  type: z.enum(['new', 'update', 'end']),
  before: z.unknown().optional(),
  after: z.looseObject({
    id: Text(200),
    camera: CameraCode,
    start_time: Epoch,
    end_time: Epoch.nullable().optional(),
    severity: z.enum(['alert', 'detection']),
    thumb_path: z.string().max(2000).nullable().optional(),
    data: z.looseObject({
      detections: z.array(z.string()).default([]),
      objects: z.array(z.string()).default([]),
      sub_labels: z.array(z.unknown()).default([]),
      zones: z.array(z.string()).default([]),
    }),
  }),
});

const TrackedObjectUpdate = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('face'), id: Text(200), name: z.string().max(200).nullable(), score: z.number().min(0).max(1).nullable().optional(), camera: CameraCode, timestamp: Epoch }),
  z.looseObject({
    type: z.literal('lpr'),
    id: Text(200),
    name: z.string().max(200).nullable().optional(),
    plate: Text(20),
    score: z.number().min(0).max(1).nullable().optional(),
    camera: CameraCode,
    timestamp: Epoch,
  }),
  z.looseObject({ type: z.literal('description'), id: Text(200), description: z.string() }),
  z.looseObject({ type: z.literal('classification'), id: Text(200), camera: CameraCode, timestamp: Epoch, model: z.string().optional(), score: z.number().nullable().optional() }),
]);

/** A Frigate MQTT payload; which one is told by the topic's last part, or (over HTTP) by its shape. */
export function parseFrigate(value: unknown, topic?: 'events' | 'reviews' | 'tracked_object_update'): Parsed {
  const v = value as Record<string, unknown> | null;
  const kind =
    topic ??
    (v && typeof v === 'object' && v.after && typeof v.after === 'object' && 'severity' in (v.after as object)
      ? 'reviews'
      : v && typeof v === 'object' && 'after' in v
        ? 'events'
        : 'tracked_object_update');
  if (kind === 'reviews') {
    const r = parseWith(FrigateReview, value);
    if (!r.ok) return r;
    const a = r.value.after;
    const e = base('frigate', `review:${a.id}`, a.camera, epochIso(a.start_time), 'review', value);
    e.label = a.data.objects[0] ?? null;
    e.zone = a.data.zones[0] ?? null;
    e.severity = a.severity;
    e.snapshot = a.thumb_path ?? null;
    e.upsert = true;
    return { ok: true, events: [e] };
  }
  if (kind === 'events') {
    const r = parseWith(FrigateEvent, value);
    if (!r.ok) return r;
    const a = r.value.after;
    if (a.false_positive === true) return { ok: true, events: [] };
    const e = base('frigate', `event:${a.id}`, a.camera, epochIso(a.start_time), 'object', value);
    e.label = a.label;
    e.zone = a.current_zones?.[0] ?? a.entered_zones?.[0] ?? null;
    e.score = a.top_score ?? a.score ?? null;
    e.snapshot = a.has_snapshot ? `frigate:/api/events/${a.id}/snapshot.jpg` : null;
    e.upsert = true;
    e.speedKmh = a.current_estimated_speed ?? null;
    if (a.stationary) {
      // Frigate counts frames without motion; at its default detect rate of 5 fps that is motionless_count / 5 seconds,
      // never more than the object has been tracked.
      const tracked = (a.frame_time ?? a.start_time) - a.start_time;
      e.stationaryS = Math.max(0, Math.min(tracked, (a.motionless_count ?? 0) / 5));
    }
    const text = a.recognized_license_plate?.trim();
    if (!text || text.length > 20) return { ok: true, events: [e] };
    // Frigate's LPR (0.16+) also names the car's plate on the event itself: one plate read per tracked car and plate
    // text (updates repeat it), at the frame it was read on, passed on to traffic like any plate.
    const at = epochIso(a.frame_time ?? a.start_time);
    const p = base('frigate', `event-plate:${a.id}:${text}`, a.camera, at, 'plate', value);
    p.label = a.label;
    p.zone = e.zone;
    p.plate = { text, country: null, confidence: a.recognized_license_plate_score ?? null };
    p.plateRead = ourPlateRead(a.camera, at, p.plate, `video:frigate:${a.id}`, null, a.current_estimated_speed);
    return { ok: true, events: [e, p] };
  }
  const r = parseWith(TrackedObjectUpdate, value);
  if (!r.ok) return r;
  const u = r.value;
  if (u.type === 'description') return { ok: true, events: [] };
  if (u.type === 'face') {
    const e = base('frigate', `face:${u.id}:${u.name ?? 'unknown'}`, u.camera, epochIso(u.timestamp), 'face', value);
    e.label = u.name;
    e.score = u.score ?? null;
    e.snapshot = `frigate:/api/events/${u.id}/snapshot.jpg`;
    return { ok: true, events: [e] };
  }
  if (u.type === 'lpr') {
    const e = base('frigate', `lpr:${u.id}:${u.plate}`, u.camera, epochIso(u.timestamp), 'plate', value);
    e.label = u.name ?? null;
    e.score = u.score ?? null;
    e.plate = { text: u.plate, country: null, confidence: u.score ?? null };
    e.plateRead = value as Record<string, unknown>;
    e.snapshot = `frigate:/api/events/${u.id}/snapshot.jpg`;
    return { ok: true, events: [e] };
  }
  const e = base('frigate', `classification:${u.id}:${u.model ?? ''}`, u.camera, epochIso(u.timestamp), 'other', value);
  e.score = u.score ?? null;
  return { ok: true, events: [e] };
}

// ---- ONVIF Profile M (MQTT event broker) ------------------------------------------------------------------------

const OnvifMessage = z.looseObject({
  UtcTime: Iso,
  Source: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  Data: z.record(z.string(), z.unknown()).optional(),
});

/** Splits `<TopicPrefix>/onvif-ej/<topic path>/<source values>` into the camera code and the topic path. */
export function onvifTopic(topic: string): { camera: string; path: string } | null {
  const at = topic.indexOf('/onvif-ej/');
  if (at <= 0) return null;
  const camera = topic.slice(0, at);
  const rest = topic.slice(at + '/onvif-ej/'.length).split('/');
  const cut = rest.findIndex((p) => p.startsWith('&'));
  const path = (cut < 0 ? rest : rest.slice(0, cut)).join('/');
  return path ? { camera, path } : null;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);

export function parseOnvif(topic: string, value: unknown): Parsed {
  const t = onvifTopic(topic);
  if (!t) return { ok: false, errors: [{ path: 'topic', code: 'invalid' }] };
  if (!CameraCode.safeParse(t.camera).success) return { ok: false, errors: [{ path: 'topic.camera', code: 'invalid' }] };
  const r = parseWith(OnvifMessage, value);
  if (!r.ok) return r;
  const m = r.value;
  const data = m.Data ?? {};
  const source = m.Source ?? {};
  const at = isoOf(m.UtcTime);
  const leaf = t.path.split('/').slice(-2).join('/');
  const objectId = str(data.ObjectId);
  const id = `${t.camera}:${t.path}:${Object.values(source).join(',')}:${at}:${objectId ?? ''}`;
  const zone = str(source.Rule) ?? str(source.Field);
  let kind: EventKind = 'other';
  const e = base('onvif', id, t.camera, at, kind, { topic: t.path, ...m });
  e.zone = zone;
  if (t.path.endsWith('ObjectAbandoned')) {
    kind = 'abandoned';
    e.label = 'object';
  } else if (leaf === 'Recognition/Face') {
    kind = 'face';
    e.label = str(data.EnrollmentID);
    e.snapshot = str(data.ImageUri) ?? str(data.RefImageUri);
    const likelihood = Number(data.Likelihood);
    e.score = Number.isFinite(likelihood) && likelihood >= 0 && likelihood <= 1 ? likelihood : null;
  } else if (leaf === 'Recognition/LicensePlate') {
    const plate = str(data.PlateNumber);
    if (!plate || plate.length > 20) return { ok: false, errors: [{ path: 'Data.PlateNumber', code: plate ? 'invalid' : 'required' }] };
    kind = 'plate';
    const country = str(data.CountryCode);
    const likelihood = Number(data.Likelihood);
    e.plate = { text: plate, country: country && /^[A-Z]{2}$/.test(country) ? country : null, confidence: Number.isFinite(likelihood) && likelihood >= 0 && likelihood <= 1 ? likelihood : null };
    e.plateRead = ourPlateRead(t.camera, at, e.plate, `video:onvif:${id}`);
    e.snapshot = str(data.ImageUri);
  } else if (t.path.endsWith('CountAggregation/Counter')) {
    kind = 'count';
    const n = Number(data.Count);
    e.count = Number.isInteger(n) && n >= 0 ? n : null;
  } else if (t.path.startsWith('RuleEngine/')) {
    kind = 'object';
  }
  e.kind = kind;
  return { ok: true, events: [e] };
}

// ---- CompreFace ------------------------------------------------------------------------------------------------

const CompreFaceResponse = z.looseObject({
  result: z
    .array(
      z.looseObject({
        box: z.looseObject({ probability: z.number(), x_min: z.number(), y_min: z.number(), x_max: z.number(), y_max: z.number() }),
        subjects: z.array(z.looseObject({ subject: z.string(), similarity: z.number().min(0).max(1) })).default([]),
        embedding: Embedding.optional(),
      }),
    )
    .max(100),
});

/** A CompreFace recognize response; CompreFace says nothing of the camera, time or id, so the caller does. */
export function parseCompreFace(value: unknown, ctx: { camera: string; at: string; eventId?: string; snapshot?: string }): Parsed {
  const r = parseWith(CompreFaceResponse, value);
  if (!r.ok) return r;
  const id = ctx.eventId ?? createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
  const events = r.value.result.map((face, i) => {
    const e = base('compreface', `${ctx.camera}:${id}:${i}`, ctx.camera, isoOf(ctx.at), 'face', { box: face.box, subjects: face.subjects });
    const best = [...face.subjects].sort((a, b) => b.similarity - a.similarity)[0];
    e.label = best?.subject ?? null;
    e.score = best?.similarity ?? null;
    e.embedding = face.embedding ?? null;
    e.snapshot = ctx.snapshot ?? null;
    return e;
  });
  return { ok: true, events };
}

// ---- Double Take -----------------------------------------------------------------------------------------------

const DoubleTakeMatch = z.looseObject({
  name: z.string().min(1).max(200),
  confidence: z.number().min(0).max(100),
  match: z.boolean(),
  type: z.string().optional(),
  detector: z.string().optional(),
  filename: z.string().max(500).optional(),
  box: z.looseObject({ top: z.number(), left: z.number(), width: z.number(), height: z.number() }).optional(),
});
const DoubleTakeMessage = z.looseObject({
  id: Text(200),
  timestamp: Iso,
  camera: CameraCode,
  zones: z.array(z.string()).default([]),
  match: DoubleTakeMatch.optional(),
  matches: z.array(DoubleTakeMatch).optional(),
});

export function parseDoubleTake(value: unknown): Parsed {
  const r = parseWith(DoubleTakeMessage, value);
  if (!r.ok) return r;
  const m = r.value;
  const matches = m.matches ?? (m.match ? [m.match] : null);
  if (!matches) return { ok: false, errors: [{ path: 'match', code: 'required' }] };
  const events = matches.map((x) => {
    const { base64: _drop, ...kept } = x as Record<string, unknown>;
    const e = base('double-take', `${m.id}:${x.name}`, m.camera, isoOf(m.timestamp), 'face', { ...m, match: kept, matches: undefined });
    e.label = x.match ? x.name : null;
    e.score = x.confidence / 100;
    e.zone = m.zones[0] ?? null;
    e.snapshot = x.filename ? `double-take:${x.filename}` : null;
    return e;
  });
  return { ok: true, events };
}

// ---- DeepStream (nvmsgconv full schema) --------------------------------------------------------------------------

const DeepStreamMessage = z.looseObject({
  messageid: Text(200),
  mdsversion: z.string().optional(),
  '@timestamp': Iso,
  place: z.looseObject({ id: z.union([z.string(), z.number()]).optional(), name: z.string().optional() }).optional(),
  sensor: z.looseObject({ id: z.union([CameraCode, z.number().int()]) }),
  object: z.looseObject({
    id: z.union([z.string(), z.number()]).optional(),
    speed: z.number().min(0).max(400).optional(),
    direction: z.number().optional(),
    vehicle: z.looseObject({ type: z.string().optional(), make: z.string().optional(), model: z.string().optional(), color: z.string().optional(), license: z.string().max(20).optional(), licenseState: z.string().optional() }).optional(),
    person: z.looseObject({}).optional(),
    face: z.looseObject({}).optional(),
  }),
  event: z.looseObject({ id: z.union([z.string(), z.number()]).optional(), type: z.string().min(1).max(40) }),
  videoPath: z.string().max(2000).optional(),
});

export function parseDeepStream(value: unknown): Parsed {
  const r = parseWith(DeepStreamMessage, value);
  if (!r.ok) return r;
  const m = r.value;
  const camera = String(m.sensor.id);
  const at = isoOf(m['@timestamp']);
  const o = m.object;
  const plate = o.vehicle?.license?.trim();
  const kind: EventKind = plate ? 'plate' : o.face ? 'face' : 'object';
  const e = base('deepstream', m.messageid, camera, at, kind, value);
  e.label = o.vehicle ? (o.vehicle.type ?? 'vehicle') : o.person ? 'person' : o.face ? 'face' : null;
  e.zone = m.place?.name ?? null;
  e.speedKmh = o.speed ?? null;
  e.snapshot = m.videoPath ?? null;
  if (plate) {
    e.plate = { text: plate, country: null, confidence: null };
    e.plateRead = ourPlateRead(camera, at, e.plate, `video:deepstream:${m.messageid}`, null, o.speed ?? null);
  }
  if (m.event.type === 'entry' && o.vehicle) e.count = 1;
  return { ok: true, events: [e] };
}

/** One line (payload) of the HTTP intake in the given format. */
export function parseLine(format: Exclude<Format, 'onvif'>, value: unknown, ctx: { camera?: string; at: string; eventId?: string; snapshot?: string }): Parsed {
  switch (format) {
    case 'generic':
      return parseGeneric(value);
    case 'frigate':
      return parseFrigate(value);
    case 'double-take':
      return parseDoubleTake(value);
    case 'deepstream':
      return parseDeepStream(value);
    case 'compreface':
      if (!ctx.camera) return { ok: false, errors: [{ path: 'camera', code: 'required' }] };
      return parseCompreFace(value, { camera: ctx.camera, at: ctx.at, eventId: ctx.eventId, snapshot: ctx.snapshot });
  }
}
