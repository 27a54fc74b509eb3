import type { Lang } from '../i18n.ts';

/** A name in the three interface languages, as the geo API sends it. */
export type Names = { readonly [L in Lang]: string };

type Position = number[];
export type Geometry =
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

export interface Feature<P> {
  type: 'Feature';
  id?: string | number;
  geometry: Geometry;
  properties: P;
}

export interface FeatureCollection<P> {
  type: 'FeatureCollection';
  features: Feature<P>[];
}

export interface RegionProps {
  kato: string;
  level: 'region';
  iso: string;
  name: Names;
}

export interface DistrictProps {
  kato: string;
  level: 'district';
  parentKato: string;
  name: Names;
}

export type BBox = [west: number, south: number, east: number, north: number];

/** One region or district, ready for the side panels and the map. */
export interface Place {
  kato: string;
  name: Names;
  iso?: string;
  parentKato?: string;
  bbox: BBox;
  /** Where its label goes: a point well inside its largest part. */
  label: [number, number];
}

/** Kazakhstan's extent, for the first frame before the boundaries arrive. */
export const KZ_BBOX: BBox = [46.49, 40.56, 87.36, 55.45];

export function toPlaces<P extends { kato: string; name: Names; iso?: string; parentKato?: string }>(
  fc: FeatureCollection<P>,
): Place[] {
  return fc.features.map((f) => {
    const p = f.properties;
    return {
      kato: p.kato,
      name: p.name,
      iso: p.iso,
      parentKato: p.parentKato,
      bbox: bboxOf(f.geometry),
      label: labelPoint(f.geometry),
    };
  });
}

export function unionBBox(boxes: BBox[]): BBox {
  if (boxes.length === 0) return KZ_BBOX;
  return boxes.reduce<BBox>(
    (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])],
    [Infinity, Infinity, -Infinity, -Infinity],
  );
}

function polygons(g: Geometry): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

export function bboxOf(g: Geometry): BBox {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const poly of polygons(g)) {
    for (const [x, y] of poly[0] ?? []) {
      if (x < w) w = x;
      if (x > e) e = x;
      if (y < s) s = y;
      if (y > n) n = y;
    }
  }
  return [w, s, e, n];
}

function ringArea(ring: Position[]): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return Math.abs(a / 2);
}

/** Signed distance (positive inside) from a point to a polygon with holes, x scaled by cos(lat). */
function signedDistance(x: number, y: number, poly: Position[][], kx: number): number {
  let inside = false;
  let min = Infinity;
  for (const ring of poly) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [ax, ay] = ring[i];
      const [bx, by] = ring[j];
      if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
      min = Math.min(min, segmentDistSq(x * kx, y, ax * kx, ay, bx * kx, by));
    }
  }
  return (inside ? 1 : -1) * Math.sqrt(min);
}

function segmentDistSq(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  let dx = bx - ax;
  let dy = by - ay;
  if (dx !== 0 || dy !== 0) {
    const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
    ax += dx * t;
    ay += dy * t;
  }
  dx = px - ax;
  dy = py - ay;
  return dx * dx + dy * dy;
}

/**
 * A label point inside the largest part of the geometry: the best of a coarse grid by distance to the edge,
 * refined twice around the winner (a cheap stand-in for polylabel, good enough for 244 areas).
 */
export function labelPoint(g: Geometry): [number, number] {
  const parts = polygons(g).filter((p) => p[0] && p[0].length > 3);
  if (parts.length === 0) return [0, 0];
  const poly = parts.reduce((a, b) => (ringArea(b[0]) > ringArea(a[0]) ? b : a));
  const [w, s, e, n] = bboxOf({ type: 'Polygon', coordinates: poly });
  const kx = Math.cos((((s + n) / 2) * Math.PI) / 180);
  let best: [number, number] = [(w + e) / 2, (s + n) / 2];
  let bestD = signedDistance(best[0], best[1], poly, kx);
  let cw = (e - w) / 12;
  let ch = (n - s) / 12;
  let cx = best[0];
  let cy = best[1];
  for (let round = 0; round < 3; round++) {
    for (let i = -6; i <= 6; i++) {
      for (let j = -6; j <= 6; j++) {
        const x = cx + i * cw;
        const y = cy + j * ch;
        const d = signedDistance(x, y, poly, kx);
        if (d > bestD) {
          bestD = d;
          best = [x, y];
        }
      }
    }
    cx = best[0];
    cy = best[1];
    cw /= 6;
    ch /= 6;
  }
  return best;
}

/**
 * What the map draws: the same features with the names flattened to `name_ru`, `name_kk`, `name_en`
 * (MapLibre expressions cannot reach into nested objects of GeoJSON properties).
 */
export function toMapAreas(fc: FeatureCollection<{ kato: string; name: Names }>) {
  return {
    type: 'FeatureCollection' as const,
    features: fc.features.map((f) => ({
      type: 'Feature' as const,
      geometry: f.geometry,
      properties: flatProps(f.properties.kato, f.properties.name),
    })),
  };
}

export function toMapLabels(places: Place[]) {
  return {
    type: 'FeatureCollection' as const,
    features: places.map((p) => ({
      type: 'Feature' as const,
      geometry: { type: 'Point' as const, coordinates: p.label },
      properties: flatProps(p.kato, p.name),
    })),
  };
}

function flatProps(kato: string, name: Names) {
  return { kato, name_ru: name.ru, name_kk: name.kk, name_en: name.en };
}
