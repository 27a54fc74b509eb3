import { api } from './api.ts';
import type { LonLat } from './geoMath.ts';

/**
 * The dispatch API as the screens use it. The server's answers go through the `normalize*` functions, so that a
 * renamed field (`etaS` / `etaSeconds`, `lastPosition` / `position`) changes one place, not every component.
 */

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

export type IncidentStatus =
  | 'RECEIVED'
  | 'TRIAGED'
  | 'PENDING'
  | 'DISPATCHED'
  | 'EN_ROUTE'
  | 'ON_SCENE'
  | 'CLEARED'
  | 'CLOSED'
  | 'CANCELLED'
  | 'MERGED';

export const UNIT_STATUSES = ['AVAILABLE', 'DISPATCHED', 'EN_ROUTE', 'ON_SCENE', 'RETURNING', 'BUSY', 'OUT_OF_SERVICE'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

/** Statuses after which an incident leaves the queue (CLEARED waits only for the operator's close). */
export const FINAL_STATUSES: readonly string[] = ['CLEARED', 'CLOSED', 'CANCELLED', 'MERGED'];
/** Statuses in which an incident waits for a unit. */
export const WAITING_STATUSES: readonly string[] = ['RECEIVED', 'TRIAGED', 'PENDING'];

export const LOCATION_PRECISIONS = ['point', 'house', 'street', 'place', 'district'] as const;
export type LocationPrecision = (typeof LOCATION_PRECISIONS)[number];
/** Whether an incident's marker is the spot, or only stands for a street, a village or a district. */
export const isApproximate = (p: LocationPrecision): boolean => p !== 'point' && p !== 'house';

export interface IncidentSummary {
  id: string;
  status: IncidentStatus;
  priority: Priority;
  category: string;
  location: LonLat;
  /**
   * `point` (someone stood there, or an operator put the pin) or `house`: the spot. `street`, `place` or `district`:
   * a citizen gave only an address and the server placed it that far — approximate until an operator relocates it.
   */
  locationPrecision: LocationPrecision;
  kato: string | null;
  address: string | null;
  description: string | null;
  receivedAt: string;
  /** When the next response target falls due: first unit dispatched while waiting, then first unit on scene. */
  dueAt: string | null;
  reportIds: string[];
}

export interface PremiseFlag {
  id?: string;
  kind: string;
  note: string | null;
  distanceM?: number | null;
}

export interface TimelineEntry {
  at: string;
  actor: string | null;
  /** What happened: a status (`to`), or an event kind (`assignment`, `report`, …). */
  what: string;
  isStatus: boolean;
  note: string | null;
  callSign: string | null;
}

export interface Assignment {
  id: string;
  unitId: string;
  callSign: string | null;
  assignedAt: string | null;
  released: boolean;
  recommendationRank: number | null;
}

export interface IncidentDetail extends IncidentSummary {
  timeline: TimelineEntry[];
  assignments: Assignment[];
  premiseFlags: PremiseFlag[];
  mergedInto: string | null;
}

export interface Recommendation {
  rank: number;
  unitId: string;
  callSign: string;
  type: string | null;
  etaSeconds: number;
  distanceMeters: number;
  method: string;
  reason: string | null;
}

export interface Unit {
  id: string;
  callSign: string;
  type: string;
  status: UnitStatus;
  position: LonLat | null;
  lastSeenAt: string | null;
  stale: boolean;
  battery: number | null;
  panic: boolean;
  incidentId: string | null;
}

export interface Alert {
  id: string;
  kind: string;
  incidentId: string | null;
  unitId: string | null;
  callSign: string | null;
  raisedAt: string | null;
  acknowledged: boolean;
  /** A panic from a unit that has never reported where it is (and sent no position): no incident yet. */
  positionUnknown: boolean;
  /** When nobody acknowledged it in time and it went to the supervisors. */
  escalatedAt: string | null;
}

export interface MyIncident {
  id: string;
  category: string;
  priority: Priority;
  status: IncidentStatus | null;
  location: LonLat;
  /** How precisely the place is known: the crew is told when it is only a street, a place or a district. */
  locationPrecision: LocationPrecision;
  address: string | null;
  description: string | null;
  premiseFlags: PremiseFlag[];
}

/** Another unit's panic that named this one among the nearest (`GET /api/v1/units/mine`, `assist`). */
export interface AssistCall {
  alertId: string;
  incidentId: string;
  callSign: string;
  location: LonLat;
  address: string | null;
  raisedAt: string;
}

export interface Mine {
  unit: Unit | null;
  assignment: { incident: MyIncident } | null;
  /** Crews calling for help whose panic named this unit, newest first. */
  assist: AssistCall[];
}

/** A position sample as `POST /api/v1/units/telemetry` takes it (speed km/h, heading degrees, battery percent). */
export interface TelemetryLine {
  unitId: string;
  at: string;
  lon: number;
  lat: number;
  speed?: number;
  heading?: number;
  battery?: number;
}

// ---- normalising the server's answers ----------------------------------------------------------------------

type Raw = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Raw | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function point(v: unknown): LonLat | null {
  const o = obj(v);
  if (!o) return null;
  if (Array.isArray(o.coordinates)) {
    const [lon, lat] = o.coordinates as number[];
    return typeof lon === 'number' && typeof lat === 'number' ? { lon, lat } : null;
  }
  const lon = num(o.lon);
  const lat = num(o.lat);
  return lon === null || lat === null ? null : { lon, lat };
}

function dueAtOf(r: Raw, status: string): string | null {
  const direct = str(r.dueAt);
  if (direct) return direct;
  const sla = obj(r.sla);
  if (!sla) return null;
  if (str(sla.dueAt)) return str(sla.dueAt);
  if (WAITING_STATUSES.includes(status)) return str(sla.dispatchDueAt);
  if (status === 'DISPATCHED' || status === 'EN_ROUTE') return str(sla.onSceneDueAt);
  return null;
}

export function normalizeIncident(v: unknown): IncidentSummary {
  const r = obj(v) ?? {};
  const status = (str(r.status) ?? 'RECEIVED') as IncidentStatus;
  return {
    id: String(r.id),
    status,
    priority: (str(r.priority) ?? 'P3') as Priority,
    category: str(r.category) ?? 'other',
    location: point(r.location) ?? { lon: 0, lat: 0 },
    locationPrecision: (LOCATION_PRECISIONS as readonly string[]).includes(str(r.locationPrecision) ?? '') ? (str(r.locationPrecision) as LocationPrecision) : 'point',
    kato: str(r.kato),
    address: str(r.address),
    description: str(r.description),
    receivedAt: str(r.receivedAt) ?? str(r.createdAt) ?? new Date().toISOString(),
    dueAt: dueAtOf(r, status),
    reportIds: arr(r.reportIds).filter((x): x is string => typeof x === 'string'),
  };
}

function normalizeFlag(v: unknown): PremiseFlag {
  const r = obj(v) ?? {};
  return {
    id: str(r.id) ?? undefined,
    kind: str(r.kind) ?? str(r.code) ?? '',
    note: str(r.note) ?? str(r.description),
    distanceM: num(r.distanceM),
  };
}

function normalizeTimeline(v: unknown): TimelineEntry {
  const r = obj(v) ?? {};
  const data = obj(r.data) ?? {};
  const to = str(r.to) ?? str(r.status);
  return {
    at: str(r.at) ?? '',
    actor: str(r.actor),
    what: to ?? str(r.kind) ?? str(r.action) ?? str(r.type) ?? '',
    isStatus: to !== null,
    note: str(r.note),
    callSign: str(data.callSign),
  };
}

export function normalizeIncidentDetail(v: unknown): IncidentDetail {
  const r = obj(v) ?? {};
  return {
    ...normalizeIncident(r),
    timeline: arr(r.timeline).map(normalizeTimeline),
    assignments: arr(r.assignments).map((a) => {
      const x = obj(a) ?? {};
      return {
        id: str(x.id) ?? String(x.unitId),
        unitId: String(x.unitId),
        callSign: str(x.callSign),
        assignedAt: str(x.assignedAt),
        released: str(x.releasedAt) !== null,
        recommendationRank: num(x.recommendationRank),
      };
    }),
    premiseFlags: arr(r.premiseFlags).map(normalizeFlag),
    mergedInto: str(r.mergedInto),
  };
}

export function normalizeUnit(v: unknown): Unit {
  const r = obj(v) ?? {};
  const last = obj(r.lastPosition);
  const flags = arr(r.flags);
  return {
    id: String(r.id),
    callSign: str(r.callSign) ?? String(r.id),
    type: str(r.type) ?? '',
    status: (str(r.status) ?? 'OUT_OF_SERVICE') as UnitStatus,
    position: point(r.position) ?? point(last),
    lastSeenAt: str(r.lastSeenAt) ?? str(last?.at) ?? null,
    stale: r.stale === true,
    battery: num(r.battery) ?? num(last?.battery) ?? null,
    panic: flags.includes('PANIC'),
    incidentId: str(r.incidentId),
  };
}

export function normalizeRecommendations(v: unknown): Recommendation[] {
  const r = obj(v) ?? {};
  const method = str(r.method) ?? '';
  return arr(r.items).map((x, i) => {
    const o = obj(x) ?? {};
    return {
      rank: num(o.rank) ?? i + 1,
      unitId: String(o.unitId),
      callSign: str(o.callSign) ?? String(o.unitId),
      type: str(o.type),
      etaSeconds: num(o.etaSeconds) ?? num(o.etaS) ?? 0,
      distanceMeters: num(o.distanceMeters) ?? num(o.distanceM) ?? 0,
      method: str(o.method) ?? method,
      reason: str(o.reason),
    };
  });
}

export function normalizeAlert(v: unknown): Alert {
  const r = obj(v) ?? {};
  const data = obj(r.data) ?? {};
  return {
    id: str(r.id) ?? str(r.alertId) ?? '',
    kind: str(r.kind) ?? '',
    incidentId: str(r.incidentId),
    unitId: str(r.unitId),
    callSign: str(r.callSign) ?? str(data.callSign),
    raisedAt: str(r.raisedAt) ?? str(r.at),
    acknowledged: str(r.acknowledgedAt) !== null || r.acknowledged === true,
    positionUnknown: data.positionUnknown === true,
    escalatedAt: str(r.escalatedAt),
  };
}

function normalizeAssist(v: unknown): AssistCall | null {
  const r = obj(v);
  const location = obj(r?.location);
  const lon = num(location?.lon);
  const lat = num(location?.lat);
  const alertId = str(r?.alertId);
  const incidentId = str(r?.incidentId);
  if (!r || !alertId || !incidentId || lon === null || lat === null) return null;
  return { alertId, incidentId, callSign: str(r.callSign) ?? '?', location: { lon, lat }, address: str(r.address), raisedAt: str(r.raisedAt) ?? '' };
}

export function normalizeMine(v: unknown): Mine {
  const r = obj(v) ?? {};
  const unit = obj(r.unit) ? normalizeUnit(r.unit) : null;
  const assist = arr(r.assist)
    .map(normalizeAssist)
    .filter((x): x is AssistCall => x !== null);
  const a = obj(r.assignment);
  const inc = obj(a?.incident) ?? obj(r.incident);
  if (!inc) return { unit, assignment: null, assist };
  const s = normalizeIncident(inc);
  return {
    unit,
    assist,
    assignment: {
      incident: {
        id: s.id,
        category: s.category,
        priority: s.priority,
        status: s.status,
        location: s.location,
        locationPrecision: s.locationPrecision,
        address: s.address,
        description: s.description,
        premiseFlags: arr(inc.premiseFlags ?? a?.premiseFlags).map(normalizeFlag),
      },
    },
  };
}

const PRIORITY_RANK: Record<string, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

/** The queue order: most urgent priority first, then the oldest first. */
export function queueOrder(a: IncidentSummary, b: IncidentSummary): number {
  const p = (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9);
  if (p !== 0) return p;
  return Date.parse(a.receivedAt) - Date.parse(b.receivedAt);
}

/** What `POST /api/v1/incidents` takes. */
export interface NewIncident {
  category: string;
  location: LonLat;
  priority?: Priority;
  address?: string;
  description?: string;
}

// ---- calls ----------------------------------------------------------------------------------------------------

const enc = encodeURIComponent;
const write = (body: unknown, key: string) => ({ method: 'POST' as const, body, headers: { 'Idempotency-Key': key } });

/** Most pages the console reads of one list (200 each): 5,000 open incidents or units in an operator's areas. */
const MAX_PAGES = 25;

/** Every page of a list (following `nextCursor`), not just the first: the console must not silently drop the 201st. */
async function allPages(path: string, signal?: AbortSignal): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res: { items: unknown[]; nextCursor?: string | null } = await api(`${path}${sep}limit=200${cursor ? `&cursor=${enc(cursor)}` : ''}`, { signal });
    items.push(...res.items);
    cursor = res.nextCursor ?? null;
    if (!cursor) break;
  }
  return items;
}

