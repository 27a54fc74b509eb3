import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { fixKazakh } from '../../../packages/kernel/src/geo/geo.ts';
import { type Geometry, labelPoint } from '../src/map/geo.ts';
import type { DistrictTopoProps, KzTopology, TopoArea, TopoLabel } from '../src/map/topology.ts';

/**
 * Build-time half of the citizen picker's boundaries (`src/map/topology.ts` is the other half): the geokz regions and
 * districts in `data/geokz` — the files the server loads and serves at `/api/v1/geo/*` to staff — turned into one
 * small TopoJSON file that the anonymous citizen page may fetch with the rest of the web build.
 *
 * The districts' rings are cut into arcs where their neighbours change, so a border two districts share is stored
 * (and simplified) once and both sides stay identical; arcs are simplified (Douglas–Peucker), quantised and
 * delta-encoded. Region borders are the arcs between districts of two regions or on the outside, district borders
 * the arcs between two districts of one region (so each line is drawn once); region and district
 * names get a label point computed here from the full geometry, so the phone computes nothing.
 */

export const GEOKZ_DIR = fileURLToPath(new URL('../../../data/geokz', import.meta.url));

export interface TopologyOptions {
  /** Simplification tolerance, degrees (0.002° ≈ 150–220 m here). */
  tolerance: number;
  /** Quantisation step, degrees. */
  quantum: number;
}

export const DEFAULT_TOPOLOGY_OPTIONS: TopologyOptions = { tolerance: 0.002, quantum: 0.0005 };

export interface GeoFeature {
  properties: Record<string, string>;
  geometry: Geometry;
}

type Pt = [number, number];

interface Ring {
  feature: number;
  keys: string[];
  pts: Pt[];
}

interface Arc {
  pts: Pt[];
  /** Districts (feature indexes) whose rings use the arc. */
  owners: Set<number>;
}

const keyOf = (p: Pt) => `${p[0]},${p[1]}`;

/** The topology of the geokz files in `dataDir` (the server's own copy, `data/geokz`). */
export function buildKzTopology(dataDir = GEOKZ_DIR, options: TopologyOptions = DEFAULT_TOPOLOGY_OPTIONS): KzTopology {
  const read = (f: string) => (JSON.parse(readFileSync(`${dataDir}/${f}`, 'utf8')) as { features: GeoFeature[] }).features;
  return topologyOf(read('kz-regions-2024.geojson'), read('kz-districts-2024.geojson'), options);
}

