import { covers, jurisdictionFilter } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext, UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import type { Queryable } from '../../packages/kernel/src/db/types.ts';
import { haversineM } from './domain/eta.ts';
import { UNIT_TYPES } from './config/catalogue.ts';
import { runCardFor } from './config/runcards.ts';
import { type Candidate, rankUnits } from './domain/recommend.ts';
import { evaluateRunCard, type RunCardStatus } from './domain/runcard.ts';
import { ALERT_RAISED, type AlertRaised, UNIT_CREATED } from './events.ts';
import { runtime } from './runtime.ts';
import { type Actor, applyStatus, assignIn, createIncidentIn, katoOf } from './service.ts';
import { emitUnit, getIncidentRow, getUnitRow, type IncidentRow, type Position, setPanicFlag, type UnitRow, updateUnitStatus } from './store.ts';

/** Units: registration, the crew's own unit, recommendations, assignment, panic. */

export { UNIT_TYPES };

export interface NewUnit {
  callSign: string;
  type: (typeof UNIT_TYPES)[number];
  homeKato: string;
  crew: string[];
  position?: Position;
}

export async function createUnitIn(uow: UnitOfWork, input: NewUnit): Promise<UnitRow> {
  const taken = await uow.tx.query('select 1 from dispatch_unit where call_sign = $1', [input.callSign]);
  if (taken.length > 0) throw Problem.conflict(`call sign ${input.callSign} is taken`);
  const now = uow.now.toISOString();
  const [u] = await uow.tx.query<UnitRow>(
    `insert into dispatch_unit (id, call_sign, type, home_kato, crew, status, last_lon, last_lat, last_at, status_at, created_at, updated_at)
     values ($1, $2, $3, $4, $5::text[], 'AVAILABLE', $6, $7, $8, $9, $9, $9) returning *`,
    [newId(), input.callSign, input.type, input.homeKato, input.crew, input.position?.lon ?? null, input.position?.lat ?? null, input.position ? now : null, now],
  );
  await uow.audit({ action: 'unit.created', entity: 'unit', entityId: u.id, jurisdiction: u.home_kato, data: { callSign: u.call_sign, type: u.type, crew: u.crew } });
  await emitUnit(uow, u, UNIT_CREATED);
  return u;
}

export async function createUnit(kernel: Kernel, ctx: CommandContext, actor: Actor, input: NewUnit): Promise<UnitRow> {
  if (!covers(actor.jurisdictions, input.homeKato)) throw new Problem('outside_jurisdiction');
  return kernel.commands.run(ctx, (uow) => createUnitIn(uow, input));
}

/** Units a person may see, optionally only available ones with a fresh position (candidates for a call). */
export async function visibleUnits(q: Queryable, jurisdictions: string[], o: { onlyCandidates?: boolean } = {}): Promise<UnitRow[]> {
  const [filter, params] = jurisdictionFilter('home_kato', jurisdictions, 1);
  return q.query<UnitRow>(
    `select * from dispatch_unit where ${filter}
       ${o.onlyCandidates ? `and status = 'AVAILABLE' and not stale and last_at is not null and current_incident_id is null and not ('PANIC' = any(flags))` : ''}
     order by call_sign`,
    params,
  );
}

export interface Recommendation {
  rank: number;
  unitId: string;
  callSign: string;
  type: string;
  method: 'road_network' | 'great_circle';
  distanceM: number;
  etaS: number;
  straightLineM: number;
  /** The run-card requirement (unit type) this unit would fill, or null. */
  fills: string | null;
}

/** Types of the units actively assigned to an incident (released ones no longer count). */
export async function assignedUnitTypes(q: Queryable, incidentId: string): Promise<string[]> {
  const rows = await q.query<{ type: string }>(
    `select u.type from dispatch_assignment a join dispatch_unit u on u.id = a.unit_id where a.incident_id = $1 and a.released_at is null`,
    [incidentId],
  );
  return rows.map((r) => r.type);
}

/**
 * Ranked candidates for an incident, by estimated travel time (road graph when loaded), with the units that fill
 * what its run card still misses first; and the run card's state.
 */
export async function recommend(
  kernel: Kernel,
  inc: IncidentRow,
  jurisdictions: string[],
): Promise<{ method: 'road_network' | 'great_circle'; items: Recommendation[]; runCard: RunCardStatus }> {
  const rt = runtime(kernel);
  const s = rt.settings;
  const runCard = evaluateRunCard(runCardFor(inc.category), await assignedUnitTypes(kernel.db, inc.id));
  const units = await visibleUnits(kernel.db, jurisdictions, { onlyCandidates: true });
  const now = kernel.clock.now().getTime();
  const candidates: Candidate[] = units
    // The stale flag is set by the periodic job; check the age here too so a unit that just fell silent is not sent.
    .filter((u) => u.last_at && now - new Date(u.last_at).getTime() <= s.telemetryStaleS * 1000)
    .map((u) => ({ id: u.id, callSign: u.call_sign, type: u.type, position: { lon: u.last_lon as number, lat: u.last_lat as number } }));
  const ranked = rankUnits({ lon: inc.lon, lat: inc.lat }, candidates, rt.graph, {
    citySpeedKmh: s.citySpeedKmh,
    footSpeedKmh: s.footSpeedKmh,
    detourFactor: s.detourFactor,
    maxKm: s.recommendMaxKm,
    limit: s.recommendLimit,
    need: runCard.missing,
  });
  return { ...ranked, runCard };
}

