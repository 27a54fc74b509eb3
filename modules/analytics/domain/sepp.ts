import { cellAreaOf, cellCentre, cellCount, cellIndex, forCellsNear, type Grid, gridCovering, type Point } from './grid.ts';

/**
 * Self-exciting point process (Mohler, Short, Brantingham, Schoenberg & Tita, JASA 2011): crime at (x, y, t)
 * arrives at rate
 *
 *   λ(x, y, t) = μ(x, y) + Σ_{t_i < t} θ ω e^{−ω (t − t_i)} · N(x − x_i, y − y_i; σ²)
 *
 * — a background μ that stays, and near-repeats triggered by every past crime, θ of them per crime on average,
 * arriving after a mean 1/ω days within about σ metres. Fitted by expectation–maximisation (stochastic
 * declustering): the E step gives each event its probability of being background (p_jj) or triggered by an earlier
 * event i (p_ij); the M step re-estimates θ, ω, σ in closed form and the background as a kernel density of the
 * events weighted by p_jj.
 *
 * **Sparse triggering.** Only pairs closer than `cutoffMetres` and `cutoffDays` may trigger each other (beyond
 * that g is negligible for any fitted σ, 1/ω well inside them); the pairs are found once with a spatial hash, so
 * an EM iteration costs O(events + pairs) instead of O(events²). With day-resolution data, events on the same
 * day cannot trigger one another (t_i < t strictly).
 */
export interface SeppOptions {
  /** Bandwidth of the background's Gaussian kernel, metres (default 250). */
  backgroundBandwidth?: number;
  cutoffMetres?: number;
  cutoffDays?: number;
  iterations?: number;
  /** Stop when no parameter changes by more than this relative amount between iterations. */
  tolerance?: number;
  /**
   * Floor of σ, metres (default 25). Police data is geocoded to addresses or blocks, so repeat victimisation at one
   * address gives pairs at distance 0 and the likelihood grows without bound as σ → 0; the floor is the geocoding's
   * precision.
   */
  minSigma?: number;
}

export interface SeppModel {
  /** Triggered crimes per crime. */
  theta: number;
  /** Decay rate of triggering, per day. */
  omega: number;
  /** Spatial spread of triggering, metres. */
  sigma: number;
  /** Expected background crimes per day over the whole area. */
  backgroundRate: number;
  /** Share of the training events the fit judged background. */
  backgroundShare: number;
  iterations: number;
  pairs: number;
  /** The events (sorted by time) and their background probabilities, from which μ is a weighted KDE. */
  events: Point[];
  backgroundWeight: Float64Array;
  backgroundBandwidth: number;
  /** Length of the training window, days. */
  days: number;
}

/** Pairs (i earlier than j) within the cut-offs, as flat arrays; events must be sorted by time. */
export function triggerPairs(events: readonly Point[], cutoffMetres: number, cutoffDays: number) {
  const src: number[] = [];
  const dst: number[] = [];
  const dt: number[] = [];
  const d2: number[] = [];
  if (events.length === 0) return { src: Int32Array.from(src), dst: Int32Array.from(dst), dt: Float64Array.from(dt), d2: Float64Array.from(d2) };
  // Spatial hash with cells of the cut-off distance: a partner is in the same or a neighbouring bucket.
  const hash = gridCovering(events, cutoffMetres);
  const buckets = new Map<number, number[]>();
  const r2 = cutoffMetres * cutoffMetres;
  for (let j = 0; j < events.length; j++) {
    const e = events[j];
    const col = Math.floor((e.x - hash.x0) / hash.cell);
    const row = Math.floor((e.y - hash.y0) / hash.cell);
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const list = buckets.get((row + dr) * hash.nx + (col + dc));
        if (!list) continue;
        // Lists hold earlier events in time order: walk back from the newest until past the time cut-off.
        for (let k = list.length - 1; k >= 0; k--) {
          const i = list[k];
          const gap = e.t - events[i].t;
          if (gap > cutoffDays) break;
          if (gap <= 0) continue;
          const dx = e.x - events[i].x;
          const dy = e.y - events[i].y;
          const dd = dx * dx + dy * dy;
          if (dd > r2) continue;
          src.push(i);
          dst.push(j);
          dt.push(gap);
          d2.push(dd);
        }
      }
    }
    const key = row * hash.nx + col;
    const own = buckets.get(key);
    if (own) own.push(j);
    else buckets.set(key, [j]);
  }
  return { src: Int32Array.from(src), dst: Int32Array.from(dst), dt: Float64Array.from(dt), d2: Float64Array.from(d2) };
}

/** The background density μ (per m² per day) at each event, from a KDE of the events weighted by p_jj. */
function backgroundAtEvents(events: readonly Point[], weights: Float64Array, h: number, days: number, lattice: Grid): Float64Array {
  // Evaluated on a fine lattice (h/2 cells) and read back at each event's cell: O(events × (6h/cell)²).
  const density = new Float64Array(cellCount(lattice));
  const norm = 1 / (2 * Math.PI * h * h * days);
  const inv = 1 / (2 * h * h);
  for (let k = 0; k < events.length; k++) {
    const w = weights[k];
    if (w < 1e-9) continue;
    forCellsNear(lattice, events[k].x, events[k].y, 3 * h, (c, d2) => {
      density[c] += w * norm * Math.exp(-d2 * inv);
    });
  }
  const out = new Float64Array(events.length);
  for (let k = 0; k < events.length; k++) out[k] = density[cellIndex(lattice, events[k].x, events[k].y)];
  return out;
}

