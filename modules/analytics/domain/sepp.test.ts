import { describe, expect, it } from 'vitest';
import type { Grid, Point } from './grid.ts';
import { seeded } from './patrol.ts';
import { erf, fitSepp, seppForecast, triggerPairs } from './sepp.ts';

/** The same "random" events on every run. */
const rng = seeded;

/** A Hawkes process simulated by its branching structure: background uniform over a square, offspring ~ Poisson(θ). */
function simulate(o: { days: number; mu: number; theta: number; omega: number; sigma: number; side: number }, random: () => number): Point[] {
  const normal = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const poisson = (l: number) => {
    let k = 0;
    let p = Math.exp(-l);
    let s = p;
    const u = random();
    while (u > s) {
      k++;
      p *= l / k;
      s += p;
    }
    return k;
  };
  const events: Point[] = [];
  const n = Math.round(o.mu * o.days); // the background's count, fixed at its mean
  const queue: Point[] = Array.from({ length: n }, () => ({ x: random() * o.side, y: random() * o.side, t: random() * o.days }));
  while (queue.length) {
    const e = queue.pop() as Point;
    if (e.t >= o.days) continue;
    events.push(e);
    for (let k = poisson(o.theta); k > 0; k--)
      queue.push({ x: e.x + o.sigma * normal(), y: e.y + o.sigma * normal(), t: e.t - Math.log(random() || 1e-12) / o.omega });
  }
  return events.sort((a, b) => a.t - b.t);
}

describe('self-exciting point process (Mohler et al. 2011)', () => {
  it('finds only the pairs within the cut-offs, earlier to later', () => {
    const pairs = triggerPairs([{ x: 0, y: 0, t: 0 }, { x: 30, y: 40, t: 2 }, { x: 0, y: 0, t: 2 }, { x: 5000, y: 0, t: 3 }, { x: 0, y: 0, t: 90 }], 100, 60);
    expect(Array.from(pairs.src)).toEqual([0, 0]);
    expect(Array.from(pairs.dst)).toEqual([1, 2]); // 1 and 2 share a day; 3 is far; 4 is late
    expect(Array.from(pairs.d2)).toEqual([2500, 0]);
  });

  it('recovers the parameters of a simulated process by EM', () => {
    const truth = { days: 400, mu: 6, theta: 0.4, omega: 0.2, sigma: 60, side: 6000 };
    const events = simulate(truth, rng(11));
    const model = fitSepp(events, truth.days, { backgroundBandwidth: 300 });
    expect(model.theta).toBeGreaterThan(0.3);
    expect(model.theta).toBeLessThan(0.5);
    expect(1 / model.omega).toBeGreaterThan(3.5);
    expect(1 / model.omega).toBeLessThan(7);
    expect(model.sigma).toBeGreaterThan(45);
    expect(model.sigma).toBeLessThan(80);
    expect(model.backgroundShare).toBeGreaterThan(0.5);
    expect(model.backgroundShare).toBeLessThan(0.7); // 1 − θ = 0.6
  });

  it('forecasts the background plus what recent crimes still trigger', () => {
    const grid: Grid = { x0: 0, y0: 0, cell: 100, nx: 60, ny: 60 };
    const events = simulate({ days: 400, mu: 6, theta: 0.4, omega: 0.2, sigma: 60, side: 6000 }, rng(3));
    const model = fitSepp(events, 400, { backgroundBandwidth: 300 });
    const quiet = seppForecast({ ...model, theta: 0 }, grid, 400, 30);
    const total = quiet.reduce((a, b) => a + b, 0);
    expect(total / 30).toBeCloseTo(model.backgroundRate, 0);
    // A fresh crime raises its own cell above the background alone.
    const fresh = seppForecast({ ...model, events: [...model.events, { x: 3050, y: 3050, t: 399.5 }], backgroundWeight: Float64Array.from([...model.backgroundWeight, 0]) }, grid, 400, 7);
    const base = seppForecast(model, grid, 400, 7);
    const cell = 30 * 60 + 30;
    expect(fresh[cell] - base[cell]).toBeGreaterThan(0.1);
  });

  it('has an erf accurate to 1e-6', () => {
    expect(erf(0)).toBeCloseTo(0, 6);
    expect(erf(1)).toBeCloseTo(0.8427008, 6);
    expect(erf(-2)).toBeCloseTo(-0.9953223, 6);
  });
});
