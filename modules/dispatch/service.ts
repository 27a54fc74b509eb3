import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { LocationPrecision } from '../reports/events.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext, UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import type { Queryable } from '../../packages/kernel/src/db/types.ts';
import { CATALOGUE_VERSION, incidentType, type Priority } from './config/catalogue.ts';
import { runCardFor } from './config/runcards.ts';
import { checkTransition, COMMITTED, incidentFollowsUnit, TERMINAL, type TransitionCheck, unitFollowsIncident, type Via, WAITING } from './domain/lifecycle.ts';
import { evaluateRunCard } from './domain/runcard.ts';
import { INCIDENT_CREATED, type IncidentStatus, type UnitStatus } from './events.ts';
import { runtime } from './runtime.ts';
import {
  type AssignmentRow,
  addTimeline,
  addTimelines,
  emitIncident,
  getIncidentRow,
  getUnitRow,
  type IncidentRow,
  type Position,
  presentAssignment,
  presentIncident,
  presentRunCard,
  reportIdsOf,
  setPanicFlag,
  stampAssignment,
  type UnitRow,
  updateUnitStatus,
} from './store.ts';

/** Incidents: create, triage, move through the lifecycle, assign, merge, link, attach reports. */

export const STAMP: Partial<Record<IncidentStatus, string>> = {
  TRIAGED: 'triaged_at',
  DISPATCHED: 'dispatched_at',
  EN_ROUTE: 'en_route_at',
  ON_SCENE: 'on_scene_at',
  CLEARED: 'cleared_at',
  CLOSED: 'closed_at',
  CANCELLED: 'cancelled_at',
  MERGED: 'merged_at',
};

export function illegalTransition(from: IncidentStatus, to: IncidentStatus, check: Exclude<TransitionCheck, { ok: true }>): Problem {
  return new Problem(`dispatch.${check.reason === 'wrong_command' ? 'wrong_command' : 'illegal_transition'}`, { from, to, allowed: check.allowed.join(', ') || '—' }, [], 409);
}

/** KATO code of a point: its district, else its region, else null (outside Kazakhstan). */
export function katoOf(kernel: Kernel, p: Position): string | null {
  return kernel.areas.katoOf(p.lon, p.lat);
}

export interface NewIncident {
  category: string;
  priority?: Priority;
  location: Position;
  description?: string | null;
  address?: string | null;
  source: string;
  externalRef?: string | null;
  /** KATO code of the place (`katoOf`); null outside Kazakhstan. */
  kato: string | null;
  /** How precisely `location` is known (default `point`): a report placed by its address only is approximate. */
  locationPrecision?: LocationPrecision;
  reportIds?: string[];
  panicUnitId?: string | null;
  /** Where the actor was (a field officer's unit), for the timeline. */
  actorPosition?: Position | null;
  note?: string | null;
}

/** Creates an incident: RECEIVED, then TRIAGED with its priority (both on the timeline, both published). */
export async function createIncidentIn(uow: UnitOfWork, actor: string, input: NewIncident): Promise<IncidentRow> {
  const [row] = await createIncidentsIn(uow, actor, [input]);
  return row;
}

/**
 * Creates incidents, each RECEIVED then TRIAGED with its priority — both steps on its timeline, in the audit
 * log and published — in a handful of statements however many there are (report intake creates them in batches).
 * Returns the rows in the order given.
 */
