import type { RoadGraph } from '../../dispatch/domain/routing/graph.ts';

/**
 * Travel times for the patrol planner on a road network (dispatch's OSM road graph, the same `.osm.pbf` loader):
 * every place (hotspot or depot) is snapped to the nearest node of the graph's main component within
 * `snapMetres`; a place's times to all the others come from one Dijkstra, run the first time a unit leaves that
 * place and kept. A place that does not snap, or a pair with no road between them, falls back to `fallback`
 * (straight line), so a plan is always made.
 */
export function roadTravelMinutes<P extends object>(
  graph: RoadGraph,
  places: readonly { place: P; lon: number; lat: number }[],
  fallback: (a: P, b: P) => number,
  snapMetres = 500,
): { travel: (a: P, b: P) => number; snapped: number } {
  const index = new Map<P, number>();
  const node = new Int32Array(places.length).fill(-1);
  places.forEach((p, i) => {
    index.set(p.place, i);
    const near = graph.nearestNode({ lon: p.lon, lat: p.lat }, snapMetres);
    if (near) node[i] = near.node;
  });
  const targets = [...new Set(Array.from(node).filter((n) => n >= 0))];
  const rows = new Map<number, Float64Array>();
  const row = (i: number): Float64Array => {
    let r = rows.get(i);
    if (!r) {
      const { timeS } = graph.dijkstra(node[i], { targets });
      r = new Float64Array(places.length);
      for (let j = 0; j < places.length; j++) r[j] = node[j] >= 0 ? timeS[node[j]] / 60 : Number.POSITIVE_INFINITY;
      rows.set(i, r);
    }
    return r;
  };
  return {
    snapped: targets.length === 0 ? 0 : Array.from(node).filter((n) => n >= 0).length,
    travel: (a, b) => {
      const i = index.get(a);
      const j = index.get(b);
      if (i === undefined || j === undefined || node[i] < 0 || node[j] < 0) return fallback(a, b);
      const t = row(i)[j];
      return Number.isFinite(t) ? t : fallback(a, b);
    },
  };
}
