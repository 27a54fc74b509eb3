import type { Queryable } from '../db/types.ts';
import { type Area, type AreaRow, type Placement, toArea } from './geo.ts';

/**
 * The boundaries held in memory for placing points (lon/lat → region and district) without a database round
 * trip: every report, incident and camera read is placed, and on the intake path a PostGIS query per point
 * was the largest single cost. Loaded once from `kernel_geo_area` (the database stays the source); each ring
 * is a flat Float64Array of lon,lat pairs, about 1.6 MB for all of Kazakhstan.
 *
 * A point on a boundary may land on either side (PostGIS's ST_Covers would count it in both); a point inside
 * one area is placed exactly as PostGIS places it — `area-index.int.test.ts` checks that on sampled points.
 */
interface IndexedArea {
  area: Area;
  /** Bounding box: minLon, minLat, maxLon, maxLat. */
  box: [number, number, number, number];
  /** Polygons, each a list of rings (outer first, then holes). */
  polygons: BandedRing[][];
}

/**
 * A ring with its edges sorted into latitude bands, so a point is tested only against the edges that can cross its
 * latitude — a few dozen instead of the thousands a detailed boundary has (Almaty city's ring alone: ~3,000). The
 * test on those edges is the plain one ({@link inRings}), so the answer is the same to the bit.
 */
export interface BandedRing {
  /** lon,lat pairs, the last equal to the first. */
  ring: Float64Array;
  minLat: number;
  maxLat: number;
  /** Height of a band, in degrees. */
  band: number;
  /** Edges of band b: `edges[starts[b]]` up to `edges[starts[b + 1]]`, each the index in `ring` of its end vertex. */
  starts: Int32Array;
  edges: Int32Array;
}

/** About this many edges per band, and at most this many bands per ring. */
const EDGES_PER_BAND = 8;
const MAX_BANDS = 1024;

export function bandRing(ring: Float64Array): BandedRing {
  const n = ring.length;
  let minLat = Infinity;
  let maxLat = -Infinity;
  for (let i = 1; i < n; i += 2) {
    if (ring[i] < minLat) minLat = ring[i];
    if (ring[i] > maxLat) maxLat = ring[i];
  }
  const bands = Math.max(1, Math.min(MAX_BANDS, Math.floor(n / 2 / EDGES_PER_BAND)));
  const shape = { minLat, band: maxLat > minLat ? (maxLat - minLat) / bands : 1, bands };
  // Two passes over the edges (j → i, as inRings walks them): count per band, then fill.
  const starts = new Int32Array(bands + 1);
  const eachEdge = (visit: (b: number, i: number) => void) => {
    for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
      const hi = bandAt(shape, Math.max(ring[i + 1], ring[j + 1]));
      for (let b = bandAt(shape, Math.min(ring[i + 1], ring[j + 1])); b <= hi; b++) visit(b, i);
    }
  };
  eachEdge((b) => starts[b + 1]++);
  for (let b = 0; b < bands; b++) starts[b + 1] += starts[b];
  const edges = new Int32Array(starts[bands]);
  const fill = starts.slice();
  eachEdge((b, i) => {
    edges[fill[b]++] = i;
  });
  return { ring, minLat, maxLat, band: shape.band, starts, edges };
}

/**
 * The band of a latitude. Loading and lookup both go through this one function, so an edge is filed under every band
 * a point that it can cross may fall in.
 */
function bandAt(r: { minLat: number; band: number; bands: number }, lat: number): number {
  return Math.min(r.bands - 1, Math.max(0, Math.floor((lat - r.minLat) / r.band)));
}

/** Whether the edge from vertex j to vertex i of a ring crosses the eastward ray from the point (even–odd rule). */
function crosses(ring: Float64Array, i: number, j: number, lon: number, lat: number): boolean {
  const yi = ring[i + 1];
  const yj = ring[j + 1];
  return yi > lat !== yj > lat && lon < ((ring[j] - ring[i]) * (lat - yi)) / (yj - yi) + ring[i];
}

/** Even–odd rule over the rings of one polygon (holes included), reading only the edges of the point's band. */
export function inBandedRings(rings: readonly BandedRing[], lon: number, lat: number): boolean {
  let inside = false;
  for (const r of rings) {
    if (lat < r.minLat || lat > r.maxLat) continue; // no edge of this ring crosses the point's latitude
    const { ring, starts, edges } = r;
    const b = bandAt({ minLat: r.minLat, band: r.band, bands: starts.length - 1 }, lat);
    const n = ring.length;
    for (let k = starts[b], end = starts[b + 1]; k < end; k++) {
      const i = edges[k];
      if (crosses(ring, i, i === 0 ? n - 2 : i - 2, lon, lat)) inside = !inside;
    }
  }
  return inside;
}

type Position = [number, number];
export type MultiPolygon = { type: 'MultiPolygon'; coordinates: Position[][][] } | { type: 'Polygon'; coordinates: Position[][] };

/** Even–odd rule over the rings of one polygon (holes included). */
export function inRings(rings: readonly Float64Array[], lon: number, lat: number): boolean {
  let inside = false;
  for (const ring of rings) {
    const n = ring.length;
    for (let i = 0, j = n - 2; i < n; j = i, i += 2) if (crosses(ring, i, j, lon, lat)) inside = !inside;
  }
  return inside;
}

