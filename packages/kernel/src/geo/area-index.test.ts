import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../random.ts';
import { bandRing, inBandedRings, inRings } from './area-index.ts';

/** A jagged star-shaped ring around (cx, cy), closed (last point = first), as lon,lat pairs. */
function jaggedRing(next: () => number, cx: number, cy: number, radius: number, vertices: number, jag = 0.7): Float64Array {
  const ring = new Float64Array((vertices + 1) * 2);
  for (let k = 0; k < vertices; k++) {
    const angle = (2 * Math.PI * k) / vertices;
    const r = radius * (1 - jag + jag * next());
    ring[2 * k] = cx + r * Math.cos(angle);
    // Rounded to a coarse grid, so many vertices share a latitude: the edge cases of the crossing test.
    ring[2 * k + 1] = Math.round((cy + r * Math.sin(angle)) * 200) / 200;
  }
  ring[2 * vertices] = ring[0];
  ring[2 * vertices + 1] = ring[1];
  return ring;
}

describe('banded point-in-polygon', () => {
  it('answers exactly as the plain even–odd test over every edge, holes and shared latitudes included', () => {
    const next = random(7);
    let inside = 0;
    for (let shape = 0; shape < 20; shape++) {
      const outer = jaggedRing(next, 76.9, 43.2, 0.5, 50 + Math.floor(next() * 4000));
      const hole = jaggedRing(next, 76.9, 43.2, 0.1, 30 + Math.floor(next() * 300));
      const plain = [outer, hole];
      const banded = plain.map(bandRing);
      for (let p = 0; p < 5000; p++) {
        const lon = 76.2 + next() * 1.4;
        // Every fourth point on a vertex's latitude exactly.
        const lat = p % 4 === 0 ? outer[2 * Math.floor(next() * (outer.length / 2 - 1)) + 1] : 42.5 + next() * 1.4;
        const expected = inRings(plain, lon, lat);
        if (inBandedRings(banded, lon, lat) !== expected) throw new Error(`shape ${shape}: (${lon}, ${lat}) should be ${expected ? 'in' : 'out'}`);
        if (expected) inside++;
      }
    }
    // The sample is not degenerate: a good share of points fell inside.
    expect(inside).toBeGreaterThan(10_000);
  });

  it('reads a small share of a detailed ring’s edges for a point', () => {
    // A boundary with 4,000 vertices that wanders as a coast does (2 % of its radius), not a random star.
    const ring = bandRing(jaggedRing(random(3), 0, 0, 1, 4000, 0.02));
    const widest = Math.max(...Array.from({ length: ring.starts.length - 1 }, (_, b) => ring.starts[b + 1] - ring.starts[b]));
    expect(widest).toBeLessThan(200);
  });
});