/** The topology of geokz region and district features (properties as in the geokz files: KATO, ADM1_*, ADM2_*). */
export function topologyOf(regions: GeoFeature[], districts: GeoFeature[], options: TopologyOptions = DEFAULT_TOPOLOGY_OPTIONS): KzTopology {
  const regionByPcode = new Map(regions.map((f) => [f.properties.ADM1_PCODE, f.properties.KATO]));
  const parentOf = districts.map((f) => regionByPcode.get(f.properties.ADM1_PCODE) ?? null);

  // ---- rings, and which rings use each edge ----------------------------------------------------------------
  const polygonsOf = (g: Geometry) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
  const rings: Ring[] = [];
  /** Per district: polygons → ring indexes into `rings`. */
  const shape: number[][][] = districts.map((f, fi) =>
    polygonsOf(f.geometry).map((poly) =>
      poly.map((ring) => {
        const pts = ring.map((p) => [p[0], p[1]] as Pt);
        if (pts.length > 1 && keyOf(pts[0]) === keyOf(pts[pts.length - 1])) pts.pop();
        rings.push({ feature: fi, keys: pts.map(keyOf), pts });
        return rings.length - 1;
      }),
    ),
  );
  const edgeKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const edgeRings = new Map<string, number[]>();
  rings.forEach((r, ri) => {
    for (let i = 0; i < r.keys.length; i++) {
      const k = edgeKey(r.keys[i], r.keys[(i + 1) % r.keys.length]);
      const list = edgeRings.get(k);
      if (list) {
        if (!list.includes(ri)) list.push(ri);
      } else edgeRings.set(k, [ri]);
    }
  });

  // ---- cut rings into arcs where the neighbours change; one arc per shared border ---------------------------
  const arcs: Arc[] = [];
  const arcIndex = new Map<string, number>();
  const addArc = (keys: string[], pts: Pt[], feature: number): number => {
    const fwd = keys.join(';');
    const known = arcIndex.get(fwd);
    if (known !== undefined) {
      arcs[known].owners.add(feature);
      return known;
    }
    const rev = arcIndex.get(keys.slice().reverse().join(';'));
    if (rev !== undefined) {
      arcs[rev].owners.add(feature);
      return ~rev;
    }
    arcs.push({ pts, owners: new Set([feature]) });
    arcIndex.set(fwd, arcs.length - 1);
    return arcs.length - 1;
  };
  const ringArcs: number[][] = rings.map((r) => {
    const n = r.keys.length;
    const sig = r.keys.map((k, i) => (edgeRings.get(edgeKey(k, r.keys[(i + 1) % n])) ?? []).slice().sort().join(','));
    const cuts: number[] = [];
    for (let i = 0; i < n; i++) if (sig[(i - 1 + n) % n] !== sig[i]) cuts.push(i);
    if (cuts.length === 0) {
      // A ring with one neighbour all round (or none): one closed arc, started at its smallest vertex so that the
      // neighbour, which walks it the other way, finds the same arc reversed.
      let start = 0;
      for (let i = 1; i < n; i++) if (r.keys[i] < r.keys[start]) start = i;
      const order = [...Array(n + 1).keys()].map((i) => (start + i) % n);
      const keys = order.map((i) => r.keys[i]);
      const pts = order.map((i) => r.pts[i]);
      return [addArc(keys, pts, r.feature)];
    }
    const out: number[] = [];
    for (let c = 0; c < cuts.length; c++) {
      const from = cuts[c];
      const to = cuts[(c + 1) % cuts.length];
      const len = ((to - from + n) % n || n) + 1;
      const order = [...Array(len).keys()].map((i) => (from + i) % n);
      out.push(
        addArc(
          order.map((i) => r.keys[i]),
          order.map((i) => r.pts[i]),
          r.feature,
        ),
      );
    }
    return out;
  });

  // ---- simplify each arc once; a ring that would collapse keeps its full arcs ------------------------------
  const simplified = arcs.map((a) => simplifyArc(a.pts, options.tolerance));
  const arcOf = (i: number) => (i < 0 ? ~i : i);
  for (const ra of ringArcs) {
    const vertices = ra.reduce((n, i) => n + simplified[arcOf(i)].length - 1, 0);
    if (vertices < 3) for (const i of ra) simplified[arcOf(i)] = arcs[arcOf(i)].pts;
  }

  // ---- quantise and delta-encode ---------------------------------------------------------------------------
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let nn = -Infinity;
  for (const a of arcs)
    for (const [x, y] of a.pts) {
      w = Math.min(w, x);
      s = Math.min(s, y);
      e = Math.max(e, x);
      nn = Math.max(nn, y);
    }
  const q = options.quantum;
  const tx = Math.floor(w / q) * q;
  const ty = Math.floor(s / q) * q;
  const quant = (p: Pt): Pt => [Math.round((p[0] - tx) / q), Math.round((p[1] - ty) / q)];
  const encoded = simplified.map((pts) => {
    const qs: Pt[] = [];
    for (const p of pts.map(quant)) {
      const last = qs[qs.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) qs.push(p);
    }
    if (qs.length === 1) qs.push(qs[0]);
    let px = 0;
    let py = 0;
    return qs.map(([x, y]) => {
      const d: Pt = [x - px, y - py];
      px = x;
      py = y;
      return d;
    });
  });

  // ---- objects -----------------------------------------------------------------------------------------------
  const names = (p: Record<string, string>, level: 'ADM1' | 'ADM2') => ({
    ru: p[`${level}_RU`],
    kk: fixKazakh(p[`${level}_KK`]),
    en: p[`${level}_EN`],
  });
  const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
  const districtObjects: TopoArea[] = districts.map((f, fi) => {
    const p = f.properties;
    const [lx, ly] = labelPoint(simplifiedGeometry(f.geometry, options.tolerance));
    const properties: DistrictTopoProps = {
      kato: p.KATO,
      parentKato: parentOf[fi],
      name: names(p, 'ADM2'),
      label: [round4(lx), round4(ly)],
    };
    const polys = shape[fi].map((poly) => poly.map((ri) => ringArcs[ri]));
    return polys.length === 1
      ? { type: 'Polygon', id: p.KATO, arcs: polys[0], properties }
      : { type: 'MultiPolygon', id: p.KATO, arcs: polys, properties };
  });
  const borderArcs: number[][] = [];
  const innerArcs: number[][] = [];
  arcs.forEach((a, i) => {
    const parents = new Set([...a.owners].map((fi) => parentOf[fi]));
    if (a.owners.size === 1 || parents.size > 1) borderArcs.push([i]);
    else innerArcs.push([i]);
  });
  const regionObjects: TopoLabel[] = regions.map((f) => {
    const p = f.properties;
    return {
      type: 'Point',
      id: p.KATO,
      coordinates: quant(labelPoint(simplifiedGeometry(f.geometry, options.tolerance))),
      properties: { kato: p.KATO, iso: p.ISO_3166_2 ?? null, name: names(p, 'ADM1') },
    };
  });

  return {
    type: 'Topology',
    transform: { scale: [q, q], translate: [tx, ty] },
    bbox: [w, s, e, nn],
    arcs: encoded,
    objects: {
      districts: { type: 'GeometryCollection', geometries: districtObjects },
      regionBorders: { type: 'MultiLineString', arcs: borderArcs },
      districtBorders: { type: 'MultiLineString', arcs: innerArcs },
      regions: { type: 'GeometryCollection', geometries: regionObjects },
    },
  };
}

