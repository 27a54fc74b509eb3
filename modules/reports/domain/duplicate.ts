import type { ReportStatus } from './status.ts';

/**
 * The duplicate rule: a new report joins an earlier one when it is of the same category, within `radiusM` metres
 * and `windowMin` minutes after it, and the earlier one is still open and not marked false. The database finds the
 * neighbours (PostGIS `ST_DWithin` on geography, metres on the spheroid) and gives their distance; this decides.
 */
export interface DuplicateRule {
  radiusM: number;
  windowMin: number;
}

export interface DuplicateCandidate {
  id: string;
  category: string;
  /** Metres, as PostGIS measured them. */
  distanceM: number;
  submittedAt: Date;
  status: ReportStatus;
  duplicateOf: string | null;
  falseReport: boolean;
}

export interface Incoming {
  category: string;
  submittedAt: Date;
}

export function isDuplicateOf(incoming: Incoming, c: DuplicateCandidate, rule: DuplicateRule): boolean {
  const ageMs = incoming.submittedAt.getTime() - c.submittedAt.getTime();
  return (
    c.category === incoming.category &&
    c.distanceM <= rule.radiusM &&
    ageMs >= 0 &&
    ageMs <= rule.windowMin * 60_000 &&
    c.status !== 'closed' &&
    !c.falseReport
  );
}

/**
 * The report the new one duplicates, or null. Among matches the nearest wins (then the earliest); the answer is
 * always the first report of the chain, so every duplicate of one event points at the same original — the one
 * whose incident dispatch joins them to.
 */
export function pickDuplicate(incoming: Incoming, candidates: readonly DuplicateCandidate[], rule: DuplicateRule): string | null {
  const matches = candidates
    .filter((c) => isDuplicateOf(incoming, c, rule))
    .sort((a, b) => a.distanceM - b.distanceM || a.submittedAt.getTime() - b.submittedAt.getTime());
  const best = matches[0];
  return best ? (best.duplicateOf ?? best.id) : null;
}
