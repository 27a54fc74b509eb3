import { describe, expect, test } from 'vitest';
import { areaAt, decodeKzTopology } from '../src/map/topology.ts';
import { type GeoFeature, simplifyArc, topologyOf } from './kzBoundaries.ts';

// Two regions. R1 (KATO 100000000): district A, a 2×2 square with a hole that is district E, and district B east of A.
// R2 (200000000): district C east of B. Coordinates are multiples of the quantum, so they come back exactly.
const sq = (w: number, s: number, e: number, n: number) => [
  [w, s],
  [e, s],
  [e, n],
  [w, n],
  [w, s],
];
const names = (level: 'ADM1' | 'ADM2', en: string) => ({ [`${level}_EN`]: en, [`${level}_RU`]: `${en}-ru`, [`${level}_KK`]: `${en}-kk` });
const district = (kato: string, pcode: string, en: string, coordinates: number[][][]): GeoFeature => ({
  properties: { KATO: kato, ADM1_PCODE: pcode, ...names('ADM2', en) },
  geometry: { type: 'Polygon', coordinates },
});
const A = district('101000000', 'KZ10', 'A', [sq(0, 0, 2, 2), sq(0.5, 0.5, 1.5, 1.5).reverse()]);
const E = district('102000000', 'KZ10', 'E', [sq(0.5, 0.5, 1.5, 1.5)]);
const B = district('103000000', 'KZ10', 'B', [sq(2, 0, 3, 2)]);
const C = district('201000000', 'KZ20', 'C', [sq(3, 0, 4, 2)]);
const region = (kato: string, pcode: string, en: string, coordinates: number[][][]): GeoFeature => ({
  properties: { KATO: kato, ADM1_PCODE: pcode, ISO_3166_2: `KZ-${en}`, ...names('ADM1', en) },
  geometry: { type: 'Polygon', coordinates },
});
const R1 = region('100000000', 'KZ10', 'R1', [sq(0, 0, 3, 2)]);
const R2 = region('200000000', 'KZ20', 'R2', [sq(3, 0, 4, 2)]);
const EXACT = { tolerance: 0, quantum: 0.25 };

describe('the picker topology', () => {
  const topo = topologyOf([R1, R2], [A, E, B, C], EXACT);
  const decoded = decodeKzTopology(JSON.parse(JSON.stringify(topo)));

  test('stores each shared border once, and tells region borders from district borders', () => {
    const arcsOf = (kato: string) => {
      const g = topo.objects.districts.geometries.find((d) => d.id === kato)!;
      return (g.type === 'Polygon' ? g.arcs : g.arcs.flat()).flat().map((i) => (i < 0 ? ~i : i));
    };
    const shared = (a: string, b: string) => arcsOf(a).filter((i) => arcsOf(b).includes(i));
    expect(shared('101000000', '102000000')).toHaveLength(1); // A's hole is E
    expect(shared('101000000', '103000000')).toHaveLength(1); // A | B
    expect(shared('103000000', '201000000')).toHaveLength(1); // B | C
    expect(shared('101000000', '201000000')).toHaveLength(0);
    const border = topo.objects.regionBorders.arcs.flat();
    const inner = topo.objects.districtBorders.arcs.flat();
    expect(border).toContain(shared('103000000', '201000000')[0]);
    expect(inner).toContain(shared('101000000', '103000000')[0]);
    expect(inner).toContain(shared('101000000', '102000000')[0]);
    expect(new Set([...border, ...inner]).size).toBe(topo.arcs.length);
    expect(border.filter((i) => inner.includes(i))).toEqual([]);
  });

  test('decodes back to the same closed rings, with names and labels', () => {
    const byKato = new Map(decoded.districts.features.map((f) => [f.properties.kato, f]));
    for (const original of [A, E, B, C]) {
      const f = byKato.get(original.properties.KATO)!;
      expect(f.geometry.type).toBe('Polygon');
      const rings = f.geometry.coordinates as number[][][];
      const source = original.geometry.coordinates as number[][][];
      expect(rings).toHaveLength(source.length);
      rings.forEach((ring, i) => {
        expect(ring[0]).toEqual(ring[ring.length - 1]);
        // Same vertices, whatever the starting point.
        const key = (r: number[][]) => r.slice(1).map((p) => p.join(',')).sort();
        expect(key(ring)).toEqual(key(source[i]));
      });
    }
    expect(byKato.get('103000000')!.properties).toEqual({
      kato: '103000000',
      name_ru: 'B-ru',
      name_kk: 'B-kk',
      name_en: 'B',
      parentKato: '100000000',
    });
    expect(decoded.regionLabels.features.map((f) => f.properties.kato)).toEqual(['100000000', '200000000']);
    expect(decoded.districtLabels.features).toHaveLength(4);
    expect(decoded.bbox).toEqual([0, 0, 4, 2]);
  });

  test('places a point in its district (holes count), or nowhere outside', () => {
    expect(areaAt(decoded, 1, 1)?.district.kato).toBe('102000000');
    expect(areaAt(decoded, 0.25, 1)?.district.kato).toBe('101000000');
    expect(areaAt(decoded, 0.25, 1)?.region?.name_en).toBe('R1');
    expect(areaAt(decoded, 3.5, 1)?.region?.kato).toBe('200000000');
    expect(areaAt(decoded, 5, 1)).toBeNull();
  });

  test('refuses what is not a topology', () => {
    expect(() => decodeKzTopology({ type: 'FeatureCollection' } as never)).toThrow();
  });
});

describe('simplifyArc', () => {
  test('drops points closer to the line than the tolerance and keeps both ends', () => {
    const line: [number, number][] = [
      [0, 0],
      [1, 0.001],
      [2, -0.001],
      [3, 1],
      [4, 0],
    ];
    expect(simplifyArc(line, 0.01)).toEqual([
      [0, 0],
      [2, -0.001],
      [3, 1],
      [4, 0],
    ]);
    expect(simplifyArc(line, 2)).toEqual([
      [0, 0],
      [4, 0],
    ]);
  });

  test('keeps a closed ring a ring', () => {
    const ring: [number, number][] = [
      [0, 0],
      [1, 0],
      [1, 0.5],
      [1, 1],
      [0, 1],
      [0, 0],
    ];
    const out = simplifyArc(ring, 0.01);
    expect(out[0]).toEqual(out[out.length - 1]);
    expect(out).toHaveLength(5);
  });
});
