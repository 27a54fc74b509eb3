import { Problem } from '../../packages/kernel/src/errors.ts';
import type { Queryable } from '../../packages/kernel/src/db/types.ts';
import type { UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import type { LocationPrecision } from '../reports/events.ts';
import type { Priority } from './config/catalogue.ts';
import { RUN_CARDS_VERSION } from './config/runcards.ts';
import type { DispatchSettings } from './config/settings.ts';
import type { RunCardStatus } from './domain/runcard.ts';
import { dueTimes } from './domain/sla.ts';
import {
  INCIDENT_UPDATED,
  type IncidentChanged,
  type IncidentStatus,
  UNIT_UPDATED,
  type UnitChanged,
  type UnitStatus,
} from './events.ts';

/** Rows, presenters and the small writes every dispatch service shares (timeline, events). */

export interface IncidentRow {
  id: string;
  status: IncidentStatus;
  priority: Priority;
  category: string;
  description: string | null;
  address: string | null;
  source: string;
  external_ref: string | null;
  lon: number;
  lat: number;
  kato: string | null;
  created_by: string;
  config_version: string;
  received_at: Date;
  triaged_at: Date | null;
  dispatched_at: Date | null;
  en_route_at: Date | null;
  on_scene_at: Date | null;
  cleared_at: Date | null;
  closed_at: Date | null;
  cancelled_at: Date | null;
  merged_at: Date | null;
  merged_into: string | null;
  panic_unit_id: string | null;
  updated_at: Date;
  location_precision: LocationPrecision;
}

export interface UnitRow {
  id: string;
  call_sign: string;
  type: string;
  home_kato: string;
  crew: string[];
  status: UnitStatus;
  flags: string[];
  stale: boolean;
  last_lon: number | null;
  last_lat: number | null;
  last_speed: number | null;
  last_heading: number | null;
  last_battery: number | null;
  last_at: Date | null;
  current_incident_id: string | null;
  status_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface AssignmentRow {
  id: string;
  incident_id: string;
  unit_id: string;
  assigned_at: Date;
  assigned_by: string;
  method: string | null;
  top_unit_id: string | null;
  recommendation_rank: number | null;
  accepted_top: boolean | null;
  acknowledged_at: Date | null;
  on_scene_at: Date | null;
  released_at: Date | null;
  release_reason: string | null;
}

export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const isoNow = (d: Date | string) => new Date(d).toISOString();

export function presentIncident(r: IncidentRow, settings: DispatchSettings, now: Date) {
  const { dispatchDueAt, onSceneDueAt } = dueTimes({ priority: r.priority, receivedAt: new Date(r.received_at) }, settings.targets);
  const dispatchedAt = r.dispatched_at ? new Date(r.dispatched_at) : null;
  const onSceneAt = r.on_scene_at ? new Date(r.on_scene_at) : null;
  const open = !['CLOSED', 'CANCELLED', 'MERGED', 'CLEARED'].includes(r.status);
  return {
    id: r.id,
    status: r.status,
    priority: r.priority,
    category: r.category,
    description: r.description,
    address: r.address,
    source: r.source,
    externalRef: r.external_ref,
    location: { lon: r.lon, lat: r.lat },
    locationPrecision: r.location_precision,
    kato: r.kato,
    createdBy: r.created_by,
    configVersion: r.config_version,
    receivedAt: isoNow(r.received_at),
    triagedAt: iso(r.triaged_at),
    dispatchedAt: iso(r.dispatched_at),
    enRouteAt: iso(r.en_route_at),
    onSceneAt: iso(r.on_scene_at),
    clearedAt: iso(r.cleared_at),
    closedAt: iso(r.closed_at),
    cancelledAt: iso(r.cancelled_at),
    mergedInto: r.merged_into,
    panicUnitId: r.panic_unit_id,
    updatedAt: isoNow(r.updated_at),
    sla: {
      dispatchDueAt: dispatchDueAt.toISOString(),
      onSceneDueAt: onSceneDueAt.toISOString(),
      // Met late, or still open and past due.
      dispatchOverdue: dispatchedAt ? dispatchedAt > dispatchDueAt : open && now > dispatchDueAt,
      onSceneOverdue: onSceneAt ? onSceneAt > onSceneDueAt : open && now > onSceneDueAt,
    },
  };
}
export type Incident = ReturnType<typeof presentIncident>;

export function presentUnit(r: UnitRow) {
  return {
    id: r.id,
    callSign: r.call_sign,
    type: r.type,
    homeKato: r.home_kato,
    crew: r.crew,
    status: r.status,
    flags: r.flags,
    stale: r.stale,
    incidentId: r.current_incident_id,
    lastPosition:
      r.last_at && r.last_lon !== null && r.last_lat !== null
        ? { lon: r.last_lon, lat: r.last_lat, speed: r.last_speed, heading: r.last_heading, battery: r.last_battery, at: isoNow(r.last_at) }
        : null,
    statusAt: isoNow(r.status_at),
    createdAt: isoNow(r.created_at),
  };
}
export type Unit = ReturnType<typeof presentUnit>;

/** A run card as the API shows it: each requirement of the incident type with how many are assigned and missing. */
export function presentRunCard(category: string, status: RunCardStatus) {
  return { version: RUN_CARDS_VERSION, category, requirements: status.requirements, complete: status.complete };
}

export function presentAssignment(a: AssignmentRow & { call_sign?: string }) {
  return {
    id: a.id,
    incidentId: a.incident_id,
    unitId: a.unit_id,
    callSign: a.call_sign ?? null,
    assignedAt: isoNow(a.assigned_at),
    assignedBy: a.assigned_by,
    method: a.method,
    topUnitId: a.top_unit_id,
    recommendationRank: a.recommendation_rank,
    acceptedTop: a.accepted_top,
    acknowledgedAt: iso(a.acknowledged_at),
    onSceneAt: iso(a.on_scene_at),
    releasedAt: iso(a.released_at),
    releaseReason: a.release_reason,
  };
}

export async function getIncidentRow(q: Queryable, id: string, lock = false): Promise<IncidentRow> {
  const [row] = await q.query<IncidentRow>(`select * from dispatch_incident where id = $1${lock ? ' for update' : ''}`, [id]);
  if (!row) throw Problem.notFound();
  return row;
}

export async function getUnitRow(q: Queryable, id: string, lock = false): Promise<UnitRow> {
  const [row] = await q.query<UnitRow>(`select * from dispatch_unit where id = $1${lock ? ' for update' : ''}`, [id]);
  if (!row) throw Problem.notFound();
  return row;
}

export async function reportIdsOf(q: Queryable, incidentId: string): Promise<string[]> {
  const rows = await q.query<{ report_id: string }>(
    'select report_id from dispatch_incident_report where incident_id = $1 order by attached_at, report_id',
    [incidentId],
  );
  return rows.map((r) => r.report_id);
}

export interface Position {
  lon: number;
  lat: number;
}

/** Appends one step to the incident's timeline (append-only table). */
export interface TimelineEntry {
  kind: string;
  from?: IncidentStatus | null;
  to?: IncidentStatus | null;
  position?: Position | null;
  note?: string | null;
  data?: unknown;
}

export async function addTimeline(uow: UnitOfWork, actor: string, incidentId: string, e: TimelineEntry): Promise<void> {
  await addTimelines(uow, actor, [{ ...e, incidentId }]);
}

/** Appends timeline entries (any incidents) in one statement, in the given order. */
export async function addTimelines(uow: UnitOfWork, actor: string, entries: readonly (TimelineEntry & { incidentId: string })[]): Promise<void> {
  if (entries.length === 0) return;
  const col = <T>(f: (e: (typeof entries)[number]) => T) => entries.map(f);
  await uow.tx.query(
    `insert into dispatch_timeline (incident_id, at, actor, kind, from_status, to_status, lon, lat, note, data)
     select incident_id, $9, $10, kind, from_status, to_status, lon, lat, note, data
     from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::text[], $8::jsonb[])
       with ordinality as u(incident_id, kind, from_status, to_status, lon, lat, note, data, n)
     order by n`,
    [
      col((e) => e.incidentId),
      col((e) => e.kind),
      col((e) => e.from ?? null),
      col((e) => e.to ?? null),
      col((e) => e.position?.lon ?? null),
      col((e) => e.position?.lat ?? null),
      col((e) => e.note ?? null),
      col((e) => JSON.stringify(e.data ?? {})),
      uow.now.toISOString(),
      actor,
    ],
  );
}

/** Publishes IncidentChanged (through the outbox): jurisdiction = the incident's KATO, key = its id. */
/** `reportIds`, when the caller knows them (a new incident), saves reading them back. */
export async function emitIncident(
  uow: UnitOfWork,
  r: IncidentRow,
  subject: string = INCIDENT_UPDATED,
  note: string | null = null,
  reportIds?: string[],
): Promise<void> {
  const data: IncidentChanged = {
    incidentId: r.id,
    status: r.status,
    priority: r.priority,
    category: r.category,
    location: { lon: r.lon, lat: r.lat },
    locationPrecision: r.location_precision,
    kato: r.kato,
    reportIds: reportIds ?? (await reportIdsOf(uow.tx, r.id)),
    mergedInto: r.merged_into,
    note,
    at: uow.now.toISOString(),
  };
  await uow.emit({ subject, key: r.id, jurisdiction: r.kato, permission: 'dispatch:read', data });
}

export async function emitUnit(uow: UnitOfWork, u: UnitRow, subject: string = UNIT_UPDATED): Promise<void> {
  const data: UnitChanged = {
    unitId: u.id,
    callSign: u.call_sign,
    type: u.type,
    status: u.status,
    flags: u.flags,
    stale: u.stale,
    homeKato: u.home_kato,
    incidentId: u.current_incident_id,
    at: uow.now.toISOString(),
  };
  await uow.emit({ subject, key: u.id, jurisdiction: u.home_kato, permission: 'dispatch:read', data });
}

/** Sets a unit's status (and current incident), emits `dispatch.unit.updated`. */
export async function updateUnitStatus(uow: UnitOfWork, unitId: string, status: UnitStatus, incidentId: string | null): Promise<UnitRow> {
  const [u] = await uow.tx.query<UnitRow>(
    `update dispatch_unit set status = $2, current_incident_id = $3, status_at = $4, updated_at = $4 where id = $1 returning *`,
    [unitId, status, incidentId, uow.now.toISOString()],
  );
  await emitUnit(uow, u);
  return u;
}

/** Sets or clears a unit's PANIC flag (and announces the unit when it changed). */
export async function setPanicFlag(uow: UnitOfWork, unitId: string, on: boolean): Promise<void> {
  const [u] = await uow.tx.query<UnitRow>(
    on
      ? `update dispatch_unit set flags = array_append(flags, 'PANIC'), updated_at = $2 where id = $1 and not ('PANIC' = any(flags)) returning *`
      : `update dispatch_unit set flags = array_remove(flags, 'PANIC'), updated_at = $2 where id = $1 and 'PANIC' = any(flags) returning *`,
    [unitId, uow.now.toISOString()],
  );
  if (u) await emitUnit(uow, u);
}

/** A unit's step on its assignment: acknowledged (first EN_ROUTE or ON_SCENE), and its arrival when ON_SCENE. */
export async function stampAssignment(uow: UnitOfWork, incidentId: string, unitId: string, onScene: boolean): Promise<void> {
  await uow.tx.query(
    `update dispatch_assignment set acknowledged_at = coalesce(acknowledged_at, $3), on_scene_at = case when $4 then coalesce(on_scene_at, $3) else on_scene_at end
     where incident_id = $1 and unit_id = $2 and released_at is null`,
    [incidentId, unitId, uow.now.toISOString(), onScene],
  );
}