/**
 * The geometry with each ring simplified on its own, for label points: a label sits well inside its area (far more
 * than the tolerance from any edge), and the search is several times faster on the lighter rings.
 */
function simplifiedGeometry(g: Geometry, tolerance: number): Geometry {
  const ring = (r: number[][]) => {
    const s = simplifyArc(
      r.map((p) => [p[0], p[1]] as Pt),
      tolerance,
    );
    return s.length >= 4 ? s : r;
  };
  return g.type === 'Polygon'
    ? { type: 'Polygon', coordinates: g.coordinates.map(ring) }
    : { type: 'MultiPolygon', coordinates: g.coordinates.map((p) => p.map(ring)) };
}

/** Douglas–Peucker with both ends kept; a closed arc (first = last) is split at its farthest point first. */
export function simplifyArc(pts: Pt[], tolerance: number): Pt[] {
  if (pts.length <= 2) return pts;
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (first[0] === last[0] && first[1] === last[1]) {
    let far = 1;
    let best = -1;
    for (let i = 1; i < pts.length - 1; i++) {
      const d = (pts[i][0] - first[0]) ** 2 + (pts[i][1] - first[1]) ** 2;
      if (d > best) {
        best = d;
        far = i;
      }
    }
    return [...douglasPeucker(pts.slice(0, far + 1), tolerance).slice(0, -1), ...douglasPeucker(pts.slice(far), tolerance)];
  }
  return douglasPeucker(pts, tolerance);
}

function douglasPeucker(pts: Pt[], tolerance: number): Pt[] {
  if (pts.length <= 2) return pts;
  const keep = new Uint8Array(pts.length);
  keep[0] = 1;
  keep[pts.length - 1] = 1;
  const stack: [number, number][] = [[0, pts.length - 1]];
  const tol2 = tolerance * tolerance;
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const [ax, ay] = pts[a];
    const dx = pts[b][0] - ax;
    const dy = pts[b][1] - ay;
    const len2 = dx * dx + dy * dy;
    let max = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const t = len2 ? Math.max(0, Math.min(1, ((pts[i][0] - ax) * dx + (pts[i][1] - ay) * dy) / len2)) : 0;
      const d = (ax + t * dx - pts[i][0]) ** 2 + (ay + t * dy - pts[i][1]) ** 2;
      if (d > max) {
        max = d;
        at = i;
      }
    }
    if (at >= 0 && max > tol2) {
      keep[at] = 1;
      stack.push([a, at], [at, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

const VIRTUAL = 'virtual:kz-boundaries';
const RESOLVED = `\0${VIRTUAL}`;

/**
 * Vite plugin: `import url from 'virtual:kz-boundaries'` is the URL of the topology, emitted once per build as
 * `assets/kz-boundaries-<hash>.json` (served by the dev server too).
 */
export function kzBoundaries(dataDir = GEOKZ_DIR): Plugin {
  let made: { json: string; fileName: string } | null = null;
  let base = '/';
  const make = () => {
    if (!made) {
      const json = JSON.stringify(buildKzTopology(dataDir));
      const hash = createHash('sha256').update(json).digest('hex').slice(0, 12);
      made = { json, fileName: `assets/kz-boundaries-${hash}.json` };
    }
    return made;
  };
  return {
    name: 'tartip-kz-boundaries',
    configResolved(config) {
      base = config.base;
    },
    resolveId(id) {
      return id === VIRTUAL ? RESOLVED : null;
    },
    load: {
      filter: { id: new RegExp(`^${RESOLVED}$`) },
      handler(id) {
        if (id !== RESOLVED) return null;
        return `export default ${JSON.stringify(base + make().fileName)};`;
      },
    },
    generateBundle() {
      const { json, fileName } = make();
      this.emitFile({ type: 'asset', fileName, source: json });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const { json, fileName } = make();
        if (req.url !== base + fileName) return next();
        res.setHeader('content-type', 'application/json');
        res.end(json);
      });
    },
  };
}
