import { isMessageKey, type Lang } from '../i18n.ts';
import { api, ApiError } from './api.ts';
import type { Translate } from './lang.tsx';

/**
 * The traffic module's API as the officers' screens use it (`/api/v1/traffic/*`): violations and their evidence,
 * cameras and sections, «Қорғау» scores, the vehicle register, defects, crashes and black spots. Answers go through
 * the `normalize*` functions, so a field the server renames is changed in one place.
 */

export const VIOLATION_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'VOID'] as const;
export type ViolationStatus = (typeof VIOLATION_STATUSES)[number];
export type PenaltyType = 'fine' | 'warning' | 'none' | 'manual';

export interface Penalty {
  type: PenaltyType;
  /** КоАП article part, e.g. `592.3`. */
  part: string | null;
  fineMrp: number | null;
  mrpYear: number;
  mrpTenge: number | null;
  fineTenge: number | null;
  repeatOf: string | null;
  rulesVersion: string;
  /** False while the violation is pending (prior offences may still change it). */
  final: boolean;
}

export interface Violation {
  id: string;
  kind: string;
  plate: string;
  country: string | null;
  at: string;
  cameraId: string | null;
  sectionId: string | null;
  kato: string | null;
  speedKmh: number | null;
  limitKmh: number | null;
  status: ViolationStatus;
  penalty: Penalty;
  ruleVersion: string;
  readIds: string[];
  recordedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  voidReason: string | null;
  noticeNumber: string | null;
}

export interface Certificate {
  number: string;
  issuer: string;
  validFrom: string | null;
  validTo: string | null;
}

export interface ClockState {
  status: string;
  source: string | null;
  offsetMs: number | null;
  reportedFor: string | null;
}

/** One read the violation rests on: `entry` / `exit` of a section, or `read` of a single camera. */
export interface EvidenceRead {
  role: string;
  readId: string | null;
  cameraId: string | null;
  cameraCode: string | null;
  cameraName: string | null;
  at: string;
  receivedAt: string | null;
  plate: string | null;
  plateRaw: string | null;
  vehicleClass: string | null;
  lane: number | null;
  confidence: number | null;
  imageUrl: string | null;
  clock: ClockState | null;
  certificate: Certificate | null;
}

export interface Measurement {
  method: string | null;
  lengthM: number | null;
  travelTimeS: number | null;
  speedKmh: number | null;
  limitKmh: number | null;
  toleranceKmh: number | null;
  thresholdKmh: number | null;
  excessKmh: number | null;
  vehicleClass: string | null;
}

export interface Evidence {
  section: { id: string; name: string; lengthM: number | null; version: number | null } | null;
  /** The camera of a single-camera violation (spot speed, red light, …), with its certificate and clock. */
  camera: { id: string | null; code: string | null; name: string | null; certificate: Certificate | null; clock: ClockState | null } | null;
  measurement: Measurement | null;
  reads: EvidenceRead[];
  images: string[];
  video: string | null;
  ruleVersion: string | null;
}

export interface ViolationDetail extends Violation {
  evidence: Evidence;
}

export interface CameraRef {
  id: string;
  code: string;
  name: string;
  location: { lon: number; lat: number };
}

export interface Camera extends CameraRef {
  kato: string | null;
  direction: { headingDeg: number; label: string | null } | null;
  lanes: number;
  owner: string;
  kinds: string[];
  certificate: (Certificate & { validNow: boolean }) | null;
  clock: { verdict: string; status: string | null; source: string | null; offsetMs: number | null; lastReportAt: string | null };
}

export interface Section {
  id: string;
  name: string;
  entryCamera: CameraRef;
  exitCamera: CameraRef;
  lengthM: number;
  limits: Record<string, number>;
  maxTravelS: number;
  kato: string | null;
  /** This server process's engine since it started. */
  live: { inFlight: number; pairs: number; averageSpeedKmh: number | null; violations: number; suppressedUnsynced: number };
}

