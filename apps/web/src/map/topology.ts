import type { Names } from './geo.ts';

/**
 * Kazakhstan's boundaries for the citizen's place picker, as a TopoJSON topology
 * (https://github.com/topojson/topojson-specification): every border between two districts is stored once as an
 * arc, quantised and delta-encoded, so the whole country is a small file a slow phone fetches once. It is made from
 * the same geokz files the server serves (`apps/web/tools/kzBoundaries.ts`, at build time) and decoded here into
 * the GeoJSON sources MapLibre draws.
 *
 * - `objects.districts`: the 224 districts, Polygon / MultiPolygon by arc index (`~i` = arc i reversed), properties
 *   `{ kato, parentKato, name, label }` (`label` is a point well inside, for the district's name);
 * - `objects.regionBorders`: one MultiLineString of the arcs that separate two regions or face the outside;
 * - `objects.districtBorders`: one MultiLineString of the arcs between two districts of one region (each drawn once,
 *   where the districts' own outlines would draw it twice, once from each side);
 * - `objects.regions`: one Point per region (where its name goes), properties `{ kato, iso, name }`.
 */
export interface KzTopology {
  type: 'Topology';
  transform: { scale: [number, number]; translate: [number, number] };
  bbox: [number, number, number, number];
  arcs: [number, number][][];
  objects: {
    districts: { type: 'GeometryCollection'; geometries: TopoArea[] };
    regionBorders: { type: 'MultiLineString'; arcs: number[][] };
    districtBorders: { type: 'MultiLineString'; arcs: number[][] };
    regions: { type: 'GeometryCollection'; geometries: TopoLabel[] };
  };
}

export interface DistrictTopoProps {
  kato: string;
  parentKato: string | null;
  name: Names;
  /** [lon, lat], not quantised. */
  label: [number, number];
}

export interface RegionTopoProps {
  kato: string;
  iso: string | null;
  name: Names;
}

export type TopoArea =
  | { type: 'Polygon'; id: string; arcs: number[][]; properties: DistrictTopoProps }
  | { type: 'MultiPolygon'; id: string; arcs: number[][][]; properties: DistrictTopoProps };

export interface TopoLabel {
  type: 'Point';
  id: string;
  /** Quantised, like every position of the topology. */
  coordinates: [number, number];
  properties: RegionTopoProps;
}

type Position = [number, number];

/** What the picker's map draws: names flattened to `name_ru|kk|en` (MapLibre can't read nested properties). */
export interface PickerGeoJson {
  districts: FeatureCollectionOf<'Polygon' | 'MultiPolygon', AreaFlat>;
  districtLabels: FeatureCollectionOf<'Point', AreaFlat>;
  regionBorders: FeatureCollectionOf<'MultiLineString', Record<string, never>>;
  districtBorders: FeatureCollectionOf<'MultiLineString', Record<string, never>>;
  regionLabels: FeatureCollectionOf<'Point', AreaFlat>;
  bbox: [number, number, number, number];
}

export interface AreaFlat {
  kato: string;
  name_ru: string;
  name_kk: string;
  name_en: string;
  /** A district's region. */
  parentKato?: string;
}

interface FeatureCollectionOf<G extends string, P> {
  type: 'FeatureCollection';
  features: { type: 'Feature'; id?: string; geometry: { type: G; coordinates: unknown }; properties: P }[];
}

const flat = (kato: string, name: Names): AreaFlat => ({ kato, name_ru: name.ru, name_kk: name.kk, name_en: name.en });