export async function createIncidentsIn(uow: UnitOfWork, actor: string, inputs: readonly NewIncident[]): Promise<IncidentRow[]> {
  if (inputs.length === 0) return [];
  const triage = checkTransition('RECEIVED', 'TRIAGED', 'manual');
  if (!triage.ok) throw illegalTransition('RECEIVED', 'TRIAGED', triage);
  const now = uow.now.toISOString();
  const items = inputs.map((input) => ({ input, id: newId(), priority: input.priority ?? incidentType(input.category)?.priority ?? 'P3' }));
  const col = <T>(f: (x: (typeof items)[number]) => T) => items.map(f);
  // The incidents, their reports and their first two timeline steps go out together, in this order, without waiting
  // for one another's answers: one connection runs them in turn (the rows they refer to exist by then), and the
  // transaction waits for one round trip instead of three. If the first fails, the rest fail with it.
  const inserting = uow.tx.query<IncidentRow>(
    `insert into dispatch_incident (id, status, priority, category, description, address, source, external_ref, lon, lat, kato,
       created_by, config_version, received_at, triaged_at, panic_unit_id, updated_at, location_precision)
     select id, 'TRIAGED', priority, category, description, address, source, external_ref, lon, lat, kato, $12, $13, $14, $14, panic_unit_id, $14,
       location_precision
     from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::float8[], $10::text[], $11::uuid[],
       $15::text[])
       as u(id, priority, category, description, address, source, external_ref, lon, lat, kato, panic_unit_id, location_precision)
     returning *`,
    [
      col((x) => x.id),
      col((x) => x.priority),
      col((x) => x.input.category),
      col((x) => x.input.description ?? null),
      col((x) => x.input.address ?? null),
      col((x) => x.input.source),
      col((x) => x.input.externalRef ?? null),
      col((x) => x.input.location.lon),
      col((x) => x.input.location.lat),
      col((x) => x.input.kato),
      col((x) => x.input.panicUnitId ?? null),
      actor,
      CATALOGUE_VERSION,
      now,
      col((x) => x.input.locationPrecision ?? 'point'),
    ],
  );
  const attached = items.flatMap((x) => (x.input.reportIds ?? []).map((reportId) => ({ reportId, incidentId: x.id })));
  const attaching =
    attached.length > 0
      ? uow.tx.query(
          'insert into dispatch_incident_report (report_id, incident_id, attached_at) select r, i, $3 from unnest($1::text[], $2::uuid[]) as u(r, i)',
          [attached.map((a) => a.reportId), attached.map((a) => a.incidentId), now],
        )
      : Promise.resolve([]);
  const recording = addTimelines(
    uow,
    actor,
    items.flatMap((x) => [
      {
        incidentId: x.id,
        kind: 'status',
        to: 'RECEIVED' as const,
        position: x.input.actorPosition,
        note: x.input.note ?? null,
        data: { source: x.input.source, externalRef: x.input.externalRef ?? null, reportIds: x.input.reportIds ?? [] },
      },
      { incidentId: x.id, kind: 'status', from: 'RECEIVED' as const, to: 'TRIAGED' as const, position: x.input.actorPosition, data: { priority: x.priority } },
    ]),
  );
  const [inserted] = await Promise.all([inserting, attaching, recording]);
  const byId = new Map(inserted.map((r) => [r.id, r]));
  const rows: IncidentRow[] = [];
  for (const x of items) {
    const row = byId.get(x.id) as IncidentRow;
    const reportIds = x.input.reportIds ?? [];
    // Triage by the category's priority is part of creating the incident: one audit record and one event say what
    // was created, in the state it was created in (TRIAGED); the timeline above keeps both steps with their stamps.
    await uow.audit({
      action: 'incident.created',
      entity: 'incident',
      entityId: x.id,
      jurisdiction: row.kato,
      data: { category: x.input.category, priority: x.priority, source: x.input.source, status: row.status },
    });
    await emitIncident(uow, row, INCIDENT_CREATED, x.input.note ?? null, reportIds);
    rows.push(row);
  }
  return rows;
}

/** Moves an incident to `to` (checked against the transition table), stamps, records and publishes the step. */
export async function applyStatus(
  uow: UnitOfWork,
  actor: string,
  inc: IncidentRow,
  to: IncidentStatus,
  o: { via: Via; note?: string | null; position?: Position | null; priority?: Priority; mergedInto?: string; data?: Record<string, unknown> },
): Promise<IncidentRow> {
  const check = checkTransition(inc.status, to, o.via);
  if (!check.ok) throw illegalTransition(inc.status, to, check);
  const stamp = STAMP[to];
  const now = uow.now.toISOString();
  const [row] = await uow.tx.query<IncidentRow>(
    `update dispatch_incident set status = $2, updated_at = $3, priority = coalesce($4, priority), merged_into = coalesce($5, merged_into)
       ${stamp ? `, ${stamp} = coalesce(${stamp}, $3)` : ''}
     where id = $1 returning *`,
    [inc.id, to, now, o.priority ?? null, o.mergedInto ?? null],
  );
  await addTimeline(uow, actor, inc.id, {
    kind: 'status',
    from: inc.status,
    to,
    position: o.position,
    note: o.note,
    data: { ...(o.data ?? {}), ...(o.priority && o.priority !== inc.priority ? { priority: o.priority, previousPriority: inc.priority } : {}) },
  });
  await uow.audit({ action: 'incident.status_changed', entity: 'incident', entityId: inc.id, jurisdiction: inc.kato, data: { from: inc.status, to, note: o.note ?? null } });
  await emitIncident(uow, row, undefined, o.note ?? null);
  return row;
}

