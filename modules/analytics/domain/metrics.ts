/**
 * Forecast accuracy as the NIJ Real-Time Crime Forecasting Challenge defined it (White, Hunt & Green 2023):
 *
 * - the forecast flags the k highest-scoring cells of the study area, k = round(coverage × A) (at least one);
 * - PAI = (n / N) / (a / A): n crimes of the test window inside the flagged cells, N all crimes of the test window,
 *   a the flagged area, A the study area; 1 is what random flags give;
 * - PEI = n / n*: n* the most crimes any k cells of the study area held in the test window (the k cells with the
 *   highest *observed* counts), so 1 means the flags were as good as hindsight.
 *
 * On a grid whose cells differ in area (H3 hexagons: a few per cent at one resolution), k is still counted in cells
 * (round(coverage × study cells)) and n* is the best k cells, but a / A is the flagged cells' true area over the
 * study cells' true area (`areas`), so PAI is not biased by which hexagons happen to be a little larger.
 *
 * Ties in the forecast's scores are broken by cell index, so a result is reproducible; a method that scores many
 * cells equally (last-period counts on sparse data) is penalised by that arbitrary choice, as it would be in the
 * field.
 */
export interface HotspotEvaluation {
  /** Cells flagged (k). */
  cells: number;
  /** Cells in the study area (A, in cells). */
  studyCells: number;
  /** a / A (by true cell areas when the grid gives them, else k / A in cells). */
  areaFraction: number;
  /** A, m² (when the cells' areas are given). */
  studyAreaM2?: number;
  /** Crimes of the test window in the flagged cells (n). */
  captured: number;
  /** All crimes of the test window (N), including any outside the study area. */
  total: number;
  /** n* — the best any k cells could have captured. */
  best: number;
  hitRate: number;
  pai: number;
  pei: number;
}

/** Indices of the k highest scores among the cells where `mask` is 1, highest first; ties by lower index. */
export function topCells(scores: ArrayLike<number>, mask: ArrayLike<number>, k: number): Int32Array {
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i++) if (mask[i]) candidates.push(i);
  candidates.sort((a, b) => scores[b] - scores[a] || a - b);
  return Int32Array.from(candidates.slice(0, k));
}

/** The number of cells flagged at a coverage fraction of the study area. */
export function cellsAtCoverage(studyCells: number, coverage: number): number {
  if (!(coverage > 0 && coverage <= 1)) throw new RangeError('coverage must be in (0, 1]');
  return Math.max(1, Math.min(studyCells, Math.round(coverage * studyCells)));
}

/**
 * PAI and PEI of a forecast (`scores` per cell) against what happened (`observed` crimes per cell of the test
 * window), at `coverage` of the study area `mask`. `total` is N; by default the sum of `observed`. `areas`, each
 * cell's area, makes a / A a ratio of true areas.
 */
export function evaluateHotspots(
  scores: ArrayLike<number>,
  observed: ArrayLike<number>,
  mask: ArrayLike<number>,
  coverage: number,
  total?: number,
  areas?: ArrayLike<number>,
): HotspotEvaluation {
  let studyCells = 0;
  let sum = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) studyCells++;
    sum += observed[i];
  }
  const N = total ?? sum;
  const k = cellsAtCoverage(studyCells, coverage);
  let captured = 0;
  let flaggedArea = 0;
  for (const c of topCells(scores, mask, k)) {
    captured += observed[c];
    if (areas) flaggedArea += areas[c];
  }
  let best = 0;
  for (const c of topCells(observed, mask, k)) best += observed[c];
  let studyArea = 0;
  if (areas) for (let i = 0; i < mask.length; i++) if (mask[i]) studyArea += areas[i];
  const areaFraction = areas ? flaggedArea / studyArea : k / studyCells;
  const hitRate = N > 0 ? captured / N : 0;
  return {
    cells: k,
    studyCells,
    areaFraction,
    ...(areas ? { studyAreaM2: studyArea } : {}),
    captured,
    total: N,
    best,
    hitRate,
    pai: N > 0 ? hitRate / areaFraction : 0,
    pei: best > 0 ? captured / best : 0,
  };
}