/** Live flow on a section (`GET /api/v1/traffic/sections/live`), or the engine's figures when that is missing. */
export interface SectionLive {
  sectionId: string;
  pairs: number;
  averageSpeedKmh: number | null;
  medianSpeedKmh: number | null;
  p85SpeedKmh: number | null;
  overLimit: number | null;
  lastExitAt: string | null;
}

export interface SectionStats {
  sectionId: string;
  pairs: number;
  compliant: number;
  violations: number;
  suppressedUnsynced: number;
  suppressedUncertified: number;
  implausible: number;
  late: number;
  averageSpeedKmh: number | null;
}

export interface ScoreItem {
  code: string;
  at: string | null;
  ref: string | null;
  plate: string | null;
  weight: number;
  factor: number;
  points: number;
  text: string;
}

export interface Score {
  subject: string;
  kind: 'plate' | 'person';
  score: number;
  flagged: boolean;
  threshold: number;
  items: ScoreItem[];
  rulesVersion: string;
  computedAt: string;
}

export interface PlateScore extends Score {
  registered: boolean;
  wanted: boolean;
  alerting: boolean;
}

export interface Vehicle {
  plate: string;
  country: string | null;
  class: string;
  make: string | null;
  model: string | null;
  colour: string | null;
  year: number | null;
  vin: string | null;
  owner: { kind: 'person' | 'organisation'; name: string; iin: string; address: string };
  insuranceValidUntil: string | null;
  insured: boolean;
  wanted: { reason: string; basis: string; since: string } | null;
}

export const DEFECT_STATUSES = ['open', 'in_progress', 'fixed', 'verified', 'rejected'] as const;
export type DefectStatus = (typeof DEFECT_STATUSES)[number];
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export interface Defect {
  id: string;
  type: string;
  severity: string;
  status: DefectStatus;
  statusNote: string | null;
  location: { lon: number; lat: number };
  kato: string | null;
  address: string | null;
  road: { name: string | null; code: string | null; national: boolean | null } | null;
  description: string | null;
  photo: { url: string } | null;
  responsibleOrg: string | null;
  deadline: string;
  overdue: boolean;
  source: 'inspection' | 'citizen';
  createdAt: string;
}

export interface BlackSpot {
  rank: number;
  center: { lon: number; lat: number };
  radiusM: number;
  crashes: number;
  injuries: number;
  deaths: number;
  fatalCrashes: number;
  severityIndex: number;
  nationalRoad: boolean;
  roadCodes: string[];
  firstAt: string;
  lastAt: string;
}

export interface CrashYear {
  year: number;
  crashes: number;
  injuries: number;
  deaths: number;
  national: { crashes: number; injuries: number; deaths: number };
  nationalDeathsChange: { absolute: number; percent: number | null } | null;
}

// ---- normalisers ------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function normalizeCertificate(v: unknown): Certificate | null {
  const c = obj(v);
  const number = str(c.number);
  if (!number) return null;
  return { number, issuer: str(c.issuer) ?? '', validFrom: str(c.validFrom), validTo: str(c.validTo) };
}

function normalizeClock(v: unknown): ClockState | null {
  const c = obj(v);
  const status = str(c.status);
  if (!status) return null;
  return { status, source: str(c.source), offsetMs: num(c.offsetMs), reportedFor: str(c.reportedFor) };
}

export function normalizePenalty(v: unknown): Penalty {
  const p = obj(v);
  const type = str(p.type);
  return {
    type: type === 'fine' || type === 'warning' || type === 'none' ? type : 'manual',
    part: str(p.part),
    fineMrp: num(p.fineMrp),
    mrpYear: num(p.mrpYear) ?? new Date().getFullYear(),
    mrpTenge: num(p.mrpTenge),
    fineTenge: num(p.fineTenge),
    repeatOf: str(p.repeatOf),
    rulesVersion: str(p.rulesVersion) ?? '',
    final: p.final === true,
  };
}

