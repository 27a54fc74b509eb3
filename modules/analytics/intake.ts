import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { markHandled } from '../../packages/kernel/src/outbox.ts';
import type { Subscriber } from '../../packages/kernel/src/module.ts';
import { INCIDENT_CREATED, INCIDENT_UPDATED, IncidentChanged, UNIT_POSITION, UnitPosition } from '../dispatch/events.ts';
import { DECISION_CONFIRMED, DecisionConfirmed } from '../fraud/events.ts';
import { VIOLATION_CONFIRMED, VIOLATION_REJECTED, ViolationChanged } from '../traffic/events.ts';

/**
 * The operations centre's incidents flow into the statistics through dispatch's published events
 * (`dispatch.incident.created` / `.updated`), never its tables: one analytics record per incident, placed in its
 * region and district, its category dispatch's incident type. A cancelled or merged incident leaves the
 * statistics (a merged one is counted in the incident it joined). Inbox-deduplicated in the batch's transaction.
 *
 * Set-based: a batch of any size costs the inbox mark plus at most one statement per table and kind (a delete and
 * an upsert for each of `analytics_response` and `analytics_incident`). The batch is first folded per incident, in
 * order, into what applying its events one by one would leave: a CANCELLED / MERGED removes the incident (and whatever
 * came before it in the batch); the changes after the last removal are merged into one row per incident — received
 * at the earliest, dispatched / on scene when first reached, everything else from the last change.
 */
export const DISPATCH_INTAKE_GROUP = 'analytics.dispatch-intake';

/** What the changes of one incident since its last removal (in this batch) add up to. */
interface IncidentFold {
  incidentId: string;
  /** A CANCELLED / MERGED in the batch: the stored rows go first. */
  removed: boolean;
  /** The changes after the last removal, merged; null when the removal was the last word. */
  upsert: {
    first: IncidentChanged;
    last: IncidentChanged;
    receivedAt: Date;
    dispatchedAt: Date | null;
    onSceneAt: Date | null;
  } | null;
}

/** Folds the batch's incident changes (in order) per incident; exported for tests. */
export function foldIncidentChanges(changes: readonly IncidentChanged[]): IncidentFold[] {
  const folds = new Map<string, IncidentFold>();
  for (const inc of changes) {
    let f = folds.get(inc.incidentId);
    if (!f) {
      f = { incidentId: inc.incidentId, removed: false, upsert: null };
      folds.set(inc.incidentId, f);
    }
    if (inc.status === 'CANCELLED' || inc.status === 'MERGED') {
      f.removed = true;
      f.upsert = null;
      continue;
    }
    // Response times: the first time each stage was reached (a unit may go straight to the scene).
    const at = new Date(inc.at);
    const dispatched = ['DISPATCHED', 'EN_ROUTE', 'ON_SCENE'].includes(inc.status) ? at : null;
    const onScene = inc.status === 'ON_SCENE' ? at : null;
    if (!f.upsert) {
      f.upsert = { first: inc, last: inc, receivedAt: at, dispatchedAt: dispatched, onSceneAt: onScene };
    } else {
      const u = f.upsert;
      u.last = inc;
      if (at.getTime() < u.receivedAt.getTime()) u.receivedAt = at;
      u.dispatchedAt ??= dispatched;
      u.onSceneAt ??= onScene;
    }
  }
  return [...folds.values()];
}

export async function handleIncidentChanges(events: BusEvent[], kernel: Kernel): Promise<void> {
  await kernel.db.transaction(async (tx) => {
    const fresh = await markHandled(tx, DISPATCH_INTAKE_GROUP, events);
    const changes: IncidentChanged[] = [];
    for (const event of fresh) {
      if (event.subject !== INCIDENT_CREATED && event.subject !== INCIDENT_UPDATED) continue;
      const parsed = IncidentChanged.safeParse(event.data);
      if (!parsed.success) {
        kernel.log.error({ eventId: event.id, issues: parsed.error.issues }, 'analytics: malformed incident event ignored');
        continue;
      }
      changes.push(parsed.data);
    }
    if (changes.length === 0) return;
    const folds = foldIncidentChanges(changes);
    const removed = folds.filter((f) => f.removed).map((f) => f.incidentId);
    if (removed.length > 0) {
      await tx.query("delete from analytics_incident where source = 'dispatch' and source_ref = any($1::text[])", [removed]);
      await tx.query('delete from analytics_response where incident_id = any($1::text[])', [removed]);
    }
    const ups = folds.flatMap((f) => (f.upsert ? [f.upsert] : []));
    if (ups.length === 0) return;
    // One row per incident (on conflict do update may not meet a key twice in one statement), merged with the stored
    // row exactly as one change after another would be.
    await tx.query(
      `insert into analytics_response (incident_id, priority, kato, received_at, dispatched_at, on_scene_at, updated_at)
       select u.incident_id, u.priority, u.kato, u.received_at, u.dispatched_at, u.on_scene_at, u.updated_at
       from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
         as u(incident_id, priority, kato, received_at, dispatched_at, on_scene_at, updated_at)
       on conflict (incident_id) do update
         set priority = excluded.priority, kato = excluded.kato,
             received_at = least(analytics_response.received_at, excluded.received_at),
             dispatched_at = coalesce(analytics_response.dispatched_at, excluded.dispatched_at),
             on_scene_at = coalesce(analytics_response.on_scene_at, excluded.on_scene_at),
             updated_at = excluded.updated_at`,
      [
        ups.map((u) => u.last.incidentId),
        ups.map((u) => u.last.priority),
        ups.map((u) => u.last.kato),
        ups.map((u) => u.receivedAt.toISOString()),
        ups.map((u) => u.dispatchedAt?.toISOString() ?? null),
        ups.map((u) => u.onSceneAt?.toISOString() ?? null),
        ups.map((u) => new Date(u.last.at).toISOString()),
      ],
    );
    // A new record takes the first change's time as its occurrence (later changes never move it); the rest is the
    // last change's, placed in its region and district.
    const placed = ups.map((u) => {
      const inc = u.last;
      const where = kernel.areas.locate(inc.location.lon, inc.location.lat);
      const region = where.region?.kato ?? (inc.kato ? `${inc.kato.slice(0, 2)}0000000` : null);
      const district = where.district?.kato ?? null;
      return { u, region, district };
    });
    await tx.query(
      `insert into analytics_incident (id, source, import_id, source_ref, occurred_at, lon, lat, geom, category, outcome, cleared, region_kato, district_kato, updated_at)
       select u.id, 'dispatch', null, u.source_ref, u.occurred_at, u.lon, u.lat, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.category, null, null,
              u.region_kato, u.district_kato, u.updated_at
       from unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
         as u(id, source_ref, occurred_at, lon, lat, category, region_kato, district_kato, updated_at)
       on conflict (source, coalesce(import_id::text, ''), source_ref) do update
         set category = excluded.category, lon = excluded.lon, lat = excluded.lat, geom = excluded.geom,
             region_kato = excluded.region_kato, district_kato = excluded.district_kato, updated_at = excluded.updated_at`,
      [
        placed.map(() => newId()),
        placed.map((p) => p.u.last.incidentId),
        placed.map((p) => new Date(p.u.first.at).toISOString()),
        placed.map((p) => p.u.last.location.lon),
        placed.map((p) => p.u.last.location.lat),
        placed.map((p) => p.u.last.category),
        placed.map((p) => p.region),
        placed.map((p) => p.district),
        placed.map((p) => new Date(p.u.last.at).toISOString()),
      ],
    );
  });
}

