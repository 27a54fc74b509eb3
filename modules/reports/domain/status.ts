import type { IncidentChanged, IncidentStatus } from '../../dispatch/events.ts';

/**
 * A report's status as the citizen sees it, and how it follows dispatch's incident. Pure: the service loads the
 * report, asks `decideIncidentChange`, and writes what it says.
 */
export const REPORT_STATUSES = ['received', 'accepted', 'dispatched', 'on_scene', 'closed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** Incident status → report status. MERGED is not a status of its own: the report follows the surviving incident. */
export const INCIDENT_TO_REPORT: Record<Exclude<IncidentStatus, 'MERGED'>, ReportStatus> = {
  RECEIVED: 'accepted',
  TRIAGED: 'accepted',
  PENDING: 'accepted',
  DISPATCHED: 'dispatched',
  EN_ROUTE: 'dispatched',
  ON_SCENE: 'on_scene',
  CLEARED: 'closed',
  CLOSED: 'closed',
  CANCELLED: 'closed',
};

export function reportStatusOf(status: IncidentStatus): ReportStatus | null {
  return status === 'MERGED' ? null : INCIDENT_TO_REPORT[status];
}

/** Open311 knows only `open` and `closed`. */
export function open311Status(status: ReportStatus): 'open' | 'closed' {
  return status === 'closed' ? 'closed' : 'open';
}

/** Codes of notes the citizen reads in their language when the change carried no text. */
export const NOTE_CODES = ['incident_cancelled', 'false_report'] as const;
export type NoteCode = (typeof NOTE_CODES)[number];

/** What the decision needs to know about a report. */
export interface FollowState {
  status: ReportStatus;
  statusNote: string | null;
  noteCode: NoteCode | null;
  incidentId: string | null;
  /** `at` of the last change taken from `incidentId` (ISO 8601), to skip stale redeliveries. */
  incidentAt: string | null;
  falseReport: boolean;
}

export type IncidentDecision =
  | { kind: 'ignore'; reason: 'false_report' | 'stale' | 'merged_away' | 'other_incident' }
  /** Only the link changes (MERGED): follow `incidentId` from now on; no history entry, no webhook. */
  | { kind: 'follow'; incidentId: string }
  | {
      kind: 'update';
      incidentId: string;
      incidentAt: string;
      status: ReportStatus;
      statusNote: string | null;
      noteCode: NoteCode | null;
      /** False when status and note are as they were: nothing to append or announce. */
      changed: boolean;
    };

const time = (iso: string) => Date.parse(iso);

/**
 * How one incident change applies to one report it concerns.
 *
 * - A report marked false stays as staff left it.
 * - MERGED: the report follows the incident it merged into.
 * - A change of an incident that has been merged away does not move a report that follows another incident.
 * - A change older than the last one taken from the same incident is a stale redelivery.
 * - The note goes with the change: a new status takes the event's note (or none); the same status takes a new
 *   note when one is given. CANCELLED without a note gets the localised `incident_cancelled` note.
 */
export function decideIncidentChange(report: FollowState, event: IncidentChanged, incidentMergedAway: boolean): IncidentDecision {
  if (report.falseReport) return { kind: 'ignore', reason: 'false_report' };
  const sameIncident = report.incidentId === event.incidentId;
  if (event.status === 'MERGED') {
    if (report.incidentId !== null && !sameIncident) return { kind: 'ignore', reason: 'other_incident' };
    if (!event.mergedInto || event.mergedInto === event.incidentId) return { kind: 'ignore', reason: 'other_incident' };
    return { kind: 'follow', incidentId: event.mergedInto };
  }
  if (report.incidentId !== null && !sameIncident && incidentMergedAway) return { kind: 'ignore', reason: 'merged_away' };
  if (sameIncident && report.incidentAt !== null && time(event.at) < time(report.incidentAt)) return { kind: 'ignore', reason: 'stale' };

  const status = INCIDENT_TO_REPORT[event.status];
  const note = event.note?.trim() ? event.note.trim() : null;
  const noteCode: NoteCode | null = event.status === 'CANCELLED' && note === null ? 'incident_cancelled' : null;
  const statusChanged = status !== report.status;
  const noteGiven = note !== null || noteCode !== null;
  const noteChanged = note !== report.statusNote || noteCode !== report.noteCode;
  if (statusChanged || (noteGiven && noteChanged)) {
    return { kind: 'update', incidentId: event.incidentId, incidentAt: event.at, status, statusNote: note, noteCode, changed: true };
  }
  return {
    kind: 'update',
    incidentId: event.incidentId,
    incidentAt: event.at,
    status: report.status,
    statusNote: report.statusNote,
    noteCode: report.noteCode,
    changed: false,
  };
}
