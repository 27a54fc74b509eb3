import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { DEFAULTS, type Priority } from './config/catalogue.ts';
import { type Condition, evaluate, type SlaAssignment, type SlaIncident, type SlaUnit } from './domain/sla.ts';
import { ALERT_ACKNOWLEDGED, ALERT_ESCALATED, ALERT_RAISED, type AlertEscalated, type AlertRaised, type IncidentStatus, type UnitStatus } from './events.ts';
import { prunePositions } from './retention.ts';
import { runtime } from './runtime.ts';
import { emitUnit, type UnitRow } from './store.ts';
import { every } from '../../packages/kernel/src/every.ts';

/**
 * The periodic job (every TARTIP_DISPATCH_TIMER_INTERVAL_MS, on the kernel's clock so tests move time): flags
 * units whose position went stale, then evaluates the SLA rules (`domain/sla.ts`) and raises each new condition
 * once as `dispatch.alert.raised` (escalated to supervisors). Safe on several processes at once: a condition's
 * key is unique in `dispatch_alert`.
 */
export async function runTimers(kernel: Kernel): Promise<{ raised: Condition[]; staleUnits: number; escalated: number; resolved: number }> {
  const { settings } = runtime(kernel);
  const now = kernel.clock.now();
  const staleBefore = new Date(now.getTime() - settings.telemetryStaleS * 1000).toISOString();

  const staleUnits = await kernel.commands.run({ actor: 'system:dispatch-timers' }, async (uow) => {
    const rows = await uow.tx.query<UnitRow>(
      `update dispatch_unit set stale = true, updated_at = $2 where not stale and last_at is not null and last_at < $1 returning *`,
      [staleBefore, uow.now.toISOString()],
    );
    for (const u of rows) await emitUnit(uow, u);
    return rows.length;
  });

  const incidents = await kernel.db.query<{
    id: string;
    priority: Priority;
    status: IncidentStatus;
    kato: string | null;
    received_at: Date;
    dispatched_at: Date | null;
    on_scene_at: Date | null;
    requeued_at: Date | null;
  }>(
    // An incident waiting although a unit was dispatched to it once went back to waiting: when, from its timeline.
    `select i.id, i.priority, i.status, i.kato, i.received_at, i.dispatched_at, i.on_scene_at,
            case when i.status in ('RECEIVED', 'TRIAGED', 'PENDING') and i.dispatched_at is not null then
              (select t.at from dispatch_timeline t
               where t.incident_id = i.id and t.kind = 'status' and t.from_status not in ('RECEIVED', 'TRIAGED', 'PENDING')
               order by t.seq desc limit 1)
            end as requeued_at
     from dispatch_incident i
     where i.status in ('RECEIVED', 'TRIAGED', 'PENDING', 'DISPATCHED', 'EN_ROUTE')`,
  );
  const assignments = await kernel.db.query<{ id: string; incident_id: string; unit_id: string; kato: string | null; assigned_at: Date; acknowledged_at: Date | null }>(
    `select a.id, a.incident_id, a.unit_id, i.kato, a.assigned_at, a.acknowledged_at from dispatch_assignment a
     join dispatch_incident i on i.id = a.incident_id where a.released_at is null and a.acknowledged_at is null`,
  );
  const units = await kernel.db.query<{ id: string; status: UnitStatus; home_kato: string; last_at: Date | null }>(
    `select id, status, home_kato, last_at from dispatch_unit where last_at is not null and last_at < $1 and status <> 'OUT_OF_SERVICE'`,
    [staleBefore],
  );
  const conditions = evaluate(
    now,
    {
      incidents: incidents.map<SlaIncident>((i) => ({
        id: i.id,
        priority: i.priority,
        status: i.status,
        kato: i.kato,
        receivedAt: new Date(i.received_at),
        dispatchedAt: i.dispatched_at ? new Date(i.dispatched_at) : null,
        onSceneAt: i.on_scene_at ? new Date(i.on_scene_at) : null,
        requeuedAt: i.requeued_at ? new Date(i.requeued_at) : null,
      })),
      assignments: assignments.map<SlaAssignment>((a) => ({
        id: a.id,
        incidentId: a.incident_id,
        unitId: a.unit_id,
        kato: a.kato,
        assignedAt: new Date(a.assigned_at),
        acknowledgedAt: a.acknowledged_at ? new Date(a.acknowledged_at) : null,
      })),
      units: units.map<SlaUnit>((u) => ({ id: u.id, status: u.status, homeKato: u.home_kato, lastAt: u.last_at ? new Date(u.last_at) : null })),
    },
    settings,
  );
  const resolved = await resolveCleared(kernel, now, conditions);
  const escalated = await escalate(kernel, now, settings.escalateAfterS);
  if (conditions.length === 0) return { raised: [], staleUnits, escalated, resolved };
  const known = new Set(
    (await kernel.db.query<{ condition_key: string }>('select condition_key from dispatch_alert where condition_key = any($1::text[])', [conditions.map((c) => c.key)])).map(
      (r) => r.condition_key,
    ),
  );
  const fresh = conditions.filter((c) => !known.has(c.key));
  const raised: Condition[] = [];
  for (const c of fresh) {
    await kernel.commands.run({ actor: 'system:dispatch-timers' }, async (uow) => {
      const alertId = newId();
      const inserted = await uow.tx.query(
        `insert into dispatch_alert (id, kind, condition_key, incident_id, unit_id, kato, due_at, raised_at, data)
         values ($1, $2, $3, $4, $5, $6, $7, $8, '{}'::jsonb) on conflict (condition_key) do nothing returning id`,
        [alertId, c.kind, c.key, c.incidentId, c.unitId, c.kato, c.dueAt.toISOString(), uow.now.toISOString()],
      );
      if (inserted.length === 0) return; // another process raised it first
      const data: AlertRaised = {
        alertId,
        kind: c.kind,
        incidentId: c.incidentId,
        unitId: c.unitId,
        escalateTo: 'supervisor',
        dueAt: c.dueAt.toISOString(),
        raisedAt: uow.now.toISOString(),
      };
      await uow.emit({ subject: ALERT_RAISED, key: c.incidentId ?? c.unitId ?? alertId, jurisdiction: c.kato, permission: 'dispatch:read', data });
      await uow.audit({ action: 'alert.raised', entity: 'alert', entityId: alertId, jurisdiction: c.kato, data: { kind: c.kind, incidentId: c.incidentId, unitId: c.unitId } });
      raised.push(c);
    });
  }
  return { raised, staleUnits, escalated, resolved };
}

