import { describe, expect, it } from 'vitest';
import { type DuplicateCandidate, duplicateLockKeys, isDuplicateOf, pickDuplicate } from './duplicate.ts';

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