/** What the server's gazetteer made of an address. */
export interface Geocoded {
  found: boolean;
  reason: 'not_found' | 'ambiguous' | null;
  place: { location: LonLat; precision: LocationPrecision | 'region'; label: string; kato: string | null } | null;
}

export const dispatchApi = {
  /** An address as the caller says it → a point and how precisely it is known (offline, on the server). */
  geocode: (q: string, signal?: AbortSignal) => api<Geocoded>(`/api/v1/geocode?q=${encodeURIComponent(q)}`, { signal }),
  /** Every open incident in the operator's areas (all pages). */
  incidents: async (signal?: AbortSignal) => (await allPages('/api/v1/incidents', signal)).map(normalizeIncident),
  incident: async (id: string, signal?: AbortSignal) => normalizeIncidentDetail(await api<unknown>(`/api/v1/incidents/${enc(id)}`, { signal })),
  /** A new incident: a 102 call taken by an operator, or an officer's on-view incident (their unit on scene at once). */
  create: async (input: NewIncident, key: string) => normalizeIncidentDetail(await api<unknown>('/api/v1/incidents', write(input, key))),
  recommendations: async (id: string) => normalizeRecommendations(await api<unknown>(`/api/v1/incidents/${enc(id)}/recommendations`)),
  assign: (id: string, unitId: string, recommendationRank: number | null, key: string) =>
    api<unknown>(`/api/v1/incidents/${enc(id)}/assignments`, write(recommendationRank == null ? { unitId } : { unitId, recommendationRank }, key)),
  transition: (id: string, to: string, note: string | undefined, key: string) =>
    api<unknown>(`/api/v1/incidents/${enc(id)}/transitions`, write(note ? { to, note } : { to }, key)),
  merge: (id: string, into: string, key: string) => api<unknown>(`/api/v1/incidents/${enc(id)}/merge`, write({ into }, key)),
  units: async (signal?: AbortSignal) => (await allPages('/api/v1/units', signal)).map(normalizeUnit),
  /**
   * Open (unacknowledged) alerts, newest first. Panics are asked for on their own, so that a flood of timer alerts
   * (a shift ending: units going stale) can never push an unanswered panic off the console.
   */
  alerts: async (signal?: AbortSignal) => {
    const [panics, recent] = await Promise.all([
      api<{ items: unknown[] }>('/api/v1/alerts?kind=panic&limit=100', { signal }),
      api<{ items: unknown[] }>('/api/v1/alerts?limit=100', { signal }),
    ]);
    const byId = new Map<string, Alert>();
    for (const a of [...panics.items, ...recent.items].map(normalizeAlert)) byId.set(a.id, a);
    return [...byId.values()].sort((a, b) => (b.raisedAt ?? '').localeCompare(a.raisedAt ?? ''));
  },
  acknowledge: (alertId: string, key: string) => api<unknown>(`/api/v1/alerts/${enc(alertId)}/acknowledge`, write(undefined, key)),
  mine: async (signal?: AbortSignal) => normalizeMine(await api<unknown>('/api/v1/units/mine', { signal })),
  unitStatus: (unitId: string, status: UnitStatus, key: string) => api<unknown>(`/api/v1/units/${enc(unitId)}/status`, write({ status }, key)),
  /**
   * Raised where the device is (`position`, when it has a fix), else at the unit's last known position. `signal` ends
   * an attempt the network holds (the caller tries again with the same key: one alarm).
   */
  panic: (unitId: string, key: string, position?: LonLat | null, signal?: AbortSignal) =>
    api<unknown>(`/api/v1/units/${enc(unitId)}/panic`, { ...write(position ? { position: { lon: position.lon, lat: position.lat } } : {}, key), signal }),
  /** One or more positions of the officer's own unit, as NDJSON. */
  telemetry: (lines: TelemetryLine[]) =>
    api<unknown>('/api/v1/units/telemetry', {
      method: 'POST',
      body: lines.map((l) => JSON.stringify(l)).join('\n'),
      contentType: 'application/x-ndjson',
    }),
};

/**
 * The live events the screens listen to (SSE delivers a named event only to a listener of that exact name).
 * Keep in step with `modules/dispatch/events.ts`.
 */
export const INCIDENT_SUBJECTS = ['dispatch.incident.created', 'dispatch.incident.updated'] as const;
export const UNIT_SUBJECTS = ['dispatch.unit.created', 'dispatch.unit.updated', 'dispatch.unit.position'] as const;
export const ALERT_SUBJECTS = ['dispatch.alert.raised', 'dispatch.alert.acknowledged', 'dispatch.alert.escalated'] as const;
export const DISPATCH_SUBJECTS: readonly string[] = [...INCIDENT_SUBJECTS, ...UNIT_SUBJECTS, ...ALERT_SUBJECTS];

/** The incident or unit an event is about, whichever field name the event uses. */
export function subjectId(data: Record<string, unknown>, kind: 'incident' | 'unit'): string | null {
  const v = data[`${kind}Id`] ?? data.id;
  return typeof v === 'string' ? v : null;
}