export function normalizeViolation(v: unknown): Violation {
  const o = obj(v);
  const status = str(o.status);
  return {
    id: String(o.id ?? ''),
    kind: str(o.kind) ?? 'unknown',
    plate: str(o.plate) ?? '',
    country: str(o.country),
    at: str(o.at) ?? '',
    cameraId: str(o.cameraId),
    sectionId: str(o.sectionId),
    kato: str(o.kato),
    speedKmh: num(o.speedKmh),
    limitKmh: num(o.limitKmh),
    status: (VIOLATION_STATUSES as readonly string[]).includes(status ?? '') ? (status as ViolationStatus) : 'PENDING',
    penalty: normalizePenalty(o.penalty),
    ruleVersion: str(o.ruleVersion) ?? '',
    readIds: arr(o.readIds).filter((x): x is string => typeof x === 'string'),
    recordedAt: str(o.recordedAt) ?? str(o.at) ?? '',
    decidedBy: str(o.decidedBy),
    decidedAt: str(o.decidedAt),
    decisionNote: str(o.decisionNote),
    voidReason: str(o.voidReason),
    noticeNumber: str(o.noticeNumber),
  };
}

/** The evidence as section control and camera violations file it; unknown parts are left out, never guessed. */
export function normalizeEvidence(v: unknown): Evidence {
  const e = obj(v);
  const s = obj(e.section);
  const cam = obj(e.camera);
  const m = e.measurement ? obj(e.measurement) : null;
  const reads = arr(e.reads).map((x): EvidenceRead => {
    const r = obj(x);
    return {
      role: str(r.role) ?? 'read',
      readId: str(r.readId),
      cameraId: str(r.cameraId),
      cameraCode: str(r.cameraCode),
      cameraName: str(r.cameraName),
      at: str(r.at) ?? '',
      receivedAt: str(r.receivedAt),
      plate: str(r.plate),
      plateRaw: str(r.plateRaw),
      vehicleClass: str(r.vehicleClass),
      lane: num(r.lane),
      confidence: num(r.confidence),
      imageUrl: str(r.imageUrl),
      clock: normalizeClock(r.clock),
      certificate: normalizeCertificate(r.certificate),
    };
  });
  return {
    section: str(s.id) ? { id: String(s.id), name: str(s.name) ?? '', lengthM: num(s.lengthM), version: num(s.version) } : null,
    camera:
      str(cam.code) || str(cam.id)
        ? { id: str(cam.id), code: str(cam.code), name: str(cam.name), certificate: normalizeCertificate(cam.certificate), clock: normalizeClock(cam.clock) }
        : null,
    measurement: m
      ? {
          method: str(m.method),
          lengthM: num(m.lengthM),
          travelTimeS: num(m.travelTimeS),
          speedKmh: num(m.speedKmh),
          limitKmh: num(m.limitKmh),
          toleranceKmh: num(m.toleranceKmh),
          thresholdKmh: num(m.thresholdKmh),
          excessKmh: num(m.excessKmh),
          vehicleClass: str(m.vehicleClass),
        }
      : null,
    reads,
    images: arr(e.images).filter((x): x is string => typeof x === 'string'),
    video: str(e.video),
    ruleVersion: str(e.ruleVersion),
  };
}

export function normalizeViolationDetail(v: unknown): ViolationDetail {
  return { ...normalizeViolation(v), evidence: normalizeEvidence(obj(v).evidence) };
}

/** The image of a read, else the one of the camera violation at the same position in `images`. */
export function readImage(e: Evidence, i: number): string | null {
  return e.reads[i]?.imageUrl ?? (e.reads.every((r) => !r.imageUrl) ? (e.images[i] ?? null) : null);
}

/** Newest first: by the time of the offence, then by when it was recorded. */
export function newestFirst(a: Violation, b: Violation): number {
  return Date.parse(b.at) - Date.parse(a.at) || Date.parse(b.recordedAt) - Date.parse(a.recordedAt) || (a.id < b.id ? 1 : -1);
}

