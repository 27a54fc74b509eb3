import { z } from 'zod';
import { type FieldError, fieldErrorsFromZod, parseReporting } from '../../../packages/kernel/src/errors.ts';
import type { VehicleClass } from '../contract.ts';

/**
 * The plate-read payloads the module accepts, each turned into the same `ReadInput` (pure):
 *
 * - **ours** (`tartip`): `{camera, plate, at, country?, vehicleClass?, speedKmh?, lane?, confidence?, imageUrl?, ref?}`;
 * - **OpenALPR `alpr_results`** (`openalpr/openalpr` `alpr_impl.cpp` `toJson`, plus the agent's `uuid`,
 *   `camera_id`, `site_id`): one read per entry of `results[]`, at `epoch_time` (ms);
 * - **OpenALPR `alpr_group`** (agent / Rekor Scout "Group Results"): one read, `best_plate_number` at `epoch_start`;
 * - **Frigate LPR** (`frigate/tracked_object_update` with `type: "lpr"`, Frigate ≥ 0.16): `{id, name, plate,
 *   score, camera, timestamp (s), plate_box}`.
 *
 * OpenALPR `heartbeat` messages and Frigate updates of other types are not reads: they are ignored, not
 * refused. Vendors add fields over time, so the vendor formats accept unknown fields; ours is strict.
 */

export const VEHICLE_CLASSES = ['car', 'truck', 'bus', 'motorcycle', 'moped', 'other'] as const satisfies readonly VehicleClass[];

export type ReadSource = 'tartip' | 'alpr_results' | 'alpr_group' | 'frigate';

/** One plate read as a camera sent it, before the camera is resolved and the plate normalised. */
export interface ReadInput {
  /** Camera identifiers to try, best first (our code or id; OpenALPR `<site_id>-cam<camera_id>` then `<camera_id>`). */
  camera: string[];
  plateRaw: string;
  /** The camera's idea of the country (ISO 3166-1 alpha-2, any case), if it has one. */
  country: string | null;
  /** When the vehicle passed, ms since the epoch (whole milliseconds). */
  atMs: number;
  vehicleClass: VehicleClass | null;
  speedKmh: number | null;
  lane: number | null;
  /** OCR confidence, 0–100. */
  confidence: number | null;
  imageUrl: string | null;
  source: ReadSource;
  /** The sender's own id for the read or event (OpenALPR uuid, Frigate event id, ours `ref`). */
  sourceRef: string | null;
}

export type ParsedPayload = { ok: true; reads: ReadInput[] } | { ok: false; errors: FieldError[] };

const Text = (max: number) => z.string().trim().min(1).max(max);
const Url = z.url({ protocol: /^https?$/ }).max(2000);

/** Our own read: one JSON object per NDJSON line (or MQTT message, or bus event). */
export const TartipRead = z.strictObject({
  camera: Text(64),
  plate: Text(32),
  at: z.iso.datetime({ offset: true }),
  country: z.string().regex(/^[A-Za-z]{2}$/).nullable().optional(),
  vehicleClass: z.enum(VEHICLE_CLASSES).nullable().optional(),
  speedKmh: z.number().min(0).max(400).nullable().optional(),
  lane: z.number().int().min(1).max(16).nullable().optional(),
  confidence: z.number().min(0).max(100).nullable().optional(),
  imageUrl: Url.nullable().optional(),
  ref: Text(200).nullable().optional(),
});
export type TartipRead = z.infer<typeof TartipRead>;

const CameraNo = z.union([z.number().int().min(0), Text(64)]);
const EpochMs = z.number().int().min(0).max(8_640_000_000_000);

const AlprResult = z.looseObject({
  plate: Text(32),
  confidence: z.number().min(0).max(100).optional(),
  region: z.string().max(16).optional(),
});

const AlprResults = z.looseObject({
  data_type: z.literal('alpr_results'),
  epoch_time: EpochMs,
  camera_id: CameraNo,
  site_id: Text(64).optional(),
  uuid: Text(200).optional(),
  results: z.array(AlprResult).max(64),
});

const AlprGroup = z.looseObject({
  data_type: z.literal('alpr_group'),
  epoch_start: EpochMs,
  epoch_end: EpochMs.optional(),
  camera_id: CameraNo,
  site_id: Text(64).optional(),
  best_plate_number: Text(32),
  best_confidence: z.number().min(0).max(100).optional(),
  best_region: z.string().max(16).optional(),
  best_uuid: Text(200).optional(),
  uuids: z.array(z.string()).optional(),
  vehicle: z.looseObject({ body_type: z.array(z.looseObject({ name: z.string() })).optional() }).optional(),
});

