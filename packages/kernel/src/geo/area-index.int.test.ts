import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../kernel.ts';
import { testKernel } from '../testing.ts';
import { AreaIndex } from './area-index.ts';
import { locate } from './geo.ts';

describe('AreaIndex (in-memory placement)', () => {
  let kernel: Kernel;
  let index: AreaIndex;
  beforeAll(async () => {
    kernel = await testKernel();
    index = await AreaIndex.load(kernel.db);
  });
  afterAll(async () => kernel?.close());

  it('holds all 20 regions and 224 districts', () => {
    expect(index.size).toBe(244);
  });

  it('places known points like PostGIS does', () => {
    expect(index.locate(76.9286, 43.2567).region?.kato).toBe('750000000'); // Almaty
    expect(index.locate(69.5901, 42.3417).region?.kato).toBe('790000000'); // Shymkent
    expect(index.locate(116.4, 39.9)).toEqual({ region: null, district: null }); // Beijing
    expect(index.locate(Number.NaN, 43)).toEqual({ region: null, district: null });
  });

  it('agrees with PostGIS ST_Covers on 400 points spread over Kazakhstan and its borders', async () => {
    // A deterministic scatter over the country's bounding box (46.4–87.4 E, 40.5–55.5 N), so points fall
    // inside, outside and near borders.
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let disagreements = 0;
    let inside = 0;
    for (let i = 0; i < 400; i++) {
      const lon = 46.4 + rnd() * 41;
      const lat = 40.5 + rnd() * 15;
      const db = await locate(kernel.db, lon, lat);
      const mem = index.locate(lon, lat);
      if (db.region) inside++;
      if (db.region?.kato !== mem.region?.kato || db.district?.kato !== mem.district?.kato) disagreements++;
    }
    expect(inside).toBeGreaterThan(100);
    expect(disagreements).toBe(0);
  });
});
