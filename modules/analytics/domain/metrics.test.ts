import { describe, expect, it } from 'vitest';
import { cellsAtCoverage, evaluateHotspots, topCells } from './metrics.ts';

describe('PAI and PEI (NIJ definitions)', () => {
  // Ten cells, all in the study area. Observed crimes in the test window: 10 in total.
  const observed = [0, 5, 0, 2, 0, 0, 3, 0, 0, 0];
  const all = new Array(10).fill(1);

  it('scores a perfect forecast: PEI 1, PAI = hit rate ÷ area fraction', () => {
    const scores = [0, 9, 0, 1, 0, 0, 2, 0, 0, 0];
    const e = evaluateHotspots(scores, observed, all, 0.2);
    expect(e.cells).toBe(2); // 20 % of 10 cells
    expect(e.captured).toBe(8); // cells 1 and 6
    expect(e.best).toBe(8);
    expect(e.pei).toBe(1);
    expect(e.pai).toBeCloseTo(0.8 / 0.2); // 4
  });

  it('scores a forecast that picked the second-best cells', () => {
    const scores = [0, 0, 0, 5, 0, 0, 4, 0, 0, 0]; // cells 3 and 6: 2 + 3 crimes
    const e = evaluateHotspots(scores, observed, all, 0.2);
    expect(e.captured).toBe(5);
    expect(e.pei).toBeCloseTo(5 / 8);
    expect(e.pai).toBeCloseTo(0.5 / 0.2);
  });

  it('counts crimes outside the study area in N and never flags a cell outside it', () => {
    const mask = [1, 0, 1, 1, 1, 1, 1, 1, 1, 1]; // cell 1 (5 crimes) is outside
    const scores = [0, 99, 0, 1, 0, 0, 2, 0, 0, 0];
    const e = evaluateHotspots(scores, observed, mask, 1 / 9);
    expect(e.studyCells).toBe(9);
    expect(e.cells).toBe(1);
    expect(e.captured).toBe(3); // cell 6, not cell 1
    expect(e.total).toBe(10);
    expect(e.pai).toBeCloseTo(0.3 / (1 / 9));
    expect(e.pei).toBe(1); // the best single cell inside held 3
  });

  it('breaks ties by cell index so results are reproducible', () => {
    expect(Array.from(topCells([1, 2, 2, 0, 2], [1, 1, 1, 1, 1], 2))).toEqual([1, 2]);
  });

  it('flags at least one cell and rejects a coverage outside (0, 1]', () => {
    expect(cellsAtCoverage(50, 0.001)).toBe(1);
    expect(cellsAtCoverage(2000, 0.01)).toBe(20);
    expect(() => cellsAtCoverage(10, 0)).toThrow();
    expect(() => cellsAtCoverage(10, 1.5)).toThrow();
  });

  it('takes a / A from the cells’ true areas when they differ (hexagons)', () => {
    // Four cells, one flagged (coverage 0.25 → k = 1): the flagged cell is 1 of 6 area units, not 1 of 4 cells.
    const e = evaluateHotspots([3, 2, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1], 0.25, undefined, [1, 3, 1, 1]);
    expect(e.cells).toBe(1);
    expect(e.areaFraction).toBeCloseTo(1 / 6);
    expect(e.studyAreaM2).toBe(6);
    expect(e.pai).toBeCloseTo(0.5 / (1 / 6)); // 3, where equal cells would give 2
    expect(e.pei).toBe(1);
    // Equal areas give exactly the count-based figures.
    const same = evaluateHotspots([3, 2, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1], 0.25, undefined, [5, 5, 5, 5]);
    expect(same.pai).toBeCloseTo(evaluateHotspots([3, 2, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1], 0.25).pai);
  });

  it('gives PAI 0 and PEI 0 when nothing happened', () => {
    const e = evaluateHotspots([1, 0], [0, 0], [1, 1], 0.5);
    expect(e.pai).toBe(0);
    expect(e.pei).toBe(0);
  });
});
