import { describe, expect, it } from 'vitest';
import { CloneDetector, type CloneSettings, type Sighting } from './clones.ts';

const SETTINGS: CloneSettings = { maxSpeedKmh: 250, minDistanceM: 2000, clockToleranceS: 30, windowS: 6 * 3600, perPlate: 3, maxPlates: 1000, cooldownS: 3600 };
const T0 = Date.parse('2026-06-01T08:00:00Z');
const ASTANA = { lon: 71.43, lat: 51.128 };
/** A point `km` kilometres north of Astana. */
const north = (km: number) => ({ lon: ASTANA.lon, lat: ASTANA.lat + km / 111.195 });
let n = 0;
const s = (cameraId: string, place: { lon: number; lat: number }, minutes: number): Sighting => ({ readId: `r${n++}`, cameraId, ...place, atMs: T0 + minutes * 60_000 });

describe('CloneDetector', () => {
  it('finds a plate 100 km away 10 minutes later (≈ 540 km/h needed)', () => {
    const d = new CloneDetector(SETTINGS);
    expect(d.observe('123ABC02', s('a', ASTANA, 0))).toBeNull();
    const f = d.observe('123ABC02', s('b', north(100), 10));
    expect(f).not.toBeNull();
    expect(f?.distanceM).toBeCloseTo(100_000, -2);
    expect(f?.dtS).toBe(600);
    // d / (Δt + tolerance) = 100 km / 630 s
    expect(f?.impliedSpeedKmh).toBeCloseTo((100_000 / 630) * 3.6, 0);
    expect(f?.first.cameraId).toBe('a');
  });

  it('does not flag a drive that is possible, at the limit of the tolerance', () => {
    const d = new CloneDetector(SETTINGS);
    d.observe('P', s('a', ASTANA, 0));
    // 100 km in 24 min = 250 km/h; with 30 s tolerance the implied speed is below 250
    expect(d.observe('P', s('b', north(100), 24))).toBeNull();
  });

  it('the clock tolerance keeps a borderline pair from becoming a finding', () => {
    // 20 km in 4.5 min = 266.7 km/h by the clocks, but 20 km / (270 + 30) s = 240 km/h
    const d = new CloneDetector(SETTINGS);
    d.observe('P', s('a', ASTANA, 0));
    expect(d.observe('P', s('b', north(20), 4.5))).toBeNull();
    const strict = new CloneDetector({ ...SETTINGS, clockToleranceS: 0 });
    strict.observe('P', s('a', ASTANA, 0));
    expect(strict.observe('P', s('b', north(20), 4.5))).not.toBeNull();
  });

  it('ignores neighbouring cameras whatever the time', () => {
    const d = new CloneDetector(SETTINGS);
    d.observe('P', s('a', ASTANA, 0));
    expect(d.observe('P', s('b', north(1.5), 0))).toBeNull();
  });

  it('works when reads arrive out of order', () => {
    const d = new CloneDetector(SETTINGS);
    d.observe('P', s('b', north(300), 30));
    const f = d.observe('P', s('a', ASTANA, 0));
    expect(f?.first.cameraId).toBe('a');
    expect(f?.second.cameraId).toBe('b');
  });

  it('forgets sightings beyond the window and keeps plates apart', () => {
    const d = new CloneDetector(SETTINGS);
    d.observe('P', s('a', ASTANA, 0));
    expect(d.observe('Q', s('b', north(500), 5))).toBeNull();
    expect(d.observe('P', s('b', north(2000), 7 * 60))).toBeNull();
  });

  it('reports one finding per plate within the cooldown', () => {
    const d = new CloneDetector(SETTINGS);
    d.observe('P', s('a', ASTANA, 0));
    expect(d.observe('P', s('b', north(100), 5))).not.toBeNull();
    expect(d.observe('P', s('a', ASTANA, 10))).toBeNull();
    expect(d.observe('P', s('b', north(100), 70))).toBeNull(); // b at 70 vs a at 10: 60 min, plausible anyway
    expect(d.observe('P', s('a', ASTANA, 75))).not.toBeNull(); // 65 min after the last finding
  });

  it('ignores a read it has seen (same id)', () => {
    const d = new CloneDetector(SETTINGS);
    const a = s('a', ASTANA, 0);
    d.observe('P', a);
    expect(d.observe('P', a)).toBeNull();
  });

  it('holds at most perPlate sightings per plate and maxPlates plates (least recently seen go first)', () => {
    const d = new CloneDetector({ ...SETTINGS, maxPlates: 2, perPlate: 2 });
    d.observe('P', s('a', ASTANA, 0));
    d.observe('Q', s('a', ASTANA, 0));
    d.observe('P', s('c', north(1), 1)); // P is now the most recent
    d.observe('R', s('a', ASTANA, 0)); // evicts Q
    expect(d.size).toBe(2);
    expect(d.observe('Q', s('b', north(500), 5))).toBeNull(); // Q's first sighting was forgotten
    // P keeps only its two newest sightings (a@0 dropped for c@1 and d@2)
    d.observe('P', s('d', north(1.2), 2));
    expect(d.observe('P', s('e', north(600), 3))).not.toBeNull(); // still found against c/d
  });
});

describe('CloneDetector when full', () => {
  it('keeps observing at full speed once it holds maxPlates plates (evicts in bulk)', () => {
    const d = new CloneDetector({ ...SETTINGS, maxPlates: 20_000 });
    for (let i = 0; i < 20_000; i++) d.observe(`F${i}`, s('a', ASTANA, i));
    // 60,000 new plates through a full detector: one-at-a-time eviction made this quadratic (seconds);
    // counted in operations, not timed, the Map must stay bounded and every new plate must still be kept.
    for (let i = 0; i < 60_000; i++) d.observe(`G${i}`, s('a', ASTANA, i));
    expect(d.size).toBeLessThanOrEqual(20_000);
    expect(d.size).toBeGreaterThanOrEqual(19_000);
    expect(d.observe('G59999', s('b', north(500), 60_000))).not.toBeNull(); // the newest plate is remembered
  });
});
