import type { Priority, ResponseTarget } from '../config/catalogue.ts';
import type { IncidentStatus, UnitStatus } from '../events.ts';

/**
 * SLA and safety timers as pure rules: given the open incidents, assignments and units at `now`, which
 * conditions hold? Each condition has a stable `key`, so the job that evaluates them every few seconds raises
 * each alert once (the key is unique in `dispatch_alert`).
 */
export type AlertKind = 'dispatch_overdue' | 'unit_no_ack' | 'on_scene_overdue' | 'unit_stale' | 'panic';
export const ALERT_KINDS: readonly AlertKind[] = ['dispatch_overdue', 'unit_no_ack', 'on_scene_overdue', 'unit_stale', 'panic'];

export interface SlaIncident {
  id: string;
  priority: Priority;
  status: IncidentStatus;
  kato: string | null;
  receivedAt: Date;
  dispatchedAt: Date | null;
  onSceneAt: Date | null;
  /**
   * When it went back to waiting after a unit had been dispatched (the unit was released before it arrived, or was
   * sent elsewhere); null if it never did. It is then due to be dispatched again within its priority's target.
   */
  requeuedAt?: Date | null;
}

export interface SlaAssignment {
  id: string;
  incidentId: string;
  unitId: string;
  kato: string | null;
  assignedAt: Date;
  acknowledgedAt: Date | null;
}

export interface SlaUnit {
  id: string;
  status: UnitStatus;
  homeKato: string | null;
  lastAt: Date | null;
}

export interface Condition {
  kind: AlertKind;
  key: string;
  incidentId: string | null;
  unitId: string | null;
  kato: string | null;
  /** When the rule was breached. */
  dueAt: Date;
}

export interface SlaRules {
  targets: Record<Priority, ResponseTarget>;
  unitAckTimeoutS: number;
  telemetryStaleS: number;
}

const plus = (d: Date, s: number) => new Date(d.getTime() + s * 1000);

/** When an incident is due to have a unit dispatched and a unit on scene. */
export function dueTimes(i: Pick<SlaIncident, 'priority' | 'receivedAt'>, targets: Record<Priority, ResponseTarget>) {
  const t = targets[i.priority];
  return { dispatchDueAt: plus(i.receivedAt, t.dispatchS), onSceneDueAt: plus(i.receivedAt, t.onSceneS) };
}

/** A unit is stale when its last position is older than the threshold; a unit that never reported is not. */
export function isStale(lastAt: Date | null, now: Date, staleS: number): boolean {
  return lastAt !== null && now.getTime() - lastAt.getTime() > staleS * 1000;
}

const WAITING: IncidentStatus[] = ['RECEIVED', 'TRIAGED', 'PENDING'];
const COMING: IncidentStatus[] = ['RECEIVED', 'TRIAGED', 'PENDING', 'DISPATCHED', 'EN_ROUTE'];

export function evaluate(
  now: Date,
  data: { incidents: readonly SlaIncident[]; assignments: readonly SlaAssignment[]; units: readonly SlaUnit[] },
  rules: SlaRules,
): Condition[] {
  const out: Condition[] = [];
  for (const i of data.incidents) {
    const { dispatchDueAt, onSceneDueAt } = dueTimes(i, rules.targets);
    if (WAITING.includes(i.status) && i.dispatchedAt === null && now > dispatchDueAt) {
      out.push({ kind: 'dispatch_overdue', key: `dispatch_overdue:${i.id}`, incidentId: i.id, unitId: null, kato: i.kato, dueAt: dispatchDueAt });
    }
    // Waiting again: a new alert for each time it went back (its key carries when), from then on.
    if (WAITING.includes(i.status) && i.dispatchedAt !== null && i.requeuedAt) {
      const dueAt = plus(i.requeuedAt, rules.targets[i.priority].dispatchS);
      if (now > dueAt) out.push({ kind: 'dispatch_overdue', key: `dispatch_overdue:${i.id}:${i.requeuedAt.toISOString()}`, incidentId: i.id, unitId: null, kato: i.kato, dueAt });
    }
    if (COMING.includes(i.status) && i.onSceneAt === null && now > onSceneDueAt) {
      out.push({ kind: 'on_scene_overdue', key: `on_scene_overdue:${i.id}`, incidentId: i.id, unitId: null, kato: i.kato, dueAt: onSceneDueAt });
    }
  }
  for (const a of data.assignments) {
    const due = plus(a.assignedAt, rules.unitAckTimeoutS);
    if (a.acknowledgedAt === null && now > due) {
      out.push({ kind: 'unit_no_ack', key: `unit_no_ack:${a.id}`, incidentId: a.incidentId, unitId: a.unitId, kato: a.kato, dueAt: due });
    }
  }
  for (const u of data.units) {
    if (u.status === 'OUT_OF_SERVICE' || !u.lastAt || !isStale(u.lastAt, now, rules.telemetryStaleS)) continue;
    // One alert per silence: the key carries the last position's time, so a unit that reports and falls silent again alerts again.
    out.push({
      kind: 'unit_stale',
      key: `unit_stale:${u.id}:${u.lastAt.toISOString()}`,
      incidentId: null,
      unitId: u.id,
      kato: u.homeKato,
      dueAt: plus(u.lastAt, rules.telemetryStaleS),
    });
  }
  return out;
}
