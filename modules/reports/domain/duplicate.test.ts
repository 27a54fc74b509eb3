import { describe, expect, it } from 'vitest';
import { type DuplicateCandidate, duplicateLockKeys, gridCell, gridCellsWithin, isDuplicateOf, pickDuplicate } from './duplicate.ts';
import { haversineM } from '../../../packages/kernel/src/geo/distance.ts';

const rule = { radiusM: 100, windowMin: 15 };
const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 12, min));
const incoming = { category: 'theft', submittedAt: at(30) };
const candidate = (over: Partial<DuplicateCandidate> = {}): DuplicateCandidate => ({
  id: 'a',
  category: 'theft',
  distanceM: 40,
  submittedAt: at(20),
  status: 'received',
  duplicateOf: null,
  falseReport: false,
  ...over,
});

describe('duplicate rule', () => {
  it('joins a report of the same category within the radius and the window', () => {
    expect(pickDuplicate(incoming, [candidate()], rule)).toBe('a');
  });

  it('counts the edges in: exactly the radius, exactly the window', () => {
    expect(isDuplicateOf(incoming, candidate({ distanceM: 100, submittedAt: at(15) }), rule)).toBe(true);
  });

  it.each<[string, Partial<DuplicateCandidate>]>([
    ['another category', { category: 'robbery' }],
    ['farther than the radius', { distanceM: 100.5 }],
    ['older than the window', { submittedAt: new Date(at(15).getTime() - 1) }],
    ['filed after the new one (clock skew)', { submittedAt: at(31) }],
    ['already closed', { status: 'closed' }],
    ['marked false', { falseReport: true }],
  ])('does not join one %s', (_, over) => {
    expect(pickDuplicate(incoming, [candidate(over)], rule)).toBeNull();
  });

  it('follows the radius and window it is given (configuration)', () => {
    expect(pickDuplicate(incoming, [candidate({ distanceM: 400 })], { radiusM: 500, windowMin: 15 })).toBe('a');
    expect(pickDuplicate(incoming, [candidate({ submittedAt: at(0) })], { radiusM: 100, windowMin: 60 })).toBe('a');
    expect(pickDuplicate(incoming, [candidate({ submittedAt: at(0) })], rule)).toBeNull();
  });

  it('points at the first report of a chain, so every duplicate of one event joins the same original', () => {
    expect(pickDuplicate(incoming, [candidate({ id: 'b', duplicateOf: 'a' })], rule)).toBe('a');
  });

  it('prefers the nearest match, then the earliest', () => {
    const far = candidate({ id: 'far', distanceM: 90, submittedAt: at(16) });
    const near = candidate({ id: 'near', distanceM: 10, submittedAt: at(29) });
    expect(pickDuplicate(incoming, [far, near], rule)).toBe('near');
    const early = candidate({ id: 'early', distanceM: 10, submittedAt: at(17) });
    expect(pickDuplicate(incoming, [near, early], rule)).toBe('early');
  });

  it('is null with no candidates', () => {
    expect(pickDuplicate(incoming, [], rule)).toBeNull();
  });
});

describe('duplicateLockKeys', () => {
  const shared = (a: string[], b: string[]) => a.some((k) => b.includes(k));
  it('makes any two submissions of one category within the radius share a lock', () => {
    // Points 90 m apart, straddling cell edges in every direction, at Almaty's and Petropavl's latitudes.
    for (const [lon, lat] of [
      [76.9286, 43.2567],
      [69.1439, 54.8753],
    ]) {
      for (let k = 0; k < 200; k++) {
        const angle = (k / 200) * 2 * Math.PI;
        const dLat = (90 * Math.sin(angle)) / 111_320;
        const dLon = (90 * Math.cos(angle)) / (111_320 * Math.cos((lat * Math.PI) / 180));
        const a = duplicateLockKeys('theft', lon + k * 1e-5, lat, 100);
        const b = duplicateLockKeys('theft', lon + k * 1e-5 + dLon, lat + dLat, 100);
        expect(shared(a, b)).toBe(true);
      }
    }
  });
  it('lets other categories and far-away places go in parallel, in a fixed order', () => {
    const a = duplicateLockKeys('theft', 76.9286, 43.2567, 100);
    expect(shared(a, duplicateLockKeys('noise', 76.9286, 43.2567, 100))).toBe(false);
    expect(shared(a, duplicateLockKeys('theft', 76.95, 43.2567, 100))).toBe(false);
    expect(a).toEqual([...a].sort());
    expect(a).toHaveLength(9);
  });
});

describe('gridCellsWithin', () => {
  it('covers the cell of every point within the radius, wherever the centre falls in its cell', () => {
    // A deterministic scatter of centres over Kazakhstan's latitudes and points on and inside circles around them.
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let c = 0; c < 300; c++) {
      const lon = 46.5 + rnd() * 41;
      const lat = 40.5 + rnd() * 15;
      const radius = [50, 100, 250, 1000][c % 4];
      const cells = new Set(gridCellsWithin(lon, lat, radius));
      for (let k = 0; k < 64; k++) {
        const angle = rnd() * 2 * Math.PI;
        const r = radius * (k % 2 === 0 ? 1 : rnd());
        const p = { lon: lon + (r * Math.cos(angle)) / (111_320 * Math.cos((lat * Math.PI) / 180)), lat: lat + (r * Math.sin(angle)) / 110_540 };
        if (haversineM({ lon, lat }, p) > radius) continue;
        expect(cells.has(gridCell(p.lon, p.lat))).toBe(true);
      }
    }
  });
  it('reads a handful of cells for the default 100 m, and tells far cells apart', () => {
    expect(gridCellsWithin(76.9286, 43.2567, 100).length).toBeLessThanOrEqual(6);
    expect(gridCell(76.9286, 43.2567)).not.toBe(gridCell(76.9386, 43.2567));
    expect(gridCell(76.9286, 43.2567)).not.toBe(gridCell(76.9286, 43.2667));
  });
});