export async function activeAssignments(q: Queryable, incidentId: string): Promise<(AssignmentRow & { call_sign: string })[]> {
  return q.query<AssignmentRow & { call_sign: string }>(
    `select a.*, u.call_sign from dispatch_assignment a join dispatch_unit u on u.id = a.unit_id
     where a.incident_id = $1 and a.released_at is null order by a.assigned_at`,
    [incidentId],
  );
}

/** Ends assignments (incident cleared, cancelled, back to the queue); their units become `unitStatus`. */
async function releaseAssignments(uow: UnitOfWork, incidentId: string, reason: string, unitStatus: UnitStatus, onlyUnit?: string): Promise<void> {
  const rows = await uow.tx.query<AssignmentRow>(
    `update dispatch_assignment set released_at = $2, release_reason = $3
     where incident_id = $1 and released_at is null and ($4::uuid is null or unit_id = $4) returning *`,
    [incidentId, uow.now.toISOString(), reason, onlyUnit ?? null],
  );
  for (const a of rows) {
    const u = await getUnitRow(uow.tx, a.unit_id, true);
    if (u.current_incident_id === incidentId) await updateUnitStatus(uow, u.id, unitStatus, null);
  }
}

/** Clears the PANIC flag of the unit whose panic this incident was, once it is over. */
async function clearPanic(uow: UnitOfWork, inc: IncidentRow): Promise<void> {
  if (inc.panic_unit_id) await setPanicFlag(uow, inc.panic_unit_id, false);
}

export interface Actor {
  name: string;
  username: string | null;
  permissions: Set<string>;
  jurisdictions: string[];
}

/** The units whose crew includes this person. */
export async function unitsOfCrew(q: Queryable, username: string): Promise<UnitRow[]> {
  return q.query<UnitRow>('select * from dispatch_unit where $1 = any(crew) order by updated_at desc', [username]);
}

/**
 * A status change requested through the transitions endpoint. Dispatchers (dispatch:write) may take any manual
 * step; a crew member (dispatch:field) only EN_ROUTE / ON_SCENE / CLEARED on an incident their unit is assigned to,
 * and their unit follows.
 */
export async function transition(
  kernel: Kernel,
  ctx: CommandContext,
  actor: Actor,
  incidentId: string,
  input: { to: IncidentStatus; note?: string | null; priority?: Priority; position?: Position | null },
): Promise<IncidentRow> {
  return kernel.commands.run(ctx, async (uow) => {
    const inc = await getIncidentRow(uow.tx, incidentId, true);
    if (!covers(actor.jurisdictions, inc.kato)) throw new Problem('outside_jurisdiction');
    const active = await activeAssignments(uow.tx, inc.id);
    let crewUnits: UnitRow[] = [];
    if (actor.username) {
      const units = await unitsOfCrew(uow.tx, actor.username);
      crewUnits = units.filter((u) => active.some((a) => a.unit_id === u.id));
    }
    const dispatcher = actor.permissions.has('dispatch:write');
    if (!dispatcher) {
      if (crewUnits.length === 0) throw new Problem('dispatch.not_crew', {}, [], 403);
      if (!['EN_ROUTE', 'ON_SCENE', 'CLEARED'].includes(input.to)) throw Problem.forbidden('dispatch:write');
      return crewStep(uow, actor, inc, crewUnits, active, input);
    }
    const position = input.position ?? positionOf(crewUnits[0]);
    const row = await applyStatus(uow, actor.name, inc, input.to, { via: 'manual', note: input.note ?? null, priority: input.priority, position });
    await afterStatus(uow, inc, row, dispatcher ? active.map((a) => a.unit_id) : crewUnits.map((u) => u.id));
    return row;
  });
}

