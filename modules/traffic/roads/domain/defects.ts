/**
 * Road defects: their lifecycle, deadlines and when they are overdue. Pure.
 *
 * ```
 * open ⇄ in_progress → fixed → verified
 *   │        │          │
 *   └────────┴──► rejected (not a defect, a duplicate)  fixed → in_progress (the fix did not hold)
 * ```
 * `verified` (an inspector saw the fix) needs `traffic:verify`; `rejected` can be reopened.
 */
import { type DefectType, type Severity, severityRank } from '../config/rules.ts';

export const DEFECT_STATUSES = ['open', 'in_progress', 'fixed', 'verified', 'rejected'] as const;
export type DefectStatus = (typeof DEFECT_STATUSES)[number];

const NEXT: Record<DefectStatus, DefectStatus[]> = {
  open: ['in_progress', 'fixed', 'rejected'],
  in_progress: ['open', 'fixed', 'rejected'],
  fixed: ['verified', 'in_progress'],
  verified: [],
  rejected: ['open'],
};

export function allowedNext(from: DefectStatus): DefectStatus[] {
  return NEXT[from];
}

export function canMove(from: DefectStatus, to: DefectStatus): boolean {
  return NEXT[from].includes(to);
}

/** Statuses in which the deadline runs. */
export const ACTIVE_STATUSES: readonly DefectStatus[] = ['open', 'in_progress'];

/** The default deadline: reported time + the hours of its severity. */
export function deadlineFor(severity: Severity, reportedAt: Date, hours: Record<Severity, number>): Date {
  return new Date(reportedAt.getTime() + hours[severity] * 3_600_000);
}

export interface DefectForCheck {
  id: string;
  status: DefectStatus;
  severity: Severity;
  deadline: Date;
  /** When the overdue alert was raised for the current deadline; null = not yet. */
  overdueAlertedAt: Date | null;
}

export interface OverdueAlert {
  id: string;
  /** Also raise a dispatch incident (severity at or above the configured level). */
  incident: boolean;
}

/**
 * Which defects need an overdue alert now: still open or in progress, past the deadline, not alerted for this
 * deadline. `incidentFrom` null = never raise incidents.
 */
export function overdueAlerts(defects: readonly DefectForCheck[], now: Date, incidentFrom: Severity | null): OverdueAlert[] {
  return defects
    .filter((d) => ACTIVE_STATUSES.includes(d.status) && d.deadline.getTime() < now.getTime() && d.overdueAlertedAt === null)
    .map((d) => ({ id: d.id, incident: incidentFrom !== null && severityRank(d.severity) >= severityRank(incidentFrom) }));
}

export type { DefectType, Severity };