const FrigateLpr = z.looseObject({
  type: z.literal('lpr'),
  id: Text(200),
  name: z.string().nullable().optional(),
  plate: Text(32),
  score: z.number().min(0).max(1).optional(),
  camera: Text(64),
  /** Seconds since the epoch, with a fraction. */
  timestamp: z.number().min(0).max(8_640_000_000),
  plate_box: z.array(z.number()).optional(),
});

/** OpenALPR region codes are `kz`, `us-ca`, `eu`…: a two-letter head is a country. */
const countryOfRegion = (region: string | undefined): string | null => {
  const m = /^([a-z]{2})(-|$)/i.exec(region ?? '');
  return m && m[1].toLowerCase() !== 'eu' ? m[1] : null;
};

const alprCameras = (p: { camera_id: number | string; site_id?: string }) => {
  const id = String(p.camera_id);
  return p.site_id ? [`${p.site_id}-cam${id}`, id] : [id];
};

/** OpenALPR body types (`sedan-standard`, `truck-standard`, `bus`, `motorcycle`, …) to our classes. */
function classOfBodyType(name: string | undefined): VehicleClass | null {
  if (!name) return null;
  const n = name.toLowerCase();
  if (n.includes('motorcycle')) return 'motorcycle';
  if (n.includes('scooter') || n.includes('moped')) return 'moped';
  if (n.includes('bus')) return 'bus';
  if (n.includes('truck') || n.includes('tractor') || n.includes('trailer')) return 'truck';
  if (/sedan|suv|hatchback|wagon|coupe|convertible|van|minivan|pickup|crossover/.test(n)) return 'car';
  return 'other';
}

const base = (source: ReadSource, camera: string[], plateRaw: string, atMs: number): ReadInput => ({
  camera,
  plateRaw,
  country: null,
  atMs,
  vehicleClass: null,
  speedKmh: null,
  lane: null,
  confidence: null,
  imageUrl: null,
  source,
  sourceRef: null,
});

function failed(issues: readonly z.core.$ZodIssue[], prefix: string): ParsedPayload {
  return { ok: false, errors: fieldErrorsFromZod(issues, prefix) };
}

/**
 * Parses one payload in any accepted format; `prefix` is where it came from (`line.17`, `item.0`), for the
 * paths of its field errors. An ignorable message (heartbeat, a Frigate face update) gives `reads: []`.
 */
export function parsePayload(value: unknown, prefix: string): ParsedPayload {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ path: prefix, code: 'invalid_type', params: { expected: 'object' } }] };
  }
  const v = value as Record<string, unknown>;
  const dataType = v.data_type;
  if (dataType === 'heartbeat') return { ok: true, reads: [] };
  if (dataType === 'alpr_results') {
    const r = parseReporting(AlprResults, v);
    if (!r.success) return failed(r.error.issues, prefix);
    const p = r.data;
    const cameras = alprCameras(p);
    const atMs = p.epoch_time;
    return {
      ok: true,
      reads: p.results.map((x, i) => ({
        ...base('alpr_results', cameras, x.plate, atMs),
        country: countryOfRegion(x.region),
        confidence: x.confidence ?? null,
        sourceRef: p.uuid ? (p.results.length > 1 ? `${p.uuid}#${i}` : p.uuid) : null,
      })),
    };
  }
  if (dataType === 'alpr_group') {
    const r = parseReporting(AlprGroup, v);
    if (!r.success) return failed(r.error.issues, prefix);
    const p = r.data;
    return {
      ok: true,
      reads: [
        {
          ...base('alpr_group', alprCameras(p), p.best_plate_number, p.epoch_start),
          country: countryOfRegion(p.best_region),
          confidence: p.best_confidence ?? null,
          vehicleClass: classOfBodyType(p.vehicle?.body_type?.[0]?.name),
          sourceRef: p.best_uuid ?? p.uuids?.[0] ?? null,
        },
      ],
    };
  }
  if (dataType !== undefined) return { ok: false, errors: [{ path: `${prefix}.data_type`, code: 'invalid_value' }] };
  if ('type' in v) {
    // Frigate's tracked_object_update carries descriptions, faces and classifications too: only `lpr` is a read.
    if (v.type !== 'lpr') {
      if (typeof v.type === 'string' && ['description', 'face', 'classification'].includes(v.type)) return { ok: true, reads: [] };
      return { ok: false, errors: [{ path: `${prefix}.type`, code: 'invalid_value' }] };
    }
    const r = parseReporting(FrigateLpr, v);
    if (!r.success) return failed(r.error.issues, prefix);
    const p = r.data;
    return {
      ok: true,
      reads: [{ ...base('frigate', [p.camera], p.plate, Math.round(p.timestamp * 1000)), confidence: p.score === undefined ? null : Math.round(p.score * 1000) / 10, sourceRef: p.id }],
    };
  }
  const fast = fastTartip(v);
  if (fast) return { ok: true, reads: [fast] };
  const r = parseReporting(TartipRead, v);
  if (!r.success) return failed(r.error.issues, prefix);
  const p = r.data;
  return {
    ok: true,
    reads: [
      {
        ...base('tartip', [p.camera], p.plate, Date.parse(p.at)),
        country: p.country ?? null,
        vehicleClass: p.vehicleClass ?? null,
        speedKmh: p.speedKmh ?? null,
        lane: p.lane ?? null,
        confidence: p.confidence ?? null,
        imageUrl: p.imageUrl ?? null,
        sourceRef: p.ref ?? null,
      },
    ],
  };
}