/**
 * Assigns a unit to an incident. The recommendation at this moment is recorded with the assignment, so the
 * audit trail shows whether the dispatcher took the top recommendation or overrode it.
 */
export async function assign(
  kernel: Kernel,
  ctx: CommandContext,
  actor: Actor,
  incidentId: string,
  input: { unitId: string; recommendationRank?: number },
) {
  const inc0 = await getIncidentRow(kernel.db, incidentId);
  if (!covers(actor.jurisdictions, inc0.kato)) throw new Problem('outside_jurisdiction');
  const unit0 = await getUnitRow(kernel.db, input.unitId);
  if (!covers(actor.jurisdictions, unit0.home_kato)) throw new Problem('outside_jurisdiction');
  const recs = await recommend(kernel, inc0, actor.jurisdictions);
  const top = recs.items[0] ?? null;
  return kernel.commands.run(ctx, async (uow) => {
    const inc = await getIncidentRow(uow.tx, incidentId, true);
    const unit = await getUnitRow(uow.tx, input.unitId, true);
    return assignIn(uow, actor.name, inc, unit, { method: recs.method, topUnitId: top?.unitId ?? null, recommendationRank: input.recommendationRank ?? null });
  });
}

/** The officer's tablet: their unit and its current assignment. */
export async function mine(q: Queryable, username: string): Promise<{ unit: UnitRow | null; incident: IncidentRow | null }> {
  const [unit] = await q.query<UnitRow>('select * from dispatch_unit where $1 = any(crew) order by (current_incident_id is null), updated_at desc limit 1', [username]);
  if (!unit) return { unit: null, incident: null };
  const incident = unit.current_incident_id ? await getIncidentRow(q, unit.current_incident_id) : null;
  return { unit, incident };
}

/** A call for help to a unit: another unit's panic that named it among the nearest, while that incident is open. */
export interface AssistCall {
  alertId: string;
  incidentId: string;
  /** The unit in danger. */
  unitId: string;
  callSign: string;
  lon: number;
  lat: number;
  address: string | null;
  raisedAt: Date;
}

/**
 * The panics that named `unitId` among the nearest units, newest first, for as long as their incident is open (an
 * operator acknowledging the alarm at the console does not call the helpers off; ending the incident does), and
 * for an hour at most.
 */
export async function assistCalls(q: Queryable, unitId: string, now: Date): Promise<AssistCall[]> {
  return q.query<AssistCall>(
    `select a.id as "alertId", a.incident_id as "incidentId", a.unit_id as "unitId", coalesce(a.data->>'callSign', '') as "callSign",
            i.lon, i.lat, i.address, a.raised_at as "raisedAt"
     from dispatch_alert a join dispatch_incident i on i.id = a.incident_id
     where a.kind = 'panic' and a.data->'nearestUnitIds' ? $1 and a.raised_at > $2::timestamptz - interval '1 hour'
       and i.status not in ('CLEARED', 'CLOSED', 'CANCELLED', 'MERGED')
     order by a.raised_at desc limit 5`,
    [unitId, now.toISOString()],
  );
}

/**
 * Panic (duress) from a unit: an immediate P1 incident at the position the device sent, else the unit's last one; the
 * unit flagged PANIC; and `dispatch.alert.raised` {kind: 'panic'} naming the nearest available units so consoles
 * sound and they can go. A panic is never refused for want of a place: a unit that has never reported a position
 * and sends none still raises the alarm (the unit flagged, consoles sounding, `positionUnknown` in the alert) — only
 * the incident, which needs a place, waits for the dispatcher.
 */