/** Fits the model to the events before `trainEnd` (days since the epoch). */
export function fitSepp(trainingEvents: readonly Point[], trainEnd: number, o: SeppOptions = {}): SeppModel {
  const h = o.backgroundBandwidth ?? 250;
  const cutoffMetres = o.cutoffMetres ?? 750;
  const cutoffDays = o.cutoffDays ?? 60;
  const maxIterations = o.iterations ?? 60;
  const tolerance = o.tolerance ?? 1e-4;
  const minSigma = o.minSigma ?? 25;
  const events = trainingEvents.filter((e) => e.t < trainEnd).sort((a, b) => a.t - b.t);
  const n = events.length;
  if (n === 0) throw new RangeError('no training events before the end of training');
  const start = events[0].t;
  const days = Math.max(1, trainEnd - start);
  const pairs = triggerPairs(events, cutoffMetres, cutoffDays);
  const m = pairs.src.length;
  const lattice = gridCovering(events, h / 2, 3 * h);

  let theta = 0.1;
  let omega = 1 / 7;
  let sigma = Math.max(minSigma, Math.min(100, cutoffMetres / 3));
  const background = new Float64Array(n).fill(1);
  const p = new Float64Array(m);
  const lambda = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // E step.
    const mu = backgroundAtEvents(events, background, h, days, lattice);
    lambda.set(mu);
    const spatialNorm = 1 / (2 * Math.PI * sigma * sigma);
    const inv2s2 = 1 / (2 * sigma * sigma);
    for (let k = 0; k < m; k++) {
      const g = theta * omega * Math.exp(-omega * pairs.dt[k]) * spatialNorm * Math.exp(-pairs.d2[k] * inv2s2);
      p[k] = g;
      lambda[pairs.dst[k]] += g;
    }
    let triggered = 0;
    let sumDt = 0;
    let sumD2 = 0;
    for (let k = 0; k < m; k++) {
      const l = lambda[pairs.dst[k]];
      p[k] = l > 0 ? p[k] / l : 0;
      triggered += p[k];
      sumDt += p[k] * pairs.dt[k];
      sumD2 += p[k] * pairs.d2[k];
    }
    for (let j = 0; j < n; j++) background[j] = lambda[j] > 0 ? mu[j] / lambda[j] : 1;
    // M step (an event near the end of training has had less time to trigger: the expected offspring
    // of event i in the window is θ (1 − e^{−ω (T − t_i)})).
    const nextOmega = sumDt > 0 ? Math.max(1 / cutoffDays, triggered / sumDt) : omega;
    let exposure = 0;
    for (const e of events) exposure += 1 - Math.exp(-nextOmega * Math.min(trainEnd - e.t, cutoffDays));
    const nextTheta = exposure > 0 ? triggered / exposure : 0;
    const nextSigma = triggered > 1e-9 ? Math.min(cutoffMetres / 2, Math.max(minSigma, Math.sqrt(sumD2 / (2 * triggered)))) : sigma;
    const change = Math.max(
      Math.abs(nextTheta - theta) / Math.max(theta, 1e-9),
      Math.abs(nextOmega - omega) / omega,
      Math.abs(nextSigma - sigma) / sigma,
    );
    theta = nextTheta;
    omega = nextOmega;
    sigma = nextSigma;
    if (change < tolerance) {
      iterations++;
      break;
    }
  }
  let share = 0;
  for (const b of background) share += b;
  return {
    theta,
    omega,
    sigma,
    backgroundRate: share / days,
    backgroundShare: share / n,
    iterations,
    pairs: m,
    events,
    backgroundWeight: background,
    backgroundBandwidth: h,
    days,
  };
}

/**
 * Expected crimes per cell in [from, from + horizonDays): the background's μ × cell area × horizon, plus what
 * each past crime still triggers — θ (e^{−ω (from − t_i)} − e^{−ω (from + H − t_i)}) spread as N(σ²) and
 * integrated over the cell (a hexagon as the square of its area).
 */
export function seppForecast(model: SeppModel, grid: Grid, from: number, horizonDays: number): Float64Array {
  const out = new Float64Array(cellCount(grid));
  const h = model.backgroundBandwidth;
  const bgNorm = horizonDays / (2 * Math.PI * h * h * model.days);
  const bgInv = 1 / (2 * h * h);
  const { theta, omega, sigma } = model;
  const s = sigma * Math.SQRT2;
  // The mass of N(σ²) centred at 0 over [d − half, d + half], per axis: exact, so a σ smaller than a cell is fine.
  // A hexagon is taken as the square of its area around its centre.
  const along = (d: number, half: number) => 0.5 * (erf((d + half) / s) - erf((d - half) / s));
  model.events.forEach((e, k) => {
    const w = model.backgroundWeight[k];
    if (w > 1e-9) forCellsNear(grid, e.x, e.y, 3 * h, (c, d2) => (out[c] += w * bgNorm * cellAreaOf(grid, c) * Math.exp(-d2 * bgInv)));
    const age = from - e.t;
    if (age < 0) return;
    const mass = theta * (Math.exp(-omega * age) - Math.exp(-omega * (age + horizonDays)));
    if (mass < 1e-6) return;
    forCellsNear(grid, e.x, e.y, 3 * sigma + grid.cell, (c) => {
      const centre = cellCentre(grid, c);
      const half = Math.sqrt(cellAreaOf(grid, c)) / 2;
      out[c] += mass * along(centre.x - e.x, half) * along(centre.y - e.y, half);
    });
  });
  return out;
}

/** The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}
