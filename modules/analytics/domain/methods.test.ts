import { describe, expect, it } from 'vitest';
import { localPlanar } from './crs.ts';
import { cellCentre, cellIndex, type Grid, hexGridCovering, type Point } from './grid.ts';
import { seeded } from './patrol.ts';
import { combinedForecast, forecast, kdeForecast, kernelDensity, lastPeriodCounts, prospectiveForecast, selectBandwidth } from './methods.ts';

const grid: Grid = { x0: 0, y0: 0, cell: 100, nx: 10, ny: 10 };
const at = (x: number, y: number, t: number): Point => ({ x, y, t });

describe('last-period counts', () => {
  it('ranks by the last stretch as long as the horizon, ties by the whole window', () => {
    const events = [at(50, 50, 0), at(50, 50, 1), at(50, 50, 2), at(150, 50, 95), at(250, 50, 96), at(250, 50, 5)];
    const s = lastPeriodCounts({ grid, events, trainEnd: 100, horizonDays: 7 });
    const [old, recent, recentWithHistory] = [cellIndex(grid, 50, 50), cellIndex(grid, 150, 50), cellIndex(grid, 250, 50)];
    expect(s[recentWithHistory]).toBeGreaterThan(s[recent]);
    expect(s[recent]).toBeGreaterThan(s[old]); // three old crimes count less than one last week
    expect(Math.floor(s[recent])).toBe(1);
  });
});

describe('kernel density', () => {
  it('integrates to the number of events and peaks at the event', () => {
    const fine: Grid = { x0: -2000, y0: -2000, cell: 20, nx: 200, ny: 200 };
    const d = kernelDensity(fine, [{ x: 10, y: 10 }, { x: 10, y: 10 }], 100);
    const total = d.reduce((a, b) => a + b, 0) * 20 * 20;
    expect(total).toBeCloseTo(2 * 0.989, 2); // cut at 3h
    expect(d.indexOf(Math.max(...d))).toBe(cellIndex(fine, 10, 10));
  });

  it('forecasts expected counts: a steady rate stays the same per horizon', () => {
    const events = Array.from({ length: 365 }, (_, i) => at(550, 550, i));
    const s = kdeForecast({ grid, events, trainEnd: 365, horizonDays: 30 }, { kdeBandwidth: 200 });
    expect(s.reduce((a, b) => a + b, 0)).toBeGreaterThan(28); // 30 expected, a little lost off the grid's edge
    expect(s.reduce((a, b) => a + b, 0)).toBeLessThan(30.01);
  });

  it('chooses a narrow bandwidth for tight clusters and a wide one for spread crime', () => {
    const big: Grid = { x0: 0, y0: 0, cell: 50, nx: 100, ny: 100 };
    const random = seeded(7);
    const tight = Array.from({ length: 400 }, (_, i) => at(2500 + (random() - 0.5) * 60, 2500 + (random() - 0.5) * 60, i / 4));
    const spread = Array.from({ length: 400 }, (_, i) => at(500 + random() * 4000, 500 + random() * 4000, i / 4));
    expect(selectBandwidth({ grid: big, events: tight, trainEnd: 100, horizonDays: 7 })).toBe(50);
    expect(selectBandwidth({ grid: big, events: spread, trainEnd: 100, horizonDays: 7 })).toBeGreaterThanOrEqual(150);
  });
});

describe('prospective hotspotting (Bowers, Johnson & Pease 2004)', () => {
  it('weighs by 1/(1 + cells away) × 1/(1 + weeks ago) within its bandwidths', () => {
    const s = prospectiveForecast({ grid, events: [at(550, 550, 90)], trainEnd: 100, horizonDays: 7 }, { prospectiveBandwidth: 250, prospectiveDays: 56 });
    // 10 days old → 1 whole week → 1/2. Same cell: 1/(1+0); one cell east: 1/(1+1).
    expect(s[cellIndex(grid, 550, 550)]).toBeCloseTo(0.5);
    expect(s[cellIndex(grid, 650, 550)]).toBeCloseTo(0.25);
    expect(s[cellIndex(grid, 850, 550)]).toBe(0); // 300 m: beyond the bandwidth
    const stale = prospectiveForecast({ grid, events: [at(550, 550, 10)], trainEnd: 100, horizonDays: 7 });
    expect(stale.every((v) => v === 0)).toBe(true); // 90 days: beyond two months
  });
});