// ---- presentation -------------------------------------------------------------------------------------------------

/**
 * Numbers as written in Kazakhstan — a space between thousands, a decimal comma — in Russian and Kazakh alike: the
 * ICU of some browsers (Debian's Chromium among them) has no Kazakh number data and prints «173,000» for `kk-KZ`.
 */
const locales: Record<Lang, string> = { ru: 'ru-RU', kk: 'ru-RU', en: 'en-GB' };

export function formatNumber(v: number, lang: Lang, digits = 0): string {
  return new Intl.NumberFormat(locales[lang], { maximumFractionDigits: digits }).format(v);
}

/** «86 500 ₸» (the sign after the number, as written in Kazakhstan). */
export function formatTenge(v: number, lang: Lang): string {
  return `${formatNumber(v, lang)} ₸`;
}

/** A label for a code the server sends (`tkind.average-speed`, …), or the code itself when the catalogue lacks it. */
export function codeText(t: Translate, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? t(key) : code;
}

/** The sanction in a few words: «20 МРП · 86 500 ₸», «Предупреждение», … */
export function penaltyText(p: Penalty, t: Translate, lang: Lang): string {
  if (p.type === 'fine') {
    const parts = [p.fineMrp != null ? t('traffic.mrp', { n: formatNumber(p.fineMrp, lang) }) : null, p.fineTenge != null ? formatTenge(p.fineTenge, lang) : null];
    return parts.filter(Boolean).join(' · ') || t('penalty.fine');
  }
  return t(`penalty.${p.type}`);
}

/** How a section's speed compares with its limit: the colour class of the map and the list. */
export type SpeedBand = 'none' | 'ok' | 'near' | 'over';

/** ≤ the limit: ok; up to 10 % above: near; more: over; no vehicles: none. */
export function speedBand(averageKmh: number | null, limitKmh: number): SpeedBand {
  if (averageKmh == null || !(limitKmh > 0)) return 'none';
  const r = averageKmh / limitKmh;
  if (r <= 1) return 'ok';
  if (r <= 1.1) return 'near';
  return 'over';
}

export const SPEED_COLOURS: Record<SpeedBand, string> = { none: '#94a3b8', ok: '#16a34a', near: '#d97706', over: '#dc2626' };
export const SEVERITY_COLOURS: Record<string, string> = { low: '#64748b', medium: '#ca8a04', high: '#ea580c', critical: '#b91c1c' };

/** A defect's next statuses (the server's lifecycle; `verified` needs traffic:verify). */
export const DEFECT_NEXT: Record<DefectStatus, DefectStatus[]> = {
  open: ['in_progress', 'fixed', 'rejected'],
  in_progress: ['open', 'fixed', 'rejected'],
  fixed: ['verified', 'in_progress'],
  verified: [],
  rejected: ['open'],
};

// ---- API ----------------------------------------------------------------------------------------------------------

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const enc = encodeURIComponent;

/** Null for a 404 (no such vehicle, no score, a route this server does not have yet). */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** Every page of a cursor list, up to `max` items. */
async function all<T>(path: string, max: number, signal?: AbortSignal): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const page: Page<T> = await api<Page<T>>(cursor ? `${path}${sep}cursor=${enc(cursor)}` : path, { signal });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return { items, more: cursor !== null };
}

export interface DecisionResult {
  results: { id: string; ok: boolean; status: string | null; code: string | null }[];
  confirmed: number;
  rejected: number;
  failed: number;
}