export async function panic(
  kernel: Kernel,
  ctx: CommandContext,
  unitId: string,
  position?: Position | null,
): Promise<{ incident: IncidentRow | null; alertId: string; nearestUnitIds: string[] }> {
  const { settings } = runtime(kernel);
  return kernel.commands.run(ctx, async (uow) => {
    const unit = await getUnitRow(uow.tx, unitId, true);
    const where: Position | null = position ?? (unit.last_lon !== null && unit.last_lat !== null ? { lon: unit.last_lon, lat: unit.last_lat } : null);
    if (!where) return panicWithoutPlace(uow, unit);
    const kato = katoOf(kernel, where) ?? unit.home_kato;
    const incident = await createIncidentIn(uow, ctx.actor, {
      category: 'panic',
      priority: 'P1',
      location: where,
      description: `PANIC ${unit.call_sign}`,
      source: 'panic',
      kato,
      panicUnitId: unit.id,
      actorPosition: where,
    });
    await setPanicFlag(uow, unit.id, true);
    const others = await uow.tx.query<UnitRow>(
      `select * from dispatch_unit where id <> $1 and status = 'AVAILABLE' and not stale and last_at is not null and current_incident_id is null`,
      [unit.id],
    );
    const now = uow.now.getTime();
    const nearestUnitIds = others
      .filter((u) => now - new Date(u.last_at as Date).getTime() <= settings.telemetryStaleS * 1000)
      .map((u) => ({ id: u.id, d: haversineM(where, { lon: u.last_lon as number, lat: u.last_lat as number }) }))
      .filter((x) => x.d <= settings.recommendMaxKm * 1000)
      .sort((a, b) => a.d - b.d)
      .slice(0, settings.panicNearestUnits)
      .map((x) => x.id);
    const alertId = newId();
    await uow.tx.query(
      `insert into dispatch_alert (id, kind, condition_key, incident_id, unit_id, kato, due_at, raised_at, data)
       values ($1, 'panic', $2, $3, $4, $5, null, $6, $7::jsonb)`,
      [alertId, `panic:${incident.id}`, incident.id, unit.id, kato, uow.now.toISOString(), JSON.stringify({ nearestUnitIds, callSign: unit.call_sign })],
    );
    const data: AlertRaised = { alertId, kind: 'panic', incidentId: incident.id, unitId: unit.id, nearestUnitIds, escalateTo: 'supervisor', dueAt: null, raisedAt: uow.now.toISOString() };
    await uow.emit({ subject: ALERT_RAISED, key: incident.id, jurisdiction: kato, permission: 'dispatch:read', data });
    await uow.audit({ action: 'unit.panic', entity: 'unit', entityId: unit.id, jurisdiction: kato, data: { incidentId: incident.id, position: where, nearestUnitIds } });
    return { incident, alertId, nearestUnitIds };
  });
}

/**
 * The alarm of a unit whose position is unknown: the unit flagged PANIC, the alert raised in its home area, audited.
 * With no incident to end, the flag goes when an operator acknowledges the alert.
 */
async function panicWithoutPlace(uow: UnitOfWork, unit: UnitRow): Promise<{ incident: null; alertId: string; nearestUnitIds: string[] }> {
  await setPanicFlag(uow, unit.id, true);
  const alertId = newId();
  const kato = unit.home_kato;
  await uow.tx.query(
    `insert into dispatch_alert (id, kind, condition_key, incident_id, unit_id, kato, due_at, raised_at, data)
     values ($1, 'panic', $2, null, $3, $4, null, $5, $6::jsonb)`,
    [alertId, `panic:${alertId}`, unit.id, kato, uow.now.toISOString(), JSON.stringify({ nearestUnitIds: [], callSign: unit.call_sign, positionUnknown: true })],
  );
  const data: AlertRaised = { alertId, kind: 'panic', incidentId: null, unitId: unit.id, nearestUnitIds: [], escalateTo: 'supervisor', dueAt: null, raisedAt: uow.now.toISOString() };
  await uow.emit({ subject: ALERT_RAISED, key: unit.id, jurisdiction: kato, permission: 'dispatch:read', data });
  await uow.audit({ action: 'unit.panic', entity: 'unit', entityId: unit.id, jurisdiction: kato, data: { incidentId: null, position: null, nearestUnitIds: [] } });
  return { incident: null, alertId, nearestUnitIds: [] };
}

/**
 * A new incident from a person: an operator taking a 102 call (source `call`), or an officer on the street
 * (source `field`) — whose own available unit is then assigned and put ON_SCENE at once (an on-view incident).
 */
export async function createIncident(
  kernel: Kernel,
  ctx: CommandContext,
  actor: Actor,
  input: { category: string; priority?: 'P1' | 'P2' | 'P3' | 'P4'; location: Position; description?: string | null; address?: string | null; note?: string | null },
): Promise<IncidentRow> {
  const kato = katoOf(kernel, input.location);
  if (!covers(actor.jurisdictions, kato)) throw new Problem('outside_jurisdiction');
  const field = !actor.permissions.has('dispatch:write');
  return kernel.commands.run(ctx, async (uow) => {
    const own = field && actor.username ? (await uow.tx.query<UnitRow>('select * from dispatch_unit where $1 = any(crew) order by updated_at desc limit 1 for update', [actor.username]))[0] : undefined;
    const position = own && own.last_lon !== null && own.last_lat !== null ? { lon: own.last_lon, lat: own.last_lat } : null;
    let inc = await createIncidentIn(uow, actor.name, { ...input, source: field ? 'field' : 'call', kato, actorPosition: position });
    if (own && own.status === 'AVAILABLE' && !own.current_incident_id) {
      inc = (await assignIn(uow, actor.name, inc, own, { method: null, topUnitId: null, recommendationRank: null })).incident;
      inc = await applyStatus(uow, actor.name, inc, 'ON_SCENE', { via: 'manual', position, data: { unitId: own.id, callSign: own.call_sign, onView: true } });
      await uow.tx.query(
        'update dispatch_assignment set acknowledged_at = $3, on_scene_at = $3 where incident_id = $1 and unit_id = $2 and released_at is null',
        [inc.id, own.id, uow.now.toISOString()],
      );
      await updateUnitStatus(uow, own.id, 'ON_SCENE', inc.id);
    }
    return inc;
  });
}
