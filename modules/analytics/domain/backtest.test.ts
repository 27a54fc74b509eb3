import { describe, expect, it } from 'vitest';
import { latLngToCell } from 'h3-js';
import { backtest, horizonEnd, parseHorizon } from './backtest.ts';
import { crsOf, localPlanar } from './crs.ts';
import { cellCount, isHex, type Point } from './grid.ts';

describe('backtest', () => {
  it('reads horizons and ends months on the calendar', () => {
    expect(parseHorizon('7d')).toEqual({ label: '7d', amount: 7, unit: 'd' });
    expect(parseHorizon('0d')).toBeNull();
    expect(parseHorizon('1y')).toBeNull();
    const oct1 = Date.UTC(2016, 9, 1);
    expect(horizonEnd(oct1, parseHorizon('3m')!)).toBe(Date.UTC(2017, 0, 1));
    expect(horizonEnd(oct1, parseHorizon('2w')!)).toBe(Date.UTC(2016, 9, 15));
  });

  it('scores each method on the window after training; a persistent hotspot is found by all', () => {
    // Crime every day at one corner, and a scatter elsewhere; the hotspot keeps going after training.
    const events: Point[] = [];
    for (let d = 0; d < 120; d++) {
      events.push({ x: 120, y: 130, t: d });
      events.push({ x: 500 + ((d * 373) % 4000), y: 500 + ((d * 911) % 4000), t: d + 0.5 });
    }
    const r = backtest({ events, trainEndMs: 100 * 86_400_000, horizon: parseHorizon('14d')!, cell: 100, coverage: 0.01 });
    expect(r.trainEvents).toBe(200);
    expect(r.testEvents).toBe(28);
    expect(r.results.map((m) => m.method)).toEqual(['last-period', 'kde', 'prospective', 'combined', 'sepp']);
    for (const m of r.results) {
      expect(m.captured).toBeGreaterThanOrEqual(14); // the hotspot's 14 crimes
      expect(m.pai).toBeCloseTo(m.captured / 28 / m.areaFraction);
    }
    expect(r.bestOverKde?.ratio).toBeGreaterThanOrEqual(1);
  });

  it('runs every method on H3 hexagons, converting the planar events to longitude/latitude', () => {
    // The same corner hotspot, in UTM zone 43N (metres) near Almaty; H3 resolution 10 (≈ 0.015 km² cells).
    const utm = crsOf('EPSG:32643');
    const [x0, y0] = utm.fromLonLat(76.93, 43.24);
    const events: Point[] = [];
    for (let d = 0; d < 120; d++) {
      events.push({ x: x0 + 20, y: y0 + 30, t: d });
      events.push({ x: x0 + 400 + ((d * 373) % 4000), y: y0 + 400 + ((d * 911) % 4000), t: d + 0.5 });
    }
    const r = backtest({ events, trainEndMs: 100 * 86_400_000, horizon: parseHorizon('14d')!, cell: 0, h3: { kind: 'h3', res: 10, planar: utm }, coverage: 0.01 });
    expect(isHex(r.grid)).toBe(true);
    if (!isHex(r.grid)) return;
    // The hotspot's hexagon is the one h3-js gives for its longitude/latitude.
    const [lon, lat] = utm.toLonLat(x0 + 20, y0 + 30);
    expect(r.grid.index.has(latLngToCell(lat, lon, 10))).toBe(true);
    expect(r.testEvents).toBe(28);
    let studyArea = 0;
    for (const m of r.results) {
      expect(m.cells).toBe(Math.round(0.01 * r.studyCells));
      expect(m.captured).toBeGreaterThanOrEqual(14);
      expect(m.pai).toBeCloseTo(m.captured / 28 / m.areaFraction);
      // a / A by true areas: within a per cent of k / A in cells (hexagons of one resolution in one city).
      expect(m.areaFraction / (m.cells / r.studyCells)).toBeCloseTo(1, 2);
      studyArea = m.studyAreaM2 ?? 0;
    }
    expect(studyArea / r.studyCells).toBeGreaterThan(14_000);
    expect(studyArea / r.studyCells).toBeLessThan(20_000);
    expect(cellCount(r.grid)).toBeGreaterThan(r.studyCells);
    // The local plane works the same way for longitude/latitude data.
    const local = localPlanar(76.93, 43.24);
    const again = backtest({ events: events.map((e) => {
      const [lo, la] = utm.toLonLat(e.x, e.y);
      const [x, y] = local.fromLonLat(lo, la);
      return { x, y, t: e.t };
    }), trainEndMs: 100 * 86_400_000, horizon: parseHorizon('14d')!, cell: 0, h3: { kind: 'h3', res: 10, planar: local }, coverage: 0.01, methods: ['last-period'] });
    expect(again.results[0].captured).toBe(r.results[0].captured);
  });
});
