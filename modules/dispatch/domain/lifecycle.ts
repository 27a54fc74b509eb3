import type { IncidentStatus, UnitStatus } from '../events.ts';

/**
 * The incident lifecycle as data (ops-center.md §5.1):
 *
 *   RECEIVED → TRIAGED → PENDING → DISPATCHED → EN_ROUTE → ON_SCENE → CLEARED → CLOSED
 *   plus CANCELLED (before CLEARED) and MERGED (a duplicate folded into another incident, before any unit went).
 *
 * `via` says which command may take each step: `assign` (an assignment makes an incident DISPATCHED), `merge`
 * (the merge endpoint), or `manual` (the transitions endpoint). Pure; unit-tested.
 */
export type Via = 'manual' | 'assign' | 'merge';

export const TRANSITIONS: Record<IncidentStatus, Partial<Record<IncidentStatus, Via>>> = {
  RECEIVED: { TRIAGED: 'manual', CANCELLED: 'manual', MERGED: 'merge' },
  TRIAGED: { TRIAGED: 'manual', PENDING: 'manual', DISPATCHED: 'assign', CANCELLED: 'manual', MERGED: 'merge' },
  PENDING: { TRIAGED: 'manual', DISPATCHED: 'assign', CANCELLED: 'manual', MERGED: 'merge' },
  DISPATCHED: { EN_ROUTE: 'manual', ON_SCENE: 'manual', PENDING: 'manual', CANCELLED: 'manual' },
  EN_ROUTE: { ON_SCENE: 'manual', PENDING: 'manual', CANCELLED: 'manual' },
  ON_SCENE: { CLEARED: 'manual' },
  CLEARED: { CLOSED: 'manual' },
  CLOSED: {},
  CANCELLED: {},
  MERGED: {},
};

export const TERMINAL: readonly IncidentStatus[] = ['CLOSED', 'CANCELLED', 'MERGED'];
/** States in which the incident waits for a unit (the dispatch queue). */
export const WAITING: readonly IncidentStatus[] = ['RECEIVED', 'TRIAGED', 'PENDING'];
/** States in which units are committed to the incident. */
export const COMMITTED: readonly IncidentStatus[] = ['DISPATCHED', 'EN_ROUTE', 'ON_SCENE'];

export type TransitionCheck = { ok: true } | { ok: false; reason: 'terminal' | 'not_allowed' | 'wrong_command'; allowed: IncidentStatus[] };

/** May an incident in `from` move to `to` by `via`? */
export function checkTransition(from: IncidentStatus, to: IncidentStatus, via: Via): TransitionCheck {
  const next = TRANSITIONS[from];
  const allowed = (Object.keys(next) as IncidentStatus[]).filter((s) => next[s] === via);
  if (TERMINAL.includes(from)) return { ok: false, reason: 'terminal', allowed };
  const how = next[to];
  if (!how) return { ok: false, reason: 'not_allowed', allowed };
  if (how !== via) return { ok: false, reason: 'wrong_command', allowed };
  return { ok: true };
}

export const isTerminal = (s: IncidentStatus) => TERMINAL.includes(s);

/**
 * What a crew's own status change does to the incident it is assigned to: a unit going EN_ROUTE or ON_SCENE
 * pulls its incident along when the incident is behind; nothing else moves the incident.
 */
export function incidentFollowsUnit(incident: IncidentStatus, unit: UnitStatus): IncidentStatus | null {
  if (unit === 'EN_ROUTE' && incident === 'DISPATCHED') return 'EN_ROUTE';
  if (unit === 'ON_SCENE' && (incident === 'DISPATCHED' || incident === 'EN_ROUTE')) return 'ON_SCENE';
  return null;
}

/** What an incident's step does to the status of a unit of the crew that took it. */
export function unitFollowsIncident(to: IncidentStatus): UnitStatus | null {
  switch (to) {
    case 'EN_ROUTE':
      return 'EN_ROUTE';
    case 'ON_SCENE':
      return 'ON_SCENE';
    case 'CLEARED':
    case 'CANCELLED':
    case 'PENDING':
      return 'AVAILABLE';
    default:
      return null;
  }
}

/** Unit statuses a crew or a dispatcher may set directly. DISPATCHED only comes from an assignment. */
export const UNIT_SETTABLE: readonly UnitStatus[] = ['AVAILABLE', 'EN_ROUTE', 'ON_SCENE', 'RETURNING', 'BUSY', 'OUT_OF_SERVICE'];

/** Unit status changes that need a current assignment (a unit cannot be EN_ROUTE to nothing). */
export function unitStatusNeedsAssignment(s: UnitStatus): boolean {
  return s === 'EN_ROUTE' || s === 'ON_SCENE';
}