// ---- fast path ---------------------------------------------------------------------------------------------------

const TARTIP_KEYS = new Set(Object.keys(TartipRead.shape));
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digits = (s: string, from: number, n: number) => {
  let v = 0;
  for (let i = from; i < from + n; i++) v = v * 10 + s.charCodeAt(i) - 48;
  return v;
};

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z` to ms since the epoch (the fraction cut to whole ms), or NaN when it is not
 * such a string or names a time that does not exist (30 February, hour 24, second 60).
 */
export function isoZ(s: string): number {
  if (s.length > 30 || !ISO_Z.test(s)) return Number.NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const se = digits(s, 17, 2);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap ? 29 : DAYS[mo - 1]) || h > 23 || mi > 59 || se > 59) return Number.NaN;
  const ms = s.length > 20 ? digits(s, 20, Math.min(3, s.length - 21)) * 10 ** (3 - Math.min(3, s.length - 21)) : 0;
  return Date.UTC(y, mo - 1, d, h, mi, se, ms);
}
const COUNTRY_CODE = /^[A-Za-z]{2}$/;
const CLASSES = new Set<string>(VEHICLE_CLASSES);

const trimmedText = (x: unknown, max: number): x is string => typeof x === 'string' && x.length >= 1 && x.length <= max && x === x.trim();
const absent = (x: unknown) => x === undefined || x === null;
const numberIn = (x: unknown, min: number, max: number) => typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max;

function httpUrl(x: unknown): boolean {
  if (typeof x !== 'string' || x.length > 2000 || x !== x.trim()) return false;
  try {
    const u = new URL(x);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Our own read, checked by hand — the hot path of the intake (tens of thousands of lines a second). It accepts
 * only what `TartipRead` accepts, and is stricter where that is simpler (no surrounding spaces, `Z` times):
 * anything it does not take goes to the zod schema, which decides and explains.
 */
function fastTartip(v: Record<string, unknown>): ReadInput | null {
  for (const k in v) if (!TARTIP_KEYS.has(k)) return null;
  const { camera, plate, at, country, vehicleClass, speedKmh, lane, confidence, imageUrl, ref } = v;
  if (!trimmedText(camera, 64) || !trimmedText(plate, 32) || typeof at !== 'string') return null;
  const atMs = isoZ(at);
  if (Number.isNaN(atMs)) return null;
  if (!absent(country) && !(typeof country === 'string' && COUNTRY_CODE.test(country))) return null;
  if (!absent(vehicleClass) && !(typeof vehicleClass === 'string' && CLASSES.has(vehicleClass))) return null;
  if (!absent(speedKmh) && !numberIn(speedKmh, 0, 400)) return null;
  if (!absent(lane) && !(numberIn(lane, 1, 16) && Number.isInteger(lane))) return null;
  if (!absent(confidence) && !numberIn(confidence, 0, 100)) return null;
  if (!absent(imageUrl) && !httpUrl(imageUrl)) return null;
  if (!absent(ref) && !trimmedText(ref, 200)) return null;
  return {
    camera: [camera],
    plateRaw: plate,
    country: (country as string | null | undefined) ?? null,
    atMs,
    vehicleClass: (vehicleClass as VehicleClass | null | undefined) ?? null,
    speedKmh: (speedKmh as number | null | undefined) ?? null,
    lane: (lane as number | null | undefined) ?? null,
    confidence: (confidence as number | null | undefined) ?? null,
    imageUrl: (imageUrl as string | null | undefined) ?? null,
    source: 'tartip',
    sourceRef: (ref as string | null | undefined) ?? null,
  };
}
