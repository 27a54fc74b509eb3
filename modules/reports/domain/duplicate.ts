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

/**
 * The search grid: 0.002° cells (about 220 m north–south, 160 m east–west in Almaty). Each report stores its
 * cell, indexed with its category and time, so the duplicate search reads only the few cells around a point
 * instead of every recent report of the category; PostGIS then measures the distances of what is there.
 */
const CELLS_PER_DEGREE = 500;
/** Room for any latitude cell index (|j| ≤ 45,000) beside the longitude cell index. */
const CELL_STRIDE = 1_000_000;

/** The grid cell of a point. */
export function gridCell(lon: number, lat: number): number {
  return Math.floor(lon * CELLS_PER_DEGREE) * CELL_STRIDE + Math.floor(lat * CELLS_PER_DEGREE);
}

/**
 * Every cell that holds a point within `radiusM` of (lon, lat): the cells under the bounding box of the circle
 * (its longitude half-width taken at the circle's edge farthest from the equator, where degrees are shortest).
 */
export function gridCellsWithin(lon: number, lat: number, radiusM: number): number[] {
  const dLat = radiusM / 110_540;
  const farLat = Math.min(Math.abs(lat) + dLat, 89.9);
  const dLon = radiusM / (METRES_PER_DEGREE * Math.cos((farLat * Math.PI) / 180));
  const i0 = Math.floor((lon - dLon) * CELLS_PER_DEGREE);
  const i1 = Math.floor((lon + dLon) * CELLS_PER_DEGREE);
  const j0 = Math.floor((lat - dLat) * CELLS_PER_DEGREE);
  const j1 = Math.floor((lat + dLat) * CELLS_PER_DEGREE);
  const cells: number[] = [];
  for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) cells.push(i * CELL_STRIDE + j);
  return cells;
}