/**
 * An operator puts an incident where it really is: a report that gave only an address was placed by the gazetteer
 * at a house, on a street or inside a district, or a caller corrects where they are. The point becomes exact, its
 * district is placed again (the incident may move to another jurisdiction — the operator must cover both), the
 * timeline keeps where it was, and the change is published (consoles move the marker; reports follow). Not on a
 * finished incident: its place is part of the record.
 */
export async function relocate(
  kernel: Kernel,
  ctx: CommandContext,
  actor: Actor,
  incidentId: string,
  input: { location: Position; address?: string | null; note?: string | null },
): Promise<IncidentRow> {
  const kato = kernel.areas.katoOf(input.location.lon, input.location.lat);
  if (!kato) throw Problem.validation([{ path: 'body.location', code: 'outside_kazakhstan' }]);
  return kernel.commands.run(ctx, async (uow) => {
    const inc = await getIncidentRow(uow.tx, incidentId, true);
    if (!covers(actor.jurisdictions, inc.kato) || !covers(actor.jurisdictions, kato)) throw new Problem('outside_jurisdiction');
    if (TERMINAL.includes(inc.status)) throw new Problem('dispatch.incident_finished', { status: inc.status }, [], 409);
    const [row] = await uow.tx.query<IncidentRow>(
      `update dispatch_incident set lon = $2, lat = $3, kato = $4, address = coalesce($5, address), location_precision = 'point', updated_at = $6
       where id = $1 returning *`,
      [inc.id, input.location.lon, input.location.lat, kato, input.address ?? null, uow.now.toISOString()],
    );
    const from = { lon: inc.lon, lat: inc.lat, kato: inc.kato, precision: inc.location_precision, address: inc.address };
    await addTimeline(uow, actor.name, inc.id, { kind: 'relocated', position: input.location, note: input.note ?? null, data: { from, address: row.address } });
    await uow.audit({ action: 'incident.relocated', entity: 'incident', entityId: inc.id, jurisdiction: kato, data: { from, to: { ...input.location, kato } } });
    await emitIncident(uow, row, undefined, input.note ?? null);
    return row;
  });
}

/**
 * A crew's step from its tablet is its own unit's. On an incident with several units (a run card sends two cars to a
 * robbery) each crew reports for itself: EN_ROUTE and ON_SCENE move the crew's unit (its assignment acknowledged, its
 * arrival stamped) and the incident follows when that is a step forward for it; a crew that clears while other
 * units are still on the incident leaves it (its unit AVAILABLE, the others untouched), and the last unit to clear
 * clears the incident. Pressing a step the unit has already made changes nothing.
 */
async function crewStep(
  uow: UnitOfWork,
  actor: Actor,
  inc: IncidentRow,
  crewUnits: UnitRow[],
  active: AssignmentRow[],
  input: { to: IncidentStatus; note?: string | null; position?: Position | null },
): Promise<IncidentRow> {
  const position = input.position ?? positionOf(crewUnits[0]);
  const note = input.note ?? null;
  if (input.to === 'CLEARED') {
    const others = active.filter((a) => !crewUnits.some((u) => u.id === a.unit_id));
    if (others.length === 0) {
      const row = await applyStatus(uow, actor.name, inc, 'CLEARED', { via: 'manual', note, position });
      await afterStatus(uow, inc, row, crewUnits.map((u) => u.id));
      return row;
    }
    for (const u of crewUnits) {
      await releaseAssignments(uow, inc.id, 'unit_cleared', 'AVAILABLE', u.id);
      await addTimeline(uow, actor.name, inc.id, { kind: 'unit_released', position, note, data: { unitId: u.id, callSign: u.call_sign, status: 'AVAILABLE' } });
      await uow.audit({ action: 'unit.status_changed', entity: 'unit', entityId: u.id, jurisdiction: u.home_kato, data: { from: u.status, to: 'AVAILABLE', incidentId: inc.id } });
    }
    await emitIncident(uow, inc);
    return inc;
  }
  const to = input.to as 'EN_ROUTE' | 'ON_SCENE';
  for (const u of crewUnits) {
    if (u.status === to || (to === 'EN_ROUTE' && u.status === 'ON_SCENE')) continue;
    await stampAssignment(uow, inc.id, u.id, to === 'ON_SCENE');
    await updateUnitStatus(uow, u.id, to, inc.id);
    await addTimeline(uow, actor.name, inc.id, { kind: 'unit_status', position, note, data: { unitId: u.id, callSign: u.call_sign, from: u.status, to } });
  }
  const next = incidentFollowsUnit(inc.status, to);
  if (next) return applyStatus(uow, actor.name, inc, next, { via: 'manual', note, position, data: { unitId: crewUnits[0].id, callSign: crewUnits[0].call_sign } });
  await emitIncident(uow, inc);
  return inc;
}