function index(area: Area, geometry: MultiPolygon): IndexedArea {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const polygons = polys.map((rings) =>
    rings.map((ring) => {
      const flat = new Float64Array(ring.length * 2);
      ring.forEach(([x, y], k) => {
        flat[2 * k] = x;
        flat[2 * k + 1] = y;
        if (x < box[0]) box[0] = x;
        if (y < box[1]) box[1] = y;
        if (x > box[2]) box[2] = x;
        if (y > box[3]) box[3] = y;
      });
      return bandRing(flat);
    }),
  );
  return { area, box, polygons };
}

const contains = (a: IndexedArea, lon: number, lat: number) =>
  lon >= a.box[0] && lon <= a.box[2] && lat >= a.box[1] && lat <= a.box[3] && a.polygons.some((rings) => inBandedRings(rings, lon, lat));


export class AreaIndex {
  private readonly byKato = new Map<string, Area>();
  private readonly indexed = new Map<string, IndexedArea>();
  private readonly labels = new Map<string, { lon: number; lat: number }>();

  private constructor(
    private readonly regions: IndexedArea[],
    /** Districts grouped by their region's KATO code, so a point is tested only against its region's districts. */
    private readonly districts: Map<string | null, IndexedArea[]>,
  ) {
    for (const a of [...regions, ...[...districts.values()].flat()]) {
      this.byKato.set(a.area.kato, a.area);
      this.indexed.set(a.area.kato, a);
    }
  }

  /** The region or district with this KATO code (names in ru/kk/en), or null when there is none. */
  area(kato: string): Area | null {
    return this.byKato.get(kato) ?? null;
  }

  static async load(db: Queryable): Promise<AreaIndex> {
    const rows = await db.query<AreaRow & { geometry: string }>(
      'select kato, level, parent_kato, iso, name_ru, name_kk, name_en, ST_AsGeoJSON(geom) as geometry from kernel_geo_area order by kato',
    );
    return AreaIndex.fromRows(rows.map((r) => ({ ...r, geometry: JSON.parse(r.geometry) as MultiPolygon })));
  }

  /** Built from rows shaped like `kernel_geo_area`'s (tests build one straight from the GeoJSON). */
  static fromRows(rows: readonly (AreaRow & { geometry: MultiPolygon })[]): AreaIndex {
    const regions: IndexedArea[] = [];
    const districts = new Map<string | null, IndexedArea[]>();
    for (const r of rows) {
      const indexed = index(toArea(r), r.geometry);
      if (r.level === 'region') regions.push(indexed);
      else districts.set(r.parent_kato, [...(districts.get(r.parent_kato) ?? []), indexed]);
    }
    return new AreaIndex(regions, districts);
  }

  /** Every region and district. */
  all(): Area[] {
    return [...this.byKato.values()];
  }

  /**
   * A point well inside an area, to stand for it when nothing more precise is known (an address naming only a
   * district): the middle of the widest stretch inside it along one of 31 parallels across its box. Unlike the
   * centroid, it is always inside — a crescent-shaped district's centroid can lie in its neighbour. Cached.
   */
  labelPoint(kato: string): { lon: number; lat: number } | null {
    const cached = this.labels.get(kato);
    if (cached) return cached;
    const a = this.indexed.get(kato);
    if (!a) return null;
    let best = { width: -1, lon: 0, lat: 0 };
    for (let k = 1; k <= 31; k++) {
      const lat = a.box[1] + ((a.box[3] - a.box[1]) * k) / 32;
      const xs: number[] = [];
      for (const rings of a.polygons)
        for (const { ring } of rings)
          for (let i = 0, j = ring.length - 2; i < ring.length; j = i, i += 2) {
            const yi = ring[i + 1];
            const yj = ring[j + 1];
            if (yi > lat !== yj > lat) xs.push(((ring[j] - ring[i]) * (lat - yi)) / (yj - yi) + ring[i]);
          }
      xs.sort((x, y) => x - y);
      const scale = Math.cos((lat * Math.PI) / 180);
      for (let i = 0; i + 1 < xs.length; i += 2) {
        const width = (xs[i + 1] - xs[i]) * scale;
        if (width > best.width) best = { width, lon: (xs[i] + xs[i + 1]) / 2, lat };
      }
    }
    const point = best.width < 0 ? null : { lon: best.lon, lat: best.lat };
    if (point) this.labels.set(kato, point);
    return point;
  }

  get size(): number {
    let n = this.regions.length;
    for (const d of this.districts.values()) n += d.length;
    return n;
  }

  /** The region and district that contain a WGS 84 point; nulls outside Kazakhstan. */
  locate(lon: number, lat: number): Placement {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return { region: null, district: null };
    const region = this.regions.find((a) => contains(a, lon, lat)) ?? null;
    // The region's own districts first; the two data sets' borders do not match to the metre, so a point near
    // one may sit in a district of the neighbouring region — then every district is tried (boxes first).
    const own = region ? (this.districts.get(region.area.kato) ?? []) : [];
    let district = own.find((a) => contains(a, lon, lat)) ?? null;
    if (!district) for (const group of this.districts.values()) district ??= group.find((a) => contains(a, lon, lat)) ?? null;
    return { region: region?.area ?? null, district: district?.area ?? null };
  }

  /** KATO code of a point: its district, else its region, else null (outside Kazakhstan). */
  katoOf(lon: number, lat: number): string | null {
    const p = this.locate(lon, lat);
    return p.district?.kato ?? p.region?.kato ?? null;
  }
}