export const trafficApi = {
  /** The verification queue, newest first (the server pages it oldest first). */
  async pending(signal?: AbortSignal): Promise<{ items: Violation[]; more: boolean }> {
    const r = await all<unknown>('/api/v1/traffic/violations?status=PENDING&limit=200', 2000, signal);
    return { items: r.items.map(normalizeViolation).sort(newestFirst), more: r.more };
  },
  async violations(query: { status?: ViolationStatus; plate?: string; limit?: number }, signal?: AbortSignal): Promise<Violation[]> {
    const q = new URLSearchParams({ limit: String(query.limit ?? 100) });
    if (query.status) q.set('status', query.status);
    if (query.plate) q.set('plate', query.plate);
    const page = await api<Page<unknown>>(`/api/v1/traffic/violations?${q}`, { signal });
    return page.items.map(normalizeViolation).sort(newestFirst);
  },
  async violation(id: string, signal?: AbortSignal): Promise<ViolationDetail> {
    return normalizeViolationDetail(await api<unknown>(`/api/v1/traffic/violations/${enc(id)}`, { signal }));
  },
  async decide(id: string, decision: 'confirm' | 'reject', note?: string): Promise<Violation> {
    return normalizeViolation(await api<unknown>(`/api/v1/traffic/violations/${enc(id)}/decision`, { method: 'POST', body: { decision, ...(note ? { note } : {}) } }));
  },
  decideMany(ids: string[], decision: 'confirm' | 'reject', note?: string): Promise<DecisionResult> {
    return api<DecisionResult>('/api/v1/traffic/violations/decisions', { method: 'POST', body: { ids, decision, ...(note ? { note } : {}) } });
  },
  /** The printable notice (HTML) in the interface language. */
  noticeHtml(id: string, lang: Lang): Promise<string> {
    return api<string>(`/api/v1/traffic/violations/${enc(id)}/notice.html?lang=${lang}`, { responseType: 'text' });
  },
  async cameras(signal?: AbortSignal): Promise<Camera[]> {
    return (await all<Camera>('/api/v1/traffic/cameras?limit=200', 2000, signal)).items;
  },
  async sections(signal?: AbortSignal): Promise<Section[]> {
    return (await all<Section>('/api/v1/traffic/sections?limit=200', 2000, signal)).items;
  },
  /** Null when the server has no live route (then the engine's figures in `sections` stand in). */
  async sectionsLive(minutes: number, signal?: AbortSignal): Promise<SectionLive[] | null> {
    const r = await orNull(api<{ items: SectionLive[] }>(`/api/v1/traffic/sections/live?minutes=${minutes}`, { signal }));
    return r ? r.items : null;
  },
  async sectionStats(hours: number, signal?: AbortSignal): Promise<SectionStats[]> {
    return (await api<{ sections: SectionStats[] }>(`/api/v1/traffic/section-control/stats?hours=${hours}`, { signal })).sections;
  },
  vehicle(plate: string, signal?: AbortSignal): Promise<Vehicle | null> {
    return orNull(api<Vehicle>(`/api/v1/traffic/vehicles/${enc(plate)}`, { signal }));
  },
  plateScore(plate: string, signal?: AbortSignal): Promise<PlateScore | null> {
    return orNull(api<PlateScore>(`/api/v1/traffic/korgau/${enc(plate)}`, { signal }));
  },
  async defects(signal?: AbortSignal): Promise<Defect[]> {
    return (await all<Defect>('/api/v1/traffic/defects?limit=200', 1000, signal)).items;
  },
  patchDefect(id: string, body: { status: DefectStatus; note?: string }): Promise<Defect> {
    return api<Defect>(`/api/v1/traffic/defects/${enc(id)}`, { method: 'PATCH', body });
  },
  async blackSpots(signal?: AbortSignal): Promise<{ items: BlackSpot[]; from: string; to: string; epsM: number; minCrashes: number }> {
    return api('/api/v1/traffic/crashes/black-spots?limit=50', { signal });
  },
  async crashStats(signal?: AbortSignal): Promise<CrashYear[]> {
    return (await api<{ years: CrashYear[] }>('/api/v1/traffic/crashes/stats', { signal })).years;
  },
};

/** Live events of violations (SSE names them exactly). */
export const VIOLATION_SUBJECTS: readonly string[] = [
  'traffic.violation.recorded',
  'traffic.violation.confirmed',
  'traffic.violation.rejected',
  'traffic.violation.voided',
];