function positionOf(u: UnitRow | undefined): Position | null {
  return u && u.last_lon !== null && u.last_lat !== null ? { lon: u.last_lon, lat: u.last_lat } : null;
}

/** Side effects of an incident's step on its units and assignments. */
async function afterStatus(uow: UnitOfWork, before: IncidentRow, after: IncidentRow, movers: string[]): Promise<void> {
  const to = after.status;
  const unitStatus = unitFollowsIncident(to);
  if (to === 'EN_ROUTE' || to === 'ON_SCENE') {
    for (const unitId of movers) {
      const u = await getUnitRow(uow.tx, unitId, true);
      if (u.current_incident_id !== after.id || u.status === to || (to === 'EN_ROUTE' && u.status === 'ON_SCENE')) continue;
      await stampAssignment(uow, after.id, unitId, to === 'ON_SCENE');
      await updateUnitStatus(uow, unitId, unitStatus as UnitStatus, after.id);
    }
  } else if (to === 'CLEARED' || to === 'CANCELLED' || to === 'PENDING') {
    await releaseAssignments(uow, after.id, to.toLowerCase(), 'AVAILABLE');
  }
  if (['CLEARED', 'CLOSED', 'CANCELLED'].includes(to) && before.status !== to) await clearPanic(uow, after);
}