/** Who closes an alert whose condition went away by itself. */
export const RESOLVED_BY = 'system:resolved';

/**
 * Timer alerts whose condition no longer holds — the incident was dispatched, the unit acknowledged or reported
 * again, the crew arrived — are closed by themselves (acknowledged by `system:resolved`, audited, published as an
 * acknowledgement), so that none sounds, waits on a console or goes to the supervisors for what is already done.
 * Panics are never closed so: a person answers them. Only alerts raised up to this run's `now` are considered: another
 * process's run may have raised one from a later look at the same data.
 */
async function resolveCleared(kernel: Kernel, now: Date, holding: readonly Condition[]): Promise<number> {
  return kernel.commands.run({ actor: RESOLVED_BY }, async (uow) => {
    const rows = await uow.tx.query<{ id: string; kind: string; incident_id: string | null; unit_id: string | null; kato: string | null }>(
      `update dispatch_alert set acknowledged_at = $3, acknowledged_by = $4
       where acknowledged_at is null and kind <> 'panic' and raised_at <= $1 and not (condition_key = any($2::text[]))
       returning id, kind, incident_id, unit_id, kato`,
      [now.toISOString(), holding.map((c) => c.key), uow.now.toISOString(), RESOLVED_BY],
    );
    for (const r of rows) {
      await uow.audit({ action: 'alert.resolved', entity: 'alert', entityId: r.id, jurisdiction: r.kato, data: { kind: r.kind } });
      await uow.emit({
        subject: ALERT_ACKNOWLEDGED,
        key: r.incident_id ?? r.unit_id ?? r.id,
        jurisdiction: r.kato,
        permission: 'dispatch:read',
        data: { alertId: r.id, kind: r.kind, by: RESOLVED_BY, at: uow.now.toISOString() },
      });
    }
    return rows.length;
  });
}

/**
 * Alerts nobody has acknowledged within `afterS` (a panic within half of it) go to the supervisors: stamped once,
 * `dispatch.alert.escalated`, audited. Returns how many were escalated.
 */
async function escalate(kernel: Kernel, now: Date, afterS: number): Promise<number> {
  return kernel.commands.run({ actor: 'system:dispatch-timers' }, async (uow) => {
    const rows = await uow.tx.query<{ id: string; kind: AlertEscalated['kind']; incident_id: string | null; unit_id: string | null; kato: string | null; raised_at: Date }>(
      `update dispatch_alert set escalated_at = $1
       where acknowledged_at is null and escalated_at is null
         and raised_at <= $1::timestamptz - make_interval(secs => case when kind = 'panic' then $2 / 2.0 else $2 end)
       returning id, kind, incident_id, unit_id, kato, raised_at`,
      [now.toISOString(), afterS],
    );
    for (const r of rows) {
      const data: AlertEscalated = {
        alertId: r.id,
        kind: r.kind,
        incidentId: r.incident_id,
        unitId: r.unit_id,
        escalateTo: 'supervisor',
        raisedAt: new Date(r.raised_at).toISOString(),
        escalatedAt: now.toISOString(),
      };
      await uow.emit({ subject: ALERT_ESCALATED, key: r.incident_id ?? r.unit_id ?? r.id, jurisdiction: r.kato, permission: 'dispatch:read', data });
      await uow.audit({ action: 'alert.escalated', entity: 'alert', entityId: r.id, jurisdiction: r.kato, data: { kind: r.kind, after: afterS } });
    }
    return rows.length;
  });
}


/**
 * Starts the jobs; returns their stopper. The SLA / staleness run every TARTIP_DISPATCH_TIMER_INTERVAL_MS; the
 * positions prune (`retention.ts`) on its own loop — a long first prune never delays an SLA alert — once every
 * `positionsPruneEveryS` of the kernel's clock (the first time at the first tick).
 */
export function startTimers(kernel: Kernel): () => Promise<void> {
  const { settings } = runtime(kernel);
  const stopSla = every(kernel.log, settings.timerIntervalMs, 'dispatch: timer run', () => runTimers(kernel));
  let nextPruneAt = Number.NEGATIVE_INFINITY;
  const stopPrune = every(kernel.log, settings.timerIntervalMs, 'dispatch: positions prune', async (stopped) => {
    const now = kernel.clock.now().getTime();
    if (now < nextPruneAt) return;
    nextPruneAt = now + DEFAULTS.positionsPruneEveryS * 1000;
    const r = await prunePositions(kernel, { retentionDays: settings.positionsRetentionDays, batch: DEFAULTS.positionsPruneBatch, stop: stopped });
    if (r.deleted > 0) kernel.log.info({ deleted: r.deleted, batches: r.batches, before: r.cutoff.toISOString() }, 'dispatch: old unit positions pruned');
  });
  return async () => {
    await Promise.all([stopSla(), stopPrune()]);
  };
}
