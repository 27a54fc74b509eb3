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

/** Metres in one degree of latitude (and of longitude at the equator). */
const METRES_PER_DEGREE = 111_320;

/**
 * The lock names a submission takes so that two reports of one event a moment apart cannot both be first,
 * while reports far apart proceed in parallel. Space is cut into cells at least `radiusM` wide (longitude cells
 * sized for latitude 60°, north of all of Kazakhstan); any two points within the radius lie in neighbouring
 * cells, so locking one's own cell and its eight neighbours makes such submissions take turns. Sorted, so
 * concurrent submissions always lock in the same order and cannot deadlock.
 */
export function duplicateLockKeys(category: string, lon: number, lat: number, radiusM: number): string[] {
  const cellDeg = Math.max(radiusM, 1) / (METRES_PER_DEGREE * 0.5);
  const i = Math.floor(lon / cellDeg);
  const j = Math.floor(lat / cellDeg);
  const keys: string[] = [];
  for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) keys.push(`reports.duplicate:${category}:${i + di}:${j + dj}`);
  return keys.sort();
}