/** Assigns a unit: the unit becomes DISPATCHED, the incident DISPATCHED (if it was waiting). */
export async function assignIn(
  uow: UnitOfWork,
  actor: string,
  inc: IncidentRow,
  unit: UnitRow,
  rec: { method: string | null; topUnitId: string | null; recommendationRank: number | null },
): Promise<{ incident: IncidentRow; assignmentId: string; acceptedTop: boolean | null }> {
  if (unit.status !== 'AVAILABLE' || unit.current_incident_id) {
    throw new Problem('dispatch.unit_unavailable', { callSign: unit.call_sign, status: unit.status }, [], 409);
  }
  if (!WAITING.includes(inc.status) && !COMMITTED.includes(inc.status)) {
    const check = checkTransition(inc.status, 'DISPATCHED', 'assign');
    throw illegalTransition(inc.status, 'DISPATCHED', check.ok ? { ok: false, reason: 'not_allowed', allowed: [] } : check);
  }
  if (inc.status === 'RECEIVED') {
    throw illegalTransition(inc.status, 'DISPATCHED', { ok: false, reason: 'not_allowed', allowed: ['TRIAGED'] });
  }
  const acceptedTop = rec.topUnitId ? rec.topUnitId === unit.id : null;
  const id = newId();
  await uow.tx.query(
    `insert into dispatch_assignment (id, incident_id, unit_id, assigned_at, assigned_by, method, top_unit_id, recommendation_rank, accepted_top)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, inc.id, unit.id, uow.now.toISOString(), actor, rec.method, rec.topUnitId, rec.recommendationRank, acceptedTop],
  );
  await updateUnitStatus(uow, unit.id, 'DISPATCHED', inc.id);
  const data = { assignmentId: id, unitId: unit.id, callSign: unit.call_sign, method: rec.method, topUnitId: rec.topUnitId, recommendationRank: rec.recommendationRank, acceptedTop };
  await addTimeline(uow, actor, inc.id, { kind: 'assignment', data });
  await uow.audit({
    action: acceptedTop === false ? 'incident.assigned.override' : 'incident.assigned',
    entity: 'incident',
    entityId: inc.id,
    jurisdiction: inc.kato,
    data,
  });
  let incident = inc;
  if (WAITING.includes(inc.status)) {
    incident = await applyStatus(uow, actor, inc, 'DISPATCHED', { via: 'assign', data: { unitId: unit.id, callSign: unit.call_sign } });
  } else {
    await emitIncident(uow, inc);
  }
  return { incident, assignmentId: id, acceptedTop };
}

/**
 * A crew's (or a dispatcher's) change of a unit's status. EN_ROUTE / ON_SCENE need a current incident and pull it
 * along; leaving an incident (AVAILABLE, RETURNING, BUSY, OUT_OF_SERVICE) ends the assignment, and an incident left
 * without units before anyone arrived goes back to the queue (PENDING).
 */
export async function setUnitStatus(
  kernel: Kernel,
  ctx: CommandContext,
  actor: Actor,
  unitId: string,
  status: UnitStatus,
): Promise<UnitRow> {
  return kernel.commands.run(ctx, async (uow) => {
    const unit = await getUnitRow(uow.tx, unitId, true);
    if (!covers(actor.jurisdictions, unit.home_kato)) throw new Problem('outside_jurisdiction');
    if (!actor.permissions.has('dispatch:units') && !(actor.username && unit.crew.includes(actor.username))) {
      throw new Problem('dispatch.not_crew', {}, [], 403);
    }
    if (status === 'DISPATCHED') throw new Problem('dispatch.wrong_command', { from: unit.status, to: status, allowed: '—' }, [], 409);
    const incidentId = unit.current_incident_id;
    if ((status === 'EN_ROUTE' || status === 'ON_SCENE') && !incidentId) {
      throw new Problem('dispatch.no_assignment', { callSign: unit.call_sign }, [], 409);
    }
    if (!incidentId) {
      const u = await updateUnitStatus(uow, unit.id, status, null);
      await uow.audit({ action: 'unit.status_changed', entity: 'unit', entityId: unit.id, jurisdiction: unit.home_kato, data: { from: unit.status, to: status } });
      return u;
    }
    const inc = await getIncidentRow(uow.tx, incidentId, true);
    const position = positionOf(unit);
    await uow.audit({ action: 'unit.status_changed', entity: 'unit', entityId: unit.id, jurisdiction: unit.home_kato, data: { from: unit.status, to: status, incidentId } });
    if (status === 'EN_ROUTE' || status === 'ON_SCENE') {
      await stampAssignment(uow, inc.id, unit.id, status === 'ON_SCENE');
      const u = await updateUnitStatus(uow, unit.id, status, inc.id);
      await addTimeline(uow, actor.name, inc.id, { kind: 'unit_status', position, data: { unitId: unit.id, callSign: unit.call_sign, from: unit.status, to: status } });
      const next = incidentFollowsUnit(inc.status, status);
      if (next) await applyStatus(uow, actor.name, inc, next, { via: 'manual', position, data: { unitId: unit.id, callSign: unit.call_sign } });
      else await emitIncident(uow, inc);
      return u;
    }
    // Leaving the incident.
    await releaseAssignments(uow, inc.id, `unit_${status.toLowerCase()}`, status, unit.id);
    await addTimeline(uow, actor.name, inc.id, { kind: 'unit_released', position, data: { unitId: unit.id, callSign: unit.call_sign, status } });
    const left = await activeAssignments(uow.tx, inc.id);
    if (left.length === 0 && (inc.status === 'DISPATCHED' || inc.status === 'EN_ROUTE')) {
      await applyStatus(uow, actor.name, inc, 'PENDING', { via: 'manual', position, data: { reason: 'no_units' } });
    } else {
      await emitIncident(uow, inc);
    }
    return getUnitRow(uow.tx, unit.id);
  });
}

/** Follows MERGED incidents to the one that survives. */
export async function survivorOf(q: Queryable, id: string): Promise<IncidentRow> {
  let inc = await getIncidentRow(q, id, true);
  for (let i = 0; i < 20 && inc.status === 'MERGED' && inc.merged_into; i++) inc = await getIncidentRow(q, inc.merged_into, true);
  return inc;
}

/**
 * Merges a duplicate into another incident (EIDO: this one REPLACED, the other REPLACING). The duplicate's
 * reports move to the survivor; both incidents' followers are told.
 */
export async function merge(kernel: Kernel, ctx: CommandContext, actor: Actor, id: string, into: string): Promise<{ merged: IncidentRow; survivor: IncidentRow }> {
  if (id === into) throw new Problem('dispatch.merge_invalid', { reason: 'self' }, [], 409);
  return kernel.commands.run(ctx, async (uow) => {
    const dup = await getIncidentRow(uow.tx, id, true);
    const target = await getIncidentRow(uow.tx, into, true);
    if (!covers(actor.jurisdictions, dup.kato) || !covers(actor.jurisdictions, target.kato)) throw new Problem('outside_jurisdiction');
    if (['CLOSED', 'CANCELLED', 'MERGED'].includes(target.status)) throw new Problem('dispatch.merge_invalid', { reason: target.status }, [], 409);
    const moved = await uow.tx.query<{ report_id: string }>(
      'update dispatch_incident_report set incident_id = $2 where incident_id = $1 returning report_id',
      [dup.id, target.id],
    );
    const reportIds = moved.map((r) => r.report_id);
    const merged = await applyStatus(uow, actor.name, dup, 'MERGED', { via: 'merge', mergedInto: target.id, data: { direction: 'REPLACED', into: target.id, reportIds } });
    // The survivor is as urgent as the more urgent of the two: a P1 folded into a P3 keeps the P1's targets and place
    // in the queue.
    const raised = dup.priority < target.priority ? dup.priority : null;
    if (raised) await uow.tx.query('update dispatch_incident set priority = $2, updated_at = $3 where id = $1', [target.id, raised, uow.now.toISOString()]);
    await addTimeline(uow, actor.name, target.id, {
      kind: 'merge',
      data: { direction: 'REPLACING', from: dup.id, reportIds, ...(raised ? { priority: raised, previousPriority: target.priority } : {}) },
    });
    await uow.audit({ action: 'incident.merged', entity: 'incident', entityId: dup.id, jurisdiction: dup.kato, data: { into: target.id, reportIds, ...(raised ? { priority: raised } : {}) } });
    const survivor = await getIncidentRow(uow.tx, target.id);
    await emitIncident(uow, survivor);
    return { merged, survivor };
  });
}

export const LINK_INVERSE = { PARENT: 'CHILD', CHILD: 'PARENT', RELATED: 'RELATED' } as const;

export async function link(kernel: Kernel, ctx: CommandContext, actor: Actor, id: string, other: string, kind: 'PARENT' | 'CHILD' | 'RELATED'): Promise<void> {
  if (id === other) throw new Problem('dispatch.merge_invalid', { reason: 'self' }, [], 409);
  await kernel.commands.run(ctx, async (uow) => {
    const a = await getIncidentRow(uow.tx, id, true);
    const b = await getIncidentRow(uow.tx, other, true);
    if (!covers(actor.jurisdictions, a.kato) || !covers(actor.jurisdictions, b.kato)) throw new Problem('outside_jurisdiction');
    const now = uow.now.toISOString();
    const upsert = `insert into dispatch_incident_link (incident_id, other_id, kind, created_at, created_by) values ($1, $2, $3, $4, $5)
                    on conflict (incident_id, other_id) do update set kind = excluded.kind, created_at = excluded.created_at, created_by = excluded.created_by`;
    await uow.tx.query(upsert, [a.id, b.id, kind, now, actor.name]);
    await uow.tx.query(upsert, [b.id, a.id, LINK_INVERSE[kind], now, actor.name]);
    await addTimeline(uow, actor.name, a.id, { kind: 'link', data: { other: b.id, kind } });
    await addTimeline(uow, actor.name, b.id, { kind: 'link', data: { other: a.id, kind: LINK_INVERSE[kind] } });
    await uow.audit({ action: 'incident.linked', entity: 'incident', entityId: a.id, jurisdiction: a.kato, data: { other: b.id, kind } });
    await emitIncident(uow, a);
    await emitIncident(uow, b);
  });
}

/** Attaches a citizen report to an incident (duplicate report, or a report a dispatcher joins) and tells its reporter. */
export async function attachReportIn(uow: UnitOfWork, actor: string, inc: IncidentRow, reportId: string, note: string | null = null): Promise<void> {
  const inserted = await uow.tx.query(
    'insert into dispatch_incident_report (report_id, incident_id, attached_at) values ($1, $2, $3) on conflict (report_id) do nothing returning report_id',
    [reportId, inc.id, uow.now.toISOString()],
  );
  if (inserted.length === 0) return;
  await addTimeline(uow, actor, inc.id, { kind: 'report', note, data: { reportId } });
  await uow.audit({ action: 'incident.report_attached', entity: 'incident', entityId: inc.id, jurisdiction: inc.kato, data: { reportId } });
  await emitIncident(uow, inc, undefined, note);
}

// ---- reads ------------------------------------------------------------------------------------------------

export async function premiseFlagsNear(q: Queryable, p: Position, now: Date) {
  const rows = await q.query<{
    id: string;
    kind: string;
    note: string;
    lon: number;
    lat: number;
    radius_m: number;
    expires_at: Date | null;
    source_module: string;
    source_ref: string;
    distance_m: number;
  }>(
    `select id, kind, note, lon, lat, radius_m, expires_at, source_module, source_ref,
            ST_Distance(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography) as distance_m
     from dispatch_premise_flag
     where (expires_at is null or expires_at > $3)
       and ST_DWithin(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, radius_m)
     order by distance_m, id`,
    [p.lon, p.lat, now.toISOString()],
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    note: r.note,
    location: { lon: r.lon, lat: r.lat },
    radiusM: r.radius_m,
    distanceM: Math.round(r.distance_m),
    expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
    sourceModule: r.source_module,
    sourceRef: r.source_ref,
  }));
}

/** Everything the incident card shows: the incident, its timeline, units, reports, links and nearby hazards. */
export async function incidentDetail(kernel: Kernel, inc: IncidentRow) {
  const { db } = kernel;
  const now = kernel.clock.now();
  const { settings } = runtime(kernel);
  const timeline = await db.query<{ seq: number; at: Date; actor: string; kind: string; from_status: string | null; to_status: string | null; lon: number | null; lat: number | null; note: string | null; data: unknown }>(
    'select * from dispatch_timeline where incident_id = $1 order by seq',
    [inc.id],
  );
  const assignments = await db.query<AssignmentRow & { call_sign: string; unit_type: string }>(
    `select a.*, u.call_sign, u.type as unit_type from dispatch_assignment a join dispatch_unit u on u.id = a.unit_id
     where a.incident_id = $1 order by a.assigned_at, a.id`,
    [inc.id],
  );
  const links = await db.query<{ other_id: string; kind: string; created_at: Date }>(
    'select other_id, kind, created_at from dispatch_incident_link where incident_id = $1 order by created_at, other_id',
    [inc.id],
  );
  const mergedFrom = await db.query<{ id: string }>('select id from dispatch_incident where merged_into = $1 order by merged_at, id', [inc.id]);
  return {
    ...presentIncident(inc, settings, now),
    reportIds: await reportIdsOf(db, inc.id),
    timeline: timeline.map((t) => ({
      seq: t.seq,
      at: new Date(t.at).toISOString(),
      actor: t.actor,
      kind: t.kind,
      from: t.from_status,
      to: t.to_status,
      position: t.lon !== null && t.lat !== null ? { lon: t.lon, lat: t.lat } : null,
      note: t.note,
      data: (t.data ?? {}) as Record<string, unknown>,
    })),
    assignments: assignments.map(presentAssignment),
    links: links.map((l) => ({ incidentId: l.other_id, kind: l.kind, createdAt: new Date(l.created_at).toISOString() })),
    mergedFrom: mergedFrom.map((m) => m.id),
    premiseFlags: await premiseFlagsNear(db, { lon: inc.lon, lat: inc.lat }, now),
    runCard: presentRunCard(
      inc.category,
      evaluateRunCard(
        runCardFor(inc.category),
        assignments.filter((a) => !a.released_at).map((a) => a.unit_type),
      ),
    ),
  };
}
export type IncidentDetail = Awaited<ReturnType<typeof incidentDetail>>;