/** Decodes the topology into GeoJSON. Throws on anything that is not one (a wrong file, an HTML error page). */
export function decodeKzTopology(topo: KzTopology): PickerGeoJson {
  if (topo?.type !== 'Topology' || !Array.isArray(topo.arcs) || !topo.objects?.districts) throw new Error('not a Kazakhstan topology');
  const [sx, sy] = topo.transform.scale;
  const [tx, ty] = topo.transform.translate;
  const position = (x: number, y: number): Position => [round6(x * sx + tx), round6(y * sy + ty)];
  const arcs: Position[][] = topo.arcs.map((arc) => {
    let x = 0;
    let y = 0;
    return arc.map(([dx, dy]) => {
      x += dx;
      y += dy;
      return position(x, y);
    });
  });
  const line = (indexes: number[]): Position[] => {
    const out: Position[] = [];
    for (const i of indexes) {
      const arc = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
      // Consecutive arcs share their end point.
      for (let k = out.length ? 1 : 0; k < arc.length; k++) out.push(arc[k]);
    }
    return out;
  };
  const polygon = (rings: number[][]) => rings.map(line);

  const districts: PickerGeoJson['districts'] = { type: 'FeatureCollection', features: [] };
  const districtLabels: PickerGeoJson['districtLabels'] = { type: 'FeatureCollection', features: [] };
  for (const g of topo.objects.districts.geometries) {
    const p = g.properties;
    const coordinates = g.type === 'Polygon' ? polygon(g.arcs) : g.arcs.map(polygon);
    const props = { ...flat(p.kato, p.name), ...(p.parentKato ? { parentKato: p.parentKato } : {}) };
    districts.features.push({ type: 'Feature', id: g.id, geometry: { type: g.type, coordinates }, properties: props });
    districtLabels.features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: p.label }, properties: flat(p.kato, p.name) });
  }
  const lines = (arcs: number[][]): PickerGeoJson['regionBorders'] => ({
    type: 'FeatureCollection',
    features: [{ type: 'Feature', geometry: { type: 'MultiLineString', coordinates: arcs.map(line) }, properties: {} }],
  });
  const regionLabels: PickerGeoJson['regionLabels'] = {
    type: 'FeatureCollection',
    features: topo.objects.regions.geometries.map((g) => ({
      type: 'Feature' as const,
      geometry: { type: 'Point' as const, coordinates: position(g.coordinates[0], g.coordinates[1]) },
      properties: flat(g.properties.kato, g.properties.name),
    })),
  };
  return {
    districts,
    districtLabels,
    regionBorders: lines(topo.objects.regionBorders.arcs),
    districtBorders: lines(topo.objects.districtBorders.arcs),
    regionLabels,
    bbox: topo.bbox,
  };
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

type Rings = Position[][];
const boxes = new WeakMap<object, { box: [number, number, number, number]; polygons: Rings[] }>();

/**
 * The district (and its region) drawn under a point, or null outside Kazakhstan. From the simplified boundaries:
 * within a couple of hundred metres of a border the server, which places reports on the full geometry, may say the
 * neighbour.
 */
export function areaAt(g: PickerGeoJson, lon: number, lat: number): { district: AreaFlat; region: AreaFlat | null } | null {
  for (const f of g.districts.features) {
    let entry = boxes.get(f);
    if (!entry) {
      const polygons = (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates) as Rings[];
      const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const poly of polygons)
        for (const [x, y] of poly[0] ?? []) {
          box[0] = Math.min(box[0], x);
          box[1] = Math.min(box[1], y);
          box[2] = Math.max(box[2], x);
          box[3] = Math.max(box[3], y);
        }
      entry = { box, polygons };
      boxes.set(f, entry);
    }
    const [w, s, e, n] = entry.box;
    if (lon < w || lon > e || lat < s || lat > n) continue;
    if (entry.polygons.some((rings) => inRings(rings, lon, lat))) {
      const region = g.regionLabels.features.find((r) => r.properties.kato === f.properties.parentKato)?.properties ?? null;
      return { district: f.properties, region };
    }
  }
  return null;
}

/** Even–odd rule over a polygon's rings (holes included). */
function inRings(rings: Rings, x: number, y: number): boolean {
  let inside = false;
  for (const ring of rings)
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  return inside;
}
