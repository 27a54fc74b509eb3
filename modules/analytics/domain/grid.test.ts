import { describe, expect, it } from 'vitest';
import { cellArea, gridDisk, latLngToCell } from 'h3-js';
import { localPlanar } from './crs.ts';
import { cellAreaOf, cellCentre, cellIndex, countByCell, forCellsNear, gridCovering, hexGridCovering, hexRing, studyArea } from './grid.ts';

describe('square grid', () => {
  const g = gridCovering([{ x: 0, y: 0 }, { x: 950, y: 450 }], 100);

  it('covers the points from a cell-aligned corner', () => {
    expect(g).toEqual({ x0: 0, y0: 0, cell: 100, nx: 10, ny: 5 });
    expect(cellIndex(g, 950, 450)).toBe(49);
    expect(cellIndex(g, 150, 250)).toBe(21); // row 2, column 1
    expect(cellIndex(g, -1, 0)).toBe(-1);
    expect(cellCentre(g, 21)).toEqual({ x: 150, y: 250 });
  });

  it('counts points per cell', () => {
    const c = countByCell(g, [{ x: 10, y: 10 }, { x: 90, y: 90 }, { x: 110, y: 10 }]);
    expect(c[0]).toBe(2);
    expect(c[1]).toBe(1);
  });

  it('visits the cells within a radius with their squared distance', () => {
    const seen: [number, number][] = [];
    forCellsNear(g, 150, 250, 100, (c, d2) => seen.push([c, d2]));
    expect(seen.map(([c]) => c).sort((a, b) => a - b)).toEqual([11, 20, 21, 22, 31]);
    expect(seen.find(([c]) => c === 21)?.[1]).toBe(0);
  });

  it('draws the study area around cells with crime', () => {
    const mask = studyArea(g, [{ x: 450, y: 250 }], 100);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(5); // the cell and its four neighbours
    expect(mask[cellIndex(g, 450, 250)]).toBe(1);
    expect(mask[cellIndex(g, 550, 350)]).toBe(0); // diagonal: 141 m away
  });
});

describe('H3 grid', () => {
  // Almaty in a local azimuthal equidistant plane (metres from 76.9 E, 43.25 N).
  const planar = localPlanar(76.9, 43.25);
  const g = hexGridCovering([{ x: -2000, y: -1000 }, { x: 0, y: 0 }, { x: 1000, y: 500 }], 9, planar);
  const home = g.index.get(latLngToCell(43.25, 76.9, 9)) as number;

  it('numbers the hexagons around the points and finds a point’s hexagon through longitude/latitude', () => {
    expect(g.kind).toBe('h3');
    expect(cellIndex(g, 0, 0)).toBe(home);
    expect(cellIndex(g, 1000, 500)).toBeGreaterThanOrEqual(0);
    expect(cellIndex(g, 50_000, 0)).toBe(-1);
    // A resolution-9 hexagon is 0.105 km² on average over the globe (h3geo.org's table: 105,332.5 m²); at Almaty's
    // latitude they are larger, about 0.126 km², and within a city equal to well under 1 %. Neighbouring centres are
    // √(2 × area ÷ √3) ≈ 381 m apart, and a point is at most about one edge (≈ 220 m) from its hexagon's centre.
    const c = cellCentre(g, home);
    expect(Math.hypot(c.x, c.y)).toBeLessThan(240);
    const area = cellArea(g.ids[home], 'm2');
    expect(area / 1e6).toBeCloseTo(0.126, 2);
    for (const a of g.areas) expect(Math.abs(a / area - 1)).toBeLessThan(0.01);
    expect(g.cell).toBeCloseTo(Math.sqrt((2 * area) / Math.sqrt(3)), -1);
    expect(cellAreaOf(g, home)).toBe(area);
  });

  it('counts points per hexagon', () => {
    const counts = countByCell(g, [{ x: 0, y: 0 }, { x: 10, y: 10 }, { x: 1000, y: 500 }, { x: 90_000, y: 0 }]);
    expect(counts[home]).toBe(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3); // the last is outside the grid
  });

  it('finds the six neighbours within 1.2 cell widths, as gridDisk does', () => {
    const c = cellCentre(g, home);
    const near: number[] = [];
    forCellsNear(g, c.x, c.y, 1.2 * g.cell, (cell) => near.push(cell));
    expect(near).toHaveLength(7);
    expect(near.map((i) => g.ids[i]).sort()).toEqual(gridDisk(g.ids[home], 1).sort());
    const mask = studyArea(g, [{ x: c.x, y: c.y }], 1.2 * g.cell);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('draws a hexagon as a closed ring of six corners in longitude/latitude', () => {
    const ring = hexRing(g, home);
    expect(ring).toHaveLength(7);
    expect(ring[0]).toEqual(ring[6]);
    for (const [lon, lat] of ring) {
      expect(Math.abs(lon - 76.9)).toBeLessThan(0.006);
      expect(Math.abs(lat - 43.25)).toBeLessThan(0.004);
    }
  });

  it('refuses a grid of more hexagons than it can hold', () => {
    expect(() => hexGridCovering([{ x: 0, y: 0 }, { x: 400_000, y: 400_000 }], 12, planar)).toThrow(/coarser resolution/);
  });
});