describe('combined: chronic and dynamic hotspots', () => {
  // A chronic spot (a burglary every week all year, none in the last two months) and a fresh one (three in the last
  // fortnight, nothing before). KDE sees only the chronic spot; prospective hotspotting only the fresh one.
  const big: Grid = { x0: 0, y0: 0, cell: 100, nx: 30, ny: 30 };
  const chronic = Array.from({ length: 44 }, (_, i) => at(550, 550, i * 7));
  const fresh = [at(2450, 2450, 355), at(2450, 2450, 358), at(2450, 2450, 362)];
  const input = { grid: big, events: [...chronic, ...fresh], trainEnd: 365, horizonDays: 30 };
  const [chronicCell, freshCell, elsewhere] = [cellIndex(big, 550, 550), cellIndex(big, 2450, 2450), cellIndex(big, 1550, 1550)];
  const o = { kdeBandwidth: 100 };

  it('ranks both kinds of hotspot above the rest, and the weight decides which comes first', () => {
    const kde = kdeForecast(input, o);
    expect(kde[chronicCell]).toBeGreaterThan(kde[freshCell]);
    const mostlyRecent = combinedForecast(input, { ...o, combinedWeight: 0.7 });
    expect(mostlyRecent[freshCell]).toBeGreaterThan(mostlyRecent[chronicCell]);
    expect(mostlyRecent[chronicCell]).toBeGreaterThan(mostlyRecent[elsewhere]);
    const mostlyChronic = combinedForecast(input, { ...o, combinedWeight: 0.2 });
    expect(mostlyChronic[chronicCell]).toBeGreaterThan(mostlyChronic[freshCell]);
    expect(mostlyChronic[freshCell]).toBeGreaterThan(mostlyChronic[elsewhere]);
    // Weight 0 is KDE; weight 1 orders cells as prospective hotspotting does.
    expect(Array.from(combinedForecast(input, { ...o, combinedWeight: 0 }))).toEqual(Array.from(kde).map((v) => expect.closeTo(v, 12)));
    const recent = prospectiveForecast(input);
    const allRecent = combinedForecast(input, { ...o, combinedWeight: 1 });
    expect(allRecent[freshCell] / allRecent[freshCell + 1]).toBeCloseTo(recent[freshCell] / recent[freshCell + 1], 12);
  });

  it('gives expected counts: its total is KDE’s for the horizon', () => {
    const total = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
    expect(total(combinedForecast(input, o))).toBeCloseTo(total(kdeForecast(input, o)), 9);
    expect(total(forecast('combined', input, o))).toBeCloseTo(total(kdeForecast(input, o)), 9);
  });

  it('falls back to KDE when nothing happened in the prospective window, and refuses a weight outside [0, 1]', () => {
    const quiet = { ...input, events: chronic.filter((e) => e.t < 280) };
    const kde = kdeForecast(quiet, o);
    const s = combinedForecast(quiet, o);
    for (let i = 0; i < s.length; i++) expect(s[i]).toBeCloseTo(kde[i], 12);
    expect(() => combinedForecast(input, { combinedWeight: 1.5 })).toThrow(RangeError);
  });
});

describe('methods on H3 hexagons', () => {
  it('KDE gives expected counts: its mass over the hexagons’ true areas is the events’ rate × horizon', () => {
    // 10 events at one place in the last year; bandwidth 600 m, wider than a resolution-9 hexagon (≈ 380 m across
    // at this latitude), so Σ density × area ≈ the 98.9 % of the Gaussian inside 3h: 10 ÷ 365 × 30 × 0.989 ≈ 0.813.
    const planar = localPlanar(76.9, 43.25);
    const events = Array.from({ length: 10 }, (_, i) => at(0, 0, 1000 + i));
    const hex = hexGridCovering([...events, { x: -3000, y: -3000 }, { x: 3000, y: 3000 }], 9, planar);
    const s = kdeForecast({ grid: hex, events, trainEnd: 1010, horizonDays: 30 }, { kdeBandwidth: 600 });
    const total = s.reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo((10 / 365) * 30 * 0.989, 2);
    let top = 0;
    for (let i = 1; i < s.length; i++) if (s[i] > s[top]) top = i;
    expect(top).toBe(cellIndex(hex, 0, 0));
  });

  it('prospective hotspotting measures distance in hexagon widths', () => {
    const planar = localPlanar(76.9, 43.25);
    const hex = hexGridCovering([at(-2000, -2000, 0), at(2000, 2000, 0)], 9, planar);
    const home = cellIndex(hex, 0, 0);
    const c = cellCentre(hex, home);
    const s = prospectiveForecast({ grid: hex, events: [at(c.x, c.y, 99)], trainEnd: 100, horizonDays: 7 }, { prospectiveBandwidth: 1.2 * hex.cell });
    expect(s[home]).toBeCloseTo(1); // 1 / (1 + 0) × 1 / (1 + 0 weeks)
    const neighbours = Array.from(s).filter((v, i) => i !== home && v > 0);
    expect(neighbours).toHaveLength(6);
    for (const v of neighbours) expect(v).toBeCloseTo(0.5, 1); // one width away: 1 / (1 + 1)
  });
});

