import type { Crs } from './crs.ts';
import { cellCount, countByCell, type Grid, gridCovering, hexGridCovering, isHex, MS_PER_DAY, type Point, studyArea } from './grid.ts';
import { type HotspotEvaluation, evaluateHotspots } from './metrics.ts';
import { forecast, METHODS, type Method, type MethodOptions } from './methods.ts';

/**
 * A backtest: train every method on the events up to the end of training, forecast the horizon that follows,
 * and score each forecast by PAI and PEI against what happened.
 */
export interface Horizon {
  label: string;
  amount: number;
  unit: 'd' | 'w' | 'm';
}

/** `7d`, `14d`, `2w`, `1m`, `3m`. */
export function parseHorizon(text: string): Horizon | null {
  const m = /^(\d{1,3})([dwm])$/.exec(text.trim());
  if (!m || +m[1] === 0) return null;
  return { label: `${+m[1]}${m[2]}`, amount: +m[1], unit: m[2] as Horizon['unit'] };
}

/** The end (exclusive, epoch ms) of a horizon starting at `from` (epoch ms): months are calendar months. */
export function horizonEnd(from: number, h: Horizon): number {
  if (h.unit === 'm') {
    const d = new Date(from);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + h.amount, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
  }
  return from + h.amount * (h.unit === 'w' ? 7 : 1) * MS_PER_DAY;
}

export interface BacktestInput {
  /** Events in planar metres, time in days since the epoch. */
  events: readonly Point[];
  /** First instant after training (epoch ms): `--train-end 2016-09-30` means 2016-10-01T00:00Z. */
  trainEndMs: number;
  horizon: Horizon;
  /** Cell side, metres (square cells). */
  cell: number;
  /** H3 hexagons at this resolution instead of squares; `planar` converts the events' x, y to longitude/latitude. */
  h3?: GridChoice & { kind: 'h3' };
  /** Fraction of the study area flagged, e.g. 0.01. */
  coverage: number;
  methods?: readonly Method[];
  options?: MethodOptions;
  /** Study area: cells within this many metres of a training event (default max(400, cell)). */
  studyRadius?: number;
}

export interface MethodResult extends HotspotEvaluation {
  method: Method;
  /** Time to fit and forecast, ms. */
  ms: number;
}

export interface BacktestResult {
  grid: Grid;
  studyCells: number;
  trainEvents: number;
  testEvents: number;
  window: { from: string; to: string };
  results: MethodResult[];
  /** Best PAI ÷ KDE's PAI (when KDE ran and scored above 0). */
  bestOverKde: { method: Method; ratio: number } | null;
}

/** Square cells of `cell` metres, or H3 hexagons at resolution `res` (over events in the `planar` CRS). */
export type GridChoice = { kind: 'square'; cell: number } | { kind: 'h3'; res: number; planar: Crs };

/** The grid over the events with one cell's margin: squares of `cell` metres, or the H3 choice. */
export function gridFor(events: readonly Point[], cell: number | GridChoice): Grid {
  const choice: GridChoice = typeof cell === 'number' ? { kind: 'square', cell } : cell;
  return choice.kind === 'h3' ? hexGridCovering(events, choice.res, choice.planar) : gridCovering(events, choice.cell, choice.cell);
}

export function backtest(input: BacktestInput): BacktestResult {
  const trainEnd = input.trainEndMs / MS_PER_DAY;
  const toMs = horizonEnd(input.trainEndMs, input.horizon);
  const to = toMs / MS_PER_DAY;
  const train = input.events.filter((e) => e.t < trainEnd);
  const test = input.events.filter((e) => e.t >= trainEnd && e.t < to);
  if (train.length === 0) throw new RangeError('no events before the end of training');
  const grid = gridFor([...train, ...test], input.h3 ?? input.cell);
  const mask = studyArea(grid, train, input.studyRadius ?? Math.max(400, grid.cell));
  const areas = isHex(grid) ? grid.areas : undefined;
  const observed = countByCell(grid, test);
  const results: MethodResult[] = [];
  for (const method of input.methods ?? METHODS) {
    const started = performance.now();
    const scores = forecast(method, { grid, events: train, trainEnd, horizonDays: to - trainEnd }, input.options);
    const ms = performance.now() - started;
    results.push({ method, ms, ...evaluateHotspots(scores, observed, mask, input.coverage, test.length, areas) });
  }
  let studyCells = 0;
  for (let i = 0; i < cellCount(grid); i++) studyCells += mask[i];
  const kde = results.find((r) => r.method === 'kde');
  const best = [...results].sort((a, b) => b.pai - a.pai)[0];
  return {
    grid,
    studyCells,
    trainEvents: train.length,
    testEvents: test.length,
    window: { from: new Date(input.trainEndMs).toISOString(), to: new Date(toMs).toISOString() },
    results,
    bestOverKde: kde && kde.pai > 0 && best ? { method: best.method, ratio: best.pai / kde.pai } : null,
  };
}