export const dispatchIntake: Subscriber = { subject: 'dispatch.incident.>', group: DISPATCH_INTAKE_GROUP, handleBatch: handleIncidentChanges };

/**
 * `dispatch.unit.position` → the positions of units that have a patrol plan covering the sample's time (an hour's
 * slack either side), for adherence. Positions of units without a plan are not kept.
 */
export const POSITION_GROUP = 'analytics.patrol-positions';

export async function handlePositions(events: BusEvent[], kernel: Kernel): Promise<void> {
  const samples = events
    .filter((e) => e.subject === UNIT_POSITION)
    .map((e) => UnitPosition.safeParse(e.data))
    .flatMap((p) => (p.success ? [p.data] : []));
  if (samples.length === 0) return;
  await kernel.db.query(
    `insert into analytics_unit_position (unit_id, at, lon, lat)
     select s.unit_id, s.at, s.lon, s.lat from unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[]) as s(unit_id, at, lon, lat)
     where exists (select 1 from analytics_patrol_unit p where p.unit_id = s.unit_id and s.at between p.start_at - interval '1 hour' and p.end_at + interval '1 hour')
     on conflict do nothing`,
    [samples.map((s) => s.unitId), samples.map((s) => new Date(s.at)), samples.map((s) => s.lon), samples.map((s) => s.lat)],
  );
}

export const positionIntake: Subscriber = { subject: UNIT_POSITION, group: POSITION_GROUP, handleBatch: handlePositions };

/**
 * What other modules processed, for the KPI board, from their published events: traffic violations decided
 * (`traffic.violation.confirmed` / `.rejected`) and frauds prevented (`fraud.decision.confirmed` with fraud = true for
 * a transfer held or blocked, or a call blocked). One row per decision; idempotent by (kind, ref).
 */
export const KPI_TRAFFIC_GROUP = 'analytics.kpi-traffic';
export const KPI_FRAUD_GROUP = 'analytics.kpi-fraud';

async function recordKpis(kernel: Kernel, rows: { kind: string; ref: string; at: string; kato: string | null }[]): Promise<void> {
  if (rows.length === 0) return;
  await kernel.db.query(
    `insert into analytics_kpi_event (kind, ref, at, kato)
     select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) on conflict do nothing`,
    [rows.map((r) => r.kind), rows.map((r) => r.ref), rows.map((r) => new Date(r.at)), rows.map((r) => r.kato)],
  );
}

export async function handleViolations(events: BusEvent[], kernel: Kernel): Promise<void> {
  const rows = events.flatMap((e) => {
    if (e.subject !== VIOLATION_CONFIRMED && e.subject !== VIOLATION_REJECTED) return [];
    const v = ViolationChanged.safeParse(e.data);
    if (!v.success) return [];
    return [{ kind: e.subject === VIOLATION_CONFIRMED ? 'violation_confirmed' : 'violation_rejected', ref: v.data.violationId, at: v.data.changedAt, kato: v.data.kato }];
  });
  await recordKpis(kernel, rows);
}

export async function handleFraudDecisions(events: BusEvent[], kernel: Kernel): Promise<void> {
  const rows = events.flatMap((e) => {
    const d = DecisionConfirmed.safeParse(e.data);
    if (e.subject !== DECISION_CONFIRMED || !d.success || !d.data.fraud || !['hold', 'block'].includes(d.data.outcome)) return [];
    return [{ kind: `fraud_prevented_${d.data.kind}`, ref: d.data.decisionId, at: d.data.at, kato: e.jurisdiction }];
  });
  await recordKpis(kernel, rows);
}

export const violationKpis: Subscriber = { subject: 'traffic.violation.>', group: KPI_TRAFFIC_GROUP, handleBatch: handleViolations };
export const fraudKpis: Subscriber = { subject: DECISION_CONFIRMED, group: KPI_FRAUD_GROUP, handleBatch: handleFraudDecisions };
